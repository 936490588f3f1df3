"""Centred orthonormal FFTs against numpy's own transforms, unitarity, numpy/torch agreement."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import kspace


def _random_complex(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("shape", [(8, 8), (7, 5), (3, 16, 9), (2, 3, 10, 11)])
def test_fft2c_matches_numpy_definition(shape: tuple[int, ...]) -> None:
    x = _random_complex(shape)
    # Independent reference: unnormalised fft2 scaled by 1/sqrt(HW), shifts written out with np.roll.
    h, w = shape[-2:]
    shifted = np.roll(x, (-(h // 2), -(w // 2)), axis=(-2, -1))  # ifftshift
    k = np.fft.fft2(shifted) / np.sqrt(h * w)
    expected = np.roll(k, (h // 2, w // 2), axis=(-2, -1))  # fftshift
    assert_allclose(kspace.fft2c(x), expected, rtol=1e-12, atol=1e-12)


def test_fft2c_centre_is_dc_of_image() -> None:
    x = _random_complex((9, 6), seed=1)
    k = kspace.fft2c(x)
    assert_allclose(k[9 // 2, 6 // 2], x.sum() / np.sqrt(x.size), rtol=1e-12)


def test_centred_point_maps_to_constant_spectrum() -> None:
    # A delta at the image centre has a flat, real k-space: the shifts are centred correctly.
    x = np.zeros((6, 10), dtype=complex)
    x[3, 5] = 1.0
    assert_allclose(kspace.fft2c(x), np.full((6, 10), 1 / np.sqrt(60)), atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 24), w=st.integers(1, 24), seed=st.integers(0, 2**31))
def test_unitary_and_exact_inverse(h: int, w: int, seed: int) -> None:
    x = _random_complex((2, h, w), seed)
    k = kspace.fft2c(x)
    assert_allclose(np.linalg.norm(k), np.linalg.norm(x), rtol=1e-12)
    assert_allclose(kspace.ifft2c(k), x, atol=1e-12)
    assert_allclose(kspace.fft2c(kspace.ifft2c(x)), x, atol=1e-12)


@pytest.mark.parametrize("transform", [kspace.fft2c, kspace.ifft2c])
def test_numpy_and_torch_agree(transform) -> None:  # type: ignore[no-untyped-def]
    x = _random_complex((2, 13, 10), seed=3)
    out_np = transform(x)
    out_t = transform(torch.from_numpy(x))
    assert isinstance(out_t, torch.Tensor)
    assert isinstance(out_np, np.ndarray)
    assert_allclose(out_t.numpy(), out_np, rtol=1e-12, atol=1e-12)


def test_single_precision_is_kept() -> None:
    x = _random_complex((8, 6)).astype(np.complex64)
    assert kspace.fft2c(x).dtype == np.complex64
    assert kspace.fft2c(torch.from_numpy(x)).dtype == torch.complex64


def test_channel_round_trip_numpy_and_torch() -> None:
    x = _random_complex((3, 5, 4)).astype(np.complex64)
    ch = kspace.complex_to_channels(x)
    assert ch.shape == (3, 2, 5, 4)
    assert_allclose(ch[:, 0], x.real)
    assert_allclose(ch[:, 1], x.imag)
    assert_allclose(kspace.channels_to_complex(ch), x)
    t = torch.from_numpy(x)
    assert torch.equal(kspace.channels_to_complex(kspace.complex_to_channels(t)), t)


@pytest.mark.parametrize(
    ("func", "arg", "match"),
    [
        (kspace.fft2c, np.zeros(4, complex), r"x must have shape \(\.\.\., H, W\)"),
        (kspace.complex_to_channels, np.zeros((4, 4)), "x must be complex"),
        (kspace.channels_to_complex, np.zeros((3, 4, 4)), r"\(\.\.\., 2, H, W\)"),
        (kspace.channels_to_complex, np.zeros((2, 4, 4), complex), "must be real"),
    ],
)
def test_bad_input_is_named(func, arg, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        func(arg)
