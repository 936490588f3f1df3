"""Tissue tables, protocol validation and the seeded per-subject quantities."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mrsim.sequence import SpinEcho, b0_field_map, coil_sensitivities, slice_timings
from mrsim.tissues import LABEL_NAMES, tissue_table


def test_brainweb_1p5t_values() -> None:
    t = tissue_table(1.5)
    got = [(t[i].t1_ms, t[i].t2_ms, t[i].t2star_ms, t[i].pd) for i in (1, 2, 3, 4)]
    assert got == [
        (2569, 329, 58, 1.0),
        (833, 83, 69, 0.86),
        (500, 70, 61, 0.77),
        (350, 70, 58, 1.0),
    ]
    assert [x.name for x in t.tissues] == list(LABEL_NAMES)
    assert t.array("pd")[[0, 7, 8]].tolist() == [0, 0, 0]  # BrainWeb: no signal


def test_3t_table_is_consistent() -> None:
    t15, t3 = tissue_table(1.5), tissue_table(3.0)
    assert (t3[2].t1_ms, t3[2].t2_ms, t3[3].t1_ms) == (1331, 110, 832)
    assert np.all(t3.array("t1_ms")[[1, 2, 3, 4, 5]] > t15.array("t1_ms")[[1, 2, 3, 4, 5]])
    assert np.all(t3.array("t2star_ms") <= t3.array("t2_ms"))
    r2p = t3.array("r2prime_per_s")[1:7]
    assert_allclose(r2p, 2 * t15.array("r2prime_per_s")[1:7])
    assert tissue_table(3).field_t == 3.0
    with pytest.raises(ValueError, match="no tissue table for 7"):
        tissue_table(7.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"te_ms": 3000.0, "tr_ms": 3000.0}, "TE must be shorter than TR"),
        ({"te_ms": 2900.0, "tr_ms": 3000.0}, "TE must be shorter than TR"),  # after jitter
        ({"te_ms": -1.0}, "te_ms must be a positive number"),
        ({"tr_ms": float("nan")}, "tr_ms must be a positive number"),
        ({"jitter": -0.1}, "jitter"),
        ({"noise_level": -0.1}, "noise level"),
        ({"coils": 0}, "coils"),
        ({"b0_ppm": -1.0}, "b0_ppm"),
        ({"bandwidth_hz": 0.0}, "bandwidth_hz"),
    ],
)
def test_impossible_protocols_are_rejected(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SpinEcho(**kwargs)


def test_slice_timings_jitter_bounds_and_seeding() -> None:
    p = SpinEcho(te_ms=80.0, tr_ms=3000.0, jitter=0.05)
    te, tr = slice_timings(p, 1000, np.random.default_rng(0))
    assert np.all(np.abs(te / 80.0 - 1) <= 0.05)
    assert np.all(np.abs(tr / 3000.0 - 1) <= 0.05)
    assert np.ptp(te) > 0.09 * 80  # spread over (nearly) the whole range
    te2, tr2 = slice_timings(p, 1000, np.random.default_rng(0))
    assert np.array_equal(te, te2)
    assert np.array_equal(tr, tr2)
    te0, _ = slice_timings(SpinEcho(jitter=0.0), 5, np.random.default_rng(0))
    assert np.all(te0 == 80.0)


def test_b0_field_map_is_smooth_seeded_and_scaled() -> None:
    shape = (9, 40, 30)
    a = b0_field_map(shape, 1.5, np.random.default_rng(1))
    assert a.shape == shape
    assert np.max(np.abs(a)) == pytest.approx(1.5)
    assert np.array_equal(a, b0_field_map(shape, 1.5, np.random.default_rng(1)))
    assert not np.array_equal(a, b0_field_map(shape, 1.5, np.random.default_rng(2)))
    # Smooth: neighbouring pixels differ by a small fraction of the range.
    assert np.max(np.abs(np.diff(a, axis=1))) < 0.2
    assert np.all(b0_field_map(shape, 0.0, np.random.default_rng(1)) == 0)


def test_coil_sensitivities_have_unit_rss() -> None:
    s = coil_sensitivities(8, 20, 16)
    assert s.shape == (8, 20, 16)
    assert_allclose(np.sqrt(np.sum(np.abs(s) ** 2, axis=0)), 1.0)
    assert np.all(coil_sensitivities(1, 4, 3) == 1)
    assert np.std(np.angle(s[0])) > 0.1  # complex, not just magnitude


@pytest.mark.parametrize("field", [1.5, 3.0])
def test_t2_weighted_contrast_order_csf_gm_wm(field: float) -> None:
    from mrsim.engines import echo_magnetisation

    t = tissue_table(field)
    labels = np.array([1, 2, 3])
    pd, t1, t2 = (t.array(n)[labels] for n in ("pd", "t1_ms", "t2_ms"))
    m = echo_magnetisation(pd, t1 * 1e-3, t2 * 1e-3, 80.0, 3000.0)
    assert m[0] > 1.1 * m[1]
    assert m[1] > 1.1 * m[2]
