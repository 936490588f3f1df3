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

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch

from seranet._files import read_json
from seranet.models import SegmentationModel, build_model, optimise_for_inference
from seranet.train.checkpoint import Checkpoint, CheckpointError, describe_model, load_weights
from seranet.train.config import RESUME_IGNORED, TrainConfig

__all__ = ["LoadedRun", "RunExistsError", "RunPaths", "load_run"]


class RunExistsError(ValueError):
    """The output directory already holds a run and neither resume nor overwrite was asked."""


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

    def check_start(self, config: TrainConfig, *, resume: bool, overwrite: bool) -> bool:
        """May ``config`` be trained here with ``resume`` / ``overwrite``? True when the run is
        already complete (and ``resume`` asked), a one-line error when it may not."""
        if self.root.exists() and not self.root.is_dir():
            raise RunExistsError(f"output {str(self.root)!r} exists and is not a directory")
        if not self.started or overwrite:
            return False
        if not resume:
            state = "a complete run" if self.complete else "an unfinished run"
            raise RunExistsError(
                f"output directory {str(self.root)!r} already holds {state}; "
                "pass --resume to continue it or --overwrite to start again"
            )
        if self.config.is_file():
            self._check_resumable(read_json(self.config), config)
        return self.complete

    def _check_resumable(self, stored: object, config: TrainConfig) -> None:
        wanted = json.loads(json.dumps(config.to_dict()))
        if not isinstance(stored, dict):
            return
        if stored.get("model") != wanted["model"]:
            raise CheckpointError(
                f"run {str(self.root)!r} was trained as {describe_model(stored.get('model', {}))}, "
                f"not the requested {describe_model(wanted['model'])}"
            )
        # fields added since the run started take their defaults; paths compare resolved
        with contextlib.suppress(ValueError, TypeError, KeyError):
            stored = json.loads(json.dumps(TrainConfig.from_dict(stored).to_dict()))
        assert isinstance(stored, dict)
        differ = sorted(k for k in wanted if k not in RESUME_IGNORED and stored.get(k) != wanted[k])
        if differ:
            raise CheckpointError(
                f"cannot resume {str(self.root)!r}: its config differs in {', '.join(differ)}"
            )

    def clear(self) -> None:
        """Delete the files of a run (and nothing else a user may keep in the directory)."""
        for folder in (self.checkpoints, self.tensorboard):
            if folder.is_dir():
                shutil.rmtree(folder)
        files = (self.model, self.summary, self.metrics, self.metrics_csv, self.curves)
        for path in (*files, self.config):
            path.unlink(missing_ok=True)
        if self.root.is_dir():
            for path in self.root.glob("*-best.pt"):
                path.unlink()

    def remove_temporaries(self) -> None:
        """Delete the temporary files of a writer that was killed mid-write."""
        for stale in (*self.root.glob(".*.tmp"), *self.checkpoints.glob(".*.tmp")):
            stale.unlink()


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
    final = Checkpoint.load(paths.model)
    config = final.config(paths.model)
    _check_identity(paths, final, config)
    model = build_model(config.model)
    load_weights(model, final.weights, repr(str(paths.model)))
    optimise_for_inference(model.to(device))
    return LoadedRun(model, config, paths, final.image_shape)


def _check_identity(paths: RunPaths, final: Checkpoint, config: TrainConfig) -> None:
    """``model.pt`` must be the weights the run's ``config.json`` describes."""
    recorded = final.config_sha256
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
