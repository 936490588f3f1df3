"""Training configuration and the summary a run returns."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kspace import MaskFunc, create_mask
from kspace.masks import MASKS
from seranet.data import SplitConfig
from seranet.models import ModelConfig
from seranet.simulated import Randomisation
from seranet.train.schedule import LR_SCHEDULES, lr_factor

__all__ = [
    "ADDED_LATER",
    "DEVICES",
    "PRETRAIN_STAGES",
    "RESUME_IGNORED",
    "SIMULATED_SOURCE_VERSION",
    "EpochRecord",
    "RunSummary",
    "SimulatedSource",
    "StageSummary",
    "TrainConfig",
    "build_mask",
]

DEVICES = ("auto", "cpu", "cuda")
"""Accepted values of :attr:`TrainConfig.device`."""

PRETRAIN_STAGES = ("recon-pretrain", "seg-pretrain")
"""Stages that run for :attr:`TrainConfig.pretrain_epochs` instead of :attr:`TrainConfig.epochs`."""

RESUME_IGNORED = ("device", "workers", "amp")
"""Fields that may differ between a run and its resumption (they do not change the result on CPU)."""

ADDED_LATER: dict[str, Any] = {"simulated": None}
"""Fields added after runs were first fingerprinted, with their defaults: left out of
:meth:`TrainConfig.fingerprint` at the default, so those runs keep theirs."""


SIMULATED_SOURCE_VERSION = 2
"""The :attr:`SimulatedSource.version` this code makes."""


@dataclass(frozen=True)
class SimulatedSource:
    """Train on samples simulated afresh (:mod:`seranet.simulated`) instead of the training
    files; validation and test stay on the files. Needs the ``simulate`` extra (mrsim)."""

    brainweb_dir: str | None = None
    """Folder of the BrainWeb crisp models: the training split's subjects come from here."""
    procedural_heads: int = 0
    """Procedural heads added to the pool (never the ones a procedural test set uses)."""
    samples_per_epoch: int | None = None
    """Samples per epoch (None: as many as the training files hold slices)."""
    supersample: int = 2
    """Points per pixel along each in-plane axis (partial volume)."""
    randomisation: Randomisation = field(default_factory=Randomisation)
    """Ranges of anatomy and protocol."""
    version: int = 2
    """Definition of the samples, recorded so that runs of one never resume as, or stand in
    for, runs of another: 2 integrates each slab with the training files' slice profile on their
    voxel grid, as ``mrsim simulate`` does (:func:`seranet.simulated.slab_fractions`); 1 (until
    2026-12-07, configurations without this field) sampled an ideal slab at three planes, whose
    labels agreed with the files' on only about 0.8 average Dice. Only 2 can be trained."""

    def __post_init__(self) -> None:
        if self.brainweb_dir is not None:
            object.__setattr__(self, "brainweb_dir", str(Path(self.brainweb_dir).resolve()))
        if self.brainweb_dir is None and self.procedural_heads == 0:
            raise ValueError("the simulated source needs a BrainWeb folder or procedural heads")
        if self.procedural_heads < 0:
            raise ValueError(f"procedural_heads must be >= 0; got {self.procedural_heads}")
        if self.samples_per_epoch is not None and self.samples_per_epoch < 1:
            raise ValueError(f"samples_per_epoch must be >= 1; got {self.samples_per_epoch}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulatedSource:
        """Rebuild what :func:`dataclasses.asdict` made (JSON lists back to tuples)."""
        values = dict(data)
        ranges: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in values.get("randomisation", {}).items()
        }
        values["randomisation"] = Randomisation(**ranges)
        values.setdefault("version", 1)  # written before the field existed
        return cls(**values)


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; the CLI builds it, :func:`seranet.train.train` takes it.

    The defaults are the paper's: Adam, lr 1e-4 halved every 20 epochs, 50 epochs, batch 12,
    30 % of the phase-encode lines with 16 centre lines, Gaussian line density.
    """

    data_dir: str | os.PathLike[str]
    """Directory of per-subject HDF5 files (``mrsim simulate`` output); stored as an absolute,
    resolved path, so a run resumes and evaluates from any working directory."""
    model: ModelConfig
    """Architecture to build (see :func:`seranet.models.build_model`)."""
    epochs: int = 50
    """Epochs of the ``train`` and ``finetune`` stages."""
    pretrain_epochs: int | None = None
    """Epochs of the ``recon-pretrain`` and ``seg-pretrain`` stages (None: same as ``epochs``)."""
    batch_size: int = 12
    """Slices per optimiser step (per process under DDP)."""
    lr: float = 1e-4
    """Initial Adam learning rate of every stage."""
    lr_step: int = 20
    """Epochs between learning-rate decays (StepLR ``step_size``)."""
    lr_gamma: float = 0.5
    """Learning-rate decay factor (StepLR ``gamma``; 0.5 halves it)."""
    lr_schedule: str = "step"
    """``step`` (StepLR, optionally delayed by :attr:`lr_hold`) or ``cosine`` (annealing to 0 over
    each stage); see :mod:`seranet.train.schedule`."""
    lr_hold: int = 0
    """Epochs by which the ``step`` decays are delayed (first decay at ``lr_hold + lr_step``)."""
    warmup_epochs: int = 0
    """Epochs of linear learning-rate warm-up at the start of every stage."""
    sampling: float = 0.3
    """Fraction of the phase-encode lines (or k-space points for 2D masks) kept."""
    center_lines: int = 16
    """Fully sampled centre lines (calibration square side for ``poisson-disc-2d``)."""
    mask: str = "gaussian-lines"
    """Mask name, one of :data:`kspace.masks.MASKS`."""
    seed: int = 0
    """Seed of the weight initialisation, the data order and the training masks."""
    eval_seed: int = 0
    """Seed of the validation and test masks, independent of :attr:`seed`: every run with the
    same ``eval_seed`` is validated and scored on the same inputs (see :mod:`seranet.inputs`)."""
    device: str = "auto"
    """``auto`` (CUDA when present), ``cpu`` or ``cuda``."""
    workers: int = 0
    """DataLoader worker processes (0 reads in the main process)."""
    split: SplitConfig = field(default_factory=SplitConfig)
    """How subjects are divided into train / val / test."""
    amp: bool = True
    """Mixed precision on CUDA (bf16 when supported, else fp16 with a GradScaler); CPU runs fp32."""
    deterministic: bool = True
    """Use deterministic algorithms (bit-exact resume on CPU)."""
    simulated: SimulatedSource | None = None
    """Train on simulated samples instead of the training files (None: the files)."""

    def __post_init__(self) -> None:
        # accept any path-like; relative paths are resolved against the working directory now
        object.__setattr__(self, "data_dir", str(Path(self.data_dir).resolve()))
        for name in ("epochs", "batch_size", "lr_step"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value}")
        if self.pretrain_epochs is not None and (
            int(self.pretrain_epochs) != self.pretrain_epochs or self.pretrain_epochs < 1
        ):
            raise ValueError(
                f"pretrain_epochs must be a positive integer; got {self.pretrain_epochs}"
            )
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number; got {self.lr}")
        if not (0 < self.lr_gamma <= 1):
            raise ValueError(f"lr_gamma must be in (0, 1]; got {self.lr_gamma}")
        if not (0 < self.sampling <= 1):
            raise ValueError(f"sampling must be in (0, 1]; got {self.sampling}")
        if int(self.center_lines) != self.center_lines or self.center_lines < 0:
            raise ValueError(
                f"center_lines must be a non-negative integer; got {self.center_lines}"
            )
        if self.mask not in MASKS:
            raise ValueError(f"unknown mask {self.mask!r}; expected one of {', '.join(MASKS)}")
        for name in ("seed", "eval_seed", "lr_hold", "warmup_epochs"):
            value = getattr(self, name)
            if int(value) != value or value < 0:
                raise ValueError(f"{name} must be a non-negative integer; got {value}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}; got {self.lr_schedule!r}"
            )
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}; got {self.device!r}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0; got {self.workers}")

    def stage_epochs(self, stage: str) -> int:
        """Epochs of ``stage``."""
        if stage in PRETRAIN_STAGES and self.pretrain_epochs is not None:
            return self.pretrain_epochs
        return self.epochs

    def lr_factor(self, stage: str, epoch: int) -> float:
        """Factor of :attr:`lr` in ``epoch`` (from 0) of ``stage``."""
        return lr_factor(
            epoch,
            self.stage_epochs(stage),
            schedule=self.lr_schedule,
            step=self.lr_step,
            gamma=self.lr_gamma,
            hold=self.lr_hold,
            warmup=self.warmup_epochs,
        )

    def fingerprint(self) -> str:
        """SHA-256 of the settings that decide the trained weights (all but
        :data:`RESUME_IGNORED`), as canonical JSON; checkpoints carry it."""
        settings = {k: v for k, v in self.to_dict().items() if k not in RESUME_IGNORED}
        for name, default in ADDED_LATER.items():  # so that older runs keep their fingerprint
            if settings.get(name) == default:
                del settings[name]
        text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (:meth:`from_dict` inverts it)."""
        out = dataclasses.asdict(self)
        out["data_dir"] = str(self.data_dir)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config written by :meth:`to_dict`."""
        values = dict(data)
        values["model"] = ModelConfig(**values["model"])
        values["split"] = SplitConfig(**values.get("split", {}))
        if values.get("simulated") is not None:
            values["simulated"] = SimulatedSource.from_dict(values["simulated"])
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown training config field(s): {', '.join(sorted(unknown))}")
        return cls(**values)


def build_mask(config: TrainConfig, width: int) -> MaskFunc:
    """The under-sampling mask of ``config`` for images ``width`` columns wide.

    ``gaussian-lines`` keeps ``sampling * W`` columns with ``center_lines`` centre columns;
    ``random-lines`` / ``equispaced-lines`` use acceleration ``1 / sampling`` and centre fraction
    ``center_lines / W``; ``poisson-disc-2d`` uses acceleration ``1 / sampling`` and a
    ``center_lines`` calibration square.
    """
    if config.mask == "gaussian-lines":
        return create_mask(config.mask, fraction=config.sampling, center_lines=config.center_lines)
    if config.mask in ("random-lines", "equispaced-lines"):
        return create_mask(
            config.mask,
            acceleration=1.0 / config.sampling,
            center_fraction=min(1.0, config.center_lines / width),
        )
    return create_mask(config.mask, acceleration=1.0 / config.sampling, calib=config.center_lines)


@dataclass(frozen=True)
class EpochRecord:
    """One line of ``metrics.jsonl``."""

    stage: str
    """Stage name."""
    epoch: int
    """Epoch within the stage, from 1."""
    train_loss: float
    """Mean training loss of the epoch."""
    val_loss: float
    """Mean validation loss (same terms as the training loss)."""
    val_mse: float | None
    """Mean validation MSE of the reconstructed images (None without reconstruction output)."""
    val_dice: dict[str, float] | None
    """Validation Dice per class (``csf``, ``gm``, ``wm``) and ``mean``; None without segmentation."""
    lr: float
    """Learning rate used in the epoch."""
    seconds: float
    """Wall time of the epoch (training and validation)."""
    best: bool
    """Whether this epoch is the best of its stage so far (and saved as ``<stage>-best.pt``)."""
    cpu_seconds: float | None = None
    """CPU time of this process in the epoch (all its threads; None in records of older runs)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN, e.g. the Dice of a class absent from every slice, as None)."""
        return _finite(dataclasses.asdict(self))


def _finite(value: Any) -> Any:
    """``value`` with every NaN / inf float replaced by None (strict JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


@dataclass(frozen=True)
class StageSummary:
    """How one stage ended."""

    name: str
    """Stage name."""
    epochs: int
    """Epochs run in total (including before a resume)."""
    best_epoch: int
    """Epoch (from 1) whose weights were kept."""
    metric: str
    """``"dice"`` (validation mean Dice, higher is better) or ``"mse"`` (lower is better)."""
    best_value: float
    """The selection metric at ``best_epoch``."""


@dataclass(frozen=True)
class RunSummary:
    """What :func:`seranet.train.train` returns."""

    run_dir: Path
    """The run directory."""
    model: str
    """Model name."""
    stages: tuple[StageSummary, ...]
    """Per stage, in order."""
    val_dice: dict[str, float] | None
    """Validation Dice of the final weights (best epoch of the last stage)."""
    seconds: float
    """Wall time of this call."""
    skipped: bool = False
    """True when the run was already complete and nothing was trained."""
    init_matched: int | None = None
    """Tensors loaded from ``init_from`` (None without it)."""
    val_inputs: str | None = None
    """:func:`seranet.inputs.inputs_digest` of the validation inputs (equal for every run with
    the same data, split, mask settings and ``eval_seed``)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        out = _finite(dataclasses.asdict(self))
        out["run_dir"] = str(self.run_dir)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        """Rebuild a summary written by :meth:`to_dict`."""
        values = dict(data)
        values["run_dir"] = Path(values["run_dir"])
        values["stages"] = tuple(
            StageSummary(
                **{**s, "best_value": math.nan if s["best_value"] is None else s["best_value"]}
            )
            for s in values["stages"]
        )
        return cls(**values)
