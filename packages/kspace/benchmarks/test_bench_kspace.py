"""kspace performance: FFT numpy vs torch, mask drawing, DC forward+backward (reported, not asserted)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import kspace

BATCH, H, W = 12, 216, 180


@pytest.fixture(scope="module", autouse=True)
def _threads() -> None:
    torch.set_num_threads(2)


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((BATCH, H, W)) + 1j * rng.standard_normal((BATCH, H, W))).astype(
        np.complex64
    )


@pytest.mark.benchmark(group="fft2c 12x216x180 complex64")
def test_fft2c_numpy(benchmark: Any, batch: np.ndarray) -> None:
    benchmark(kspace.fft2c, batch)


@pytest.mark.benchmark(group="fft2c 12x216x180 complex64")
def test_fft2c_torch(benchmark: Any, batch: np.ndarray) -> None:
    benchmark(kspace.fft2c, torch.from_numpy(batch))


@pytest.mark.benchmark(group="fft2c 12x216x180 complex64")
def test_fft2_numpy_unshifted_floor(benchmark: Any, batch: np.ndarray) -> None:
    benchmark(np.fft.fft2, batch, norm="ortho")


@pytest.mark.benchmark(group="mask 216x180")
@pytest.mark.parametrize("name", sorted(kspace.masks.MASKS))
def test_mask(benchmark: Any, name: str) -> None:
    mask_fn = kspace.create_mask(name)
    mask_fn((H, W), seed=0)  # compile any kernel outside the timing
    benchmark(mask_fn, (H, W), seed=1)


@pytest.mark.benchmark(group="DataConsistency fwd+bwd 12x2x216x180")
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_dc_forward_backward(benchmark: Any, batch: np.ndarray, soft: bool) -> None:
    dc = kspace.DataConsistency(soft=soft)
    measured = torch.from_numpy(batch)
    mask = torch.from_numpy(kspace.GaussianLines()((BATCH, H, W), seed=0))
    image = torch.randn(BATCH, 2, H, W, requires_grad=True)

    def step() -> None:
        dc(image, measured, mask).sum().backward()

    benchmark(step)
