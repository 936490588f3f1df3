"""Data-parallel training: ``torchrun --nproc-per-node=2 -m seranet train`` with gloo on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seranet.evaluate import evaluate


@pytest.mark.slow
@pytest.mark.integration
def test_two_process_gloo_run(tmp_path: Path, dataset_dir: Path) -> None:
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1",
        "--nproc-per-node=2", "-m", "seranet", "train", "--data", str(dataset_dir),
        "--model", "two-step", "--out", str(run), "--width", "4", "--depth", "3",
        "--recon-width", "4", "--recon-blocks", "1", "--epochs", "2", "--pretrain-epochs", "1",
        "--batch-size", "2", "--center-lines", "4", "--device", "cpu", "--quiet",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # rank-0-only I/O: one record per epoch, not one per process
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["epoch"]) for r in records] == [
        ("recon-pretrain", 1),
        ("train", 1),
        ("train", 2),
    ]
    assert not list(run.rglob("*.tmp"))
    summary = json.loads((run / "summary.json").read_text())
    # validation was sharded 2 + 1 slices over the ranks and summed: it must equal a
    # single-process evaluation of the final weights on the validation split
    single = evaluate(run, split="val", device="cpu", progress=False)
    assert single.n_slices == 3
    assert summary["val_dice"]["mean"] == pytest.approx(single.summary.average("dice"), abs=1e-6)
    for i, name in enumerate(("csf", "gm", "wm")):
        assert summary["val_dice"][name] == pytest.approx(
            float(single.summary.means["dice"][i]), abs=1e-6
        )
