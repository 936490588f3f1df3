"""The checkpoint format: one typed record, one writer, one reader.

A run writes three kinds of checkpoint (paths in :mod:`seranet.train.run`), all one
:class:`Checkpoint`:

- ``RUN/<stage>-best.pt``: the weights of a stage's best validation epoch (``stage``, ``epoch``);
- ``RUN/checkpoints/<stage>-last.pt``: the same after the stage's last finished epoch plus the
  :class:`TrainingState` that resumes it bit for bit;
- ``RUN/model.pt``: the final weights, the image size and the stages that made them.

Every kind records the :class:`~seranet.train.config.TrainConfig` as JSON with its model name
and fingerprint, the format version and the seranet version. On disk a checkpoint is a flat
dict of tensors and JSON-like values (:meth:`Checkpoint.save` writes it, atomically), so it
loads with ``torch.load(..., weights_only=True)`` and never unpickles arbitrary objects
(:meth:`Checkpoint.load`). Random-number states of torch, numpy and Python are stored as
integer tensors.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from seranet import __version__
from seranet._files import FileError, atomic_save
from seranet.train.config import TrainConfig

__all__ = [
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "CheckpointError",
    "TrainingState",
    "describe_model",
    "get_rng_state",
    "load_matching",
    "load_weights",
    "set_rng_state",
]

CHECKPOINT_FORMAT = 2
"""Version of the layout (2: learning-rate schedules as LambdaLR state)."""


class CheckpointError(FileError):
    """A checkpoint that cannot be read or does not fit the requested model."""


@dataclass(frozen=True)
class TrainingState:
    """What a stage's last checkpoint adds to its weights to resume the stage bit for bit."""

    stage_index: int
    """Position of the stage in the model's stages."""
    epochs: int
    """Epochs the stage runs in all."""
    metric: str
    """``dice`` (higher is better) or ``mse`` (lower is better): what picks the best epoch."""
    best_value: float
    """The best validation value so far."""
    best_epoch: int
    """Its epoch (1-based; 0 before the first)."""
    optimizer: dict[str, Any]
    """``Optimizer.state_dict()``."""
    scheduler: dict[str, Any]
    """``LRScheduler.state_dict()``."""
    rng: dict[str, Any]
    """:func:`get_rng_state` after the epoch."""
    history: list[dict[str, Any]]
    """Every epoch record of the run so far (all stages), with its ``stage_index``."""
    scaler: dict[str, Any] | None = None
    """``GradScaler.state_dict()`` under CUDA float16 autocast; None otherwise."""


_TRAINING_KEYS = tuple(f.name for f in dataclasses.fields(TrainingState))


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint file's content (see the module docstring for the three kinds)."""

    weights: dict[str, Tensor]
    """The model's state dict."""
    config_json: str
    """The run's :class:`TrainConfig` as JSON."""
    model_name: str | None
    """Registry name of the model (None in files written before it was recorded)."""
    config_sha256: str | None
    """:meth:`TrainConfig.fingerprint` (None in files written before it was recorded)."""
    stage: str | None = None
    """The stage (best and last checkpoints)."""
    epoch: int | None = None
    """Epochs of the stage finished (last) or the best epoch (best)."""
    training: TrainingState | None = None
    """Resumable state (last checkpoints only)."""
    image_shape: tuple[int, int] | None = None
    """``(H, W)`` of the training images (``model.pt`` only)."""
    stages: tuple[str, ...] | None = None
    """The stages that made the final weights (``model.pt`` only)."""
    format: int | None = CHECKPOINT_FORMAT
    """Layout version (None in files written before it was recorded)."""
    seranet_version: str | None = __version__
    """Version of seranet that wrote the file."""

    @classmethod
    def of(cls, config: TrainConfig, weights: dict[str, Tensor], **fields: Any) -> Checkpoint:
        """A new checkpoint of ``config``'s run holding ``weights`` (and ``fields``)."""
        return cls(
            weights=weights,
            config_json=json.dumps(config.to_dict()),
            model_name=config.model.name,
            config_sha256=config.fingerprint(),
            **fields,
        )

    @property
    def config_dict(self) -> dict[str, Any]:
        """The stored config as a dict (``{}`` when it is not valid JSON)."""
        try:
            data = json.loads(self.config_json)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def config(self, source: str | os.PathLike[str]) -> TrainConfig:
        """The stored config; a :class:`CheckpointError` naming ``source`` when it is not one."""
        try:
            return TrainConfig.from_dict(json.loads(self.config_json))
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(
                f"{str(source)!r} holds no valid training config: {error}"
            ) from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the checkpoint to ``path`` atomically (the one writer of the format)."""
        payload: dict[str, Any] = {"format": self.format, "model": self.weights}
        if self.stage is not None:
            payload["stage"] = self.stage
        if self.epoch is not None:
            payload["epoch"] = self.epoch
        if self.training is not None:
            for key in _TRAINING_KEYS:
                value = getattr(self.training, key)
                if value is not None:
                    payload[key] = value
        if self.image_shape is not None:
            payload["image_shape"] = list(self.image_shape)
        if self.stages is not None:
            payload["stages"] = list(self.stages)
        payload.update(
            config_json=self.config_json,
            model_name=self.model_name,
            config_sha256=self.config_sha256,
            seranet_version=self.seranet_version,
        )
        atomic_save(path, payload)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Checkpoint:
        """Read a checkpoint on the CPU with ``weights_only=True`` (the one reader).

        Raises
        ------
        CheckpointError
            When the file is missing, unreadable or not a seranet checkpoint.
        """
        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            text = str(error).strip()
            first = text.splitlines()[0] if text else type(error).__name__
            raise CheckpointError(f"cannot read checkpoint {str(path)!r}: {first}") from None
        if not isinstance(data, dict) or "model" not in data:
            raise CheckpointError(f"{str(path)!r} is not a seranet checkpoint (no 'model' weights)")
        try:
            training = (
                TrainingState(
                    stage_index=int(data["stage_index"]),
                    epochs=int(data["epochs"]),
                    metric=str(data["metric"]),
                    best_value=float(data["best_value"]),
                    best_epoch=int(data["best_epoch"]),
                    optimizer=data["optimizer"],
                    scheduler=data["scheduler"],
                    rng=data["rng"],
                    history=list(data["history"]),
                    scaler=data.get("scaler"),
                )
                if "optimizer" in data
                else None
            )
            shape = data.get("image_shape")
            stages = data.get("stages")
            return cls(
                weights=data["model"],
                config_json=str(data.get("config_json", "{}")),
                model_name=data.get("model_name"),
                config_sha256=data.get("config_sha256"),
                stage=data.get("stage"),
                epoch=None if data.get("epoch") is None else int(data["epoch"]),
                training=training,
                image_shape=None if shape is None else (int(shape[0]), int(shape[1])),
                stages=None if stages is None else tuple(str(s) for s in stages),
                format=data.get("format"),
                seranet_version=data.get("seranet_version"),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise CheckpointError(
                f"{str(path)!r} is a damaged seranet checkpoint: {error}"
            ) from None


def describe_model(config: dict[str, Any]) -> str:
    """A short description of a model config dict for error messages."""
    keys = ("recon_type", "recon_blocks", "width", "depth", "recon_width", "soft_dc")
    details = ", ".join(f"{k}={config[k]}" for k in keys if k in config)
    return f"{config.get('name', '?')} ({details})"


def load_weights(model: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Load a full state dict, turning a mismatch into a one-line :class:`CheckpointError`."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong:
            k = wrong[0]
            parts.append(
                f"{len(wrong)} of another shape (e.g. {k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)})"
            )
        raise CheckpointError(f"{source} does not match the model: " + "; ".join(parts))
    model.load_state_dict(state)


def load_matching(model: nn.Module, state: dict[str, torch.Tensor]) -> int:
    """Copy every tensor of ``state`` whose name and shape match ``model``; return the count."""
    own = model.state_dict()
    matched = {k: v for k, v in state.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
    if matched:
        model.load_state_dict(matched, strict=False)
    return len(matched)


def get_rng_state() -> dict[str, Any]:
    """Random states of torch (CPU and CUDA), numpy's legacy global and Python's ``random``."""
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)  # noqa: NPY002
    version, py_state, gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": {
            "version": int(version),
            "state": torch.tensor(py_state, dtype=torch.int64),
            "gauss": None if gauss is None else float(gauss),
        },
    }
    if torch.cuda.is_available():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`get_rng_state` returned."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(  # noqa: NPY002
        (
            n["kind"],
            n["keys"].numpy().astype(np.uint32),
            n["pos"],
            n["has_gauss"],
            n["cached_gaussian"],
        )
    )
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["state"].tolist()), p["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
