"""The parts of seranet.train against independent references: the validation Dice against
seranet.metrics, the checkpoint record against its on-disk layout."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from seranet.metrics import dice
from seranet.models import ModelConfig
from seranet.train import TrainConfig
from seranet.train.checkpoint import CHECKPOINT_FORMAT, Checkpoint, CheckpointError, TrainingState
from seranet.train.validation import dice_sums
from seranet.vocabulary import LABELS, TISSUES


def test_validation_dice_matches_metrics_dice_slice_by_slice() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=(6, 9, 7))
    labels[0][labels[0] == 1] = 0  # CSF absent from truth on slice 0 ...
    logits = torch.from_numpy(rng.normal(size=(6, 4, 9, 7)))
    logits[0, 1] = -10.0  # ... and from the prediction: excluded
    logits[1, 2] = -10.0  # GM predicted nowhere on slice 1: Dice 0
    pred = logits.argmax(1).numpy()
    sums = dice_sums(logits, torch.from_numpy(labels))
    reference = np.stack([dice(pred[i], labels[i], [LABELS[t] for t in TISSUES]) for i in range(6)])
    for c in range(len(TISSUES)):
        finite = [float(d) for d in reference[:, c] if math.isfinite(d)]
        assert int(sums[1, c]) == len(finite)
        assert float(sums[0, c]) == pytest.approx(sum(finite), abs=1e-12)
    assert int(sums[1, 0]) == 5  # the empty-empty slice is not counted


def _config(tmp_path: Path) -> TrainConfig:
    return TrainConfig(tmp_path, ModelConfig("zero-filling", width=4, depth=3), epochs=2)


def test_checkpoint_round_trip_keeps_every_field(tmp_path: Path) -> None:
    weights = {"w": torch.arange(6.0).reshape(2, 3)}
    training = TrainingState(
        stage_index=1,
        epochs=2,
        metric="dice",
        best_value=0.5,
        best_epoch=1,
        optimizer={"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]},
        scheduler={"last_epoch": 1},
        rng={"torch": torch.zeros(3, dtype=torch.uint8)},
        history=[{"stage": "train", "epoch": 1}],
    )
    config = _config(tmp_path)
    original = Checkpoint.of(config, weights, stage="train", epoch=1, training=training)
    original.save(tmp_path / "last.pt")
    loaded = Checkpoint.load(tmp_path / "last.pt")
    assert torch.equal(loaded.weights["w"], weights["w"])
    assert loaded.training is not None
    assert loaded.training.optimizer == training.optimizer
    assert loaded.training.history == training.history
    assert loaded.training.scaler is None
    assert (loaded.stage, loaded.epoch, loaded.format) == ("train", 1, CHECKPOINT_FORMAT)
    assert loaded.config(tmp_path / "last.pt") == config
    assert loaded.config_sha256 == config.fingerprint()
    final = Checkpoint.of(config, weights, image_shape=(9, 7), stages=("train",))
    final.save(tmp_path / "model.pt")
    again = Checkpoint.load(tmp_path / "model.pt")
    assert (again.image_shape, again.stages, again.training) == ((9, 7), ("train",), None)


def test_checkpoint_reads_files_written_before_fields_were_recorded(tmp_path: Path) -> None:
    config = _config(tmp_path)
    old = {"model": {"w": torch.ones(2)}, "config_json": Checkpoint.of(config, {}).config_json}
    torch.save(old, tmp_path / "old.pt")
    loaded = Checkpoint.load(tmp_path / "old.pt")
    assert (loaded.format, loaded.model_name, loaded.config_sha256, loaded.image_shape) == (
        None,
        None,
        None,
        None,
    )
    torch.save({"model": {}, "optimizer": {}}, tmp_path / "damaged.pt")
    with pytest.raises(CheckpointError, match="damaged seranet checkpoint"):
        Checkpoint.load(tmp_path / "damaged.pt")
