"""Centred orthonormal 2D FFTs and the complex <-> two-channel conversions.

Convention (fastMRI's): k-space and images are ``(..., H, W)``; the readout runs along
``H`` and phase encoding along ``W``. The transforms act on the last two axes and are
unitary (``norm="ortho"``), so white noise has the same standard deviation in k-space
and in the image.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np

from kspace._arrays import describe, is_complex, is_torch

__all__ = ["channels_to_complex", "complex_to_channels", "fft2c", "ifft2c"]

ArrayT = TypeVar("ArrayT")
_AXES = (-2, -1)


def _check_image_like(x: Any, name: str) -> None:
    if not hasattr(x, "ndim") or x.ndim < 2:
        shown = describe(x) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(
            f"{name} must have shape (..., H, W) with at least 2 dimensions; got {shown}"
        )
    if x.ndim >= 3 and x.shape[-1] == 2 and not is_complex(x):
        # fastMRI's real (..., H, W, 2) layout would be transformed over (W, 2): a silent
        # wrong answer, so it is refused.
        raise ValueError(
            f"{name} is real with a last dimension of 2 ({describe(x)}): fastMRI's "
            "(..., H, W, 2) real/imaginary layout? These transforms take complex (..., H, W); "
            "convert with torch.view_as_complex(x.contiguous()) first"
        )


def fft2c(x: ArrayT) -> ArrayT:
    """Centred orthonormal 2D Fourier transform over the last two axes.

    Parameters
    ----------
    x
        Image, a numpy array or torch tensor of shape ``(..., H, W)``; real input is
        promoted to complex, except a real array whose last axis has length 2 (fastMRI's
        ``(..., H, W, 2)`` layout), which is refused with a one-line error.

    Returns
    -------
    The k-space, of the same kind (numpy or torch) as ``x``:
    ``fftshift(fft2(ifftshift(x), norm="ortho"))`` over the last two axes.
    """
    _check_image_like(x, "x")
    if is_torch(x):
        import torch

        t: Any = x
        k = torch.fft.fft2(torch.fft.ifftshift(t, dim=_AXES), dim=_AXES, norm="ortho")
        return cast(ArrayT, torch.fft.fftshift(k, dim=_AXES))
    a = np.asarray(x)
    k = np.fft.fft2(np.fft.ifftshift(a, axes=_AXES), axes=_AXES, norm="ortho")
    return cast(ArrayT, np.fft.fftshift(k, axes=_AXES))


def ifft2c(x: ArrayT) -> ArrayT:
    """Centred orthonormal 2D inverse Fourier transform over the last two axes.

    The exact inverse of :func:`fft2c`:
    ``fftshift(ifft2(ifftshift(x), norm="ortho"))``.
    """
    _check_image_like(x, "x")
    if is_torch(x):
        import torch

        t: Any = x
        image = torch.fft.ifft2(torch.fft.ifftshift(t, dim=_AXES), dim=_AXES, norm="ortho")
        return cast(ArrayT, torch.fft.fftshift(image, dim=_AXES))
    a = np.asarray(x)
    image = np.fft.ifft2(np.fft.ifftshift(a, axes=_AXES), axes=_AXES, norm="ortho")
    return cast(ArrayT, np.fft.fftshift(image, axes=_AXES))


def complex_to_channels(x: ArrayT) -> ArrayT:
    """Complex ``(..., H, W)`` to real ``(..., 2, H, W)`` (channel 0 real, channel 1 imaginary)."""
    _check_image_like(x, "x")
    if not is_complex(x):
        raise ValueError(f"x must be complex with shape (..., H, W); got {describe(x)}")
    if is_torch(x):
        import torch

        t: Any = x
        return cast(ArrayT, torch.stack((t.real, t.imag), dim=-3))
    a = np.asarray(x)
    return cast(ArrayT, np.stack((a.real, a.imag), axis=-3))


def channels_to_complex(x: ArrayT) -> ArrayT:
    """Real ``(..., 2, H, W)`` (real, imaginary channels) to complex ``(..., H, W)``."""
    shape: tuple[int, ...] = tuple(getattr(x, "shape", ()))
    if len(shape) < 3 or shape[-3] != 2 or is_complex(x):
        shown = describe(x) if shape else type(x).__name__
        raise ValueError(f"x must be real with shape (..., 2, H, W); got {shown}")
    if is_torch(x):
        import torch

        t: Any = x
        return cast(ArrayT, torch.complex(t[..., 0, :, :], t[..., 1, :, :]))
    a = np.asarray(x)
    return cast(ArrayT, a[..., 0, :, :] + 1j * a[..., 1, :, :])
