"""Numba kernel of the variable-density Poisson-disc mask (options fixed here)."""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["poisson_disc_kernel"]


@numba.njit(cache=True, nogil=True)
def poisson_disc_kernel(order: np.ndarray, radius: np.ndarray, calib: np.ndarray) -> np.ndarray:
    """Dart throwing in the given order: accept a point if no accepted point is within its radius.

    ``radius`` is per grid point (pixels); ``calib`` points are always kept and do not block
    others, so the calibration square does not leave an empty ring around it.
    """
    height, width = radius.shape
    mask = calib.copy()
    accepted = np.zeros((height, width), dtype=np.bool_)
    for flat in order:
        y = flat // width
        x = flat % width
        if mask[y, x]:
            continue
        r = radius[y, x]
        reach = math.ceil(r)
        ok = True
        for yy in range(max(0, y - reach), min(height, y + reach + 1)):
            for xx in range(max(0, x - reach), min(width, x + reach + 1)):
                if accepted[yy, xx] and (yy - y) ** 2 + (xx - x) ** 2 < r * r:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            accepted[y, x] = True
            mask[y, x] = True
    return mask
