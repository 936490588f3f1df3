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
    fractions: np.ndarray,
    comp_label: np.ndarray,
    comp_amp: np.ndarray,
    step_fwd: np.ndarray,
    step_bwd: np.ndarray,
    voxel_step: np.ndarray,
    sens: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Readout-axis encoding of one slice by geometric recurrences, one image column per task.

    For column ``w`` the kernel gathers the voxel-compartments ``e = (h, k)`` with a non-zero
    fraction ``f = fractions[comp_label[k], h, w]``. Entry ``e`` contributes
    ``a_e q_e**j`` to readout sample ``H//2 + j`` (``j >= 0``) and ``a_e r_e**j`` to
    ``H//2 - j`` (``j >= 1``), where ``a_e = f comp_amp[k] sens[c, h, w]``,
    ``q_e = step_fwd[k] voxel_step[h, w]`` and ``r_e = step_bwd[k] conj(voxel_step[h, w])``:
    the per-compartment factors carry relaxation and chemical shift over one dwell, the
    per-voxel factor the readout DFT kernel and the B0 offset. The sum over entries of each
    sample is vectorised over the entries. Returns the real and imaginary parts of
    ``out[c, sample, w]`` (``sens`` has shape ``(coils, H, W)``).
    """
    _, height, n_cols = fractions.shape
    n_comp = comp_label.size
    n_coils = sens.shape[0]
    centre = height // 2
    out_re = np.zeros((n_coils, height, n_cols))
    out_im = np.zeros((n_coils, height, n_cols))
    for w in nb.prange(n_cols):
        size = height * n_comp
        a_re = np.empty(size)
        a_im = np.empty(size)
        fr = np.empty(size)
        fi = np.empty(size)
        br = np.empty(size)
        bi = np.empty(size)
        hh = np.empty(size, dtype=np.int64)
        n = 0
        for h in range(height):
            vr = voxel_step[h, w].real
            vi = voxel_step[h, w].imag
            for k in range(n_comp):
                f = fractions[comp_label[k], h, w]
                if f > 0:
                    a_re[n] = f * comp_amp[k]
                    sf = step_fwd[k]
                    sb = step_bwd[k]
                    fr[n] = sf.real * vr - sf.imag * vi
                    fi[n] = sf.real * vi + sf.imag * vr
                    br[n] = sb.real * vr + sb.imag * vi
                    bi[n] = sb.imag * vr - sb.real * vi
                    hh[n] = h
                    n += 1
        if n == 0:
            continue
        pr = np.empty(n)
        pi = np.empty(n)
        for c in range(n_coils):
            for j in range(n):
                z = sens[c, hh[j], w]
                a_im[j] = a_re[j] * z.imag
                pr[j] = a_re[j] * z.real
                pi[j] = a_im[j]
            for k in range(centre, height):
                sr = 0.0
                si = 0.0
                for j in range(n):
                    x = pr[j]
                    y = pi[j]
                    sr += x
                    si += y
                    pr[j] = x * fr[j] - y * fi[j]
                    pi[j] = x * fi[j] + y * fr[j]
                out_re[c, k, w] = sr
                out_im[c, k, w] = si
            for j in range(n):
                z = sens[c, hh[j], w]
                x = a_re[j] * z.real
                y = a_im[j]
                pr[j] = x * br[j] - y * bi[j]
                pi[j] = x * bi[j] + y * br[j]
            for k in range(centre - 1, -1, -1):
                sr = 0.0
                si = 0.0
                for j in range(n):
                    x = pr[j]
                    y = pi[j]
                    sr += x
                    si += y
                    pr[j] = x * br[j] - y * bi[j]
                    pi[j] = x * bi[j] + y * br[j]
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
