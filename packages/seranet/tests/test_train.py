"""Training: overfitting, bit-exact resume, NaN handling, checkpoints, init-from, run dirs."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import seranet.train.loop as loop
from seranet.evaluate import evaluate
from seranet.models import ModelConfig, build_model
from seranet.train import (
    CheckpointError,
    EpochRecord,
    NonFiniteLossError,
    RunExistsError,
    TrainConfig,
    load_run,
    train,
)
from seranet.train.checkpoint import Checkpoint, load_weights


def tiny(data: Path, name: str = "seranet-1", **overrides: Any) -> TrainConfig:
    values: dict[str, Any] = {
        "epochs": 2,
        "pretrain_epochs": 1,
        "batch_size": 4,
        "center_lines": 4,
        "device": "cpu",
    }
    values.update(overrides)
    model = ModelConfig(name, recon_blocks=1, width=4, depth=3, recon_width=4)
    return TrainConfig(str(data), model, **values)


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", weights_only=True)["model"]


@pytest.mark.slow
def test_overfits_a_few_slices(tmp_path: Path, make_subject: Callable[..., Path]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):  # split 1 / 1 / 1: two training slices
        make_subject(data / f"subject{i}.h5", seed=200 + i, slices=2)
    model = ModelConfig("seranet-1", recon_blocks=1, width=8, depth=3, recon_width=8)
    config = TrainConfig(
        str(data), model, epochs=100, batch_size=2, lr=3e-3, center_lines=4, device="cpu"
    )
    train(config, tmp_path / "run", progress=False)
    result = evaluate(tmp_path / "run", split="train", device="cpu", progress=False)
    assert result.n_slices == 2
    assert result.summary.average("dice") > 0.9


@pytest.mark.parametrize("interrupt_after", [2, 3])
def test_resume_gives_bit_identical_weights(
    tmp_path: Path, dataset_dir: Path, interrupt_after: int
) -> None:
    # two stages (recon-pretrain 2 epochs, train 3 epochs), lr decaying every epoch:
    # interrupting at the stage boundary (2) and inside the second stage (3)
    config = tiny(dataset_dir, "two-step", pretrain_epochs=2, epochs=3, lr_step=1, lr=1e-3)
    train(config, tmp_path / "full", progress=False)

    seen: list[EpochRecord] = []

    def stop(record: EpochRecord) -> None:
        seen.append(record)
        if len(seen) == interrupt_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "cut", progress=False, on_epoch_end=stop)
    assert not (tmp_path / "cut" / "model.pt").exists()
    summary = train(config, tmp_path / "cut", resume=True, progress=False)
    assert not summary.skipped
    full, cut = _weights(tmp_path / "full"), _weights(tmp_path / "cut")
    assert full.keys() == cut.keys()
    for key in full:
        assert torch.equal(full[key], cut[key]), key

    def lines(run: Path) -> list[dict[str, Any]]:
        rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        timings = ("seconds", "cpu_seconds")
        return [{k: v for k, v in r.items() if k not in timings} for r in rows]

    assert lines(tmp_path / "cut") == lines(tmp_path / "full")
    assert len(lines(tmp_path / "full")) == 5


def test_run_directory_and_checkpoints(tmp_path: Path, dataset_dir: Path) -> None:
    run = tmp_path / "run"
    summary = train(tiny(dataset_dir, "two-step"), run, progress=False)
    assert [s.name for s in summary.stages] == ["recon-pretrain", "train"]
    assert [s.metric for s in summary.stages] == ["mse", "dice"]
    for name in ("config.json", "metrics.jsonl", "summary.json", "model.pt"):
        assert (run / name).is_file(), name
    for stage in ("recon-pretrain", "train"):
        assert (run / f"{stage}-best.pt").is_file()
        last = run / "checkpoints" / f"{stage}-last.pt"
        raw = torch.load(last, weights_only=True)  # the on-disk layout: a flat dict
        assert {"model", "optimizer", "scheduler", "rng", "epoch", "stage", "config_json"} <= set(
            raw
        )
        ck = Checkpoint.load(last)
        assert ck.stage == stage
        assert ck.training is not None
        assert set(ck.training.rng) >= {"torch", "numpy", "python"}
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["epoch"]) for r in records] == [
        ("recon-pretrain", 1),
        ("train", 1),
        ("train", 2),
    ]
    assert records[0]["val_dice"] is None
    assert records[0]["val_mse"] > 0
    assert set(records[1]["val_dice"]) == {"csf", "gm", "wm", "mean"}
    assert {"train_loss", "val_loss", "lr", "seconds", "best"} <= set(records[1])
    assert json.loads((run / "config.json").read_text())["model"]["name"] == "two-step"
    # the final weights are the best epoch of the last stage
    best = torch.load(run / "train-best.pt", weights_only=True)["model"]
    final = _weights(run)
    assert all(torch.equal(best[k], final[k]) for k in final)
    loaded = load_run(run)
    assert loaded.config == tiny(dataset_dir, "two-step")
    # recon pre-training left the segmentation net untouched and vice versa
    torch.manual_seed(0)
    fresh = build_model(tiny(dataset_dir, "two-step").model).state_dict()
    pre = torch.load(run / "recon-pretrain-best.pt", weights_only=True)["model"]
    assert all(torch.equal(pre[k], fresh[k]) for k in pre if k.startswith("seg."))
    assert any(not torch.equal(pre[k], fresh[k]) for k in pre if k.startswith("recon."))
    assert all(torch.equal(final[k], pre[k]) for k in final if k.startswith("recon."))


def test_existing_runs_need_resume_or_overwrite(tmp_path: Path, dataset_dir: Path) -> None:
    run = tmp_path / "run"
    config = tiny(dataset_dir, "zero-filling", epochs=1)
    first = train(config, run, progress=False)
    with pytest.raises(RunExistsError, match="already holds a complete run"):
        train(config, run, progress=False)
    again = train(config, run, resume=True, progress=False)
    assert again.skipped
    assert again.stages == first.stages
    weights = _weights(run)
    (run / "checkpoints" / "stray.txt").write_text("removed by overwrite")
    (run / "notes.txt").write_text("not part of the run: kept")
    redone = train(config, run, overwrite=True, progress=False)
    assert not redone.skipped
    assert not (run / "checkpoints" / "stray.txt").exists()
    assert (run / "notes.txt").is_file()
    # same config and seed: the retrained weights are the same
    assert all(torch.equal(weights[k], v) for k, v in _weights(run).items())


def test_resume_with_another_model_is_a_checkpoint_mismatch(
    tmp_path: Path, dataset_dir: Path
) -> None:
    run = tmp_path / "run"
    train(tiny(dataset_dir, "seranet-1", epochs=1), run, progress=False)
    (run / "model.pt").unlink()  # make it an unfinished run
    with pytest.raises(
        CheckpointError, match=r"trained as seranet-1 .*not the requested seranet-2"
    ):
        train(tiny(dataset_dir, "seranet-2", epochs=1), run, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="config differs in lr"):
        train(tiny(dataset_dir, "seranet-1", epochs=1, lr=1e-2), run, resume=True, progress=False)


def test_load_weights_mismatch_and_unreadable_checkpoint(tmp_path: Path) -> None:
    small = build_model(ModelConfig("seranet-1", recon_blocks=1, width=4, depth=3, recon_width=4))
    other = build_model(ModelConfig("seranet-1", recon_blocks=2, width=8, depth=3, recon_width=4))
    with pytest.raises(CheckpointError, match="does not match the model") as info:
        load_weights(small, other.state_dict(), "x.pt")
    assert "\n" not in str(info.value)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        Checkpoint.load(bad)
    with pytest.raises(CheckpointError, match="does not exist"):
        Checkpoint.load(tmp_path / "none.pt")


def test_nan_loss_stops_and_keeps_last_good_checkpoint(
    tmp_path: Path, dataset_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = loop.stage_loss
    calls = {"train": 0}

    def poisoned(output: Any, batch: Any, stage: Any) -> Any:
        loss, mse = real(output, batch, stage)
        if torch.is_grad_enabled():
            calls["train"] += 1
            if calls["train"] > 3:  # epoch 1 has 3 batches (9 slices, batch 4)
                return loss * math.nan, mse
        return loss, mse

    monkeypatch.setattr(loop, "stage_loss", poisoned)
    run = tmp_path / "run"
    config = tiny(dataset_dir, "joint", epochs=3)
    with pytest.raises(
        NonFiniteLossError, match=r"loss became nan in stage 'train', epoch 2"
    ) as info:
        train(config, run, progress=False)
    assert "\n" not in str(info.value)
    assert not (run / "model.pt").exists()
    ck = Checkpoint.load(run / "checkpoints" / "train-last.pt")
    assert ck.epoch == 1
    assert all(torch.isfinite(v).all() for v in ck.weights.values() if v.is_floating_point())
    monkeypatch.setattr(loop, "stage_loss", real)
    assert not train(config, run, resume=True, progress=False).skipped
    assert (run / "model.pt").is_file()


def test_init_from_loads_matching_tensors(tmp_path: Path, dataset_dir: Path) -> None:
    source = tmp_path / "joint"
    train(tiny(dataset_dir, "joint", epochs=1), source, progress=False)
    src = _weights(source)
    target_model = build_model(tiny(dataset_dir, "seranet-1").model).state_dict()
    expected = sum(
        1 for k, v in src.items() if k in target_model and v.shape == target_model[k].shape
    )
    assert expected > 0
    summary = train(
        tiny(dataset_dir, "seranet-1", epochs=1),
        tmp_path / "init",
        init_from=source,
        progress=False,
    )
    assert summary.init_matched == expected

    fake = tmp_path / "fake"
    fake.mkdir()
    torch.save({"model": {"nothing.like.this": torch.zeros(3)}}, fake / "model.pt")
    with pytest.raises(CheckpointError, match="no tensor"):
        train(tiny(dataset_dir, epochs=1), tmp_path / "x", init_from=fake, progress=False)
    assert not (tmp_path / "x").exists()
    with pytest.raises(CheckpointError, match="not complete"):
        train(
            tiny(dataset_dir, epochs=1), tmp_path / "y", init_from=tmp_path / "none", progress=False
        )
    assert not (tmp_path / "y").exists()


def test_config_round_trip_and_validation(dataset_dir: Path) -> None:
    config = tiny(dataset_dir, "segnetmri")
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.stage_epochs("recon-pretrain") == 1
    assert config.stage_epochs("finetune") == 2
    assert dataclasses.replace(config, pretrain_epochs=None).stage_epochs("seg-pretrain") == 2
    for bad in (
        {"epochs": 0},
        {"lr": -1.0},
        {"sampling": 1.5},
        {"mask": "nope"},
        {"device": "tpu"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            tiny(dataset_dir, **bad)


def test_worker_processes_do_not_change_the_result(tmp_path: Path, dataset_dir: Path) -> None:
    # data order and masks come from (seed, stage, epoch), not from the loader's workers
    train(tiny(dataset_dir, "joint", epochs=2), tmp_path / "w0", progress=False)
    train(tiny(dataset_dir, "joint", epochs=2, workers=2), tmp_path / "w2", progress=False)
    a, b = _weights(tmp_path / "w0"), _weights(tmp_path / "w2")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_seed_changes_the_result(tmp_path: Path, dataset_dir: Path) -> None:
    train(tiny(dataset_dir, "joint", epochs=1), tmp_path / "s0", progress=False)
    train(tiny(dataset_dir, "joint", epochs=1, seed=1), tmp_path / "s1", progress=False)
    a, b = _weights(tmp_path / "s0"), _weights(tmp_path / "s1")
    assert any(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without a GPU")
def test_cuda_without_gpu_is_a_clear_error(tmp_path: Path, dataset_dir: Path) -> None:
    with pytest.raises(ValueError, match="no CUDA device"):
        train(tiny(dataset_dir, device="cuda"), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
