"""Numba kernel of the procedural head: a crisp BrainWeb-label function of position.

Every structure is an approximate signed distance (mm, negative inside) in "brain
coordinates": world position minus the brain centre, rotated by the head pose and divided by
the per-axis head scale. Shapes are octant ellipsoids (a semi-axis per direction) measured
along the ray from their centre, capsules and ellipsoids; the cortex is folded by the zero
sheets of a band-limited random field, warped to run along the normal of the nearest outer
surface (the convexity, the interhemispheric fissure or the Sylvian fissure) so that sulci cut
into the brain from its surface. The fixed geometry (every constant) is the table in
:mod:`._anatomy_table`; what varies from head to head is the parameter vector (:class:`P`) and
the arrays of :mod:`.procedural`. Options fixed here: serial, cached, nogil, fastmath off
(determinism).
"""

from __future__ import annotations

import enum
import math

import numba
import numpy as np

from mrsim.phantoms._anatomy_table import (
    BLEND,
    BRAINSTEM,
    CEREBELLAR_FOLIA,
    CEREBELLUM,
    CEREBRUM,
    DEEP_REGION,
    DIPLOE,
    EYE,
    FACE,
    FACE_REGION,
    FISSURE,
    FOLDING,
    FORAMEN,
    NASAL_CAVITY,
    NECK,
    ORBIT,
    PHARYNX,
    SAGITTAL_SINUS,
    SCALP,
    SINUS,
    SINUS_WALL,
    SPINAL_CANAL,
    SYLVIAN,
    TEMPORAL_LOBE,
    OctantEllipsoid,
)

__all__ = ["N_PARAMS", "P", "render_labels"]

_jit = numba.njit(cache=True, nogil=True)
# the per-voxel path (_label and the head-level distances, called from one or two places) is
# inlined by numba so its array arguments are not reference-counted per call; helpers called
# from many places stay calls (inlining them everywhere triples the first compile, ~30 s)
_jit_inline = numba.njit(cache=True, nogil=True, inline="always")


class P(enum.IntEnum):
    """Indices into the float64 parameter vector of :func:`render_labels` (numba reads the
    members as compile-time integers)."""

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
def _octant_at(
    z: float, y: float, x: float, e: OctantEllipsoid
) -> float:  # pragma: no cover - compiled
    """Radial signed distance to the table's ellipsoid ``e``."""
    return _octant_ellipsoid(z - e.z, y - e.y, x - e.x, e.up, e.down, e.front, e.back, e.side)


@_jit
def _paired_octant_at(
    z: float, y: float, x: float, side: float, e: OctantEllipsoid
) -> float:  # pragma: no cover - compiled
    """As :func:`_octant_at` for the one of a pair on ``side`` (+1 left, -1 right)."""
    return _octant_ellipsoid(
        z - e.z, y - e.y, x - side * e.x, e.up, e.down, e.front, e.back, e.side
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


@_jit_inline
def _periodic_cell(
    z: float, y: float, x: float, h: float, n: int
) -> tuple[int, int, int, int, int, int, float, float, float]:  # pragma: no cover - compiled
    """The cell of a periodic grid (``n`` nodes per axis, spacing ``h`` mm) holding a point:
    corner indices ``z0, z1, y0, y1, x0, x1`` and the position in the cell ``tz, ty, tx``."""
    fz, fy, fx = z / h, y / h, x / h
    iz, iy, ix = math.floor(fz), math.floor(fy), math.floor(fx)
    z0, y0, x0 = iz % n, iy % n, ix % n
    return z0, (z0 + 1) % n, y0, (y0 + 1) % n, x0, (x0 + 1) % n, fz - iz, fy - iy, fx - ix


@_jit_inline
def _trilinear_weights(
    tz: float, ty: float, tx: float
) -> tuple[float, float, float, float, float, float, float, float]:  # pragma: no cover
    """Weights of the corners ``000, 001, 010, ... 111`` (z, y, x bits) at ``(tz, ty, tx)``."""
    return (
        (1 - tz) * (1 - ty) * (1 - tx),
        (1 - tz) * (1 - ty) * tx,
        (1 - tz) * ty * (1 - tx),
        (1 - tz) * ty * tx,
        tz * (1 - ty) * (1 - tx),
        tz * (1 - ty) * tx,
        tz * ty * (1 - tx),
        tz * ty * tx,
    )


@_jit_inline
def _corner_sum(
    a: np.ndarray,
    k: int,
    z0: int,
    z1: int,
    y0: int,
    y1: int,
    x0: int,
    x1: int,
    w: tuple[float, float, float, float, float, float, float, float],
) -> float:  # pragma: no cover - compiled
    """Trilinear combination of ``a[k]`` over the corners of a cell with weights ``w``
    (:func:`_trilinear_weights`)."""
    return (
        w[0] * a[k, z0, y0, x0]
        + w[1] * a[k, z0, y0, x1]
        + w[2] * a[k, z0, y1, x0]
        + w[3] * a[k, z0, y1, x1]
        + w[4] * a[k, z1, y0, x0]
        + w[5] * a[k, z1, y0, x1]
        + w[6] * a[k, z1, y1, x0]
        + w[7] * a[k, z1, y1, x1]
    )


@_jit
def _field(
    fields: np.ndarray, k: int, z: float, y: float, x: float, h: float
) -> float:  # pragma: no cover - compiled
    """Trilinear interpolation of periodic field ``k`` at a point (mm), grid spacing ``h``
    (as nested linear interpolations: x, then y, then z)."""
    z0, z1, y0, y1, x0, x1, tz, ty, tx = _periodic_cell(z, y, x, h, fields.shape[1])
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
    z0, z1, y0, y1, x0, x1, tz, ty, tx = _periodic_cell(z, y, x, h, fields.shape[1])
    w = _trilinear_weights(tz, ty, tx)
    g = _corner_sum(fields, 0, z0, z1, y0, y1, x0, x1, w)
    gz = _corner_sum(fields, 1, z0, z1, y0, y1, x0, x1, w)
    gy = _corner_sum(fields, 2, z0, z1, y0, y1, x0, x1, w)
    gx = _corner_sum(fields, 3, z0, z1, y0, y1, x0, x1, w)
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
    c = CEREBRUM
    az = c.up if z > 0.0 else c.down + c.down_rise * min(y, 0.0) / c.length
    ay = c.front if y > 0.0 else c.back
    axx = c.side - c.side_taper * y / c.length
    qz, qy, qx = abs(z) / az, abs(y) / ay, abs(x) / axx
    n = (qz**c.exponent + qy**c.exponent + qx**c.exponent) ** (1.0 / c.exponent)
    r0 = math.sqrt(z * z + y * y + x * x)
    d = r0 * (1.0 - 1.0 / n) if n > 1e-9 else c.inside
    r = math.sqrt(z * z + y * y + x * x) + 1e-9
    uz, uy, ux = z / r, y / r, x / r
    wobble = 0.0
    for j in range(_N_SHAPE):
        o = P.SHAPE0 + 5 * j
        wobble += prm[o + 4] * math.cos(
            prm[o] * uz + prm[o + 1] * uy + prm[o + 2] * ux + prm[o + 3]
        )
    return d - c.wobble * wobble


@_jit_inline
def _brain_parts(
    z: float, y: float, x: float, prm: np.ndarray
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """Signed distances: cerebrum (with temporal lobes), cerebellum, brainstem, union."""
    cer = _cerebrum(z, y, x, prm)
    cer = _smin(cer, _octant_at(z, y, abs(x), TEMPORAL_LOBE), BLEND.temporal)
    cb = _octant_at(z, y, x, CEREBELLUM)
    b = BRAINSTEM
    t = min(max((b.top - z) / b.length, 0.0), 1.0)  # 0 at the top, 1 at the bottom
    bulge = math.exp(-(((z - b.pons_z) / b.pons_half) ** 2))
    cy = b.y - b.y_drift * t + b.pons_forward * bulge
    radius = b.radius + b.pons_radius * bulge - b.taper * t
    bs = math.sqrt((y - cy) ** 2 + x * x) - radius
    if z > b.top:
        bs = math.sqrt((y - cy) ** 2 + x * x + (z - b.top) ** 2) - radius
    union = _smin(_smin(cer, cb, BLEND.cerebellum), bs, BLEND.brainstem)
    return cer, cb, bs, union


@_jit_inline
def _to_brain(
    wz: float, wy: float, wx: float, prm: np.ndarray, rot: np.ndarray
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """World position -> brain coordinates (centred, rotated by the pose, divided by the scale)."""
    pz, py, px = wz - prm[P.CEN_Z], wy - prm[P.CEN_Y], wx - prm[P.CEN_X]
    z = (rot[0, 0] * pz + rot[0, 1] * py + rot[0, 2] * px) / prm[P.SCALE_Z]
    y = (rot[1, 0] * pz + rot[1, 1] * py + rot[1, 2] * px) / prm[P.SCALE_Y]
    x = (rot[2, 0] * pz + rot[2, 1] * py + rot[2, 2] * px) / prm[P.SCALE_X]
    return z, y, x


@_jit_inline
def _head_parts(
    z: float, y: float, x: float, prm: np.ndarray
) -> tuple[float, float, float, float, float]:  # pragma: no cover - compiled
    """Cerebrum, cerebellum, brainstem, cranial cavity and head signed distances."""
    cer, cb, bs, _ = _brain_parts(z, y, x, prm)
    # the cranial cavity ends at the foramen magnum; below it the cord runs in the spinal canal
    cavity_brain = _smin(cer, cb, BLEND.cerebellum)
    if z > FORAMEN:
        cavity_brain = _smin(cavity_brain, bs, BLEND.brainstem)
    cavity = cavity_brain - prm[P.SUB_CSF]
    skull_out = prm[P.DURA] + prm[P.TABLE_IN] + prm[P.MARROW] + prm[P.TABLE_OUT]
    cover = skull_out + prm[P.SKIN] + prm[P.FAT] + prm[P.MUSCLE]
    face = _octant_at(z, y, x, FACE)
    neck = _octant_at(z, y, x, NECK)
    head = _smin(_smin(cavity - cover, face, BLEND.face), neck, BLEND.neck)
    return cer, cb, bs, cavity, head


@_jit_inline
def _extra_cranial_label(
    z: float,
    y: float,
    x: float,
    bs: float,
    cavity: float,
    head: float,
    prm: np.ndarray,
    fields: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Label of a point in the head outside the cranial cavity (``cavity > 0``): spinal canal,
    scalp, skull layers, face and neck."""
    ax = abs(x)
    skull_out = prm[P.DURA] + prm[P.TABLE_IN] + prm[P.MARROW] + prm[P.TABLE_OUT]
    cover = skull_out + prm[P.SKIN] + prm[P.FAT] + prm[P.MUSCLE]
    depth = -head  # below the skin
    # spinal canal and vertebra below the foramen
    canal = SPINAL_CANAL
    if z <= FORAMEN + canal.reach:
        r_cord = bs
        if r_cord < 0.0:
            return _WM
        if r_cord < canal.csf:
            return _CSF
        if r_cord < canal.bone and z <= FORAMEN:
            return _MARROW if r_cord < canal.marrow else _SKULL
    if depth < prm[P.SKIN]:
        return _SKIN
    # eyes, orbits and air spaces of the face
    if z < FACE_REGION.top and y > FACE_REGION.front:
        for s in (-1.0, 1.0):
            eye = math.sqrt((z - EYE.z) ** 2 + (y - EYE.y) ** 2 + (x - s * EYE.x) ** 2) - EYE.radius
            if eye < 0.0:
                return _CSF
            if eye < EYE.sclera:
                return _SKIN  # sclera
            if _paired_octant_at(z, y, x, s, ORBIT) < 0.0:
                return _FAT
            sinus = _paired_octant_at(z, y, x, s, SINUS)
            if sinus < 0.0:
                return _BG
            if sinus < SINUS_WALL:
                return _SKULL
        if _octant_at(z, y, x, NASAL_CAVITY) < 0.0:
            return _BG
    if (
        z < PHARYNX.top
        and math.sqrt((y - PHARYNX.y) ** 2 + (x * PHARYNX.squash) ** 2) < PHARYNX.radius
    ):
        return _BG
    c = cavity
    if c < prm[P.DURA]:
        return _DURA
    c -= prm[P.DURA]
    if c < prm[P.TABLE_IN]:
        return _SKULL
    c -= prm[P.TABLE_IN]
    # the diploe (marrow) thickens and thins over the vault; the skull base is mostly
    # compact bone
    dip = DIPLOE
    marrow = prm[P.MARROW] * min(
        max(1.0 + dip.modulation * _field(fields, 4, z, y, x, prm[P.FIELD_SPACING]), dip.low),
        dip.high,
    )
    if z < dip.base_top:
        marrow *= dip.base
    if c < marrow:
        return _MARROW
    c -= marrow
    if c < prm[P.TABLE_OUT]:
        return _SKULL
    sc = SCALP
    f = sc.patch_frequency
    patch = _field(fields, 4, z * f + sc.patch_offset, y * f, x * f, prm[P.FIELD_SPACING])
    if depth < prm[P.SKIN] + prm[P.FAT]:
        return _AROUND_FAT if patch > sc.around_fat else _FAT
    c -= prm[P.TABLE_OUT]
    if c < sc.depth * cover and z > sc.bottom:
        # scalp between skull and fat: temporalis laterally, loose tissue elsewhere
        if (
            prm[P.TEMPORALIS] > 0.0
            and ax > sc.temporalis_side
            and -sc.temporalis_half < z < sc.temporalis_half
            and y > sc.temporalis_back
        ):
            return _MUSCLE
        return _AROUND_FAT if patch > sc.fat else _SKIN
    # deep tissue of face and neck: muscle with fat septa, fibrous tissue in the face
    if patch > sc.fat:
        return _FAT
    if patch > sc.around_fat:
        return _AROUND_FAT
    return _SKIN if y > sc.face_front + sc.face_slope * patch else _MUSCLE


@_jit_inline
def _cerebellum_label(
    z: float,
    y: float,
    x: float,
    cb: float,
    prm: np.ndarray,
    fields: np.ndarray,
    ventricles: np.ndarray,
    vessels: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Label of a point of the cerebellum: folia are thin CSF laminae parallel to its surface
    (wavy level sets of the depth) around a white-matter core."""
    h = prm[P.FIELD_SPACING]
    folia = CEREBELLAR_FOLIA
    outer = -cb
    f = prm[P.CB_FOLD]
    wave = _field(fields, 0, z * f, y * f, x * f, h)
    q = (outer + folia.wave * wave) / folia.spacing
    if abs(q - math.floor(q + 0.5)) * folia.spacing < folia.half and outer < folia.depth:
        return _vessel_or(_CSF, z, y, x, vessels)
    if _capsule(z, y, x, ventricles, ventricles.shape[0] - 1) < 0.0:
        return _CSF
    return _GM if outer < folia.cortex + folia.cortex_wave * wave else _WM


@_jit_inline
def _cerebrum_label(
    z: float,
    y: float,
    x: float,
    cer: float,
    prm: np.ndarray,
    fields: np.ndarray,
    ventricles: np.ndarray,
    deep_gm: np.ndarray,
    vessels: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Label of a point of the cerebrum: fissures, ventricles and deep grey nuclei, then the
    folded cortical ribbon over white matter."""
    ax = abs(x)
    h = prm[P.FIELD_SPACING]
    outer = -cer
    # interhemispheric fissure down to the corpus callosum
    cc = prm[P.CC_TOP] - FISSURE.cc_drop * (y / FISSURE.cc_half) ** 2
    # the fissure reaches the corpus callosum in the middle and deepens towards the poles
    below_cc = z < cc
    fiss_half = prm[P.FISSURE_HALF]
    # below the corpus callosum the hemispheres are joined: no medial surface there
    d_fis = ax + FISSURE.below * (cc - z) if below_cc else max(ax - fiss_half, 0.0)
    if ax < fiss_half and not below_cc:
        return _vessel_or(_CSF, z, y, x, vessels)
    # Sylvian fissure: a steep sheet from the insula running forwards and outwards to the
    # lateral surface (so axial slices cut it as an antero-lateral cleft); distances to its
    # rounded edges keep the cortex around it continuous
    sy = SYLVIAN
    fw = sy.wave_frequency
    syl = (
        y
        - (
            prm[P.SYLVIAN_Y]
            + sy.outward * (ax - sy.insula)
            + prm[P.SYLVIAN_TILT] * (z - prm[P.SYLVIAN_Z])
        )
        - sy.wave * _field(fields, 0, z * fw, y * fw, ax * fw + sy.wave_offset, h)
    )
    beyond = max(abs(z - prm[P.SYLVIAN_Z]) - sy.half_height, 0.0)
    d_syl = math.sqrt(
        max(abs(syl) - sy.half_width, 0.0) ** 2 + max(sy.insula - ax, 0.0) ** 2 + beyond * beyond
    )
    if d_syl == 0.0:
        return _vessel_or(_CSF, z, y, x, vessels)
    outer = min(outer, d_fis, d_syl)

    # deep structures
    deep = DEEP_REGION
    if deep.bottom < z < deep.top and ax < deep.side and deep.back < y < deep.front:
        for k in range(ventricles.shape[0] - 1):
            if _capsule(z, y, x, ventricles, k) < 0.0:
                # septum pellucidum between the frontal horns
                if ax < deep.septum_half and y > deep.septum_back and z > deep.septum_bottom:
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
    fold = FOLDING
    w = min(max((d_fis - (-cer)) / fold.medial_blend + 0.5, 0.0), 1.0)  # 1: convexity, 0: medial
    uz, uy, ux = w * z / r, w * y / r, w * x / r + (1.0 - w) * (1.0 if x >= 0.0 else -1.0)
    un = math.sqrt(uz * uz + uy * uy + ux * ux) + 1e-9
    uz, uy, ux = uz / un, uy / un, ux / un
    a = prm[P.FOLD_ALPHA]
    shift = (1.0 - a) * min(-cer, d_fis)
    qz, qy, qx = z + shift * uz, y + shift * uy, x + shift * ux
    sheet = _sheet_distance(fields, qz, qy, qx, uz, uy, ux, h, a)
    mod = _field(fields, 4, z, y, x, h)
    clip = fold.depth_clip
    sulc_depth = prm[P.SULC_DEPTH] * (1.0 + fold.depth_modulation * max(min(mod, clip), -clip))
    half = prm[P.SULC_HALF]
    if sheet < half and outer < sulc_depth:
        return _vessel_or(_CSF, z, y, x, vessels)
    d_csf = min(outer, math.sqrt(max(sheet - half, 0.0) ** 2 + max(outer - sulc_depth, 0.0) ** 2))
    ribbon = prm[P.RIBBON] + prm[P.RIBBON_VAR] * max(min(mod, fold.ribbon_clip), -fold.ribbon_clip)
    if d_csf < ribbon:
        return _GM
    return _WM


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
    if cavity > 0.0:
        return _extra_cranial_label(z, y, x, bs, cavity, head, prm, fields)
    brain = _smin(_smin(cer, cb, BLEND.cerebellum), bs, BLEND.brainstem)
    if brain > 0.0:
        return _extra_cerebral(z, y, x, cavity, prm, vessels)
    if bs < min(cer, cb) and z < BRAINSTEM.own_below:
        # brainstem: fourth ventricle behind the pons, white matter otherwise
        if _capsule(z, y, x, ventricles, ventricles.shape[0] - 1) < 0.0:
            return _CSF
        return _WM
    if cb < cer:
        return _cerebellum_label(z, y, x, cb, prm, fields, ventricles, vessels)
    return _cerebrum_label(z, y, x, cer, prm, fields, ventricles, deep_gm, vessels)


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
    ss = SAGITTAL_SINUS
    if (
        z > ss.bottom
        and cavity > -ss.depth
        and abs(x) < ss.slope * (ss.depth + cavity) + ss.margin
        and y > ss.back
    ):
        return _VESSEL
    return _vessel_or(_CSF, z, y, x, vessels)


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
                    w = _trilinear_weights(tz, ty, tx)
                    z1, y1, x1 = jz + 1, jy + 1, jx + 1
                    head = _corner_sum(lat, 4, jz, z1, jy, y1, jx, x1, w)
                    if head > 0.0:
                        continue  # outside the head: background
                    cer = _corner_sum(lat, 0, jz, z1, jy, y1, jx, x1, w)
                    cb = _corner_sum(lat, 1, jz, z1, jy, y1, jx, x1, w)
                    bs = _corner_sum(lat, 2, jz, z1, jy, y1, jx, x1, w)
                    cavity = _corner_sum(lat, 3, jz, z1, jy, y1, jx, x1, w)
                out[iz, iy, ix] = _label(
                    z, y, x, cer, cb, bs, cavity, head, prm, fields, ventricles, deep_gm, vessels
                )
    return out
