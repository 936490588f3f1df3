"""Run the SERANet paper's comparisons, ablations and figures."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seranet-bench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
