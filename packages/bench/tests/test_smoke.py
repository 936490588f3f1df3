"""The smoke preset end to end from the command line: procedural phantoms -> tables -> figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

import mrsim.phantoms
from bench.cli import app
from bench.presets import SMOKE

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not hasattr(mrsim.phantoms, "procedural_phantom"),
        reason="this mrsim has no procedural phantoms",
    ),
]


def _ok(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_smoke_preset_from_simulation_to_figures(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    _ok("simulate", "--preset", "smoke", "--out", str(data), "--quiet")
    files = sorted(data.glob("*.h5"))
    assert len(files) == SMOKE.subjects
    _ok("compare", "--preset", "smoke", "--data", str(data), "--out", str(out), "--quiet",
        "--device", "cpu", "--jobs", "2")  # fmt: skip
    rows = json.loads((out / "table.json").read_text())
    assert {r["method"] for r in rows} == set(SMOKE.methods)
    assert len(rows) == 3 + 2 * (len(SMOKE.methods) - 3)
    for row in rows:
        assert all(math.isfinite(v) for m in ("dice", "hd", "hd95") for v in row[m].values())
    _ok("figures", "--runs", str(out), "--data", str(data), "--out", str(tmp_path / "fig"))
    for name in ("figure_type_A.png", "figure_type_B.png"):
        assert mpimg.imread(tmp_path / "fig" / name).shape[0] > 50
