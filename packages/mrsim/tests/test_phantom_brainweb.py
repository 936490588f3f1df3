"""Loaders on the real BrainWeb files, found through the BRAINWEB_DIR environment variable."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import ndimage

from mrsim.phantoms import (
    Phantom,
    axial_slices,
    crop_or_pad,
    find_brainweb,
    load_brainweb,
    load_brainweb_fuzzy,
)
from mrsim.phantoms import brainweb as bw


@pytest.fixture(scope="module")
def brainweb_dir() -> Path:
    value = os.environ.get("BRAINWEB_DIR")
    if not value:
        pytest.skip("BRAINWEB_DIR is not set (directory of the BrainWeb subjectNN_crisp_v files)")
    d = Path(value)
    if not d.is_dir():
        pytest.skip(f"BRAINWEB_DIR={value} is not a directory")
    return d


@pytest.fixture(scope="module")
def subject04_1mm(brainweb_dir: Path) -> Phantom:
    """Subject 04 box-averaged to 1 mm, loaded once for the module."""
    (path,) = find_brainweb(brainweb_dir, ["04"])
    return load_brainweb(path, resolution_mm=1.0)


def test_subject04_grid_and_labels(brainweb_dir: Path, subject04_1mm: Phantom) -> None:
    ph = subject04_1mm
    assert ph.name == "subject04"
    # 362 x 434 x 362 at 0.5 mm -> 181 x 217 x 181 at 1 mm; MINC starts from the data README
    assert ph.shape == (181, 217, 181)
    assert ph.spacing_mm == (1.0, 1.0, 1.0)
    assert_allclose(ph.origin_mm, np.array([-72.25, -126.25, -90.25]) + 0.25)
    assert_allclose(ph.fractions.sum(axis=0), 1.0, atol=1e-6)
    present = np.flatnonzero(ph.fractions.max(axis=(1, 2, 3)) > 0)
    assert present.tolist() == list(range(12))


def test_subject04_native_grid(brainweb_dir: Path) -> None:
    # the decoded label volume, before box averaging (a 0.5 mm fractions array would be 2.7 GB)
    path = brainweb_dir / "subject04_crisp_v.mnc.gz"
    vol = bw._decode(bw._read_bytes(path), path, None)
    assert vol.data.shape == (362, 434, 362)
    assert vol.spacing == (0.5, 0.5, 0.5)
    assert vol.origin == (-72.25, -126.25, -90.25)
    counts = np.bincount(vol.data.view(np.uint8).ravel(), minlength=12)
    assert counts.size == 12
    assert np.all(counts > 0)
    # the cortical-thickness measure the procedural tests use gives 2-4 mm on BrainWeb too
    block = vol.data[200:300, 100:300, 80:280].view(np.uint8)
    csf_like = np.isin(block, [0, 1, 8, 10])
    to_csf = ndimage.distance_transform_edt(~csf_like, sampling=0.5)
    border = (block == 2) & ndimage.binary_dilation(block == 3)
    d = to_csf[border]
    assert 2.0 <= np.median(d[d < 8.0]) <= 4.0


def test_subject04_volumes_are_plausible(subject04_1mm: Phantom) -> None:
    v = subject04_1mm.volumes_ml()
    # adult brain: GM 0.5-1.1 l, WM 0.4-0.8 l, CSF (ventricles + sulci) 0.1-0.5 l, GM > WM
    assert 500 < v["gm"] < 1100
    assert 400 < v["wm"] < 800
    assert 100 < v["csf"] < 500
    assert v["gm"] > v["wm"]
    # box averaging is exact: the 1 mm volumes are label counts times (0.5 mm)^3
    assert v["wm"] == pytest.approx(5174874 * 0.125 / 1000, rel=1e-6)
    assert v["csf"] == pytest.approx(2893804 * 0.125 / 1000, rel=1e-6)


def test_subject04_paper_crop_and_slices(subject04_1mm: Phantom) -> None:
    ph = crop_or_pad(subject04_1mm)
    assert ph.shape == (180, 216, 180)
    stack = axial_slices(ph, 57, 3.0)
    assert stack.fractions.shape == (57, 12, 216, 180)
    assert_allclose(stack.fractions.sum(axis=1), 1.0, atol=2e-6)
    # the middle slice cuts through the brain: mostly WM and GM inside the skull
    mid = stack.fractions[28]
    assert mid[3].sum() > 3000
    assert mid[2].sum() > 3000
    # 57 x 3 mm = 171 mm centred in the 180 mm crop
    assert_allclose(
        stack.z_mm[[0, -1]], np.mean(ph.world_z_mm()[[0, -1]]) + np.array([-84.0, 84.0])
    )


def test_resolution_2mm(brainweb_dir: Path) -> None:
    ph = load_brainweb(brainweb_dir / "subject04_crisp_v.mnc.gz", resolution_mm=2.0)
    assert ph.shape == (91, 109, 91)
    assert crop_or_pad(ph).shape == (90, 108, 90)
    assert ph.volumes_ml()["wm"] == pytest.approx(5174874 * 0.125 / 1000, rel=1e-6)


def test_fuzzy_csf_of_subject50_agrees_with_its_crisp_model(brainweb_dir: Path) -> None:
    fuzzy = load_brainweb_fuzzy({1: brainweb_dir / "subject50_csf_v.mnc.gz"}, resolution_mm=2.0)
    crisp = load_brainweb(brainweb_dir / "subject50_crisp_v.mnc.gz", resolution_mm=2.0)
    assert fuzzy.shape == crisp.shape
    assert fuzzy.origin_mm == crisp.origin_mm
    assert_allclose(fuzzy.fractions.sum(axis=0), 1.0, atol=1e-6)
    f_csf, c_csf = fuzzy.fractions[1].ravel(), crisp.fractions[1].ravel()
    vf, vc = f_csf.sum(), c_csf.sum()
    assert 0.9 < vf / vc < 1.1  # measured: 340 ml vs 342 ml
    assert np.corrcoef(f_csf, c_csf)[0, 1] > 0.95  # measured: 0.997
