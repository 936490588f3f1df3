"""Presets that train on the simulated source (cpu-randomised): validation, the source they
build, and a comparison whose runs train on samples simulated afresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench._io import BenchError
from bench.cli import main
from bench.compare import compare, simulated_source
from bench.presets import CPU, CPU_CONVERGED, CPU_RANDOMISED, SMOKE
from kspace.cli_conventions import invoke


def test_randomised_preset_is_the_converged_one_on_the_simulated_source() -> None:
    assert CPU_RANDOMISED.replace(
        name=CPU_CONVERGED.name, description=CPU_CONVERGED.description, source="files",
        procedural_heads=0,
    ) == CPU_CONVERGED  # fmt: skip
    assert (CPU_RANDOMISED.source, CPU_RANDOMISED.procedural_heads) == ("simulated", 20)


def test_source_of_each_kind_of_preset(tmp_path: Path) -> None:
    assert simulated_source(CPU, tmp_path) is None  # the files: no source
    with pytest.raises(BenchError, match="pass --brainweb-dir"):
        simulated_source(CPU_RANDOMISED, None)
    with pytest.raises(BenchError, match="does not exist"):
        simulated_source(CPU_RANDOMISED, tmp_path / "missing")
    source = simulated_source(CPU_RANDOMISED, tmp_path)
    assert source is not None
    assert (source.brainweb_dir, source.procedural_heads) == (str(tmp_path.resolve()), 20)
    procedural = simulated_source(SMOKE.replace(source="simulated", procedural_heads=3), None)
    assert procedural is not None
    assert (procedural.brainweb_dir, procedural.procedural_heads) == (None, 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "disk"}, "source must be one of files, simulated; got 'disk'"),
        ({"procedural_heads": -1}, "procedural_heads must be >= 0"),
        ({"source": "simulated"}, "needs procedural heads"),
    ],
)
def test_invalid_sources_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SMOKE.replace(**change)


def test_compare_on_a_simulated_preset_trains_on_the_simulated_source(
    procedural_data: Path, tmp_path: Path
) -> None:
    preset = SMOKE.replace(name="smoke-randomised", source="simulated", procedural_heads=2)
    result = compare(procedural_data, tmp_path / "out", preset, methods=["zero-filling"],
                     device="cpu", progress=False)  # fmt: skip
    (row,) = result.rows
    assert row.method == "zero-filling"
    config = json.loads((tmp_path / "out/runs/zero-filling_s0/config.json").read_text())
    assert config["simulated"]["procedural_heads"] == 2
    assert config["simulated"]["brainweb_dir"] is None
    scores = json.loads((tmp_path / "out/runs/zero-filling_s0/test-metrics.json").read_text())
    assert len(scores["slices"]) == SMOKE.slices  # scored on the test file, not on simulation


def test_cli_asks_for_the_brainweb_folder(procedural_data: Path, tmp_path: Path) -> None:
    result = invoke(
        main,
        ["bench", "compare", "--data", str(procedural_data), "--preset", "cpu-randomised",
         "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.follows_conventions(
        2,
        "error: preset 'cpu-randomised' trains on BrainWeb anatomy simulated afresh: "
        "pass --brainweb-dir",
    ), result
    assert not (tmp_path / "out").exists()
