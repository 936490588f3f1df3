"""Figures, attention maps and the Dice-vs-blocks ablation: valid PNG / GIF files and JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg
from PIL import Image
from typer.testing import CliRunner

from bench.ablation import ablate_blocks, parse_blocks
from bench.attention import attention
from bench.cli import app
from bench.figures import figures
from bench.presets import SMOKE

pytestmark = pytest.mark.integration

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> np.ndarray:
    assert path.read_bytes()[:8] == PNG_MAGIC
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3
    assert pixels.shape[0] > 50
    assert pixels.shape[1] > 50
    assert float(pixels[..., :3].std()) > 0  # not a blank canvas
    return pixels


def test_panels_per_reg_type_hold_every_method(
    smoke: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    panels = figures([smoke], dataset_dir, tmp_path, device="cpu")
    assert [p.path.name for p in panels] == ["figure_type_A.png", "figure_type_B.png"]
    for p in panels:
        assert p.methods == (
            "fully-sampled", "zero-filling", "two-step", "joint", "segnetmri",
            "seranet-1", "seranet-2", "seranet-3", "seranet-3++",
        )  # fmt: skip
        assert_png(p.path)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["figure_type_A.png", "figure_type_B.png"]


def test_attention_png_and_gif_through_all_slices(
    smoke: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    result = attention(smoke / "runs" / "seranet-3_B_k2_s0", dataset_dir, tmp_path, device="cpu")
    assert result.recurrences == 3
    assert len(result.mean_ambiguity) == 4
    assert all(0 <= v <= 1 for v in result.mean_ambiguity)
    assert_png(result.png)
    assert result.gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    with Image.open(result.gif) as gif:
        assert gif.n_frames == 4  # every slice of the test subject
        gif.seek(gif.n_frames - 1)
        frame = np.asarray(gif.convert("RGB"))
    assert frame.shape[1] > 3 * 32  # image | prediction | ground truth side by side


def test_attention_needs_a_seranet_run(smoke: Path, dataset_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "att"
    result = CliRunner().invoke(
        app, ["attention", "--run", str(smoke / "runs" / "joint_A_k2_s0"), "--data",
              str(dataset_dir), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "attention maps need a seranet-N run" in result.stderr
    assert not out.exists()


def test_ablation_reuses_the_comparison_runs(
    smoke: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    runs = smoke / "runs"
    before = {p.name for p in runs.iterdir()}
    result = ablate_blocks(
        dataset_dir, tmp_path, SMOKE, blocks=[1, 2], methods=["joint", "seranet-1"],
        recon_types=["A"], runs_dir=runs, device="cpu", progress=False,
    )  # fmt: skip
    new = {p.name for p in runs.iterdir()} - before
    assert new == {"joint_A_k1_s0", "seranet-1_A_k1_s0"}  # K=2 is the smoke preset's own K
    data = json.loads(result.json_path.read_text())
    assert data["blocks"] == [1, 2]
    assert {(p["method"], p["recon_blocks"]) for p in data["points"]} == {
        ("joint", 1), ("joint", 2), ("seranet-1", 1), ("seranet-1", 2),
    }  # fmt: skip
    for p in data["points"]:
        assert all(math.isfinite(v) for v in p["dice"].values())
    table = json.loads((smoke / "table.json").read_text())
    joint = next(r for r in table if r["method"] == "joint" and r["recon_type"] == "A")
    k2 = next(p for p in data["points"] if p["method"] == "joint" and p["recon_blocks"] == 2)
    assert k2["dice"] == joint["dice"]
    assert_png(result.png_path)
    assert "| Joint (Type A) |" in result.markdown


@pytest.mark.parametrize("text", ["1,x", "0,2", "", "-1"])
def test_bad_block_lists_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="--blocks must be comma-separated positive integers"):
        parse_blocks(text)


def test_bad_blocks_on_the_command_line(dataset_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "abl"
    result = CliRunner().invoke(
        app,
        [
            "ablate-blocks",
            "--data",
            str(dataset_dir),
            "--out",
            str(out),
            "--preset",
            "smoke",
            "--blocks",
            "1,two",
        ],
    )
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--blocks must be" in result.stderr
    assert not out.exists()


def test_figures_without_runs_is_a_one_line_error(dataset_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(
        app,
        ["figures", "--runs", str(empty), "--data", str(dataset_dir), "--out", str(tmp_path / "f")],
    )
    assert result.exit_code == 2
    assert "no finished run" in result.stderr
    assert not (tmp_path / "f").exists()
