"""Numba kernel of the procedural head: a crisp BrainWeb-label function of position.

Every structure is an approximate signed distance (mm, negative inside) in "brain
coordinates": world position minus the brain centre, rotated by the head pose and divided by
the per-axis head scale. Shapes are octant ellipsoids (a semi-axis per direction) measured
along the ray from their centre, capsules and ellipsoids; the cortex is folded by the zero
sheets of a band-limited random field, warped to run along the normal of the nearest outer
surface (the convexity, the interhemispheric fissure or the Sylvian fissure) so that sulci cut
into the brain from its surface. Options fixed here: serial, cached, nogil, fastmath off
(determinism).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["N_PARAMS", "P", "render_labels"]

_jit = numba.njit(cache=True, nogil=True)
# the per-voxel path (_label and the head-level distances, called from one or two places) is
# inlined by numba so its array arguments are not reference-counted per call; helpers called
# from many places stay calls (inlining them everywhere triples the first compile, ~30 s)
_jit_inline = numba.njit(cache=True, nogil=True, inline="always")


class P:
    """Indices into the float64 parameter vector of :func:`render_labels`."""

    SCALE_Z, SCALE_Y, SCALE_X = 0, 1, 2  # head scale per axis (1 = reference head)
    CEN_Z, CEN_Y, CEN_X = 3, 4, 5  # brain centre, world mm
    SUB_CSF = 6  # subarachnoid CSF thickness, mm
    DURA = 7  # dura thickness, mm
    TABLE_IN, MARROW, TABLE_OUT = 8, 9, 10  # skull layers, mm
    SKIN, FAT, MUSCLE = 11, 12, 13  # scalp layers, mm
    FOLD_ALPHA = 14  # radial compression of the fold field (0 = purely radial sulci)
    SULC_DEPTH = 15  # mean sulcal depth, mm
    SULC_HALF = 16  # sulcal CSF half-width, mm
    RIBBON = 17  # cortical thickness bound on the estimated distance to CSF, mm (the estimate
    # |g|/|grad g| overshoots inside gyri: a bound of 4.5 gives a measured 2.3-3 mm cortex)
    RIBBON_VAR = 18  # cortical thickness modulation amplitude, mm
    FISSURE_HALF = 19  # interhemispheric fissure CSF half-width, mm
    CC_TOP = 20  # height of the corpus callosum top (brain coords), mm
    CB_FOLD = 21  # cerebellar folding frequency multiplier
    FIELD_SPACING = 22  # grid spacing of the random fields, mm
    SHAPE0 = 23  # 6 x (kz, ky, kx, phase, amplitude) low-order shape perturbations -> 53
    SYLVIAN_TILT = 53  # forward lean of the Sylvian fissure (y per z)
    SYLVIAN_Z = 54  # height of the middle of the Sylvian fissure
    SYLVIAN_Y = 56  # position of the Sylvian fissure at the insula
    TEMPORALIS = 55  # 1 = temporalis muscle present in the scalp


N_PARAMS = 57
# numba reads module-level ints as compile-time constants (not class attributes)
_P_CB_FOLD = P.CB_FOLD
_P_CC_TOP = P.CC_TOP
_P_CEN_X = P.CEN_X
_P_CEN_Y = P.CEN_Y
_P_CEN_Z = P.CEN_Z
_P_DURA = P.DURA
_P_FAT = P.FAT
_P_FIELD_SPACING = P.FIELD_SPACING
_P_FISSURE_HALF = P.FISSURE_HALF
_P_FOLD_ALPHA = P.FOLD_ALPHA
_P_MARROW = P.MARROW
_P_MUSCLE = P.MUSCLE
_P_RIBBON = P.RIBBON
_P_RIBBON_VAR = P.RIBBON_VAR
_P_SCALE_X = P.SCALE_X
_P_SCALE_Y = P.SCALE_Y
_P_SCALE_Z = P.SCALE_Z
_P_SHAPE0 = P.SHAPE0
_P_SKIN = P.SKIN
_P_SUB_CSF = P.SUB_CSF
_P_SULC_DEPTH = P.SULC_DEPTH
_P_SULC_HALF = P.SULC_HALF
_P_SYLVIAN_TILT = P.SYLVIAN_TILT
_P_SYLVIAN_Z = P.SYLVIAN_Z
_P_SYLVIAN_Y = P.SYLVIAN_Y
_P_TABLE_IN = P.TABLE_IN
_P_TABLE_OUT = P.TABLE_OUT
_P_TEMPORALIS = P.TEMPORALIS
_N_SHAPE = 6


@_jit
def _smin(a: float, b: float, k: float) -> float:  # pragma: no cover - compiled
    """Polynomial smooth minimum (union) of two distances with blend width ``k``."""
    h = max(k - abs(a - b), 0.0) / k
    return min(a, b) - h * h * k * 0.25


@_jit
def _octant_ellipsoid(
    z: float, y: float, x: float, az_up: float, az_dn: float, ay_fw: float, ay_bw: float, ax: float
) -> float:  # pragma: no cover - compiled
    """Radial signed distance to an ellipsoid whose z and y semi-axes differ by direction."""
    az = az_up if z > 0.0 else az_dn
    ay = ay_fw if y > 0.0 else ay_bw
    qz, qy, qx = z / az, y / ay, x / ax
    n = math.sqrt(qz * qz + qy * qy + qx * qx)
    r = math.sqrt(z * z + y * y + x * x)
    if n < 1e-9:
        return -min(az, ay, ax)
    return r * (1.0 - 1.0 / n)


@_jit
def _ellipsoid(
    z: float, y: float, x: float, e: np.ndarray, k: int
) -> float:  # pragma: no cover - compiled
    """Radial signed distance to ellipsoid ``e[k] = (cz, cy, cx, az, ay, ax)``."""
    return _octant_ellipsoid(
        z - e[k, 0], y - e[k, 1], x - e[k, 2], e[k, 3], e[k, 3], e[k, 4], e[k, 4], e[k, 5]
    )


@_jit
def _capsule(
    z: float, y: float, x: float, c: np.ndarray, k: int
) -> float:  # pragma: no cover - compiled
    """Distance to capsule ``c[k] = (az, ay, ax, bz, by, bx, radius, x_squash)`` (x squashed).

    Returns 1e9 without the exact distance when the point is outside the capsule's box.
    """
    r = c[k, 6] / min(c[k, 7], 1.0)
    if (
        z < min(c[k, 0], c[k, 3]) - r
        or z > max(c[k, 0], c[k, 3]) + r
        or y < min(c[k, 1], c[k, 4]) - r
        or y > max(c[k, 1], c[k, 4]) + r
        or x < min(c[k, 2], c[k, 5]) - r
        or x > max(c[k, 2], c[k, 5]) + r
    ):
        return 1e9
    dz, dy, dx = c[k, 3] - c[k, 0], c[k, 4] - c[k, 1], c[k, 5] - c[k, 2]
    pz, py, px = z - c[k, 0], y - c[k, 1], x - c[k, 2]
    ll = dz * dz + dy * dy + dx * dx
    t = 0.0 if ll == 0.0 else min(max((pz * dz + py * dy + px * dx) / ll, 0.0), 1.0)
    ez, ey, ex = pz - t * dz, py - t * dy, (px - t * dx) * c[k, 7]
    return math.sqrt(ez * ez + ey * ey + ex * ex) - c[k, 6]


@_jit
def _field(
    fields: np.ndarray, k: int, z: float, y: float, x: float, h: float
) -> float:  # pragma: no cover - compiled
    """Trilinear interpolation of periodic field ``k`` at a point (mm), grid spacing ``h``."""
    n = fields.shape[1]
    fz, fy, fx = z / h, y / h, x / h
    iz, iy, ix = math.floor(fz), math.floor(fy), math.floor(fx)
    tz, ty, tx = fz - iz, fy - iy, fx - ix
    z0, y0, x0 = iz % n, iy % n, ix % n
    z1, y1, x1 = (z0 + 1) % n, (y0 + 1) % n, (x0 + 1) % n
    c00 = fields[k, z0, y0, x0] * (1 - tx) + fields[k, z0, y0, x1] * tx
    c01 = fields[k, z0, y1, x0] * (1 - tx) + fields[k, z0, y1, x1] * tx
    c10 = fields[k, z1, y0, x0] * (1 - tx) + fields[k, z1, y0, x1] * tx
    c11 = fields[k, z1, y1, x0] * (1 - tx) + fields[k, z1, y1, x1] * tx
    return (c00 * (1 - ty) + c01 * ty) * (1 - tz) + (c10 * (1 - ty) + c11 * ty) * tz


@_jit
def _sheet_distance(
    fields: np.ndarray,
    z: float,
    y: float,
    x: float,
    uz: float,
    uy: float,
    ux: float,
    h: float,
    alpha: float,
) -> float:  # pragma: no cover - compiled
    """Distance (mm) to the zero sheet of the fold field (field 0, gradient in fields 1..3).

    ``|g| / |J^T grad g|`` with ``J`` the radial compression by ``alpha`` along ``u``; the four
    fields share one set of trilinear weights.
    """
    n = fields.shape[1]
    fz, fy, fx = z / h, y / h, x / h
    iz, iy, ix = math.floor(fz), math.floor(fy), math.floor(fx)
    tz, ty, tx = fz - iz, fy - iy, fx - ix
    z0, y0, x0 = iz % n, iy % n, ix % n
    z1, y1, x1 = (z0 + 1) % n, (y0 + 1) % n, (x0 + 1) % n
    w000 = (1 - tz) * (1 - ty) * (1 - tx)
    w001 = (1 - tz) * (1 - ty) * tx
    w010 = (1 - tz) * ty * (1 - tx)
    w011 = (1 - tz) * ty * tx
    w100 = tz * (1 - ty) * (1 - tx)
    w101 = tz * (1 - ty) * tx
    w110 = tz * ty * (1 - tx)
    w111 = tz * ty * tx
    g = gz = gy = gx = 0.0
    for k in range(4):
        v = (
            w000 * fields[k, z0, y0, x0]
            + w001 * fields[k, z0, y0, x1]
            + w010 * fields[k, z0, y1, x0]
            + w011 * fields[k, z0, y1, x1]
            + w100 * fields[k, z1, y0, x0]
            + w101 * fields[k, z1, y0, x1]
            + w110 * fields[k, z1, y1, x0]
            + w111 * fields[k, z1, y1, x1]
        )
        if k == 0:
            g = v
        elif k == 1:
            gz = v
        elif k == 2:
            gy = v
        else:
            gx = v
    radial = (gz * uz + gy * uy + gx * ux) * (1.0 - alpha)
    gz -= radial * uz
    gy -= radial * uy
    gx -= radial * ux
    norm = math.sqrt(gz * gz + gy * gy + gx * gx)
    return abs(g) / max(norm, 1e-6)


# labels (BrainWeb scheme)
_BG, _CSF, _GM, _WM, _FAT, _MUSCLE, _SKIN, _SKULL, _VESSEL, _AROUND_FAT, _DURA, _MARROW = range(12)


@_jit_inline
def _cerebrum(z: float, y: float, x: float, prm: np.ndarray) -> float:  # pragma: no cover
    """Cerebrum envelope with low-order shape perturbations (brain coords)."""
    # a slightly boxy (superellipsoid, exponent 2.4) cerebrum whose base rises towards the back
    az = 70.0 if z > 0.0 else 42.0 + 4.0 * min(y, 0.0) / 88.0
    ay = 84.0 if y > 0.0 else 89.0
    axx = 70.0 - 4.0 * y / 88.0
    qz, qy, qx = abs(z) / az, abs(y) / ay, abs(x) / axx
    n = (qz**2.4 + qy**2.4 + qx**2.4) ** (1.0 / 2.4)
    r0 = math.sqrt(z * z + y * y + x * x)
    d = r0 * (1.0 - 1.0 / n) if n > 1e-9 else -40.0
    r = math.sqrt(z * z + y * y + x * x) + 1e-9
    uz, uy, ux = z / r, y / r, x / r
    wobble = 0.0
    for j in range(_N_SHAPE):
        o = _P_SHAPE0 + 5 * j
        wobble += prm[o + 4] * math.cos(
            prm[o] * uz + prm[o + 1] * uy + prm[o + 2] * ux + prm[o + 3]
        )
    return d - 70.0 * wobble


@_jit_inline
def _brain_parts(
    z: float, y: float, x: float, prm: np.ndarray
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """Signed distances: cerebrum (with temporal lobes), cerebellum, brainstem, union."""
    cer = _cerebrum(z, y, x, prm)
    ax = abs(x)
    temporal = _octant_ellipsoid(z + 40.0, y - 6.0, ax - 45.0, 24.0, 22.0, 40.0, 36.0, 22.0)
    cer = _smin(cer, temporal, 10.0)
    cb = _octant_ellipsoid(z + 54.0, y + 50.0, x, 23.0, 23.0, 27.0, 31.0, 52.0)
    # brainstem: midbrain -> pons (bulging forward) -> medulla -> spinal cord
    t = min(max((8.0 - z) / 132.0, 0.0), 1.0)  # 0 at z = 8, 1 at z = -124
    bulge = math.exp(-(((z + 50.0) / 13.0) ** 2))
    cy = -14.0 - 10.0 * t + 5.0 * bulge
    radius = 8.5 + 5.0 * bulge - 2.0 * t
    bs = math.sqrt((y - cy) ** 2 + x * x) - radius
    if z > 8.0:
        bs = math.sqrt((y - cy) ** 2 + x * x + (z - 8.0) ** 2) - radius
    union = _smin(_smin(cer, cb, 4.0), bs, 6.0)
    return cer, cb, bs, union


_FORAMEN = -80.0  # brain-coordinate height of the foramen magnum


@_jit_inline
def _to_brain(
    wz: float, wy: float, wx: float, prm: np.ndarray, rot: np.ndarray
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """World position -> brain coordinates (centred, rotated by the pose, divided by the scale)."""
    pz, py, px = wz - prm[_P_CEN_Z], wy - prm[_P_CEN_Y], wx - prm[_P_CEN_X]
    z = (rot[0, 0] * pz + rot[0, 1] * py + rot[0, 2] * px) / prm[_P_SCALE_Z]
    y = (rot[1, 0] * pz + rot[1, 1] * py + rot[1, 2] * px) / prm[_P_SCALE_Y]
    x = (rot[2, 0] * pz + rot[2, 1] * py + rot[2, 2] * px) / prm[_P_SCALE_X]
    return z, y, x


@_jit_inline
def _head_parts(
    z: float, y: float, x: float, prm: np.ndarray
) -> tuple[float, float, float, float, float]:  # pragma: no cover - compiled
    """Cerebrum, cerebellum, brainstem, cranial cavity and head signed distances."""
    cer, cb, bs, _ = _brain_parts(z, y, x, prm)
    # the cranial cavity ends at the foramen magnum; below it the cord runs in the spinal canal
    cavity_brain = _smin(cer, cb, 4.0)
    if z > _FORAMEN:
        cavity_brain = _smin(cavity_brain, bs, 6.0)
    cavity = cavity_brain - prm[_P_SUB_CSF]
    skull_out = prm[_P_DURA] + prm[_P_TABLE_IN] + prm[_P_MARROW] + prm[_P_TABLE_OUT]
    cover = skull_out + prm[_P_SKIN] + prm[_P_FAT] + prm[_P_MUSCLE]
    face = _octant_ellipsoid(z + 64.0, y - 34.0, x, 48.0, 60.0, 64.0, 60.0, 68.0)
    neck = _octant_ellipsoid(z + 124.0, y - 2.0, x, 80.0, 80.0, 62.0, 62.0, 64.0)
    head = _smin(_smin(cavity - cover, face, 16.0), neck, 20.0)
    return cer, cb, bs, cavity, head


@_jit_inline
def _label(
    z: float,
    y: float,
    x: float,
    cer: float,
    cb: float,
    bs: float,
    cavity: float,
    head: float,
    prm: np.ndarray,
    fields: np.ndarray,
    ventricles: np.ndarray,
    deep_gm: np.ndarray,
    vessels: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Label at brain coordinates ``(z, y, x)`` given the distances of :func:`_head_parts`."""
    if head > 0.0:
        return _BG
    ax = abs(x)
    skull_out = prm[_P_DURA] + prm[_P_TABLE_IN] + prm[_P_MARROW] + prm[_P_TABLE_OUT]
    cover = skull_out + prm[_P_SKIN] + prm[_P_FAT] + prm[_P_MUSCLE]
    foramen = _FORAMEN
    depth = -head  # below the skin

    if cavity > 0.0:
        # spinal canal and vertebra below the foramen
        if z <= foramen + 4.0:
            r_cord = bs
            if r_cord < 0.0:
                return _WM
            if r_cord < 2.5:
                return _CSF
            if r_cord < 9.0 and z <= foramen:
                return _MARROW if r_cord < 6.5 else _SKULL
        if depth < prm[_P_SKIN]:
            return _SKIN
        # air spaces and eyes of the face (all below z = -28 and in front of y = 20)
        if z < -28.0 and y > 20.0:
            for s in (-1.0, 1.0):
                eye = math.sqrt((z + 42.0) ** 2 + (y - 80.0) ** 2 + (x - s * 31.0) ** 2) - 11.5
                if eye < 0.0:
                    return _CSF
                if eye < 1.0:
                    return _SKIN  # sclera
                orbit = _octant_ellipsoid(
                    z + 42.0, y - 68.0, x - s * 28.0, 12.0, 12.0, 20.0, 20.0, 14.0
                )
                if orbit < 0.0:
                    return _FAT
                sinus = _octant_ellipsoid(
                    z + 76.0, y - 66.0, x - s * 21.0, 11.0, 11.0, 12.0, 12.0, 9.0
                )
                if sinus < 0.0:
                    return _BG
                if sinus < 2.0:
                    return _SKULL
            nasal = _octant_ellipsoid(z + 72.0, y - 78.0, x, 18.0, 18.0, 20.0, 20.0, 4.5)
            if nasal < 0.0:
                return _BG
        if z < -70.0 and math.sqrt((y - 26.0) ** 2 + (x * 1.6) ** 2) < 5.0:
            return _BG  # pharynx
        c = cavity
        if c < prm[_P_DURA]:
            return _DURA
        c -= prm[_P_DURA]
        if c < prm[_P_TABLE_IN]:
            return _SKULL
        c -= prm[_P_TABLE_IN]
        # the diploe (marrow) thickens and thins over the vault; the skull base is mostly
        # compact bone
        marrow = prm[_P_MARROW] * min(
            max(1.0 + 0.45 * _field(fields, 4, z, y, x, prm[_P_FIELD_SPACING]), 0.3), 1.8
        )
        if z < -25.0:
            marrow *= 0.3
        if c < marrow:
            return _MARROW
        c -= marrow
        if c < prm[_P_TABLE_OUT]:
            return _SKULL
        patch = _field(fields, 4, z * 2.0 + 31.0, y * 2.0, x * 2.0, prm[_P_FIELD_SPACING])
        if depth < prm[_P_SKIN] + prm[_P_FAT]:
            return _AROUND_FAT if patch > 0.6 else _FAT
        c -= prm[_P_TABLE_OUT]
        if c < 2.0 * cover and z > -60.0:
            # scalp between skull and fat: temporalis laterally, loose tissue elsewhere
            if prm[_P_TEMPORALIS] > 0.0 and ax > 40.0 and -35.0 < z < 35.0 and y > -45.0:
                return _MUSCLE
            return _AROUND_FAT if patch > 0.9 else _SKIN
        # deep tissue of face and neck: muscle with fat septa, fibrous tissue in the face
        if patch > 0.9:
            return _FAT
        if patch > 0.6:
            return _AROUND_FAT
        return _SKIN if y > 15.0 + 4.0 * patch else _MUSCLE

    # ---- inside the cranial cavity ----
    brain = _smin(_smin(cer, cb, 4.0), bs, 6.0)
    if brain > 0.0:
        return _extra_cerebral(z, y, x, cavity, prm, vessels)

    if bs < min(cer, cb) and z < -20.0:
        # brainstem: fourth ventricle behind the pons, white matter otherwise
        if _capsule(z, y, x, ventricles, ventricles.shape[0] - 1) < 0.0:
            return _CSF
        return _WM

    h = prm[_P_FIELD_SPACING]
    if cb < cer:
        # cerebellum: folia are thin laminae parallel to its surface (wavy level sets of the
        # depth, 4.5 mm apart) around a white-matter core
        outer = -cb
        f = prm[_P_CB_FOLD]
        wave = _field(fields, 0, z * f, y * f, x * f, h)
        q = (outer + 2.0 * wave) / 4.5
        if abs(q - math.floor(q + 0.5)) * 4.5 < 0.5 and outer < 11.0:
            return _vessel_or(_CSF, z, y, x, vessels)
        if _capsule(z, y, x, ventricles, ventricles.shape[0] - 1) < 0.0:
            return _CSF
        return _GM if outer < 17.0 + 3.0 * wave else _WM

    # cerebrum
    outer = -cer
    # interhemispheric fissure down to the corpus callosum (which spans |y| < 40)
    cc = prm[_P_CC_TOP] - 14.0 * (y / 40.0) ** 2
    # the fissure reaches the corpus callosum in the middle and deepens towards the poles
    below_cc = z < cc
    fiss_half = prm[_P_FISSURE_HALF]
    # below the corpus callosum the hemispheres are joined: no medial surface there
    d_fis = ax + 3.0 * (cc - z) if below_cc else max(ax - fiss_half, 0.0)
    if ax < fiss_half and not below_cc:
        return _vessel_or(_CSF, z, y, x, vessels)
    # Sylvian fissure: a steep sheet from the insula (|x| = 36) running forwards and outwards
    # to the lateral surface (so axial slices cut it as an antero-lateral cleft), 1 mm either
    # side of the sheet, 28 mm tall around the insula's height; distances to its rounded
    # edges keep the cortex around it continuous
    syl = (
        y
        - (prm[_P_SYLVIAN_Y] + 0.7 * (ax - 36.0) + prm[_P_SYLVIAN_TILT] * (z - prm[_P_SYLVIAN_Z]))
        - 2.5 * _field(fields, 0, z * 0.5, y * 0.5, ax * 0.5 + 40.0, h)
    )
    beyond = max(abs(z - prm[_P_SYLVIAN_Z]) - 14.0, 0.0)
    d_syl = math.sqrt(max(abs(syl) - 1.0, 0.0) ** 2 + max(36.0 - ax, 0.0) ** 2 + beyond * beyond)
    if d_syl == 0.0:
        return _vessel_or(_CSF, z, y, x, vessels)
    outer = min(outer, d_fis, d_syl)

    # deep structures
    if -46.0 < z < 26.0 and ax < 42.0 and -62.0 < y < 45.0:
        for k in range(ventricles.shape[0] - 1):
            if _capsule(z, y, x, ventricles, k) < 0.0:
                # septum pellucidum between the frontal horns
                if ax < 0.6 and y > -20.0 and z > 6.0:
                    return _WM
                return _CSF
        for k in range(deep_gm.shape[0]):
            if (
                abs(z - deep_gm[k, 0]) < deep_gm[k, 3]
                and abs(y - deep_gm[k, 1]) < deep_gm[k, 4]
                and abs(x - deep_gm[k, 2]) < deep_gm[k, 5]
                and _ellipsoid(z, y, x, deep_gm, k) < 0.0
            ):
                return _GM

    # cortical folding: sulci are zero sheets of the fold field, warped to run along the
    # normal of the nearest outer surface: radial under the convexity, left-right under the
    # medial surface (blended over 4 mm so the sheets stay continuous)
    r = math.sqrt(z * z + y * y + x * x) + 1e-9
    w = min(max((d_fis - (-cer)) / 4.0 + 0.5, 0.0), 1.0)  # 1: convexity nearer, 0: medial
    uz, uy, ux = w * z / r, w * y / r, w * x / r + (1.0 - w) * (1.0 if x >= 0.0 else -1.0)
    un = math.sqrt(uz * uz + uy * uy + ux * ux) + 1e-9
    uz, uy, ux = uz / un, uy / un, ux / un
    a = prm[_P_FOLD_ALPHA]
    shift = (1.0 - a) * min(-cer, d_fis)
    qz, qy, qx = z + shift * uz, y + shift * uy, x + shift * ux
    sheet = _sheet_distance(fields, qz, qy, qx, uz, uy, ux, h, a)
    mod = _field(fields, 4, z, y, x, h)
    sulc_depth = prm[_P_SULC_DEPTH] * (1.0 + 0.35 * max(min(mod, 1.5), -1.5))
    half = prm[_P_SULC_HALF]
    if sheet < half and outer < sulc_depth:
        return _vessel_or(_CSF, z, y, x, vessels)
    d_csf = min(outer, math.sqrt(max(sheet - half, 0.0) ** 2 + max(outer - sulc_depth, 0.0) ** 2))
    ribbon = prm[_P_RIBBON] + prm[_P_RIBBON_VAR] * max(min(mod, 1.0), -1.0)
    if d_csf < ribbon:
        return _GM
    return _WM


@_jit
def _vessel_or(
    label: int, z: float, y: float, x: float, vessels: np.ndarray
) -> int:  # pragma: no cover - compiled
    """``label`` unless the point lies in one of the vessel capsules."""
    for k in range(vessels.shape[0]):
        if _capsule(z, y, x, vessels, k) < 0.0:
            return _VESSEL
    return label


@_jit_inline
def _extra_cerebral(
    z: float, y: float, x: float, cavity: float, prm: np.ndarray, vessels: np.ndarray
) -> int:  # pragma: no cover - compiled
    """Between brain and dura: CSF, the superior sagittal sinus, the falx, vessels."""
    ax = abs(x)
    if z > 10.0 and cavity > -4.5 and ax < 0.5 * (4.5 + cavity) + 0.5 and y > -80.0:
        return _VESSEL  # superior sagittal sinus, a triangle under the vertex
    return _vessel_or(_CSF, z, y, x, vessels)


@_jit
def _lerp8(
    lat: np.ndarray,
    k: int,
    jz: int,
    jy: int,
    jx: int,
    w000: float,
    w001: float,
    w010: float,
    w011: float,
    w100: float,
    w101: float,
    w110: float,
    w111: float,
) -> float:  # pragma: no cover - compiled
    """Trilinear combination of lattice field ``k`` around cell ``(jz, jy, jx)``."""
    return (
        w000 * lat[k, jz, jy, jx]
        + w001 * lat[k, jz, jy, jx + 1]
        + w010 * lat[k, jz, jy + 1, jx]
        + w011 * lat[k, jz, jy + 1, jx + 1]
        + w100 * lat[k, jz + 1, jy, jx]
        + w101 * lat[k, jz + 1, jy, jx + 1]
        + w110 * lat[k, jz + 1, jy + 1, jx]
        + w111 * lat[k, jz + 1, jy + 1, jx + 1]
    )


_LATTICE = 4  # head-level distances are computed every 4 voxels and interpolated


@numba.njit(cache=True, nogil=True)
def render_labels(
    shape: tuple[int, int, int],
    origin: np.ndarray,
    spacing: float,
    prm: np.ndarray,
    rot: np.ndarray,
    fields: np.ndarray,
    ventricles: np.ndarray,
    deep_gm: np.ndarray,
    vessels: np.ndarray,
    exact: bool,
) -> np.ndarray:  # pragma: no cover - compiled
    """Crisp uint8 labels of the procedural head on a regular grid (world mm).

    The five smooth head-level distances (cerebrum, cerebellum, brainstem, cranial cavity,
    head) are evaluated on a lattice every ``_LATTICE`` voxels and trilinearly interpolated
    (they vary slowly: the interpolation error is a small fraction of a voxel); ``exact``
    evaluates them at every voxel instead (slower, for tests).
    """
    nz, ny, nx = shape
    out = np.zeros((nz, ny, nx), dtype=np.uint8)
    s = _LATTICE
    lz, ly, lx = nz // s + 2, ny // s + 2, nx // s + 2
    lat = np.empty((5, lz, ly, lx), dtype=np.float64)
    if not exact:
        for jz in range(lz):
            for jy in range(ly):
                for jx in range(lx):
                    z, y, x = _to_brain(
                        origin[0] + jz * s * spacing,
                        origin[1] + jy * s * spacing,
                        origin[2] + jx * s * spacing,
                        prm,
                        rot,
                    )
                    parts = _head_parts(z, y, x, prm)
                    for k in range(5):
                        lat[k, jz, jy, jx] = parts[k]
    inv = 1.0 / s
    for iz in range(nz):
        wz = origin[0] + iz * spacing
        jz, tz = iz // s, (iz % s) * inv
        for iy in range(ny):
            wy = origin[1] + iy * spacing
            jy, ty = iy // s, (iy % s) * inv
            for ix in range(nx):
                wx = origin[2] + ix * spacing
                z, y, x = _to_brain(wz, wy, wx, prm, rot)
                if exact:
                    cer, cb, bs, cavity, head = _head_parts(z, y, x, prm)
                else:
                    jx, tx = ix // s, (ix % s) * inv
                    w000 = (1 - tz) * (1 - ty) * (1 - tx)
                    w001 = (1 - tz) * (1 - ty) * tx
                    w010 = (1 - tz) * ty * (1 - tx)
                    w011 = (1 - tz) * ty * tx
                    w100 = tz * (1 - ty) * (1 - tx)
                    w101 = tz * (1 - ty) * tx
                    w110 = tz * ty * (1 - tx)
                    w111 = tz * ty * tx
                    head = _lerp8(
                        lat, 4, jz, jy, jx, w000, w001, w010, w011, w100, w101, w110, w111
                    )
                    if head > 0.0:
                        continue  # outside the head: background
                    cer = _lerp8(lat, 0, jz, jy, jx, w000, w001, w010, w011, w100, w101, w110, w111)
                    cb = _lerp8(lat, 1, jz, jy, jx, w000, w001, w010, w011, w100, w101, w110, w111)
                    bs = _lerp8(lat, 2, jz, jy, jx, w000, w001, w010, w011, w100, w101, w110, w111)
                    cavity = _lerp8(
                        lat, 3, jz, jy, jx, w000, w001, w010, w011, w100, w101, w110, w111
                    )
                out[iz, iy, ix] = _label(
                    z, y, x, cer, cb, bs, cavity, head, prm, fields, ventricles, deep_gm, vessels
                )
    return out
