"""Numba kernels of the phantom pipeline (options fixed here: serial, cached, nogil).

Serial on purpose: callers parallelise over subjects, and a nogil serial kernel composes
with threads or processes without oversubscribing the cores.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["count_blocks", "fuzzy_blocks", "weighted_z_sum"]

_jit = numba.njit(cache=True, nogil=True)


@_jit
def count_blocks(
    labels: np.ndarray, fz: int, fy: int, fx: int, out: np.ndarray
) -> int:  # pragma: no cover - compiled
    """Box-average one-hot ``labels`` (uint8 ``(Z, Y, X)``) into ``out`` (``(T, Zo, Yo, Xo)``).

    ``out[t, k, j, i]`` becomes the fraction of the ``fz * fy * fx`` sub-voxels of block
    ``(k, j, i)`` that carry label ``t``; sub-voxels beyond the input edge count as label 0.
    Returns -1, or the first label value ``>= T`` met (``out`` is then incomplete).
    """
    n_t, n_zo, n_yo, n_xo = out.shape
    n_z, n_y, n_x = labels.shape
    block = fz * fy * fx
    inv = np.float32(1.0 / block)
    # label axis last: the counts of one block share a cache line
    counts = np.zeros((n_yo, n_xo, n_t), dtype=np.int32)
    xblock = np.empty(n_x, dtype=np.int64)
    for x in range(n_x):
        xblock[x] = x // fx
    for oz in range(n_zo):
        counts[:] = 0
        z0 = oz * fz
        z1 = min(z0 + fz, n_z)
        for z in range(z0, z1):
            for y in range(n_y):
                row = counts[y // fy]
                for x in range(n_x):
                    lab = labels[z, y, x]
                    if lab >= n_t:
                        return int(lab)
                    row[xblock[x], lab] += 1
        nz = z1 - z0
        for oy in range(n_yo):
            ny = min(oy * fy + fy, n_y) - oy * fy
            for ox in range(n_xo):
                nx = min(ox * fx + fx, n_x) - ox * fx
                counts[oy, ox, 0] += block - nz * ny * nx
        for t in range(n_t):
            for oy in range(n_yo):
                for ox in range(n_xo):
                    out[t, oz, oy, ox] = counts[oy, ox, t] * inv
    return -1


@_jit
def fuzzy_blocks(
    memberships: np.ndarray,
    tissues: np.ndarray,
    has_background: bool,
    fz: int,
    fy: int,
    fx: int,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Normalise fuzzy memberships per fine voxel, then box-average them into ``out``.

    ``memberships`` is uint8 ``(M, Z, Y, X)`` holding ``255 * membership`` of tissue
    ``tissues[m]``. Per fine voxel with total ``s``: if the background is among the tissues,
    memberships are divided by ``s`` (``s == 0`` -> background); otherwise the background gets
    ``1 - s`` and memberships are divided by ``s`` only where ``s > 1``.
    """
    n_t, n_zo, n_yo, n_xo = out.shape
    n_m, n_z, n_y, n_x = memberships.shape
    block = fz * fy * fx
    inv = 1.0 / block
    acc = np.zeros((n_t, n_yo, n_xo), dtype=np.float64)
    m = np.zeros(n_m, dtype=np.float64)
    for oz in range(n_zo):
        acc[:] = 0.0
        z0 = oz * fz
        z1 = min(z0 + fz, n_z)
        for z in range(z0, z1):
            for y in range(n_y):
                oy = y // fy
                for x in range(n_x):
                    ox = x // fx
                    s = 0.0
                    for k in range(n_m):
                        m[k] = memberships[k, z, y, x] / 255.0
                        s += m[k]
                    if has_background:
                        if s > 0.0:
                            for k in range(n_m):
                                acc[tissues[k], oy, ox] += m[k] / s
                        else:
                            acc[0, oy, ox] += 1.0
                    elif s > 1.0:
                        for k in range(n_m):
                            acc[tissues[k], oy, ox] += m[k] / s
                    else:
                        for k in range(n_m):
                            acc[tissues[k], oy, ox] += m[k]
                        acc[0, oy, ox] += 1.0 - s
        nz = z1 - z0
        for oy in range(n_yo):
            ny = min(oy * fy + fy, n_y) - oy * fy
            for ox in range(n_xo):
                nx = min(ox * fx + fx, n_x) - ox * fx
                acc[0, oy, ox] += block - nz * ny * nx
                for t in range(n_t):
                    out[t, oz, oy, ox] = acc[t, oy, ox] * inv


@_jit
def weighted_z_sum(
    fractions: np.ndarray, first: np.ndarray, weights: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``out[s, t] = sum_j weights[s, j] * fractions[t, first[s] + j]`` (float64 accumulation).

    ``fractions`` is ``(T, Z, Y, X)``, ``weights`` ``(S, J)`` with zeros past a slice's window,
    ``out`` ``(S, T, Y, X)``.
    """
    n_s, n_j = weights.shape
    n_t, n_z, n_y, n_x = fractions.shape
    acc = np.zeros((n_y, n_x), dtype=np.float64)
    for s in range(n_s):
        for t in range(n_t):
            acc[:] = 0.0
            for j in range(n_j):
                w = weights[s, j]
                z = first[s] + j
                if w == 0.0 or z < 0 or z >= n_z:
                    continue
                for y in range(n_y):
                    for x in range(n_x):
                        acc[y, x] += w * fractions[t, z, y, x]
            for y in range(n_y):
                for x in range(n_x):
                    out[s, t, y, x] = acc[y, x]
