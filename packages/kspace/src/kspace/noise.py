"""Complex white Gaussian noise at a level relative to the image's 99th-percentile magnitude."""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np

from kspace._arrays import describe, is_complex, is_torch
from kspace.masks import Seed

__all__ = ["add_noise", "noise_sigma"]

ArrayT = TypeVar("ArrayT")


def noise_sigma(level: float, reference: Any) -> float:
    """Noise standard deviation (per real and imaginary part) for a relative noise level.

    ``sigma = level * percentile(|reference|, 99)``, where ``reference`` is the noise-free,
    fully sampled image (complex or magnitude) of the whole volume the noise is added to.
    "10 % noise" is ``level=0.10``.
    """
    if not (level >= 0.0) or not np.isfinite(level):
        raise ValueError(f"noise level must be a finite number >= 0; got {level}")
    ref = reference.detach().cpu().numpy() if is_torch(reference) else np.asarray(reference)
    if ref.size == 0 or not np.all(np.isfinite(ref)):
        raise ValueError(f"reference must be a non-empty finite image; got {describe(ref)}")
    return float(level * np.percentile(np.abs(ref), 99.0))


def add_noise(kspace: ArrayT, level: float, reference: Any, seed: Seed = None) -> ArrayT:
    """Add complex white Gaussian noise of relative ``level`` to ``kspace``.

    The standard deviation of each of the real and imaginary parts is
    :func:`noise_sigma` ``(level, reference)``; with the orthonormal FFT of :mod:`kspace.fft`
    the noise in the image has the same standard deviation. Returns a new array (numpy or
    torch, as given) of the same dtype; the input is not modified.
    """
    if not is_complex(kspace):
        raise ValueError(f"kspace must be complex; got {describe(kspace)}")
    sigma = noise_sigma(level, reference)
    rng = np.random.default_rng(seed)
    if is_torch(kspace):
        import torch

        t: Any = kspace
        real_dtype = np.float64 if t.dtype == torch.complex128 else np.float32
        parts = rng.standard_normal((2, *t.shape), dtype=real_dtype) * sigma
        noise = torch.complex(torch.from_numpy(parts[0]), torch.from_numpy(parts[1]))
        return cast(ArrayT, t + noise.to(device=t.device, dtype=t.dtype))
    a = np.asarray(kspace)
    real_dtype = np.float64 if a.dtype == np.complex128 else np.float32
    parts = rng.standard_normal((2, *a.shape), dtype=real_dtype) * real_dtype(sigma)
    return cast(ArrayT, (a + (parts[0] + 1j * parts[1])).astype(a.dtype, copy=False))
