"""The torch paths on CUDA agree with the CPU (skipped without a GPU)."""

from __future__ import annotations

import pytest
import torch

import kspace


@pytest.mark.gpu
def test_fft_and_dc_on_cuda_match_cpu() -> None:
    gen = torch.Generator().manual_seed(0)
    image = torch.randn(2, 2, 16, 12, generator=gen)
    measured = kspace.fft2c(torch.randn(2, 16, 12, dtype=torch.complex64, generator=gen))
    mask = torch.from_numpy(kspace.GaussianLines(fraction=0.5, center_lines=2)((2, 16, 12), seed=0))
    measured = torch.where(mask, measured, torch.zeros((), dtype=measured.dtype))
    dc = kspace.DataConsistency(soft=True)
    cpu = dc(image, measured, mask)
    gpu = dc.cuda()(image.cuda(), measured.cuda(), mask.cuda())
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-5)
