"""Paired bootstrap verdicts on synthetic score tables whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from bench.stats import Term, paired_bootstrap, slice_dice, term_from_metrics

SUBJECTS = ("s1", "s2", "s3")


def table(values: np.ndarray) -> dict[tuple[str, int], np.ndarray]:
    """``values`` (subjects, slices, classes) -> slice key -> Dice per class."""
    return {
        (SUBJECTS[i], k): values[i, k].astype(float)
        for i in range(values.shape[0])
        for k in range(values.shape[1])
    }


def base(seed: int = 0, slices: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.4, 0.9, (len(SUBJECTS), slices, 3))


def test_a_constant_gain_holds_and_a_loss_fails() -> None:
    b = base()
    up = paired_bootstrap([Term("a", (table(b + 0.05),)), Term("b", (table(b),))])
    assert up.verdict == "holds"
    assert up.estimate == pytest.approx(0.05)
    assert up.low == pytest.approx(0.05)
    assert up.high == pytest.approx(0.05)
    down = paired_bootstrap([Term("a", (table(b - 0.01),)), Term("b", (table(b),))])
    assert down.verdict == "fails"
    assert down.estimate == pytest.approx(-0.01)
    assert (up.subjects, up.slices, up.seeds) == (3, 60, (1, 1))


def test_pairing_sees_a_small_gain_under_large_slice_to_slice_spread() -> None:
    # slices vary over 0.4-0.9, the methods differ by 0.01 on every slice plus tiny noise
    b = base()
    noise = np.random.default_rng(1).normal(0, 0.002, b.shape)
    result = paired_bootstrap([Term("a", (table(b + 0.01 + noise),)), Term("b", (table(b),))])
    assert result.verdict == "holds"
    assert result.low > 0.005


def test_no_difference_is_undecided() -> None:
    b = base()
    rng = np.random.default_rng(2)
    a = b + rng.normal(0, 0.05, b.shape)
    c = b + rng.normal(0, 0.05, b.shape)
    result = paired_bootstrap([Term("a", (table(a),)), Term("c", (table(c),))])
    assert result.verdict == "undecided"
    assert result.low < 0 < result.high


def test_a_gain_carried_by_one_subject_is_not_a_verdict() -> None:
    # resampling subjects: the drawn set misses s1 in (2/3)^3 = 30 % of the replicates
    b = base()
    a = b.copy()
    a[0] += 0.1
    result = paired_bootstrap([Term("a", (table(a),)), Term("b", (table(b),))])
    assert result.estimate == pytest.approx(0.1 / 3)
    assert result.verdict == "undecided"
    assert result.low == pytest.approx(0.0)


def test_seed_spread_widens_the_interval() -> None:
    b = base()
    offsets = (-0.08, 0.0, 0.14)  # mean +0.02 over three seeds, large spread
    spread = Term("a", tuple(table(b + o) for o in offsets))
    same = Term("a", tuple(table(b + 0.02) for _ in offsets))
    ref = Term("b", (table(b),))
    wide = paired_bootstrap([spread, ref])
    narrow = paired_bootstrap([same, ref])
    assert wide.estimate == pytest.approx(0.02)
    assert narrow.estimate == pytest.approx(0.02)
    assert narrow.verdict == "holds"
    assert wide.verdict == "undecided"
    assert wide.seeds == (3, 1)


def test_estimate_is_the_tables_average_with_excluded_classes() -> None:
    # a class absent from a slice (NaN) is left out of that class's mean, as the tables do
    b = base(slices=4)
    b[1, 2, 0] = np.nan
    b[2, 0, 2] = np.nan
    per_class = np.nanmean(b.reshape(-1, 3), axis=0)
    zeros = np.zeros_like(b)
    zeros[np.isnan(b)] = np.nan
    result = paired_bootstrap([Term("a", (table(b),)), Term("z", (table(zeros),))])
    assert result.estimate == pytest.approx(per_class.mean())


def test_statistic_and_threshold_for_a_share_of_a_gap() -> None:
    b = base()
    zf, fs = b, b + 0.10
    method = b + 0.07  # recovers 70 % of the gap on every slice
    terms = [Term(n, (table(v),)) for n, v in (("m", method), ("zf", zf), ("fs", fs))]

    def share(v: np.ndarray) -> np.ndarray:
        return (v[..., 0] - v[..., 1]) / (v[..., 2] - v[..., 1])

    assert paired_bootstrap(terms, share, threshold=0.67).verdict == "holds"
    assert paired_bootstrap(terms, share, threshold=0.75).verdict == "fails"


def test_only_common_slices_are_paired_and_disjoint_ones_are_refused() -> None:
    b = base()
    a = table(b + 0.02)
    other = {k: v for k, v in table(b).items() if k[1] < 10}
    result = paired_bootstrap([Term("a", (a,)), Term("b", (other,))])
    assert result.slices == 30
    with pytest.raises(ValueError, match="no test slice in common"):
        paired_bootstrap([Term("a", ({("x", 0): b[0, 0]},)), Term("b", (other,))])


def test_reading_evaluate_output() -> None:
    metrics = {
        "run": "r",
        "slices": [
            {"subject": "s1", "slice": 3, "dice": {"CSF": 0.5, "GM": None, "WM": 0.7}},
            {"subject": "s2", "slice": 0, "dice": {"CSF": 0.1, "GM": 0.2, "WM": 0.3}},
        ],
    }
    scores = slice_dice(metrics)
    assert np.isnan(scores[("s1", 3)][1])
    np.testing.assert_allclose(scores[("s2", 0)], [0.1, 0.2, 0.3])
    assert len(term_from_metrics("x", [metrics, metrics]).seeds) == 2
    with pytest.raises(ValueError, match="no per-slice values"):
        slice_dice({"run": "old"})
