"""Our masks as fastMRI ``MaskFunc`` objects: ``mask, num_low_frequencies = f(shape, offset, seed)``.

fastMRI (``fastmri.data.subsample.MaskFunc``, used by ``fastmri.data.transforms.apply_mask``)
calls a mask function with the shape of real-valued k-space ``(..., H, W, 2)`` (the last axis
holds the real and imaginary parts), an ``offset`` (equispaced masks only) and a ``seed`` (an
int, a tuple of ints, or None), and expects a float32 torch tensor that broadcasts against the
k-space, ``1`` everywhere but ``W`` (line masks, ``(1, ..., 1, W, 1)``) or ``H`` and ``W`` (2D
masks, ``(1, ..., H, W, 1)``), with the number of fully sampled centre lines.
:class:`FastMRIMaskFunc` wraps any of our :class:`~kspace.masks.MaskFunc` that way, keeping
their exact line counts; it needs torch.

References
----------
J. Zbontar et al., *fastMRI: An Open Dataset and Benchmarks for Accelerated MRI*,
arXiv:1811.08839; ``fastmri/data/subsample.py`` of the fastMRI repository (v0.3.0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kspace.masks import MaskFunc

__all__ = ["FastMRIMaskFunc"]


class FastMRIMaskFunc:
    """``mask_func`` with fastMRI's ``MaskFunc`` call convention (module docstring).

    Parameters
    ----------
    mask_func
        One of our masks, e.g. ``GaussianLines(fraction=0.3, center_lines=16)``.
    """

    def __init__(self, mask_func: MaskFunc) -> None:
        if not isinstance(mask_func, MaskFunc):
            raise TypeError(f"mask_func must be a kspace MaskFunc; got {type(mask_func).__name__}")
        self.mask_func = mask_func

    def __call__(
        self,
        shape: Sequence[int],
        offset: int | None = None,
        seed: int | tuple[int, ...] | None = None,
    ) -> tuple[Any, int]:
        """The mask for real k-space of ``shape`` ``(..., H, W, 2)`` and its centre lines."""
        import torch

        shape = tuple(int(s) for s in shape)
        if len(shape) < 3 or shape[-1] != 2:
            raise ValueError(
                f"shape must be fastMRI's real k-space shape (..., H, W, 2); got {shape}"
            )
        if offset is not None:
            raise ValueError("offset is not supported: our masks are drawn from the seed alone")
        rng_seed: int | np.random.SeedSequence | None
        rng_seed = np.random.SeedSequence(list(seed)) if isinstance(seed, tuple) else seed
        h, w = shape[-3], shape[-2]
        sample = self.mask_func.sample((h, w), seed=rng_seed)
        mask = np.broadcast_to(np.asarray(sample.mask, dtype=bool), sample.mask.shape)
        target = [1] * len(shape)
        target[-2] = w
        if mask.shape[-2] != 1:  # a 2D mask varies along H too
            target[-3] = h
        out = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32).reshape(target))
        return out, int(sample.center_lines)
