"""Box averaging, crop / pad and axial slicing of phantoms against brute-force references."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import ndtr

from mrsim.phantoms import (
    TISSUE_NAMES,
    Phantom,
    PhantomError,
    axial_slices,
    crop_or_pad,
    fractions_from_labels,
)


def _brute_force_fractions(labels: np.ndarray, f: tuple[int, int, int]) -> np.ndarray:
    """One-hot, zero-pad (background) to a multiple of the block, reshape and average."""
    padded_shape = [-(-n // k) * k for n, k in zip(labels.shape, f, strict=True)]
    padded = np.zeros(padded_shape, dtype=np.int64)
    padded[: labels.shape[0], : labels.shape[1], : labels.shape[2]] = labels
    onehot = (padded[None] == np.arange(len(TISSUE_NAMES))[:, None, None, None]).astype(float)
    zo, yo, xo = (n // k for n, k in zip(padded_shape, f, strict=True))
    blocks = onehot.reshape(len(TISSUE_NAMES), zo, f[0], yo, f[1], xo, f[2])
    return blocks.mean(axis=(2, 4, 6))


def _random_labels(seed: int, shape: tuple[int, int, int]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, len(TISSUE_NAMES), size=shape, dtype=np.uint8)


@pytest.mark.parametrize(
    ("seed", "shape", "resolution"),
    [
        (0, (8, 10, 12), 1.0),
        (1, (9, 11, 7), 1.0),  # odd sizes: the last blocks are completed with background
        (2, (12, 8, 16), 2.0),
        (3, (7, 13, 10), 1.5),
        (4, (5, 6, 7), 0.5),
    ],
)
def test_box_average_matches_brute_force_one_hot(
    seed: int, shape: tuple[int, int, int], resolution: float
) -> None:
    labels = _random_labels(seed, shape)
    ph = fractions_from_labels(labels, (0.5, 0.5, 0.5), (-3.0, 2.0, 10.0), resolution, "t")
    f = round(resolution / 0.5)
    ref = _brute_force_fractions(labels, (f, f, f))
    assert ph.fractions.dtype == np.float32
    assert_allclose(ph.fractions, ref, rtol=0, atol=1e-7)
    assert ph.spacing_mm == (resolution,) * 3
    # the centre of target voxel 0 is the centre of its block of source voxels
    assert_allclose(ph.origin_mm, np.array([-3.0, 2.0, 10.0]) + 0.25 * (f - 1))


@pytest.mark.parametrize("seed", range(4))
def test_box_average_preserves_tissue_volumes_exactly(seed: int) -> None:
    labels = _random_labels(seed + 10, (16, 12, 20))
    # make the volumes uneven so a wrong label mapping shows up
    labels[labels == 5] = 3
    ph = fractions_from_labels(labels, (0.5, 0.5, 0.5), (0.0, 0.0, 0.0), 2.0, "t")
    counts = np.bincount(labels.ravel(), minlength=len(TISSUE_NAMES))
    volumes = ph.fractions.sum(axis=(1, 2, 3), dtype=np.float64) * np.prod(ph.spacing_mm)
    assert_allclose(volumes, counts * 0.125, rtol=1e-6, atol=0)
    assert_allclose(ph.fractions.sum(axis=0), 1.0, atol=1e-6)
    vols = ph.volumes_ml()
    assert vols["wm"] == pytest.approx(counts[3] * 0.125 / 1000.0, rel=1e-6)


def test_anisotropic_source_spacing() -> None:
    labels = _random_labels(7, (6, 8, 4))
    ph = fractions_from_labels(labels, (1.0, 0.5, 0.25), (0.0, 0.0, 0.0), 1.0, "t")
    assert_allclose(ph.fractions, _brute_force_fractions(labels, (1, 2, 4)), atol=1e-7)


def test_labels_property_is_argmax() -> None:
    labels = _random_labels(8, (4, 4, 4))
    ph = fractions_from_labels(labels, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), 1.0, "t")
    assert_array_equal(ph.labels, labels)
    assert ph.labels.dtype == np.uint8


@pytest.mark.parametrize("resolution", [0.7, 0.25, -1.0, 0.0, float("nan")])
def test_bad_resolution_raises(resolution: float) -> None:
    labels = _random_labels(0, (4, 4, 4))
    with pytest.raises(PhantomError, match="resolution_mm"):
        fractions_from_labels(labels, (0.5, 0.5, 0.5), (0, 0, 0), resolution, "t")


def test_label_out_of_range_raises() -> None:
    labels = _random_labels(0, (4, 4, 4))
    labels[1, 2, 3] = 12
    with pytest.raises(PhantomError, match="label value 12"):
        fractions_from_labels(labels, (0.5, 0.5, 0.5), (0, 0, 0), 1.0, "t")


def _phantom_with_box(
    shape: tuple[int, int, int], lo: tuple[int, int, int], hi: tuple[int, int, int]
) -> Phantom:
    frac = np.zeros((len(TISSUE_NAMES), *shape), dtype=np.float32)
    frac[0] = 1.0
    box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    frac[(0, *box)] = 0.0
    frac[(3, *box)] = 1.0
    return Phantom(frac, (1.0, 2.0, 1.0), (-5.0, 7.0, 3.0), "box")


def _world_centre(ph: Phantom, tissue: int) -> np.ndarray:
    w = ph.fractions[tissue].astype(np.float64)
    grids = np.meshgrid(*(np.arange(n) for n in ph.shape), indexing="ij")
    idx = np.array([(g * w).sum() / w.sum() for g in grids])
    return np.asarray(ph.origin_mm) + idx * np.asarray(ph.spacing_mm)


@pytest.mark.parametrize(
    ("extent", "expected_shape"),
    [
        ((12.0, 24.0, 10.0), (12, 12, 10)),  # crop
        ((60.0, 100.0, 70.0), (60, 50, 70)),  # pad
        ((15.0, 100.0, 9.0), (15, 50, 9)),  # crop z and x, pad y
    ],
)
def test_crop_or_pad_keeps_the_head_centred(
    extent: tuple[float, float, float], expected_shape: tuple[int, int, int]
) -> None:
    ph = _phantom_with_box((40, 30, 36), (10, 5, 20), (17, 14, 27))
    out = crop_or_pad(ph, extent)
    assert out.shape == expected_shape
    assert out.spacing_mm == ph.spacing_mm
    # tissue stays where it was in world coordinates and ends up in the middle of the grid
    assert_allclose(_world_centre(out, 3), _world_centre(ph, 3))
    grid_centre = np.asarray(out.origin_mm) + (np.asarray(out.shape) - 1) / 2 * np.asarray(
        out.spacing_mm
    )
    assert np.all(np.abs(_world_centre(out, 3) - grid_centre) <= 0.5 * np.asarray(out.spacing_mm))
    assert out.fractions[3].sum() == ph.fractions[3].sum()
    assert_allclose(out.fractions.sum(axis=0), 1.0)


def test_crop_slides_inside_the_grid_instead_of_padding() -> None:
    ph = _phantom_with_box((20, 20, 20), (0, 8, 8), (6, 12, 12))  # touches the bottom
    out = crop_or_pad(ph, (18.0, 40.0, 20.0))
    assert out.shape == (18, 20, 20)
    assert out.origin_mm[0] == ph.origin_mm[0]  # bottom kept, no background padding
    assert out.fractions[3].sum() == ph.fractions[3].sum()


def test_crop_or_pad_grid_centre() -> None:
    ph = _phantom_with_box((20, 20, 20), (0, 0, 0), (3, 3, 3))
    out = crop_or_pad(ph, (10.0, 20.0, 10.0), centre="grid")
    assert_allclose(out.origin_mm, np.asarray(ph.origin_mm) + np.array([5.0, 5.0 * 2.0, 5.0]))


def _random_phantom(seed: int, shape: tuple[int, int, int], dz: float = 1.0) -> Phantom:
    rng = np.random.default_rng(seed)
    frac = rng.random((len(TISSUE_NAMES), *shape)) ** 4
    frac /= frac.sum(axis=0)
    return Phantom(frac.astype(np.float32), (dz, 1.0, 1.0), (0.0, 0.0, 0.0), "rand")


@pytest.mark.parametrize("profile", ["rect", "gaussian"])
@pytest.mark.parametrize(("n", "thickness", "dz"), [(5, 3.0, 1.0), (4, 2.5, 1.0), (3, 3.0, 2.0)])
def test_axial_slices_sum_to_one(profile: str, n: int, thickness: float, dz: float) -> None:
    ph = _random_phantom(3, (30, 6, 5), dz)
    stack = axial_slices(ph, n, thickness, profile)
    assert stack.fractions.shape == (n, len(TISSUE_NAMES), 6, 5)
    assert stack.fractions.dtype == np.float32
    assert_allclose(stack.fractions.sum(axis=1), 1.0, atol=2e-6)
    z_centre = (ph.world_z_mm()[0] + ph.world_z_mm()[-1]) / 2
    assert_allclose(stack.z_mm, z_centre + (np.arange(n) - (n - 1) / 2) * thickness)


@pytest.mark.parametrize("profile", ["rect", "gaussian"])
def test_uniform_in_z_phantom_gives_identical_slices(profile: str) -> None:
    plane = _random_phantom(5, (1, 7, 9)).fractions
    frac = np.repeat(plane, 40, axis=1)
    stack = axial_slices(Phantom(frac, (1.0, 1.0, 1.0), (0, 0, 0), "u"), 9, 3.0, profile)
    for s in range(9):
        assert_allclose(stack.fractions[s], plane[:, 0], atol=1e-6)


def _z_step_phantom(edge_voxel: int) -> Phantom:
    """Tissue 1 below voxel ``edge_voxel`` (exclusive), background above; z = voxel index."""
    frac = np.zeros((len(TISSUE_NAMES), 30, 3, 4), dtype=np.float32)
    frac[1, :edge_voxel] = 1.0
    frac[0, edge_voxel:] = 1.0
    return Phantom(frac, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), "step")


@pytest.mark.parametrize("edge_voxel", [13, 14, 15, 16, 17])
def test_rect_profile_of_a_z_step_gives_the_analytic_partial_fraction(edge_voxel: int) -> None:
    # voxel i spans [i - 0.5, i + 0.5]: tissue 1 fills z < edge_voxel - 0.5
    ph = _z_step_phantom(edge_voxel)
    stack = axial_slices(ph, 3, 3.0, "rect")
    edge = edge_voxel - 0.5
    for s, c in enumerate(stack.z_mm):
        expected = np.clip((edge - (c - 1.5)) / 3.0, 0.0, 1.0)
        assert_allclose(stack.fractions[s, 1], expected, atol=1e-6)
        assert_allclose(stack.fractions[s, 0], 1.0 - expected, atol=1e-6)


@pytest.mark.parametrize("edge_voxel", [13, 15, 16])
def test_gaussian_profile_of_a_z_step_is_the_normal_cdf(edge_voxel: int) -> None:
    ph = _z_step_phantom(edge_voxel)
    stack = axial_slices(ph, 3, 3.0, "gaussian")
    sigma = 3.0 / (2 * np.sqrt(2 * np.log(2)))
    for s, c in enumerate(stack.z_mm):
        expected = ndtr((edge_voxel - 0.5 - c) / sigma)
        assert_allclose(stack.fractions[s, 1], expected, atol=2e-4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_slices": 0}, "n_slices"),
        ({"thickness_mm": -3.0}, "thickness_mm"),
        ({"profile": "sinc"}, "profile"),
        ({"n_slices": 50, "thickness_mm": 3.0}, "outside the phantom"),
    ],
)
def test_axial_slices_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(PhantomError, match=match):
        axial_slices(_random_phantom(0, (20, 3, 3)), **kwargs)  # type: ignore[arg-type]


def test_phantom_validates_its_arrays() -> None:
    with pytest.raises(PhantomError, match="shape"):
        Phantom(np.zeros((11, 2, 2, 2), np.float32), (1, 1, 1), (0, 0, 0), "x")
    with pytest.raises(PhantomError, match="float32"):
        Phantom(np.zeros((12, 2, 2, 2)), (1, 1, 1), (0, 0, 0), "x")
    with pytest.raises(PhantomError, match="spacing_mm"):
        Phantom(np.zeros((12, 2, 2, 2), np.float32), (1, 0, 1), (0, 0, 0), "x")
