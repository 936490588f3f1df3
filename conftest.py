"""Workspace-wide pytest hooks: tests marked ``gpu`` are skipped, with the reason, without CUDA."""

from __future__ import annotations

import importlib.util
import os

import pytest

# Numba's OpenMP workers otherwise spin while waiting, which on a loaded 2-core machine made
# kernels 10-20x slower; must be set before any numba kernel runs.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _cuda_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA device (none available)")
        for item in gpu_items:
            item.add_marker(skip)
