"""Train, evaluate and apply segmentation networks that start from under-sampled k-space."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seranet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
