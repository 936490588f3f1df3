"""The fast and Bloch engines against a brute-force signal equation and analytic results."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import kspace
from mrsim.engines import bloch, fast, get_engine
from mrsim.sequence import SpinEcho, b0_field_map, coil_sensitivities
from mrsim.tissues import tissue_table

ALL_ON = SpinEcho(bandwidth_hz=4000.0, b0_ppm=2.0)
ALL_OFF = SpinEcho(readout_relaxation=False, t2prime=False, chemical_shift=False, b0_ppm=0.0)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize(
    ("seed", "height", "width", "coils", "field"),
    [
        (0, 12, 10, 1, 1.5),
        (1, 11, 9, 3, 1.5),
        (2, 8, 13, 2, 3.0),
        (3, 16, 16, 1, 3.0),
    ],
)
def test_fast_matches_brute_force_signal_equation(
    seed: int,
    height: int,
    width: int,
    coils: int,
    field: float,
    make_fractions: Any,
    brute_force: Any,
) -> None:
    rng = np.random.default_rng(seed)
    f = make_fractions(rng, height, width)
    protocol = SpinEcho(bandwidth_hz=3000.0, field_t=field, coils=coils, b0_ppm=3.0)
    b0 = b0_field_map((1, height, width), 3.0, rng)[0]
    sens = coil_sensitivities(coils, height, width)
    te, tr = 83.0, 2900.0
    got = fast.simulate_slice(f, te, tr, protocol, b0_ppm=b0, sensitivities=sens)
    ref = brute_force(f, te, tr, protocol, tissue_table(field), b0, sens)
    assert got.shape == (coils, height, width)
    assert _rel(got, ref) <= 1e-5
    # The readout-time effects are large here, so the check is not vacuous.
    plain = kspace.fft2c(fast.magnetisation_image(f, te, tr, protocol) * sens)
    assert _rel(plain, ref) > 1e-2


@pytest.mark.parametrize(("height", "width"), [(16, 12), (15, 13)])
def test_fast_without_readout_effects_is_fft2c_of_the_image(
    height: int, width: int, make_fractions: Any
) -> None:
    f = make_fractions(np.random.default_rng(4), height, width)
    got = fast.simulate_slice(f, 80.0, 3000.0, ALL_OFF)[0]
    ref = kspace.fft2c(fast.magnetisation_image(f, 80.0, 3000.0, ALL_OFF))
    assert_allclose(got, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_uniform_object_kspace_centre_is_the_closed_form_signal() -> None:
    height, width = 18, 14
    f = np.zeros((12, height, width))
    f[2] = 1.0  # grey matter everywhere
    te, tr = 80.0, 3000.0
    got = fast.simulate_slice(f, te, tr, SpinEcho(b0_ppm=0.0))[0]
    gm = tissue_table(1.5)[2]
    signal = gm.pd * (1 - 2 * math.exp(-(tr - te / 2) / gm.t1_ms) + math.exp(-tr / gm.t1_ms))
    signal *= math.exp(-te / gm.t2_ms)
    # Orthonormal FFT: the DC sample of a constant image c is c * sqrt(H W).
    assert got[height // 2, width // 2] == pytest.approx(
        signal * math.sqrt(height * width), rel=1e-12
    )


def test_t2prime_blurs_along_readout_only() -> None:
    height, width = 32, 24
    f = np.zeros((12, height, width))
    f[0] = 1.0
    f[:, 16, 12] = 0.0
    f[1, 16, 12] = 1.0  # one CSF voxel
    protocol = SpinEcho(
        bandwidth_hz=800.0, readout_relaxation=False, chemical_shift=False, b0_ppm=0.0
    )
    image = np.abs(kspace.ifft2c(fast.simulate_slice(f, 80.0, 3000.0, protocol)[0]))
    peak = image[16, 12]
    assert np.max(np.delete(image[16], 12)) <= 1e-12 * peak  # phase axis: still a point
    assert image[15, 12] > 0.05 * peak
    assert image[17, 12] > 0.05 * peak
    assert np.max(np.delete(image, 12, axis=1)) <= 1e-12 * peak


def _hermitian_error(k: np.ndarray) -> float:
    # Odd sizes: sample -k of a centred array is the flipped array.
    return float(np.linalg.norm(k - np.conj(k[::-1, ::-1])) / np.linalg.norm(k))


def test_hermitian_symmetry_is_broken_only_by_odd_readout_effects(make_fractions: Any) -> None:
    """A real object gives Hermitian k-space unless a readout factor is odd in tau.

    In a spin echo the off-resonance phase ``exp(-i dw tau)`` is linear in tau, i.e. in the
    readout k, so B0 and chemical shift only displace signal along the readout (the image
    stays real) and T2' ``exp(-R2'|tau|)`` is even in tau: all three keep the symmetry
    ``S(-k) = conj(S(k))``. T2 decay ``exp(-R2 tau)`` across the echo is odd and breaks it.
    """
    rng = np.random.default_rng(5)
    height, width = 15, 13
    f = make_fractions(rng, height, width)
    b0 = b0_field_map((1, height, width), 2.0, rng)[0]
    plain = fast.simulate_slice(f, 80.0, 3000.0, ALL_OFF)[0]
    assert _hermitian_error(plain) < 1e-13
    no_r2 = SpinEcho(bandwidth_hz=2000.0, readout_relaxation=False)
    with_b0_t2p = fast.simulate_slice(f, 80.0, 3000.0, no_r2, b0_ppm=b0)[0]
    assert _rel(with_b0_t2p, plain) > 1e-2  # the effects are there...
    assert _hermitian_error(with_b0_t2p) < 1e-13  # ...and symmetric
    everything = fast.simulate_slice(f, 80.0, 3000.0, SpinEcho(bandwidth_hz=2000.0), b0_ppm=b0)[0]
    assert _hermitian_error(everything) > 1e-3
    r2_only = SpinEcho(bandwidth_hz=2000.0, chemical_shift=False, t2prime=False, b0_ppm=0.0)
    assert _hermitian_error(fast.simulate_slice(f, 80.0, 3000.0, r2_only)[0]) > 1e-3


def test_bloch_matches_fast_exactly_without_t2prime(make_fractions: Any) -> None:
    rng = np.random.default_rng(6)
    f = make_fractions(rng, 10, 8)
    protocol = SpinEcho(bandwidth_hz=2000.0, t2prime=False, coils=2)
    b0 = b0_field_map((1, 10, 8), 2.0, rng)[0]
    sens = coil_sensitivities(2, 10, 8)
    kf = fast.simulate_slice(f, 80.0, 3000.0, protocol, b0_ppm=b0, sensitivities=sens)
    kb = bloch.simulate_slice(f, 80.0, 3000.0, protocol, b0_ppm=b0, sensitivities=sens)
    # Same physics, different arithmetic (event-by-event rotations): round-off only.
    assert _rel(kb, kf) <= 1e-10


def test_bloch_matches_fast_with_t2prime_within_quadrature_error(make_fractions: Any) -> None:
    rng = np.random.default_rng(7)
    f = make_fractions(rng, 10, 8)
    protocol = SpinEcho(bandwidth_hz=2000.0)
    b0 = b0_field_map((1, 10, 8), 2.0, rng)[0]
    kf = fast.simulate_slice(f, 80.0, 3000.0, protocol, b0_ppm=b0)
    kb = bloch.simulate_slice(f, 80.0, 3000.0, protocol, b0_ppm=b0, isochromats=512)
    # 512 Cauchy-quantile isochromats approximate exp(-R2'|tau|) to ~1e-3 over this readout
    # (|tau| <= 2.5 ms, R2' up to 14/s); 5e-3 leaves a margin, and the error shrinks with N.
    err = _rel(kb, kf)
    assert err <= 5e-3
    kb_coarse = bloch.simulate_slice(f, 80.0, 3000.0, protocol, b0_ppm=b0, isochromats=64)
    assert _rel(kb_coarse, kf) > err


def test_engine_registry_and_input_checks(make_fractions: Any) -> None:
    assert get_engine("fast") is fast.simulate_slice
    with pytest.raises(ValueError, match="unknown engine"):
        get_engine("nope")
    f = make_fractions(np.random.default_rng(8), 6, 6)
    with pytest.raises(ValueError, match=r"shape \(12, H, W\)"):
        fast.simulate_slice(f[:5], 80.0, 3000.0, SpinEcho())
    with pytest.raises(ValueError, match="TE < TR"):
        fast.simulate_slice(f, 3000.0, 80.0, SpinEcho())
    with pytest.raises(ValueError, match="b0_ppm"):
        fast.simulate_slice(f, 80.0, 3000.0, SpinEcho(), b0_ppm=np.zeros((3, 3)))


def test_engines_are_bitwise_deterministic_across_thread_counts(make_fractions: Any) -> None:
    import numba

    f = make_fractions(np.random.default_rng(9), 12, 10)
    protocol = SpinEcho(bandwidth_hz=2000.0)
    outputs = []
    before = numba.get_num_threads()
    try:
        for threads in (1, before):
            numba.set_num_threads(threads)
            outputs.append(
                (
                    fast.simulate_slice(f, 80.0, 3000.0, protocol),
                    bloch.simulate_slice(f, 80.0, 3000.0, protocol, isochromats=16),
                )
            )
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(outputs[0][0], outputs[1][0])
    assert np.array_equal(outputs[0][1], outputs[1][1])


@settings(max_examples=25, deadline=None)
@given(
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    seed=st.integers(0, 2**16),
    bandwidth=st.floats(500.0, 50000.0),
    b0=st.floats(0.0, 5.0),
    field=st.sampled_from([1.5, 3.0]),
)
def test_fast_matches_brute_force_on_any_small_grid(
    height: int,
    width: int,
    seed: int,
    bandwidth: float,
    b0: float,
    field: float,
    make_fractions: Any,
    brute_force: Any,
) -> None:
    rng = np.random.default_rng(seed)
    f = make_fractions(rng, height, width)
    protocol = SpinEcho(bandwidth_hz=bandwidth, field_t=field)
    b0_map = rng.uniform(-b0, b0, size=(height, width))
    got = fast.simulate_slice(f, 75.0, 2500.0, protocol, b0_ppm=b0_map)
    ref = brute_force(f, 75.0, 2500.0, protocol, tissue_table(field), b0_map)
    if np.linalg.norm(ref) == 0:  # e.g. a single background voxel
        assert np.all(got == 0)
    else:
        assert _rel(got, ref) <= 1e-5
