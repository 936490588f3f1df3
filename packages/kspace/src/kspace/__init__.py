"""Under-sampled k-space essentials for numpy and torch.

Centred orthonormal FFTs, under-sampling masks, noise, zero-filled reconstruction and
(with torch installed) data-consistency layers. Arrays follow fastMRI's convention:
``(..., H, W)`` with the readout along ``H`` and phase encoding along ``W``.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from kspace import masks
from kspace.fastmri_masks import FastMRIMaskFunc
from kspace.fft import channels_to_complex, complex_to_channels, fft2c, ifft2c
from kspace.masks import (
    EquispacedLines,
    GaussianLines,
    MaskFunc,
    MaskSample,
    PoissonDisc2D,
    RandomLines,
    create_mask,
    mask_seed,
)
from kspace.noise import add_noise, noise_sigma
from kspace.recon import rss, zero_filled

try:
    __version__ = version("seranet-kspace")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "DataConsistency",
    "EquispacedLines",
    "FastMRIMaskFunc",
    # masks
    "GaussianLines",
    "MaskFunc",
    "MaskSample",
    "PoissonDisc2D",
    "RandomLines",
    "__version__",
    # noise and reconstruction
    "add_noise",
    "channels_to_complex",
    "complex_to_channels",
    "create_mask",
    # transforms
    "fft2c",
    "ifft2c",
    "mask_seed",
    "masks",
    "noise_sigma",
    "rss",
    "zero_filled",
]


def __getattr__(name: str) -> Any:
    # The torch layers load lazily so that ``import kspace`` works without torch.
    if name == "DataConsistency":
        from kspace.dc import DataConsistency

        return DataConsistency
    raise AttributeError(f"module 'kspace' has no attribute {name!r}")
