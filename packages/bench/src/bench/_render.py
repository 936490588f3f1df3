"""Shared drawing helpers: label colours, image scaling, atomic PNG / GIF writing.

Matplotlib is used through its object-oriented API (``matplotlib.figure.Figure``), so no
global pyplot state or interactive backend is involved.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from bench._io import atomic_write
from seranet.vocabulary import TISSUE_RGB

__all__ = [
    "LABEL_COLOURS",
    "colour_labels",
    "grey",
    "magnitude",
    "save_figure",
    "save_gif",
]

LABEL_COLOURS = np.array([TISSUE_RGB[c] for c in sorted(TISSUE_RGB)], dtype=np.uint8)
"""RGB of classes 0..3 as in the paper's Figs. 3 and 4 (CSF purple, GM orange, WM white)."""


def colour_labels(labels: np.ndarray) -> np.ndarray:
    """``(H, W)`` classes 0..3 -> ``(H, W, 3)`` uint8 RGB."""
    lab = np.clip(np.asarray(labels, dtype=np.int64), 0, len(LABEL_COLOURS) - 1)
    return LABEL_COLOURS[lab]


def magnitude(image: np.ndarray) -> np.ndarray:
    """Magnitude of a ``(2, H, W)`` real/imaginary image (or ``(H, W)`` passes through as abs)."""
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[0] == 2:
        return np.hypot(arr[0], arr[1])
    return np.abs(arr)


def grey(image: np.ndarray, top: float | None = None) -> np.ndarray:
    """``(H, W)`` magnitude -> ``(H, W, 3)`` uint8, scaled to ``top`` (default its 99.5th percentile)."""
    scale = float(np.percentile(image, 99.5)) if top is None else float(top)
    scaled = np.clip(image / scale, 0.0, 1.0) if scale > 0 else np.zeros_like(image)
    g = np.round(255 * scaled).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Save a matplotlib figure as PNG atomically."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))


def save_gif(
    frames: Sequence[np.ndarray], path: str | os.PathLike[str], duration_ms: int = 200
) -> Path:
    """Save RGB uint8 frames ``(H, W, 3)`` as a looping animated GIF atomically."""
    from PIL import Image

    if not frames:
        raise ValueError("an animated GIF needs at least one frame")
    images = [Image.fromarray(np.ascontiguousarray(f, dtype=np.uint8), "RGB") for f in frames]

    def write(tmp: Path) -> Any:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=duration_ms,
            loop=0,
        )

    return atomic_write(path, write)
