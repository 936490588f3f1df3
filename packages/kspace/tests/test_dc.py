"""Data-consistency layers: exact measured lines, idempotence, soft limit, gradients."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

import kspace
from kspace import DataConsistency


def _problem(
    dtype: torch.dtype = torch.float32, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    b, h, w = 2, 12, 10
    image = torch.randn(b, 2, h, w, generator=gen, dtype=dtype)
    complex_dtype = torch.complex64 if dtype == torch.float32 else torch.complex128
    truth = torch.randn(b, h, w, generator=gen, dtype=complex_dtype)
    mask = torch.from_numpy(kspace.GaussianLines(fraction=0.4, center_lines=2)((b, h, w), seed=1))
    measured = torch.where(mask, kspace.fft2c(truth), torch.zeros((), dtype=complex_dtype))
    return image, measured, mask


def test_hard_dc_reproduces_measured_lines_and_keeps_the_rest() -> None:
    image, measured, mask = _problem()
    out = DataConsistency()(image, measured, mask)
    k_out = kspace.fft2c(kspace.channels_to_complex(out))
    k_in = kspace.fft2c(kspace.channels_to_complex(image))
    full_mask = mask.expand_as(measured)
    assert_close(k_out[full_mask], measured[full_mask], atol=1e-5, rtol=1e-5)
    assert_close(k_out[~full_mask], k_in[~full_mask], atol=1e-5, rtol=1e-5)


def test_hard_dc_is_idempotent() -> None:
    image, measured, mask = _problem()
    dc = DataConsistency()
    once = dc(image, measured, mask)
    assert_close(dc(once, measured, mask), once, atol=1e-5, rtol=1e-5)


def test_soft_dc_tends_to_hard_dc_and_to_identity() -> None:
    image, measured, mask = _problem(torch.float64)
    hard = DataConsistency()(image, measured, mask)
    distances = []
    for lam in (1.0, 1e2, 1e4, 1e8):
        soft = DataConsistency(soft=True, lam=lam)(image, measured, mask)
        distances.append(float((soft - hard).detach().abs().max()))
    assert distances == sorted(distances, reverse=True)
    assert distances[-1] < 1e-6
    assert_close(DataConsistency(soft=True, lam=0.0)(image, measured, mask), image)


def test_soft_dc_matches_formula() -> None:
    image, measured, mask = _problem(torch.float64)
    lam = 3.0
    k = kspace.fft2c(kspace.channels_to_complex(image))
    expected_k = torch.where(mask, (k + lam * measured) / (1 + lam), k)
    expected = kspace.complex_to_channels(kspace.ifft2c(expected_k))
    assert_close(DataConsistency(soft=True, lam=lam)(image, measured, mask), expected)


@pytest.mark.parametrize("soft", [False, True])
def test_gradcheck_double_precision(soft: bool) -> None:
    image, measured, mask = _problem(torch.float64)
    image = image[:1, :, :6, :5].clone().requires_grad_(True)
    measured = measured[:1, :6, :5].clone()
    mask = mask[:1, :, :5]
    dc = DataConsistency(soft=soft, lam=2.0).double()
    assert torch.autograd.gradcheck(lambda x: dc(x, measured, mask), (image,))
    if soft:
        lam = dc.lam
        assert torch.autograd.gradcheck(
            lambda lam_: DataConsistency.forward(_WithLam(lam_), image.detach(), measured, mask),  # type: ignore[arg-type]
            (lam.detach().clone().requires_grad_(True),),
        )


class _WithLam:
    """Stand-in exposing a given lambda tensor to DataConsistency.forward for gradcheck."""

    soft = True

    def __init__(self, lam: torch.Tensor) -> None:
        self.lam = lam


def test_soft_lambda_is_learnable() -> None:
    image, measured, mask = _problem()
    dc = DataConsistency(soft=True)
    dc(image, measured, mask).square().sum().backward()
    assert dc.lam.grad is not None
    assert dc.lam.grad != 0


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda i, m, k: (i[:, :1], m, k), r"image must be real with shape \(B, 2, H, W\)"),
        (lambda i, m, k: (i, m.real, k), "measured must be complex"),
        (lambda i, m, k: (i, m[:, :-1], k), "measured must be complex with shape"),
        (lambda i, m, k: (i, m, k.float()), "mask must be boolean"),
        (lambda i, m, k: (i, m, k[..., :-1]), "broadcastable"),
    ],
)
def test_bad_dc_input(mutate, match) -> None:  # type: ignore[no-untyped-def]
    image, measured, mask = _problem()
    with pytest.raises(ValueError, match=match):
        DataConsistency()(*mutate(image, measured, mask))


def test_negative_lambda_rejected() -> None:
    with pytest.raises(ValueError, match="lam must be >= 0"):
        DataConsistency(soft=True, lam=-1.0)
