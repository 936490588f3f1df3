"""The names every package uses for tissues, scores and colours, defined once.

Label maps hold 0 (background), 1 (CSF), 2 (grey matter) and 3 (white matter). Scores are
keyed by the short lower-case tissue key (:data:`TISSUES`) in JSON, CSV and Python alike,
and the unweighted mean over the three tissues by :data:`MEAN`; tables and figures print
:data:`DISPLAY_NAMES` (or :data:`LONG_NAMES`) and colour tissues with :data:`TISSUE_RGB`.

Files written before this vocabulary keyed the mean ``avg`` in tables:
:func:`mean_of` reads both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "BACKGROUND",
    "DISPLAY_NAMES",
    "LABELS",
    "LONG_NAMES",
    "MEAN",
    "SCORE_KEYS",
    "TISSUES",
    "TISSUE_RGB",
    "mean_of",
]

TISSUES: Final[tuple[str, ...]] = ("csf", "gm", "wm")
"""Tissue keys in label order (label 1, 2, 3)."""

LABELS: Final[dict[str, int]] = {"csf": 1, "gm": 2, "wm": 3}
"""Label value of each tissue key."""

BACKGROUND: Final[int] = 0
"""Label value of everything that is not CSF, grey or white matter."""

MEAN: Final[str] = "mean"
"""Key of the unweighted mean over :data:`TISSUES` (per slice, per run, per table row)."""

SCORE_KEYS: Final[tuple[str, ...]] = (*TISSUES, MEAN)
"""The keys of a per-tissue score dictionary."""

DISPLAY_NAMES: Final[dict[str, str]] = {"csf": "CSF", "gm": "GM", "wm": "WM", MEAN: "avg"}
"""Column headers and legend entries (the paper's abbreviations; its tables say Avg)."""

LONG_NAMES: Final[dict[str, str]] = {
    "csf": "CSF",
    "gm": "Gray Matter",
    "wm": "White Matter",
    MEAN: "Average",
}
"""Panel titles (the paper's Fig. 6)."""

TISSUE_RGB: Final[dict[int, tuple[int, int, int]]] = {
    BACKGROUND: (0, 0, 0),
    1: (160, 32, 240),  # CSF: purple
    2: (255, 165, 0),  # GM: orange
    3: (255, 255, 255),  # WM: white
}
"""RGB of each label in segmentation images (the paper's Figs. 3 and 4)."""


def mean_of(scores: Mapping[str, Any]) -> Any:
    """The mean entry of a per-tissue score dictionary, written as :data:`MEAN` or, in files
    made before this vocabulary, as ``avg``; None when there is neither."""
    if MEAN in scores:
        return scores[MEAN]
    return scores.get("avg")
