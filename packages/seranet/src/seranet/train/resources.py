"""Refuse, before anything is allocated, a model that cannot train on the images or the machine."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from seranet.models import ModelConfig, build_model

__all__ = ["check_model_fits"]


def check_model_fits(
    model: ModelConfig, shape: tuple[int, int], available: int | None = None
) -> None:
    """Refuse, before anything is allocated, a UNet deeper than the images allow (each level
    halves them; the bottleneck must keep at least 2 x 2 pixels) and a model whose weights,
    gradients and Adam state (16 bytes per parameter, counted on the meta device) exceed the
    memory available (``available`` bytes; default: the machine's MemAvailable)."""
    h, w = shape
    levels = model.depth - 1
    if min(h, w) < 2 * 2**levels:
        deepest = max(1, int(math.log2(min(h, w) / 2)) + 1)
        raise ValueError(
            f"depth {model.depth} halves the {h} x {w} images {levels} times, leaving "
            f"{h >> levels} x {w >> levels} pixels at the bottleneck; use --depth {deepest} or less"
        )
    with torch.device("meta"):
        parameters = sum(p.numel() for p in build_model(model).parameters())
    need = 16 * parameters
    available = _available_memory() if available is None else available
    if available is not None and need > available:
        raise ValueError(
            f"{model.name} with width {model.width} and depth {model.depth} has "
            f"{parameters / 1e6:.0f} M parameters: {need / 2**30:.1f} GiB for weights, gradients "
            f"and Adam state alone, more than the {available / 2**30:.1f} GiB of memory available"
        )


def _available_memory() -> int | None:
    """MemAvailable of /proc/meminfo in bytes (None where there is no such file)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
