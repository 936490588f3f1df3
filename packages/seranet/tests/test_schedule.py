"""Learning-rate schedules and the convergence rule."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
import torch

from seranet.train import TrainConfig, train
from seranet.train.convergence import final_stage_dice, is_converged, quarter_gain
from seranet.train.schedule import lr_factor

from .test_train import tiny


@pytest.mark.parametrize(("step", "gamma"), [(1, 0.5), (3, 0.5), (4, 0.3)])
def test_step_without_hold_is_torch_steplr(step: int, gamma: float) -> None:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    reference = torch.optim.lr_scheduler.StepLR(opt, step_size=step, gamma=gamma)
    for epoch in range(12):
        assert lr_factor(epoch, 12, step=step, gamma=gamma) == pytest.approx(
            opt.param_groups[0]["lr"], rel=1e-12
        )
        opt.step()
        reference.step()


def test_hold_delays_the_step_decays() -> None:
    factors = [lr_factor(e, 24, step=4, hold=4) for e in range(24)]
    assert factors == [1.0] * 8 + [0.5] * 4 + [0.25] * 4 + [0.125] * 4 + [0.0625] * 4


def test_cosine_with_warm_up() -> None:
    factors = [lr_factor(e, 11, schedule="cosine", warmup=1) for e in range(11)]
    assert factors[0] == pytest.approx(0.5)  # warm-up: (e + 1) / (warmup + 1)
    assert factors[1] == pytest.approx(1.0)  # cosine starts at the full rate
    assert factors[6] == pytest.approx(0.5)  # half-way through the 10 cosine epochs
    expected = [0.5 * (1 + math.cos(math.pi * k / 10)) for k in range(10)]
    assert factors[1:] == pytest.approx(expected)
    assert all(a > b for a, b in itertools.pairwise(factors[1:]))


def test_unknown_schedules_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown lr schedule 'linear'"):
        lr_factor(0, 3, schedule="linear")
    with pytest.raises(ValueError, match="lr_schedule must be one of step, cosine"):
        TrainConfig(str(tmp_path), tiny(tmp_path).model, lr_schedule="linear")
    with pytest.raises(ValueError, match="warmup_epochs must be a non-negative integer"):
        TrainConfig(str(tmp_path), tiny(tmp_path).model, warmup_epochs=-1)


def test_a_run_follows_its_schedule_in_every_stage(tmp_path: Path, dataset_dir: Path) -> None:
    config = tiny(
        dataset_dir, "two-step", lr=1e-3, epochs=4, pretrain_epochs=3,
        lr_schedule="cosine", warmup_epochs=1,
    )  # fmt: skip
    train(config, tmp_path / "run", progress=False)
    records = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    for r in records:
        expected = 1e-3 * config.lr_factor(r["stage"], r["epoch"] - 1)
        assert r["lr"] == pytest.approx(expected, rel=1e-9)
        assert r["cpu_seconds"] > 0
    assert next(r["lr"] for r in records if r["stage"] == "train") == pytest.approx(5e-4)


def test_convergence_rule() -> None:
    # 8 epochs: quarters of 2; best of the last two minus best of the two before
    rising = [0.1, 0.3, 0.5, 0.6, 0.65, 0.68, 0.70, 0.72]
    flat = [0.1, 0.3, 0.5, 0.6, 0.70, 0.72, 0.723, 0.721]
    assert quarter_gain(rising) == pytest.approx(0.04)
    assert is_converged(rising) is False
    assert quarter_gain(flat) == pytest.approx(0.003)
    assert is_converged(flat) is True
    assert is_converged([0.5, 0.55, 0.554]) is True  # 3 epochs: quarters of one epoch
    assert is_converged([0.5]) is None
    assert is_converged([math.nan, math.nan, 0.4, math.nan]) is None
    assert is_converged([0.9, 0.2, 0.3, 0.4], tolerance=0.2) is True  # falling counts as flat


def test_final_stage_dice_reads_the_last_stage_with_a_dice() -> None:
    records = [
        {"stage": "recon-pretrain", "val_dice": None},
        {"stage": "seg-pretrain", "val_dice": {"mean": 0.3}},
        {"stage": "finetune", "val_dice": {"mean": 0.5}},
        {"stage": "finetune", "val_dice": {"mean": None}},
    ]
    assert final_stage_dice(records)[0] == 0.5
    assert math.isnan(final_stage_dice(records)[1])
    assert final_stage_dice(records[:1]) == []
