"""``bench reproduce`` on a reduced preset, resuming, simulation through mrsim, bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import h5py
import pytest
from typer.testing import CliRunner

from bench.cli import app
from bench.data import noise_folder, simulate
from bench.presets import SMOKE
from bench.reproduce import STEPS, noise_drop, reproduce, seed_matched
from bench.tables import TableRow
from seranet.train import RunSummary
from seranet.train import train as seranet_train

pytestmark = pytest.mark.integration

TINY = SMOKE.replace(
    name="tiny",
    methods=("fully-sampled", "zero-filling", "seranet-1"),
    recon_types=("A",),
    table2_recon_types=("A",),
    seeded_methods=("seranet-1",),
    ablation_blocks=(1, 2),
    ablation_methods=("seranet-1",),
    ablation_recon_types=("A",),
)


class Counter:
    def __init__(self) -> None:
        self.trained = 0

    def __call__(self, config: Any, out_dir: Path, **kwargs: Any) -> RunSummary:
        summary = seranet_train(config, out_dir, **kwargs)
        self.trained += not summary.skipped
        return summary


def test_reproduce_writes_every_artefact_and_resumes(dataset_dir: Path, tmp_path: Path) -> None:
    for noise in TINY.noise_levels:  # stand-in for the simulated datasets
        shutil.copytree(dataset_dir, tmp_path / "data" / noise_folder(noise))
    steps = [s for s in STEPS if s != "data"]
    first = Counter()
    result = reproduce(TINY, tmp_path, steps=steps, device="cpu", progress=False, trainer=first)
    assert first.trained == 3 + 3 + 1  # Table 1, Table 2, the ablation's K=1 point
    for rel in (
        "table1/table.json", "table1/table.md", "table2/table.csv", "ablation/ablation.json",
        "ablation/ablation.png", "figures/figure_type_A.png", "attention/attention.png",
        "attention/slices.gif", "summary.md", "reproduce.json",
    ):  # fmt: skip
        assert (tmp_path / rel).is_file(), rel
    assert sorted(result.seconds) == sorted(steps)
    assert "## Noise robustness" in result.summary
    assert "| seranet-1 | A |" in result.summary
    assert "### Beside the paper (average Dice)" in result.summary  # noise 10 % and 20 %
    assert "| type A: every method above Zero-filling |" in result.summary
    assert "SERANet loses the least Dice from 10 % to 20 % noise" in result.summary
    # every claim is judged on paired per-slice scores, not on the means alone
    assert "Weakest paired comparison [95 % CI]" in result.summary
    assert "not paired (no per-slice scores)" not in result.summary
    assert "(1 subjects, 4 slices, seeds 1/1)" in result.summary

    again = Counter()
    reproduce(TINY, tmp_path, steps=steps, device="cpu", progress=False, trainer=again)
    assert again.trained == 0
    log = json.loads((tmp_path / "reproduce.json").read_text())
    assert len(log["calls"]) == 2
    assert log["preset"]["name"] == "tiny"


def test_noise_drop_pairs_rows_by_method_and_type() -> None:
    def row(method: str, recon_type: str | None, dice: float) -> TableRow:
        return TableRow(method, recon_type, 1, {"mean": dice})

    drops = noise_drop(
        [row("joint", "A", 0.8), row("joint", "B", 0.85), row("zero-filling", None, 0.7)],
        [row("joint", "B", 0.80), row("zero-filling", None, 0.6)],
    )
    assert [(d.method, d.recon_type) for d in drops] == [
        ("joint", "B"),
        ("zero-filling", None),
    ]
    assert drops[0].drop == pytest.approx(0.05)
    assert drops[1].drop == pytest.approx(0.1)


def _scored_run(root: Path, name: str, dice: float) -> None:
    classes = {c: {"dice": dice, "hd_mm": 1.0, "hd95_mm": 1.0} for c in ("CSF", "GM", "WM")}
    (root / name).mkdir(parents=True)
    (root / name / "test-metrics.json").write_text(json.dumps({"per_class": classes}))


def test_seed_matched_compares_the_same_seeds_when_their_runs_are_at_hand(tmp_path: Path) -> None:
    def row(method: str, seeds: int, dice: float) -> TableRow:
        return TableRow(method, "B", seeds, {"mean": dice})

    def run(method: str, seed: int) -> dict[str, Any]:
        path = f"elsewhere/runs/noise10/{method}_B_k3_s{seed}"  # moved: found by name
        return {"run": path, "method": method, "recon_type": "B", "recon_blocks": 3, "seed": seed}

    low_rows = [row("joint", 3, 0.70), row("seranet-3", 3, 0.72), row("two-step", 1, 0.69)]
    low_runs = [run(m, s) for m in ("joint", "seranet-3") for s in (0, 1, 2)]
    low_runs.append(run("two-step", 0))
    high_runs = [run("joint", 0), run("seranet-3", 0), run("two-step", 0)]
    _scored_run(tmp_path, "joint_B_k3_s0", 0.66)  # seranet-3's seed-0 run is gone
    matched = seed_matched(low_rows, low_runs=low_runs, high_runs=high_runs, low_runs_dir=tmp_path)
    assert [(r.method, r.seeds) for r in matched] == [
        ("joint", 1),
        ("seranet-3", 3),
        ("two-step", 1),
    ]
    assert matched[0].mean_dice == pytest.approx(0.66)
    assert matched[1:] == low_rows[1:]
    drops = noise_drop(matched, [row("joint", 1, 0.60), row("seranet-3", 1, 0.70)])
    assert [(d.seeds_low, d.seeds_high) for d in drops] == [(1, 1), (3, 1)]
    assert drops[0].drop == pytest.approx(0.06)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "cpu"], "simulates BrainWeb: pass --brainweb-dir"),
        (["--preset", "paper", "--brainweb-dir", "/no/such/dir"], "does not exist"),
        (["--preset", "smoke", "--steps", "data,tables"], "unknown step 'tables'"),
        (["--preset", "cpu-fast"], "unknown preset 'cpu-fast'"),
    ],
)
def test_bad_reproduce_input(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["reproduce", "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.skipif("BRAINWEB_DIR" not in os.environ, reason="BRAINWEB_DIR is not set")
def test_simulate_brainweb_through_mrsim(tmp_path: Path) -> None:
    preset = SMOKE.replace(phantom="brainweb", subjects=1, slices=2)
    files = simulate(preset, tmp_path, 0.2, brainweb_dir=os.environ["BRAINWEB_DIR"], progress=False)
    assert len(files) == 1
    with h5py.File(files[0]) as f:
        assert f["kspace"].shape == (2, 54, 45)  # 216 x 180 mm at 4 mm
        assert f.attrs["noise_level"] == pytest.approx(0.2)
    again = simulate(preset, tmp_path, 0.2, brainweb_dir=os.environ["BRAINWEB_DIR"], progress=False)
    assert again == files


def test_simulate_brainweb_needs_the_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", "--preset", "cpu", "--out", str(tmp_path / "d"), "--brainweb-dir",
              str(tmp_path / "none")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "d").exists()
