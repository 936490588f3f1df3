"""Masks keep exactly the requested lines, a centred block, and are seeded without global state."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import kspace
from kspace.masks import MASKS, LineMask


def _centre_block(width: int, count: int) -> np.ndarray:
    start = width // 2 - count // 2
    return np.arange(start, start + count)


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(1, 400),
    fraction=st.floats(0.01, 1.0),
    center=st.integers(0, 64),
    seed=st.integers(0, 2**32 - 1),
)
def test_gaussian_lines_exact_count_and_centre(
    width: int, fraction: float, center: int, seed: int
) -> None:
    total = round(fraction * width)
    assume(center <= total and total >= 1)
    sample = kspace.GaussianLines(fraction=fraction, center_lines=center).sample(
        (5, 7, width), seed=seed
    )
    mask = sample.mask
    assert mask.shape == (1, 1, width)
    assert mask.dtype == np.bool_
    assert int(mask.sum()) == total
    assert sample.center_lines == center
    assert mask[0, 0, _centre_block(width, center)].all()
    if center:
        assert width // 2 in np.flatnonzero(mask[0, 0])


@settings(max_examples=100, deadline=None)
@given(
    width=st.integers(2, 400),
    acceleration=st.floats(1.0, 12.0),
    center_fraction=st.floats(0.0, 0.2),
    cls=st.sampled_from([kspace.RandomLines, kspace.EquispacedLines]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fastmri_style_masks_exact_count(
    width: int, acceleration: float, center_fraction: float, cls: type[LineMask], seed: int
) -> None:
    mask_fn = cls(center_fraction=center_fraction, acceleration=acceleration)  # type: ignore[call-arg]
    total, center = max(1, round(width / acceleration)), round(width * center_fraction)
    assume(center <= total)
    mask = mask_fn((3, width), seed=seed)[0]
    assert int(mask.sum()) == total
    assert mask[_centre_block(width, center)].all()


def test_equispaced_lines_are_evenly_spread() -> None:
    mask = kspace.EquispacedLines(center_fraction=0.0, acceleration=4)((10, 200), seed=0)[0]
    gaps = np.diff(np.flatnonzero(mask))
    assert set(gaps.tolist()) <= {4}


@pytest.mark.parametrize("name", sorted(MASKS))
def test_seeding_is_reproducible_and_seeds_differ(name: str) -> None:
    mask_fn = kspace.create_mask(name)
    shape = (64, 96)
    a, b = mask_fn(shape, seed=11), mask_fn(shape, seed=11)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mask_fn(shape, seed=12))
    # A Generator and a SeedSequence work as seeds too.
    np.testing.assert_array_equal(
        mask_fn(shape, seed=np.random.default_rng(5)), mask_fn(shape, seed=5)
    )
    mask_fn(shape, seed=kspace.mask_seed(1, 2, 3))


@pytest.mark.parametrize("name", sorted(MASKS))
def test_global_random_state_is_untouched(name: str) -> None:
    np.random.seed(123)
    before = np.random.get_state()
    kspace.create_mask(name)((64, 96), seed=1)
    after = np.random.get_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_mask_seed_streams_are_distinct() -> None:
    mask_fn = kspace.GaussianLines()
    masks = {
        mask_fn((1, 180), seed=kspace.mask_seed(0, epoch, rank, 7)).tobytes()
        for epoch in range(3)
        for rank in range(2)
    }
    assert len(masks) == 6


def test_gaussian_density_prefers_the_centre() -> None:
    mask_fn = kspace.GaussianLines(fraction=0.3, center_lines=0, std=0.15)
    counts = sum(mask_fn((1, 180), seed=s)[0].astype(int) for s in range(400))
    inner = counts[60:120].mean()
    outer = np.concatenate([counts[:30], counts[150:]]).mean()
    assert inner > 2 * outer


def test_poisson_disc_hits_acceleration_and_calibration() -> None:
    mask_fn = kspace.PoissonDisc2D(acceleration=4, calib=12)
    sample = mask_fn.sample((2, 80, 64), seed=3)
    mask = sample.mask
    assert mask.shape == (1, 80, 64)
    target = 80 * 64 / 4
    assert abs(mask.sum() - target) <= 0.02 * target
    assert mask[0, 40 - 6 : 40 + 6, 32 - 6 : 32 + 6].all()
    # Variable density: the centre quarter is sampled more densely than the periphery.
    centre = mask[0, 20:60, 16:48].mean()
    assert centre > mask[0].mean()


@pytest.mark.parametrize(
    ("build", "shape", "match"),
    [
        (lambda: kspace.GaussianLines(fraction=0.0), None, "fraction must be in"),
        (lambda: kspace.GaussianLines(fraction=1.5), None, "fraction must be in"),
        (lambda: kspace.GaussianLines(center_lines=-1), None, "center_lines must be"),
        (lambda: kspace.GaussianLines(fraction=0.1, center_lines=16), (10, 100), "must not exceed"),
        (
            lambda: kspace.GaussianLines(fraction=1.0, center_lines=16),
            (10, 12),
            "center_lines must be <= W",
        ),
        (lambda: kspace.GaussianLines(), (10,), "shape must be"),
        (lambda: kspace.RandomLines(acceleration=0.5), None, "acceleration must be"),
        (lambda: kspace.PoissonDisc2D(calib=40), (30, 30), "calib must be"),
        (lambda: kspace.create_mask("spiral"), None, "unknown mask 'spiral'"),
        (lambda: kspace.create_mask("gaussian-lines", fractoin=0.3), None, "bad options"),
    ],
)
def test_bad_mask_input(build, shape, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        build()(shape, seed=0)
