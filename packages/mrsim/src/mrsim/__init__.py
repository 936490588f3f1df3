"""Simulate spin-echo k-space datasets from BrainWeb and procedural brain phantoms."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seranet-mrsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
