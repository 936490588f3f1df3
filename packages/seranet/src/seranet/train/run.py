"""The run directory: where a training run keeps its files, and loading a finished run.

::

    RUN/config.json                 the TrainConfig (JSON), written when the run starts
    RUN/metrics.jsonl               one JSON object per epoch (see EpochRecord)
    RUN/metrics.csv, RUN/curves.png the same as a table and as a picture (rewritten as it goes)
    RUN/tensorboard/                event files, with train(..., tensorboard=True)
    RUN/checkpoints/<stage>-last.pt resumable state after the last finished epoch of a stage
    RUN/<stage>-best.pt             weights of the best validation epoch of a stage
    RUN/summary.json                the RunSummary
    RUN/model.pt                    final weights + config, written last: its presence marks a
                                    complete run
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch

from seranet.models import SegmentationModel, build_model, optimise_for_inference
from seranet.train.checkpoint import (
    CheckpointError,
    describe_model,
    load_checkpoint,
    load_weights,
)
from seranet.train.config import TrainConfig

__all__ = ["LoadedRun", "RunPaths", "load_run"]


@dataclass(frozen=True)
class RunPaths:
    """File names inside one run directory."""

    root: Path
    """The run directory."""

    @property
    def config(self) -> Path:
        """``config.json``."""
        return self.root / "config.json"

    @property
    def metrics(self) -> Path:
        """``metrics.jsonl``."""
        return self.root / "metrics.jsonl"

    @property
    def curves(self) -> Path:
        """``curves.png``: losses, validation Dice and learning rate, rewritten as it goes."""
        return self.root / "curves.png"

    @property
    def metrics_csv(self) -> Path:
        """``metrics.csv``: ``metrics.jsonl`` as a table."""
        return self.root / "metrics.csv"

    @property
    def tensorboard(self) -> Path:
        """``tensorboard/``: event files of ``train(..., tensorboard=True)``."""
        return self.root / "tensorboard"

    @property
    def summary(self) -> Path:
        """``summary.json``."""
        return self.root / "summary.json"

    @property
    def model(self) -> Path:
        """``model.pt``: final weights, written last."""
        return self.root / "model.pt"

    @property
    def checkpoints(self) -> Path:
        """``checkpoints/``."""
        return self.root / "checkpoints"

    def last(self, stage: str) -> Path:
        """Resumable checkpoint of ``stage``."""
        return self.checkpoints / f"{stage}-last.pt"

    def best(self, stage: str) -> Path:
        """Best weights of ``stage``."""
        return self.root / f"{stage}-best.pt"

    @property
    def complete(self) -> bool:
        """``model.pt`` exists."""
        return self.model.is_file()

    @property
    def started(self) -> bool:
        """Anything of a run exists in the directory."""
        return self.config.is_file() or self.checkpoints.is_dir() or self.complete


class LoadedRun(NamedTuple):
    """A finished run, ready for inference."""

    model: SegmentationModel
    """The model with its final weights, in eval mode."""
    config: TrainConfig
    """The configuration it was trained with."""
    paths: RunPaths
    """Its files."""
    image_shape: tuple[int, int] | None = None
    """``(H, W)`` of the images it was trained on (None for runs that did not record it)."""


def load_run(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedRun:
    """Rebuild a finished run's model from ``RUN/model.pt``.

    Raises
    ------
    CheckpointError
        When the directory is missing, the run is unfinished or ``model.pt`` does not fit.
    """
    paths = RunPaths(Path(run_dir))
    if not paths.root.is_dir():
        raise CheckpointError(f"run directory {str(paths.root)!r} does not exist")
    if not paths.complete:
        raise CheckpointError(
            f"run {str(paths.root)!r} is not complete (no model.pt); finish it with --resume"
        )
    data = load_checkpoint(paths.model)
    try:
        config = TrainConfig.from_dict(json.loads(data["config_json"]))
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(
            f"{str(paths.model)!r} holds no valid training config: {error}"
        ) from None
    _check_identity(paths, data, config)
    model = build_model(config.model)
    load_weights(model, data["model"], repr(str(paths.model)))
    optimise_for_inference(model.to(device))
    shape = data.get("image_shape")
    return LoadedRun(
        model, config, paths, None if shape is None else (int(shape[0]), int(shape[1]))
    )


def _check_identity(paths: RunPaths, data: dict[str, object], config: TrainConfig) -> None:
    """``model.pt`` must be the weights the run's ``config.json`` describes."""
    recorded = data.get("config_sha256")
    if recorded is None or not paths.config.is_file():
        return  # a run written before checkpoints recorded it, or weights copied alone
    try:
        stored = TrainConfig.from_dict(json.loads(paths.config.read_text(encoding="utf-8")))
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{str(paths.config)!r} is not a valid run config: {error}") from None
    if stored.fingerprint() != recorded:
        raise CheckpointError(
            f"{str(paths.model)!r} holds weights trained as {describe_model(config.to_dict()['model'])}"
            f", not this run's {describe_model(stored.to_dict()['model'])} (config.json): "
            "the run folder was altered"
        )
