"""Noise level definition and zero-filled reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import kspace


def test_noise_std_matches_definition_in_kspace_and_image() -> None:
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 2, (4, 256, 256)).astype(np.complex64)
    k = kspace.fft2c(image)
    sigma = kspace.noise_sigma(0.1, image)
    assert_allclose(sigma, 0.1 * np.percentile(np.abs(image), 99))
    noisy = kspace.add_noise(k, 0.1, image, seed=1)
    assert noisy.dtype == np.complex64
    noise_k = noisy - k
    noise_img = kspace.ifft2c(noisy) - image
    for part in (noise_k.real, noise_k.imag, noise_img.real, noise_img.imag):
        assert abs(part.std() / sigma - 1) < 0.05
        assert abs(part.mean()) < 0.05 * sigma


def test_noise_is_seeded_and_input_untouched() -> None:
    k = np.zeros((16, 16), np.complex128)
    ref = np.ones((16, 16))
    a = kspace.add_noise(k, 0.2, ref, seed=3)
    np.testing.assert_array_equal(a, kspace.add_noise(k, 0.2, ref, seed=3))
    assert not np.array_equal(a, kspace.add_noise(k, 0.2, ref, seed=4))
    assert not k.any()


def test_noise_torch_matches_numpy() -> None:
    k = np.zeros((2, 8, 8), np.complex64)
    ref = np.ones((8, 8))
    out = kspace.add_noise(torch.from_numpy(k), 0.1, ref, seed=9)
    assert isinstance(out, torch.Tensor)
    assert out.dtype == torch.complex64
    assert_allclose(out.numpy(), kspace.add_noise(k, 0.1, ref, seed=9), rtol=1e-6)


def test_zero_level_adds_nothing() -> None:
    k = np.ones((4, 4), np.complex64)
    np.testing.assert_array_equal(kspace.add_noise(k, 0.0, np.ones((4, 4)), seed=0), k)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.ones((4, 4)), 0.1, np.ones((4, 4))), "kspace must be complex"),
        ((np.ones((4, 4), complex), -0.1, np.ones((4, 4))), "noise level must be"),
        ((np.ones((4, 4), complex), 0.1, np.full((4, 4), np.nan)), "reference must be"),
    ],
)
def test_bad_noise_input(args, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        kspace.add_noise(*args, seed=0)


def test_zero_filled_equals_inverse_of_masked_kspace() -> None:
    rng = np.random.default_rng(2)
    k = (rng.standard_normal((3, 20, 16)) + 1j * rng.standard_normal((3, 20, 16))).astype(
        np.complex64
    )
    mask = kspace.GaussianLines(fraction=0.5, center_lines=4)(k.shape, seed=0)
    expected = np.fft.fftshift(
        np.fft.ifft2(np.fft.ifftshift(k * mask, axes=(-2, -1)), norm="ortho"), axes=(-2, -1)
    )
    assert_allclose(kspace.zero_filled(k, mask), expected, rtol=1e-5, atol=1e-6)
    out_t = kspace.zero_filled(torch.from_numpy(k), torch.from_numpy(mask))
    assert_allclose(out_t.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_full_mask_gives_exact_image() -> None:
    image = np.random.default_rng(3).standard_normal((12, 10)).astype(np.complex128)
    assert_allclose(
        kspace.zero_filled(kspace.fft2c(image), np.ones((1, 10), bool)), image, atol=1e-12
    )


def test_rss_combines_coils() -> None:
    coils = np.stack([np.full((4, 4), 3.0 + 0j), np.full((4, 4), 4j)])
    assert_allclose(kspace.rss(coils), np.full((4, 4), 5.0))
    assert_allclose(kspace.rss(torch.from_numpy(coils)).numpy(), np.full((4, 4), 5.0))


@pytest.mark.parametrize(
    ("k", "mask", "match"),
    [
        (np.ones((4, 4)), np.ones((1, 4), bool), "kspace must be complex"),
        (np.ones(4, complex), np.ones(4, bool), "kspace must be complex"),
        (np.ones((4, 4), complex), np.ones((1, 5), bool), "broadcastable"),
        (np.ones((4, 4), complex), np.ones((1, 4)), "mask must be boolean"),
        (np.ones((4, 4), complex), np.ones((2, 4, 4), bool), "broadcastable"),
    ],
)
def test_zero_filled_bad_input(k, mask, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        kspace.zero_filled(k, mask)
