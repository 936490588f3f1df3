"""Run the SERANet paper's comparisons, ablations and figures.

Grouped public API (each module has the full set):

* presets: :class:`Preset`, :data:`PRESETS`, :func:`get_preset`
* experiments: :func:`compare` (Tables 1 / 2), :func:`ablate_blocks` (Fig. 6),
  :func:`reproduce` (everything), :func:`demo`
* figures: :func:`figures` (Figs. 3 / 4), :func:`attention` (Fig. 5)
* tables: :func:`make_rows`, :func:`gap_recovered`
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seranet-bench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

# The version is defined first: the submodules below import it.
from bench.ablation import ablate_blocks
from bench.attention import attention
from bench.compare import compare
from bench.demo import demo
from bench.figures import figures
from bench.presets import PRESETS, Preset, get_preset
from bench.reproduce import reproduce
from bench.tables import gap_recovered, make_rows

__all__ = [
    "PRESETS",
    "Preset",
    "__version__",
    "ablate_blocks",
    "attention",
    "compare",
    "demo",
    "figures",
    "gap_recovered",
    "get_preset",
    "make_rows",
    "reproduce",
]
