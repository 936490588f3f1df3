"""Shared checks for numpy arrays and torch tensors (torch is optional for ``kspace``)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["describe", "is_complex", "is_torch"]


def is_torch(x: object) -> bool:
    """True when ``x`` is a torch tensor; never imports torch itself."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def is_complex(x: Any) -> bool:
    """True for a complex numpy array or torch tensor."""
    if is_torch(x):
        return bool(x.is_complex())
    return bool(np.iscomplexobj(x))


def describe(x: Any) -> str:
    """A short 'dtype array of shape (...)' description for error messages."""
    kind = "tensor" if is_torch(x) else "array"
    dtype = str(x.dtype).removeprefix("torch.")
    return f"{dtype} {kind} of shape {tuple(x.shape)}"
