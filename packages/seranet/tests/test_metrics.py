"""Tests of seranet.metrics against scipy, brute force and hand-made cases."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.typing import NDArray
from scipy.spatial.distance import directed_hausdorff

from seranet.metrics import (
    SegmentationScores,
    boundary,
    dice,
    hausdorff,
    score_slice,
    summarize,
)


def ref_boundary(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Pixels with a 4-neighbour outside the mask, by explicit shifts of a padded copy."""
    p = np.pad(mask, 1, constant_values=False)
    inner = p[1:-1, 1:-1]
    all_in = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return inner & ~all_in


def ref_coords(mask: NDArray[np.bool_], spacing: tuple[float, float]) -> NDArray[np.float64]:
    return np.argwhere(ref_boundary(mask)) * np.asarray(spacing)


def ref_directed_all(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Brute force: for every point of a, the distance to the nearest point of b."""
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    return np.asarray(d.min(axis=1))


def random_maps(
    seed: int, shape: tuple[int, int] = (27, 19)
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Two label maps of blobby regions (smoothed noise, thresholded into 4 classes)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    maps = []
    for _ in range(2):
        field = ndimage.gaussian_filter(rng.standard_normal(shape), 2.0)
        maps.append(np.digitize(field, np.quantile(field, [0.3, 0.55, 0.8])).astype(np.int64))
    return maps[0], maps[1]


def test_boundary_matches_reference_and_counts_image_border() -> None:
    pred, _ = random_maps(0)
    for c in range(4):
        np.testing.assert_array_equal(boundary(pred == c), ref_boundary(pred == c))
    full = np.ones((4, 5), bool)
    expected = np.ones((4, 5), bool)
    expected[1:-1, 1:-1] = False
    np.testing.assert_array_equal(boundary(full), expected)


def test_dice_hand_made() -> None:
    target = np.zeros((6, 6), np.int64)
    target[:2] = 1  # 12 pixels of class 1
    target[4:, :3] = 3  # 6 pixels of class 3
    pred = np.zeros((6, 6), np.int64)
    pred[:3] = 1  # 18 pixels, 12 shared
    pred[5, 5] = 2  # class 2 only in pred; class 3 only in target
    np.testing.assert_allclose(dice(pred, target), [24 / 30, 0.0, 0.0])
    assert dice(target, target, labels=(1, 3)).tolist() == [1.0, 1.0]
    assert np.isnan(dice(target, target, labels=(2,))[0])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("spacing", [(1.0, 1.0), (1.0, 1.0 / 3.0), (3.0, 1.2)])
def test_hausdorff_matches_scipy_directed_hausdorff(
    seed: int, spacing: tuple[float, float]
) -> None:
    pred, target = random_maps(seed)
    labels = (0, 1, 2, 3)
    got = hausdorff(pred, target, labels, spacing=spacing)
    for i, c in enumerate(labels):
        a, b = ref_coords(pred == c, spacing), ref_coords(target == c, spacing)
        expected = max(directed_hausdorff(a, b)[0], directed_hausdorff(b, a)[0])
        np.testing.assert_allclose(got[i], expected, rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("spacing", [(1.0, 1.0), (3.0, 1.2)])
@pytest.mark.parametrize("q", [95, 50])
def test_percentile_hausdorff_matches_brute_force(
    seed: int, spacing: tuple[float, float], q: int
) -> None:
    pred, target = random_maps(seed + 100)
    got = hausdorff(pred, target, (1, 2, 3), percentile=q, spacing=spacing)
    for i, c in enumerate((1, 2, 3)):
        a, b = ref_coords(pred == c, spacing), ref_coords(target == c, spacing)
        expected = max(
            np.percentile(ref_directed_all(a, b), q), np.percentile(ref_directed_all(b, a), q)
        )
        np.testing.assert_allclose(got[i], expected, rtol=1e-12)
    assert np.all(got <= hausdorff(pred, target, (1, 2, 3), spacing=spacing) + 1e-12)


def test_hausdorff_hand_made_squares() -> None:
    target = np.zeros((20, 20), np.int64)
    target[5:10, 5:10] = 1
    pred = np.zeros((20, 20), np.int64)
    pred[5:10, 8:13] = 1  # shifted by 3 columns
    assert hausdorff(pred, target, (1,))[0] == pytest.approx(3.0)
    assert hausdorff(pred, target, (1,), spacing=(1.0, 0.5))[0] == pytest.approx(1.5)
    assert hausdorff(pred, target, (1,), spacing=(2.0, 1.0))[0] == pytest.approx(3.0)
    # a single far outlier pixel: the max sees it, HD95 of 26 + 1 boundary pixels mostly does not
    pred2 = target.copy()
    pred2[18, 18] = 1
    assert hausdorff(pred2, target, (1,))[0] == pytest.approx(np.hypot(9, 9))
    hd95 = hausdorff(pred2, target, (1,), percentile=95)[0]
    assert 0 <= hd95 < np.hypot(9, 9)
    # identical maps: distance zero
    assert hausdorff(target, target, (1,))[0] == 0.0


def test_empty_mask_policy() -> None:
    target = np.zeros((30, 40), np.int64)
    target[3:8, 3:8] = 1
    pred = np.zeros_like(target)
    pred[10:12, 10:12] = 2
    # class 1: only in target; class 2: only in pred; class 3: in neither
    np.testing.assert_array_equal(dice(pred, target)[:2], [0.0, 0.0])
    assert np.isnan(dice(pred, target)[2])
    for q in (None, 95):
        hd = hausdorff(pred, target, percentile=q, spacing=(1.0, 0.5))
        np.testing.assert_allclose(hd[:2], np.hypot(30 * 1.0, 40 * 0.5))
        assert np.isnan(hd[2])


@settings(max_examples=40, deadline=None)
@given(
    a=arrays(np.int64, (9, 8), elements=st.integers(0, 3)),
    b=arrays(np.int64, (9, 8), elements=st.integers(0, 3)),
    sy=st.floats(0.2, 4.0),
    sx=st.floats(0.2, 4.0),
)
def test_metrics_are_symmetric(
    a: NDArray[np.int64], b: NDArray[np.int64], sy: float, sx: float
) -> None:
    np.testing.assert_array_equal(dice(a, b), dice(b, a))
    for q in (None, 95):
        np.testing.assert_array_equal(
            hausdorff(a, b, percentile=q, spacing=(sy, sx)),
            hausdorff(b, a, percentile=q, spacing=(sy, sx)),
        )
    d = dice(a, b)
    assert np.all(np.isnan(d) | ((d >= 0) & (d <= 1)))


def test_summarize_skips_nan_and_counts() -> None:
    target = np.zeros((10, 10), np.int64)
    target[2:5, 2:5] = 1
    target[6:9, 6:9] = 2
    pred_same = target.copy()
    pred_miss = target.copy()
    pred_miss[6:9, 6:9] = 0  # class 2 missed: Dice 0, HD = diagonal
    acc = SegmentationScores(spacing=(2.0, 2.0))
    acc.add(pred_same, target)
    acc.add(np.stack([pred_miss]), np.stack([target]))
    summary = acc.summary()
    assert summary.n_slices == 2
    assert summary.counts.tolist() == [2, 2, 0]  # class 3 is absent everywhere
    np.testing.assert_allclose(summary.means["dice"][:2], [1.0, 0.5])
    assert np.isnan(summary.means["dice"][2])
    np.testing.assert_allclose(summary.means["hd"][1], np.hypot(10, 10) / 2)
    np.testing.assert_allclose(summary.means["hd_mm"][1], np.hypot(20, 20) / 2)
    assert summary.average("dice") == pytest.approx(0.75)
    out = json.loads(json.dumps(summary.to_dict()))
    assert out["per_class"]["gm"]["dice"] == pytest.approx(0.5)
    assert out["per_class"]["wm"]["dice"] is None
    assert out["per_class"]["wm"]["count"] == 0
    assert out["average"]["dice"] == pytest.approx(0.75)
    direct = summarize(
        [
            score_slice(pred_same, target, spacing=(2.0, 2.0)),
            score_slice(pred_miss, target, spacing=(2.0, 2.0)),
        ]
    )
    np.testing.assert_array_equal(direct.means["hd95_mm"], summary.means["hd95_mm"])
    assert np.isnan(summarize([]).average("dice"))


def test_bad_inputs() -> None:
    a = np.zeros((4, 4), np.int64)
    with pytest.raises(ValueError, match="shapes differ"):
        dice(a, np.zeros((4, 5), np.int64))
    with pytest.raises(ValueError, match="2D integer label map"):
        dice(a.astype(float), a)
    with pytest.raises(ValueError, match="2D integer label map"):
        hausdorff(a[None], a[None])
    with pytest.raises(ValueError, match="spacing"):
        hausdorff(a, a, spacing=(1.0, 0.0))
    with pytest.raises(ValueError, match="percentile"):
        hausdorff(a, a, percentile=0)
    with pytest.raises(ValueError, match="class names"):
        summarize([], labels=(1, 2), class_names=("x",))


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (1.5, 0.7)])
def test_score_slice_equals_separate_calls(spacing: tuple[float, float]) -> None:
    pred, target = random_maps(7, (40, 33))
    pred[pred == 3] = 0  # WM only in the target: worst case
    s = score_slice(pred, target, (1, 2, 3), spacing=spacing)
    np.testing.assert_array_equal(s.dice, dice(pred, target))
    np.testing.assert_array_equal(s.hd, hausdorff(pred, target))
    np.testing.assert_array_equal(s.hd95, hausdorff(pred, target, percentile=95))
    np.testing.assert_array_equal(s.hd_mm, hausdorff(pred, target, spacing=spacing))
    np.testing.assert_array_equal(
        s.hd95_mm, hausdorff(pred, target, percentile=95, spacing=spacing)
    )
    assert s.hd[2] == pytest.approx(np.hypot(40, 33))
