"""Procedural head phantoms: seeded, anatomically laid-out 12-label heads (the offline default).

Each subject draws its anatomy from ``numpy.random.default_rng([seed, index])``: head size,
shape and pose, skull and scalp layers, atrophy (subarachnoid CSF, sulcal width, ventricle
size), cortical folding (wavelength, sulcal depth, cortical thickness), the random fields that
fold the cortex and a few cortical vessels. A crisp label volume is rendered at 0.5 mm (like
BrainWeb) and box-averaged to the target resolution with the same kernel as the BrainWeb
readers, so partial volume behaves the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft

from mrsim.phantoms import _anatomy
from mrsim.phantoms._anatomy import N_PARAMS, P
from mrsim.phantoms._phantom import Phantom, PhantomError
from mrsim.phantoms.resample import PAPER_EXTENT_MM, block_factors, fractions_from_labels

__all__ = [
    "FINE_SPACING_MM",
    "ProceduralAnatomy",
    "procedural_anatomy",
    "procedural_labels",
    "procedural_phantom",
]

FINE_SPACING_MM = 0.5
"""Spacing of the crisp label volume the fractions are averaged from (BrainWeb's)."""

_DEEP_Z = -14.0  # height of the deep structures (basal ganglia, ventricles) in brain coords
_FIELD_N = 128  # periodic random fields: 128^3 points ...
_FIELD_SPACING = 1.5  # ... 1.5 mm apart (192 mm period, > brain size)


@dataclass(frozen=True)
class ProceduralAnatomy:
    """The drawn anatomy of one procedural subject (inputs of the label kernel)."""

    params: np.ndarray
    """float64 ``(N_PARAMS,)`` scalar parameters, indexed by :class:`mrsim.phantoms._anatomy.P`."""
    rotation: np.ndarray
    """float64 ``(3, 3)`` head pose: world (z, y, x) offsets -> brain axes."""
    fields: np.ndarray
    """float32 ``(5, n, n, n)`` periodic fields: fold field, its gradient (z, y, x), modulation."""
    ventricles: np.ndarray
    """float64 ``(k, 8)`` capsules of the ventricular system; the last one is the 4th ventricle."""
    deep_gm: np.ndarray
    """float64 ``(k, 6)`` ellipsoids of the deep grey nuclei."""
    vessels: np.ndarray
    """float64 ``(k, 8)`` capsules of the larger arteries, sinuses and cortical vessels."""


def _rotation(rng: np.random.Generator) -> np.ndarray:
    pitch, roll, yaw = (
        np.deg2rad(rng.uniform(-7, 7)),
        np.deg2rad(rng.uniform(-3, 3)),
        np.deg2rad(rng.uniform(-4, 4)),
    )
    # axes order (z, y, x): pitch turns y towards z, roll turns x towards z, yaw turns x towards y
    rp = np.array(
        [[math.cos(pitch), -math.sin(pitch), 0], [math.sin(pitch), math.cos(pitch), 0], [0, 0, 1]]
    )
    rr = np.array(
        [[math.cos(roll), 0, -math.sin(roll)], [0, 1, 0], [math.sin(roll), 0, math.cos(roll)]]
    )
    ry = np.array(
        [[1, 0, 0], [0, math.cos(yaw), -math.sin(yaw)], [0, math.sin(yaw), math.cos(yaw)]]
    )
    return np.ascontiguousarray(rp @ rr @ ry)


def _random_fields(rng: np.random.Generator, wavelength_mm: float) -> np.ndarray:
    """Band-limited fold field (unit std) with its exact spectral gradient, and a smooth field.

    The fold field is white noise filtered to a shell of spatial frequencies around
    ``1 / wavelength_mm`` (periodic, so it can be evaluated anywhere); its gradient is taken in
    the Fourier domain. The smooth field (features of ~40 mm) modulates sulcal depth, cortical
    thickness and scalp fat patches.
    """
    n, h = _FIELD_N, _FIELD_SPACING
    k1 = np.fft.fftfreq(n, d=h).astype(np.float32)  # cycles / mm
    kz = k1[:, None, None]
    ky = k1[None, :, None]
    kx = k1[None, None, : n // 2 + 1]
    kk = np.sqrt(kz**2 + ky**2 + kx**2)
    k0 = np.float32(1.0 / wavelength_mm)
    band = np.exp(-(((kk - k0) / (np.float32(0.3) * k0)) ** 2))
    noise = rng.standard_normal((2, n, n, n), dtype=np.float32)
    spec = sp_fft.rfftn(noise[0]) * band
    out = np.empty((5, n, n, n), dtype=np.float32)
    out[0] = sp_fft.irfftn(spec, s=(n, n, n))
    norm = np.float32(1.0 / out[0].std())
    out[0] *= norm
    for j, k in enumerate((kz, ky, kx)):
        out[1 + j] = sp_fft.irfftn(spec * (np.complex64(2j * np.pi) * norm * k), s=(n, n, n))
    out[4] = sp_fft.irfftn(
        sp_fft.rfftn(noise[1]) * np.exp(-((kk * np.float32(30.0)) ** 2)), s=(n, n, n)
    )
    out[4] /= out[4].std()
    return out


def _ventricles(vs: float) -> np.ndarray:
    rows: list[list[float]] = []
    for s in (-1.0, 1.0):
        rows += [
            [14, 26, s * 6.5, 20, 4, s * 10, 5.0 * vs, 1.5],  # frontal horn
            [20, 4, s * 10, 19, -22, s * 15, 4.5 * vs, 1.5],  # body
            [19, -22, s * 15, 9, -32, s * 21, 5.5 * vs, 1.3],  # atrium
            [9, -32, s * 21, 6, -52, s * 16, 2.2 * vs, 1.2],  # occipital horn
            [9, -32, s * 23, -14, -14, s * 30, 2.2 * vs, 1.0],  # temporal horn
            [-14, -14, s * 30, -22, 6, s * 30, 2.0 * vs, 1.0],
        ]
    rows.append([-4, 8, 0, 4, -14, 0, 5.0 * vs, 3.0])  # third ventricle (thin)
    out = np.asarray(rows, dtype=np.float64)
    out[:, [0, 3]] += _DEEP_Z
    fourth = np.array([[-47, -30, 0, -47, -30, 0, 4.5 * vs, 1.2]])  # fourth ventricle (last)
    return np.concatenate([out, fourth])


def _deep_gm(rng: np.random.Generator) -> np.ndarray:
    rows: list[list[float]] = []
    for s in (-1.0, 1.0):
        f = rng.uniform(0.9, 1.1)
        rows += [
            [13, 18, s * 13, 9 * f, 11 * f, 5 * f],  # caudate head
            [21, -4, s * 16, 5 * f, 14 * f, 4 * f],  # caudate body
            [2, 5, s * 25, 12 * f, 16 * f, 5.5 * f],  # putamen
            [0, 1, s * 19.5, 7 * f, 9 * f, 3.5 * f],  # globus pallidus
            [7, -13, s * 9.5, 9 * f, 15 * f, 8.5 * f],  # thalamus
            [-17, -18, s * 28, 6 * f, 16 * f, 6 * f],  # hippocampus
        ]
    out = np.asarray(rows, dtype=np.float64)
    out[:, 0] += _DEEP_Z
    return out


def _envelope_radius(u: np.ndarray, prm: np.ndarray) -> float:
    """Distance from the brain centre to the cerebrum surface along unit vector ``u`` (bisection)."""
    lo, hi = 0.0, 150.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        z, y, x = (float(v) for v in u * mid)
        if _anatomy._cerebrum(z, y, x, prm) < 0.0:
            lo = mid
        else:
            hi = mid
    return lo


def _vessels(rng: np.random.Generator, prm: np.ndarray, n_cortical: int) -> np.ndarray:
    rows: list[list[float]] = [
        [-66, 3, 0, -30, 2, 0, 1.4, 1],  # basilar artery
        [-2, -40, 0, -32, -84, 0, 2.0, 1],  # straight sinus
    ]
    for s in (-1.0, 1.0):
        rows += [
            [-22, 8, s * 6, -16, 6, s * 34, 1.3, 1],  # middle cerebral artery
            [-16, 6, s * 34, -6, -10, s * 44, 1.0, 1],
            [-20, 14, s * 2.5, -4, 34, s * 2.0, 1.0, 1],  # anterior cerebral artery
            [-4, 34, s * 2.0, 18, 20, s * 2.0, 0.9, 1],
            [18, 20, s * 2.0, 22, -20, s * 2.0, 0.8, 1],
            [-24, -2, s * 3, -14, -30, s * 24, 1.0, 1],  # posterior cerebral artery
            [-34, -86, 0, -36, -72, s * 35, 2.5, 1],  # transverse sinus
            [-36, -72, s * 35, -46, -45, s * 52, 2.2, 1],
        ]
    sub = prm[P.SUB_CSF]
    for _ in range(n_cortical):
        u = rng.standard_normal(3)
        u[0] = abs(u[0]) * 0.8  # mostly over the convexity
        u /= np.linalg.norm(u)
        centre = u * (_envelope_radius(u, prm) + 0.5 * sub)
        t = rng.standard_normal(3)
        t -= t.dot(u) * u
        t *= rng.uniform(5.0, 9.0) / np.linalg.norm(t)
        a, b = centre - t, centre + t
        radius = min(rng.uniform(0.5, 0.9), 0.45 * sub + 0.3)
        rows.append([*a, *b, radius, 1.0])
    return np.asarray(rows, dtype=np.float64)


def procedural_anatomy(index: int, seed: int = 0) -> ProceduralAnatomy:
    """Draw the anatomy of procedural subject ``index`` (deterministic in ``index`` and ``seed``).

    Raises
    ------
    PhantomError
        Negative or non-integer ``index`` or ``seed``.
    """
    for name, value in (("index", index), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise PhantomError(f"{name} must be a non-negative integer, got {value!r}")
    rng = np.random.default_rng([int(seed), int(index)])
    prm = np.zeros(N_PARAMS, dtype=np.float64)
    size = rng.uniform(0.92, 1.04)
    prm[[P.SCALE_Z, P.SCALE_Y, P.SCALE_X]] = size * rng.uniform(0.96, 1.04, 3)
    prm[[P.CEN_Z, P.CEN_Y, P.CEN_X]] = [
        -4.0 + rng.uniform(-3, 3),
        -3.0 + rng.uniform(-4, 4),
        rng.uniform(-2, 2),
    ]
    age = rng.uniform(0.0, 1.0)  # atrophy: wider CSF spaces, larger ventricles, thinner cortex
    prm[P.SUB_CSF] = 0.9 + 1.5 * age + rng.uniform(-0.2, 0.2)
    prm[P.DURA] = 1.0
    prm[P.TABLE_IN] = rng.uniform(1.2, 2.0)
    prm[P.MARROW] = rng.uniform(2.0, 4.0)
    prm[P.TABLE_OUT] = rng.uniform(1.2, 2.0)
    prm[P.SKIN] = rng.uniform(3.0, 5.0)
    prm[P.FAT] = rng.uniform(1.0, 2.5)
    prm[P.MUSCLE] = rng.uniform(0.5, 1.5)
    prm[P.FOLD_ALPHA] = rng.uniform(0.35, 0.55)
    prm[P.SULC_DEPTH] = rng.uniform(11.0, 16.0)
    prm[P.SULC_HALF] = 0.42 + 0.38 * age
    prm[P.RIBBON] = 4.5 - 0.5 * age + rng.uniform(-0.2, 0.2)
    prm[P.RIBBON_VAR] = 0.35
    prm[P.FISSURE_HALF] = 0.8 + 0.6 * age
    prm[P.CC_TOP] = rng.uniform(8.0, 13.0)
    prm[P.CB_FOLD] = rng.uniform(1.6, 2.2)
    prm[P.FIELD_SPACING] = _FIELD_SPACING
    for j in range(6):
        o = P.SHAPE0 + 5 * j
        k = rng.standard_normal(3)
        k *= rng.uniform(1.0, 2.5) / np.linalg.norm(k)
        prm[o : o + 3] = k
        prm[o + 3] = rng.uniform(0, 2 * np.pi)
        prm[o + 4] = rng.uniform(0.0, 0.025)
    prm[P.SYLVIAN_TILT] = rng.uniform(0.2, 0.6)
    prm[P.SYLVIAN_Z] = _DEEP_Z + rng.uniform(-2.0, 4.0)
    prm[P.SYLVIAN_Y] = rng.uniform(-8.0, 0.0)
    prm[P.TEMPORALIS] = 1.0
    vs = (0.9 + 0.9 * age) * rng.uniform(0.85, 1.15)
    return ProceduralAnatomy(
        params=prm,
        rotation=_rotation(rng),
        fields=_random_fields(rng, rng.uniform(16.0, 21.0)),
        ventricles=_ventricles(vs),
        deep_gm=_deep_gm(rng),
        vessels=_vessels(rng, prm, 16),
    )


def procedural_labels(
    anatomy: ProceduralAnatomy,
    shape: tuple[int, int, int],
    origin_mm: tuple[float, float, float],
    spacing_mm: float,
    *,
    exact: bool = False,
) -> np.ndarray:
    """Render the crisp uint8 label volume of ``anatomy`` on a grid (world mm, brain near 0).

    ``exact=True`` evaluates the head-level distances at every voxel instead of interpolating
    them from a coarse lattice (slower; for tests).
    """
    return _anatomy.render_labels(
        shape,
        np.asarray(origin_mm, dtype=np.float64),
        float(spacing_mm),
        anatomy.params,
        anatomy.rotation,
        anatomy.fields,
        anatomy.ventricles,
        anatomy.deep_gm,
        anatomy.vessels,
        exact,
    )


def procedural_phantom(index: int, *, seed: int = 0, resolution_mm: float = 1.0) -> Phantom:
    """A procedural head phantom named ``f"procedural{index:02d}"`` on the paper's 180 x 216 x 180 mm grid.

    Parameters
    ----------
    index
        Subject number (>= 0); every index is a different head.
    seed
        Seed of the whole population: the same ``(index, seed)`` gives identical fractions.
    resolution_mm
        Target voxel size, a multiple of 0.5 mm: labels are rendered at 0.5 mm and
        box-averaged (1 mm -> 180 x 216 x 180 voxels, 2 mm -> 90 x 108 x 90).

    Raises
    ------
    PhantomError
        Negative index or a resolution that is not a multiple of 0.5 mm.
    """
    anatomy = procedural_anatomy(index, seed)
    fz, fy, fx = block_factors((FINE_SPACING_MM,) * 3, resolution_mm)
    n_out = [round(e / resolution_mm) for e in PAPER_EXTENT_MM]
    fine_shape = (n_out[0] * fz, n_out[1] * fy, n_out[2] * fx)
    # grid centred on world 0: coarse voxel i at (i - (n - 1) / 2) * resolution
    fz0, fy0, fx0 = (-(n - 1) / 2.0 * FINE_SPACING_MM for n in fine_shape)
    fine_origin = (fz0, fy0, fx0)
    labels = procedural_labels(anatomy, fine_shape, fine_origin, FINE_SPACING_MM)
    return fractions_from_labels(
        labels, (FINE_SPACING_MM,) * 3, fine_origin, resolution_mm, f"procedural{index:02d}"
    )
