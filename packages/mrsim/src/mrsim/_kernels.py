"""Numba kernels of the simulation engines (private; options fixed here in one place)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["bloch_spin_echo", "readout_dft"]

# Reassociation lets LLVM vectorise the per-sample sums; the summation order is still fixed
# by the compiled code, so results are deterministic from run to run.
_FAST = {"reassoc", "contract"}


@nb.njit(parallel=True, cache=True, fastmath=_FAST)
def readout_dft(
    col_start: np.ndarray,
    amp_re: np.ndarray,
    amp_im: np.ndarray,
    qf_re: np.ndarray,
    qf_im: np.ndarray,
    qb_re: np.ndarray,
    qb_im: np.ndarray,
    height: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Readout-axis encoding by geometric recurrences, one image column per task.

    Entries ``e`` (voxel-compartments) are grouped by column: ``col_start[w]:col_start[w+1]``.
    Entry ``e`` contributes ``amp[c, e] * qf[e]**k`` to readout sample ``centre + k`` for
    ``k >= 0`` and ``amp[c, e] * qb[e]**k`` to ``centre - k`` for ``k >= 1``, where ``qf``/``qb``
    fold the readout DFT kernel, relaxation and off-resonance per dwell step. Returns the
    real and imaginary parts of ``out[c, sample, w]``.
    """
    n_cols = col_start.size - 1
    n_coils = amp_re.shape[0]
    centre = height // 2
    out_re = np.zeros((n_coils, height, n_cols))
    out_im = np.zeros((n_coils, height, n_cols))
    for w in nb.prange(n_cols):
        s = col_start[w]
        n = col_start[w + 1] - s
        if n == 0:
            continue
        pr = np.empty(n)
        pi = np.empty(n)
        # Contiguous copies: slices are typed with unknown strides, which blocks SIMD.
        fr = qf_re[s : s + n].copy()
        fi = qf_im[s : s + n].copy()
        br = qb_re[s : s + n].copy()
        bi = qb_im[s : s + n].copy()
        for c in range(n_coils):
            for j in range(n):
                pr[j] = amp_re[c, s + j]
                pi[j] = amp_im[c, s + j]
            for k in range(centre, height):
                sr = 0.0
                si = 0.0
                for j in range(n):
                    a = pr[j]
                    b = pi[j]
                    sr += a
                    si += b
                    pr[j] = a * fr[j] - b * fi[j]
                    pi[j] = a * fi[j] + b * fr[j]
                out_re[c, k, w] = sr
                out_im[c, k, w] = si
            for j in range(n):
                a = amp_re[c, s + j]
                b = amp_im[c, s + j]
                pr[j] = a * br[j] - b * bi[j]
                pi[j] = a * bi[j] + b * br[j]
            for k in range(centre - 1, -1, -1):
                sr = 0.0
                si = 0.0
                for j in range(n):
                    a = pr[j]
                    b = pi[j]
                    sr += a
                    si += b
                    pr[j] = a * br[j] - b * bi[j]
                    pi[j] = a * bi[j] + b * br[j]
                out_re[c, k, w] = sr
                out_im[c, k, w] = si
    return out_re, out_im


@nb.njit(cache=True)
def _relax(
    mx: float, my: float, mz: float, m0: float, t: float, t1: float, t2: float, omega: float
) -> tuple[float, float, float]:
    # Free precession for t seconds at angular frequency omega (m_xy <- m_xy e^{-i omega t}).
    e2 = math.exp(-t / t2)
    cs = math.cos(omega * t)
    sn = math.sin(omega * t)
    nx = (mx * cs + my * sn) * e2
    ny = (my * cs - mx * sn) * e2
    nz = m0 + (mz - m0) * math.exp(-t / t1)
    return nx, ny, nz


@nb.njit(parallel=True, cache=True)
def bloch_spin_echo(
    m0: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
    omega: np.ndarray,
    pos_h: np.ndarray,
    pos_w: np.ndarray,
    sens_idx: np.ndarray,
    sens_re: np.ndarray,
    sens_im: np.ndarray,
    height: int,
    width: int,
    te: float,
    tr: float,
    dwell: float,
    n_dummy: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Event-based Bloch simulation of a 2D Cartesian spin-echo acquisition.

    Each isochromat ``i`` (equilibrium ``m0``, ``t1``, ``t2`` in s, off-resonance ``omega`` in
    rad/s, voxel ``(pos_h, pos_w)``) goes through ``n_dummy + width`` repetitions: a hard
    90-degree pulse about y, free precession to TE/2, instantaneous phase-encode and readout
    prewinder gradient blips, a hard 180-degree pulse about x, free precession to the first
    readout sample at ``TE - (height // 2) * dwell``, ``height`` samples under a constant
    readout gradient (one cycle per field of view per dwell), free precession to TR and
    perfect spoiling of the transverse magnetisation. Returns the real and imaginary parts
    of the received signal ``(coils, line, sample)``, coil ``c`` weighting isochromat ``i``
    by ``sens[c, sens_idx[i]]``.
    """
    n_iso = m0.size
    n_coils = sens_re.shape[0]
    ch = height // 2
    cw = width // 2
    acc_re = np.zeros((n_chunks, n_coils, width, height))
    acc_im = np.zeros((n_chunks, n_coils, width, height))
    t_first = te - ch * dwell
    t_tail = tr - (te + (height - 1 - ch) * dwell)
    for chunk in nb.prange(n_chunks):
        lo = chunk * n_iso // n_chunks
        hi = (chunk + 1) * n_iso // n_chunks
        for i in range(lo, hi):
            mx = 0.0
            my = 0.0
            mz = m0[i]
            step = -2.0 * math.pi * (pos_h[i] - ch) / height
            for line in range(-n_dummy, width):
                # 90 degrees about y: z -> x.
                mx, mz = mz, -mx
                mx, my, mz = _relax(mx, my, mz, m0[i], te / 2, t1[i], t2[i], omega[i])
                if line >= 0:
                    # Blips placed before the 180, which conjugates their phase.
                    theta = (
                        2.0
                        * math.pi
                        * ((line - cw) * (pos_w[i] - cw) / width - ch * (pos_h[i] - ch) / height)
                    )
                    cs = math.cos(theta)
                    sn = math.sin(theta)
                    mx, my = mx * cs - my * sn, mx * sn + my * cs
                # 180 degrees about x.
                my = -my
                mz = -mz
                mx, my, mz = _relax(mx, my, mz, m0[i], t_first - te / 2, t1[i], t2[i], omega[i])
                for n in range(height):
                    if line >= 0:
                        for c in range(n_coils):
                            sr = sens_re[c, sens_idx[i]]
                            si = sens_im[c, sens_idx[i]]
                            acc_re[chunk, c, line, n] += mx * sr - my * si
                            acc_im[chunk, c, line, n] += mx * si + my * sr
                    if n < height - 1:
                        # The readout gradient adds `step` radians per dwell at this voxel.
                        mx, my, mz = _relax(
                            mx, my, mz, m0[i], dwell, t1[i], t2[i], omega[i] - step / dwell
                        )
                mx, my, mz = _relax(mx, my, mz, m0[i], t_tail, t1[i], t2[i], omega[i])
                mx = 0.0
                my = 0.0
    out_re = np.zeros((n_coils, width, height))
    out_im = np.zeros((n_coils, width, height))
    for chunk in range(n_chunks):
        out_re += acc_re[chunk]
        out_im += acc_im[chunk]
    return out_re, out_im
