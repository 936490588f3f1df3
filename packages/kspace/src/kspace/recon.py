"""Zero-filled reconstruction and root-sum-of-squares coil combination."""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np

from kspace._arrays import describe, is_complex, is_torch
from kspace.fft import ifft2c

__all__ = ["check_mask", "rss", "zero_filled"]

ArrayT = TypeVar("ArrayT")


def check_mask(mask: Any, kspace: Any) -> None:
    """Raise ``ValueError`` unless ``mask`` is boolean and broadcastable to ``kspace``'s shape."""
    if not hasattr(mask, "shape"):
        raise ValueError(f"mask must be a boolean array; got {type(mask).__name__}")
    dtype_ok = str(mask.dtype) in ("bool", "torch.bool")
    try:
        broadcast = np.broadcast_shapes(tuple(mask.shape), tuple(kspace.shape))
    except ValueError:
        broadcast = None
    if not dtype_ok or broadcast != tuple(kspace.shape):
        raise ValueError(
            f"mask must be boolean and broadcastable to the k-space shape {tuple(kspace.shape)}; "
            f"got {describe(mask)}"
        )


def zero_filled(kspace: ArrayT, mask: Any) -> ArrayT:
    """Zero-filled reconstruction: ``ifft2c(kspace * mask)``, a complex image ``(..., H, W)``.

    Parameters
    ----------
    kspace
        Complex k-space ``(..., H, W)`` (numpy or torch), fully sampled or already masked.
    mask
        Boolean mask broadcastable to ``kspace`` (e.g. ``(1, W)`` for a line mask).
    """
    if not hasattr(kspace, "ndim") or kspace.ndim < 2 or not is_complex(kspace):
        shown = describe(kspace) if hasattr(kspace, "shape") else type(kspace).__name__
        raise ValueError(f"kspace must be complex with shape (..., H, W); got {shown}")
    check_mask(mask, kspace)
    if is_torch(kspace):
        import torch

        t: Any = kspace
        m = torch.as_tensor(mask, device=t.device)
        return cast(
            ArrayT, ifft2c(torch.where(m, t, torch.zeros((), dtype=t.dtype, device=t.device)))
        )
    a = np.asarray(kspace)
    return cast(ArrayT, ifft2c(np.where(np.asarray(mask), a, a.dtype.type(0))))


def rss(images: ArrayT, coil_axis: int = -3) -> ArrayT:
    """Root-sum-of-squares magnitude over the coil axis (``(..., C, H, W)`` -> ``(..., H, W)``)."""
    if is_torch(images):
        t: Any = images
        return cast(ArrayT, t.abs().square().sum(dim=coil_axis).sqrt())
    a = np.asarray(images)
    return cast(ArrayT, np.sqrt(np.sum(np.abs(a) ** 2, axis=coil_axis)))
