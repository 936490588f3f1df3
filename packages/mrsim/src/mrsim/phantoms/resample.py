"""Resampling of phantoms: crisp labels -> box-averaged fractions, crop / pad, axial slices."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from mrsim.phantoms import _kernels
from mrsim.phantoms._phantom import N_TISSUES, Phantom, PhantomError

__all__ = [
    "PAPER_EXTENT_MM",
    "SliceStack",
    "axial_slices",
    "block_factors",
    "crop_or_pad",
    "fractions_from_labels",
    "slice_weights",
]

PAPER_EXTENT_MM: tuple[float, float, float] = (180.0, 216.0, 180.0)
"""Extent ``(z, y, x)`` in mm the SERANet paper crops BrainWeb to (180 x 216 x 180 at 1 mm)."""

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_GAUSS_TRUNCATE_SIGMAS = (
    4.0  # weight beyond 4 sigma < 7e-5 of the total: dropped, then renormalised
)


def block_factors(
    spacing_mm: Sequence[float], resolution_mm: float, *, source: str = "resolution_mm"
) -> tuple[int, int, int]:
    """Integer box sizes ``(fz, fy, fx)`` turning ``spacing_mm`` voxels into ``resolution_mm`` ones.

    Only integer multiples of the source spacing are supported: then every target voxel is an
    exact union of source voxels and box averaging is exact. Anything else raises
    :class:`PhantomError` (interpolating between label grids would blur tissue boundaries).
    """
    if not (isinstance(resolution_mm, (int, float)) and math.isfinite(resolution_mm)):
        raise PhantomError(f"{source} must be a finite number, got {resolution_mm!r}")
    if resolution_mm <= 0:
        raise PhantomError(f"{source} must be positive, got {resolution_mm}")
    factors = []
    for s in spacing_mm:
        f = resolution_mm / s
        k = round(f)
        if k < 1 or abs(f - k) > 1e-6 * max(1.0, f):
            raise PhantomError(
                f"{source}={resolution_mm} mm is not an integer multiple of the source spacing "
                f"{tuple(float(v) for v in spacing_mm)} mm"
            )
        factors.append(int(k))
    return (factors[0], factors[1], factors[2])


def fractions_from_labels(
    labels: np.ndarray,
    spacing_mm: Sequence[float],
    origin_mm: Sequence[float],
    resolution_mm: float,
    name: str,
) -> Phantom:
    """Box-average a crisp label volume into a :class:`Phantom` of tissue fractions.

    Each target voxel is a block of ``f = resolution_mm / spacing`` source voxels per axis; its
    fraction of tissue ``t`` is the share of the block's source voxels labelled ``t`` (exact
    partial volume, no one-hot array is built). Blocks that run past the last source voxel are
    completed with background.

    Parameters
    ----------
    labels
        Integer ``(Z, Y, X)`` labels in ``0..11`` (BrainWeb scheme).
    spacing_mm, origin_mm
        Source voxel size and world position of source voxel ``(0, 0, 0)`` (its centre).
    resolution_mm
        Target isotropic voxel size; an integer multiple of every source spacing.
    name
        Phantom name.
    """
    if labels.ndim != 3:
        raise PhantomError(f"labels must be 3-D (Z, Y, X), got shape {labels.shape}")
    fz, fy, fx = block_factors(spacing_mm, resolution_mm)
    lab = _as_uint8_labels(labels)
    nz, ny, nx = lab.shape
    out = np.empty(
        (N_TISSUES, -(-nz // fz), -(-ny // fy), -(-nx // fx)),
        dtype=np.float32,
    )
    bad = _kernels.count_blocks(lab, fz, fy, fx, out)
    if bad >= 0:
        raise PhantomError(f"{name}: label value {bad} outside 0..{N_TISSUES - 1}")
    spacing = tuple(float(s) * f for s, f in zip(spacing_mm, (fz, fy, fx), strict=True))
    origin = tuple(
        float(o) + 0.5 * (f - 1) * float(s)
        for o, s, f in zip(origin_mm, spacing_mm, (fz, fy, fx), strict=True)
    )
    return Phantom(out, spacing, origin, name)  # type: ignore[arg-type]


def _as_uint8_labels(labels: np.ndarray) -> np.ndarray:
    if labels.dtype == np.uint8:
        return np.ascontiguousarray(labels)
    if labels.dtype == np.int8:
        # negative int8 values become >= 128 and are reported by the kernel as out of range
        return np.ascontiguousarray(labels).view(np.uint8)
    if np.issubdtype(labels.dtype, np.floating):
        rounded = np.rint(labels)
        if not np.array_equal(rounded, labels):
            raise PhantomError("label volume holds non-integer values")
        labels = rounded
    lo, hi = (labels.min(), labels.max()) if labels.size else (0, 0)
    if lo < 0 or hi >= N_TISSUES:
        raise PhantomError(f"label values {lo}..{hi} outside 0..{N_TISSUES - 1}")
    return np.ascontiguousarray(labels, dtype=np.uint8)


def crop_or_pad(
    phantom: Phantom,
    extent_mm: Sequence[float] = PAPER_EXTENT_MM,
    *,
    centre: str = "head",
) -> Phantom:
    """Crop and/or pad a phantom to ``extent_mm`` (z, y, x), padding with background.

    The window has ``round(extent / spacing)`` voxels per axis and is centred (to the nearest
    voxel) on the bounding box of the head (voxels that are not pure background) when
    ``centre="head"``, or on the grid centre when ``centre="grid"`` or the phantom is empty.
    Along an axis where the window is not larger than the grid, it is then slid (if needed)
    to lie inside the grid, so real data is never replaced by padding. A pure crop returns a
    view of the original fractions (no copy).
    """
    if len(extent_mm) != 3 or any(not (e > 0 and math.isfinite(e)) for e in extent_mm):
        raise PhantomError(f"extent_mm must be three positive numbers, got {tuple(extent_mm)}")
    if centre not in ("head", "grid"):
        raise PhantomError(f"centre must be 'head' or 'grid', got {centre!r}")
    shape = phantom.shape
    n_out = [max(1, round(e / s)) for e, s in zip(extent_mm, phantom.spacing_mm, strict=True)]
    centres = [(n - 1) / 2.0 for n in shape]
    if centre == "head":
        head = phantom.fractions[0] < 1.0 - 1e-4
        if head.any():
            for axis in range(3):
                other = tuple(a for a in range(3) if a != axis)
                idx = np.flatnonzero(head.any(axis=other))
                centres[axis] = (idx[0] + idx[-1]) / 2.0
    starts = [math.floor(c - (n - 1) / 2.0 + 0.5) for c, n in zip(centres, n_out, strict=True)]
    # where the window fits in the grid, slide it inside rather than pad next to real data
    # (BrainWeb's head touches the bottom of its grid, which biases the bounding-box centre)
    starts = [
        min(max(st, 0), m - n) if n <= m else st
        for st, n, m in zip(starts, n_out, shape, strict=True)
    ]
    origin = tuple(
        o + st * s for o, st, s in zip(phantom.origin_mm, starts, phantom.spacing_mm, strict=True)
    )
    inside = all(st >= 0 and st + n <= m for st, n, m in zip(starts, n_out, shape, strict=True))
    if inside:
        (z0, y0, x0), (nz, ny, nx) = starts, n_out
        frac = phantom.fractions[:, z0 : z0 + nz, y0 : y0 + ny, x0 : x0 + nx]
    else:
        frac = np.zeros((N_TISSUES, *n_out), dtype=np.float32)
        frac[0] = 1.0
        src: list[slice] = []
        dst: list[slice] = []
        for st, n, m in zip(starts, n_out, shape, strict=True):
            lo, hi = max(st, 0), min(st + n, m)
            if hi <= lo:
                src = []
                break
            src.append(slice(lo, hi))
            dst.append(slice(lo - st, hi - st))
        if src:
            frac[(slice(None), *dst)] = phantom.fractions[(slice(None), *src)]
    return Phantom(frac, phantom.spacing_mm, origin, phantom.name)  # type: ignore[arg-type]


class SliceStack(NamedTuple):
    """Axial slices of a phantom: per-slice tissue fractions and slice positions."""

    fractions: np.ndarray
    """float32 ``(S, 12, H, W)`` = ``(S, 12, Y, X)``: tissue fractions integrated through-plane."""
    z_mm: np.ndarray
    """float64 ``(S,)``: world z of each slice centre (mm)."""


def slice_weights(
    z_mm: np.ndarray, dz: float, centres: np.ndarray, thickness: float, profile: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per slice: first voxel index and normalised weights of the voxels it integrates.

    ``z_mm`` are the centres of voxels ``dz`` thick, ``centres`` the slices' centre planes;
    a voxel's weight is the slice profile (:func:`axial_slices`) integrated over its extent,
    the weights of a slice summing to 1. Returns ``first`` ``(S,)`` and ``weights`` ``(S, W)``:
    slice ``s`` integrates voxels ``first[s] .. first[s] + W - 1`` (trailing zeros pad).
    """
    lo_edges = z_mm - dz / 2.0
    hi_edges = z_mm + dz / 2.0
    if profile == "rect":
        half = thickness / 2.0
        w = np.clip(
            np.minimum(hi_edges[None, :], centres[:, None] + half)
            - np.maximum(lo_edges[None, :], centres[:, None] - half),
            0.0,
            None,
        )
    else:
        sigma = thickness / _FWHM_PER_SIGMA
        a = (lo_edges[None, :] - centres[:, None]) / sigma
        b = (hi_edges[None, :] - centres[:, None]) / sigma
        w = ndtr(b) - ndtr(a)
        reach = _GAUSS_TRUNCATE_SIGMAS * sigma + dz / 2.0
        w[np.abs(z_mm[None, :] - centres[:, None]) > reach] = 0.0
    totals = w.sum(axis=1)
    empty = np.flatnonzero(totals <= 0.0)
    if empty.size:
        raise PhantomError(
            f"slice {int(empty[0])} at z = {centres[empty[0]]:.2f} mm lies outside the phantom"
        )
    w /= totals[:, None]
    nonzero = w > 0.0
    first = np.argmax(nonzero, axis=1)
    last = w.shape[1] - 1 - np.argmax(nonzero[:, ::-1], axis=1)
    width = int((last - first).max()) + 1
    weights = np.zeros((len(centres), width), dtype=np.float64)
    for s, (f0, f1) in enumerate(zip(first, last, strict=True)):
        weights[s, : f1 - f0 + 1] = w[s, f0 : f1 + 1]
    return first.astype(np.int64), weights


def axial_slices(
    phantom: Phantom,
    n_slices: int = 57,
    thickness_mm: float = 3.0,
    profile: str = "gaussian",
) -> SliceStack:
    """Integrate the fractions through-plane into ``n_slices`` contiguous axial slices.

    The slices (centre spacing = ``thickness_mm``) are centred on the grid's z centre. Slice
    ``s`` is ``sum_z w_s(z) fractions[:, z]`` where ``w_s`` is the slice profile integrated
    over each voxel's z extent and normalised to sum to 1, so the slice fractions still sum to
    1. ``profile="rect"`` is an ideal slab of width ``thickness_mm`` (exact partial-voxel
    overlaps); ``"gaussian"`` has FWHM ``thickness_mm`` (truncated at 4 sigma), a smooth
    profile like a real selective pulse's, which includes some cross-talk from neighbours.

    Raises
    ------
    PhantomError
        Bad arguments, or a slice that does not overlap the phantom.
    """
    if not isinstance(n_slices, (int, np.integer)) or isinstance(n_slices, bool) or n_slices < 1:
        raise PhantomError(f"n_slices must be a positive integer, got {n_slices!r}")
    if not (isinstance(thickness_mm, (int, float)) and math.isfinite(thickness_mm)):
        raise PhantomError(f"thickness_mm must be a finite number, got {thickness_mm!r}")
    if thickness_mm <= 0:
        raise PhantomError(f"thickness_mm must be positive, got {thickness_mm}")
    if profile not in ("rect", "gaussian"):
        raise PhantomError(f"profile must be 'rect' or 'gaussian', got {profile!r}")
    z_mm = phantom.world_z_mm()
    dz = phantom.spacing_mm[0]
    z_centre = float(z_mm[0] + z_mm[-1]) / 2.0
    centres = z_centre + (np.arange(n_slices) - (n_slices - 1) / 2.0) * float(thickness_mm)
    first, weights = slice_weights(z_mm, dz, centres, float(thickness_mm), profile)
    _, _, ny, nx = phantom.fractions.shape
    out = np.empty((n_slices, N_TISSUES, ny, nx), dtype=np.float32)
    _kernels.weighted_z_sum(phantom.fractions, first, weights, out)
    return SliceStack(out, centres)
