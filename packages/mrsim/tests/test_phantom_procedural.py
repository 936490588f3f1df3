"""Procedural head phantoms: determinism, distinctness, anatomy and tissue proportions."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage

from mrsim.phantoms import (
    TISSUE_NAMES,
    Phantom,
    PhantomError,
    axial_slices,
    crop_or_pad,
    procedural_phantom,
)
from mrsim.phantoms.procedural import procedural_anatomy, procedural_labels

CSF, GM, WM = 1, 2, 3


def _coarse_labels(index: int, seed: int = 0, spacing: float = 2.0) -> np.ndarray:
    """Crisp labels on the paper's 180 x 216 x 180 mm grid at ``spacing`` (fast)."""
    shape = tuple(round(e / spacing) for e in (180.0, 216.0, 180.0))
    origin = tuple(-(n - 1) / 2 * spacing for n in shape)
    return procedural_labels(procedural_anatomy(index, seed), shape, origin, spacing)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def phantom_1mm() -> Phantom:
    return procedural_phantom(7, seed=0, resolution_mm=1.0)


def test_grid_name_and_fractions(phantom_1mm: Phantom) -> None:
    ph = phantom_1mm
    assert ph.name == "procedural07"
    assert ph.shape == (180, 216, 180)
    assert ph.spacing_mm == (1.0, 1.0, 1.0)
    assert ph.fractions.dtype == np.float32
    assert_allclose(ph.fractions.sum(axis=0), 1.0, atol=1e-6)
    # partial volume: fractions are multiples of 1/8 (2 x 2 x 2 sub-voxels of 0.5 mm)
    slab = ph.fractions[:, 90]
    assert_allclose(slab * 8, np.rint(slab * 8), atol=1e-5)
    assert np.count_nonzero((slab > 0) & (slab < 1)) > 1000
    # the paper crop of the phantom is the phantom itself (it is centred on its head)
    assert crop_or_pad(ph).shape == ph.shape


def test_all_twelve_labels_present(phantom_1mm: Phantom) -> None:
    present = np.flatnonzero(np.bincount(phantom_1mm.labels.ravel(), minlength=12))
    assert present.tolist() == list(range(len(TISSUE_NAMES)))


def test_tissue_proportions_are_plausible(phantom_1mm: Phantom) -> None:
    v = phantom_1mm.volumes_ml()
    brain = v["csf"] + v["gm"] + v["wm"]
    # BrainWeb's 20 models: CSF 14-21 %, GM 49-50 %, WM 30-36 % of CSF + GM + WM
    assert 0.08 < v["csf"] / brain < 0.30
    assert 0.38 < v["gm"] / brain < 0.60
    assert 0.22 < v["wm"] / brain < 0.42
    assert 1200 < brain < 2500  # ml (BrainWeb: 1.9-2.0 l)
    assert v["skull"] + v["marrow"] > 200
    assert v["background"] > 0.25 * sum(v.values())


@pytest.mark.parametrize("index", [0, 3, 12, 19])
def test_proportions_over_subjects(index: int) -> None:
    counts = np.bincount(_coarse_labels(index, spacing=1.0).ravel(), minlength=12)
    csf, gm, wm = counts[[CSF, GM, WM]] / counts[[CSF, GM, WM]].sum()
    assert 0.08 < csf < 0.30
    assert 0.38 < gm < 0.60
    assert 0.22 < wm < 0.42


def test_same_index_and_seed_is_identical() -> None:
    a, b = procedural_anatomy(5, seed=3), procedural_anatomy(5, seed=3)
    assert_array_equal(a.params, b.params)
    assert_array_equal(a.fields, b.fields)
    assert_array_equal(a.vessels, b.vessels)
    assert_array_equal(_coarse_labels(5, 3), _coarse_labels(5, 3))


def test_subjects_are_distinct() -> None:
    anatomies = {(i, 0): procedural_anatomy(i) for i in range(20)}
    anatomies[(0, 1)] = procedural_anatomy(0, seed=1)  # another seed, another population
    shape, spacing = (45, 54, 45), 4.0
    origin = tuple(-(n - 1) / 2 * spacing for n in shape)
    labels = {k: procedural_labels(a, shape, origin, spacing) for k, a in anatomies.items()}  # type: ignore[arg-type]
    keys = list(labels)
    for n, i in enumerate(keys):
        for j in keys[n + 1 :]:
            differ = np.mean(labels[i] != labels[j])
            assert differ > 0.03, (i, j, differ)
    # head size, ventricle size and the folding vary across the population
    heads = [np.count_nonzero(lab) for lab in labels.values()]
    assert max(heads) / min(heads) > 1.1
    params = np.array([a.params for a in anatomies.values()])
    assert np.all(params.std(axis=0)[:3] > 0.01)  # head scale per axis
    ventricle_radius = np.array([a.ventricles[0, 6] for a in anatomies.values()])
    assert ventricle_radius.max() / ventricle_radius.min() > 1.5


def _ribbon_thickness(labels: np.ndarray, spacing: float) -> float:
    """Median distance from the GM/WM border to the nearest CSF-like voxel (cortical GM)."""
    csf_like = np.isin(labels, [0, CSF, 8, 10])
    to_csf = ndimage.distance_transform_edt(~csf_like, sampling=spacing)
    border = (labels == GM) & ndimage.binary_dilation(labels == WM)
    d = to_csf[border]
    return float(np.median(d[d < 8.0]))  # deep nuclei lie far from CSF


@pytest.mark.parametrize("index", [0, 2])
def test_cortical_ribbon_is_2_to_4_mm_thick(index: int) -> None:
    # a 30 x 60 x 60 mm block of the upper brain at the phantom's 0.5 mm label resolution
    labels = procedural_labels(procedural_anatomy(index), (60, 120, 120), (20.0, -30.0, -60.0), 0.5)
    assert np.count_nonzero(labels == GM) > 0.2 * labels.size
    assert 2.0 <= _ribbon_thickness(labels, 0.5) <= 4.0


def test_cortex_is_folded() -> None:
    labels = _coarse_labels(4, spacing=1.0)
    mid = labels[115]  # an axial plane above the ventricles
    gm = mid == GM
    # a folded ribbon has much more GM/WM border than a smooth shell would (its perimeter)
    border = gm & ndimage.binary_dilation(mid == WM)
    shell = ndimage.binary_erosion(np.isin(mid, [CSF, GM, WM]))
    perimeter = np.count_nonzero(shell ^ ndimage.binary_erosion(shell))
    assert np.count_nonzero(border) > 2 * perimeter
    # sulcal CSF inside the brain, not only around it
    assert np.count_nonzero((mid == CSF) & ndimage.binary_erosion(shell, iterations=8)) > 100


@pytest.mark.parametrize("corner", [(-40.0, -60.0, -60.0), (20.0, -10.0, -70.0)])
def test_lattice_interpolation_matches_exact_evaluation(corner: tuple[float, float, float]) -> None:
    # head-level distances interpolated from a 2 mm lattice move tissue borders by a small
    # fraction of a 0.5 mm voxel: a few border voxels flip, tissue volumes stay the same
    a = procedural_anatomy(1)
    fast = procedural_labels(a, (48, 64, 64), corner, 0.5)
    exact = procedural_labels(a, (48, 64, 64), corner, 0.5, exact=True)
    assert np.mean(fast != exact) < 0.03
    n_fast, n_exact = (np.bincount(v.ravel(), minlength=12) for v in (fast, exact))
    big = n_exact > 2000
    assert_allclose(n_fast[big], n_exact[big], rtol=0.05)


def test_slices_read_as_a_brain(phantom_1mm: Phantom) -> None:
    stack = axial_slices(phantom_1mm, 57, 3.0)
    labels = stack.fractions.argmax(axis=1)
    # brain tissue in the middle slices, surrounded by skull; only scalp/skull at the top
    for s in (20, 28, 36):
        counts = np.bincount(labels[s].ravel(), minlength=12)
        assert counts[GM] > 2000
        assert counts[WM] > 1000
        assert counts[7] + counts[11] > 500
    # eyes and face are anterior (high y rows), the cerebellum posterior, in low slices
    low = labels[12]
    rows = np.arange(low.shape[0])[:, None]
    fat_y = (rows * (low == 4)).sum() / max((low == 4).sum(), 1)
    gm_y = (rows * (low == GM)).sum() / max((low == GM).sum(), 1)
    assert fat_y > gm_y


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"index": -1}, "index"),
        ({"index": 1, "seed": -2}, "seed"),
        ({"index": 1, "resolution_mm": 0.75}, "resolution_mm"),
        ({"index": 1, "resolution_mm": 0.0}, "resolution_mm"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(PhantomError, match=match):
        procedural_phantom(**kwargs)  # type: ignore[arg-type]
