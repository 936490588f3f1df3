"""Atomic checkpoints that load with ``torch.load(..., weights_only=True)``.

A checkpoint holds only tensors and JSON-like containers (dicts, lists, strings, numbers), so
loading never unpickles arbitrary objects. Random-number states of torch, numpy and Python are
stored as integer tensors.
"""

from __future__ import annotations

import errno
import io
import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = [
    "CheckpointError",
    "atomic_save",
    "atomic_write_bytes",
    "atomic_write_text",
    "describe_model",
    "disk_full",
    "get_rng_state",
    "honour_umask",
    "load_checkpoint",
    "load_matching",
    "load_weights",
    "read_json",
    "set_rng_state",
]


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the requested model."""


def _atomic(path: Path, data: bytes | memoryview) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place; on a full
    disk one ``OSError`` "no space left on device" naming ``path``, and no temporary file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            honour_umask(fd)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise disk_full(error, path) from None


def honour_umask(fd: int) -> None:
    """Give a ``mkstemp`` file the mode an ordinary new file gets (mkstemp's 0600 would
    ignore the user's umask)."""
    mask = os.umask(0o022)
    os.umask(mask)
    os.fchmod(fd, 0o666 & ~mask)


def disk_full(error: OSError, path: str | os.PathLike[str]) -> OSError:
    """``error``, or for ENOSPC an ``OSError`` saying "no space left on device" and naming
    ``path`` (what the command-line tools print)."""
    if error.errno == errno.ENOSPC:
        return OSError(errno.ENOSPC, "no space left on device", str(path))
    return error


def atomic_save(obj: Any, path: str | os.PathLike[str]) -> None:
    """``torch.save`` to memory, then to a temporary file beside ``path``, renamed into place
    (torch's own file writer reports a full disk as an opaque iostream error)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    _atomic(Path(path), buffer.getbuffer())


def atomic_write_text(text: str, path: str | os.PathLike[str]) -> None:
    """Write text to a temporary file beside ``path``, then rename it into place."""
    _atomic(Path(path), text.encode("utf-8"))


def atomic_write_bytes(data: bytes, path: str | os.PathLike[str]) -> None:
    """Write bytes to a temporary file beside ``path``, then rename it into place."""
    _atomic(Path(path), data)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint on the CPU with ``weights_only=True``.

    Raises
    ------
    CheckpointError
        When the file is missing, unreadable or not a checkpoint dict.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"cannot read checkpoint {str(path)!r}: {first}") from None
    if not isinstance(data, dict) or "model" not in data:
        raise CheckpointError(f"{str(path)!r} is not a seranet checkpoint (no 'model' weights)")
    return data


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


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file, as a one-line :class:`CheckpointError` when unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read {str(path)!r}: {error}") from None
