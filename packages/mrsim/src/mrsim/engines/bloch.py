"""The ``bloch`` engine: isochromat Bloch simulation of the spin-echo acquisition.

A reference for small phantoms (it costs ``O(isochromats x H x W)``). Every voxel-compartment
is a set of isochromats at the voxel centre; the sequence is simulated event by event with
hard pulses, free precession with T1/T2 relaxation and off-resonance, instantaneous
phase-encode / prewinder blips and a constant readout gradient (see
:func:`mrsim._kernels.bloch_spin_echo`). The transverse magnetisation is spoiled perfectly at
the end of each TR and ``n_dummy`` repetitions bring the longitudinal magnetisation to its
steady state before the first line; this is the regime the closed-form echo amplitude of the
``fast`` engine assumes.

T2' (reversible dephasing) is represented by a Lorentzian distribution of isochromat
frequencies: ``N`` isochromats at the Cauchy quantiles
``R2' tan(pi ((j + 1/2)/N - 1/2))``, whose average ``exp(-i delta tau)`` tends to
``exp(-R2' |tau|)``. For finite ``N`` this quadrature is accurate for ``R2' |tau| << N``; its
error is the only difference from the ``fast`` engine (zero when T2' is off).

References
----------
F. Bloch, "Nuclear induction", Phys. Rev. 70:460, 1946. E. L. Hahn, "Spin echoes", Phys. Rev.
80:580, 1950. B. Hargreaves, Bloch equation simulator notes (event-based hard-pulse model).
"""

from __future__ import annotations

import math

import numpy as np

from mrsim._kernels import bloch_spin_echo
from mrsim.engines._common import check_inputs, compartments, off_resonance_rad_s
from mrsim.sequence import SpinEcho
from mrsim.tissues import TissueTable

__all__ = ["cauchy_offsets", "simulate_slice"]

# Isochromats are summed in a fixed number of chunks (whatever the thread count), so the
# round-off, and hence the output bytes, do not depend on how many threads run them.
_CHUNKS = 16


def cauchy_offsets(r2prime: float, n: int) -> np.ndarray:
    """``n`` deterministic Lorentzian frequency offsets (rad/s) of half-width ``r2prime``."""
    j = np.arange(n)
    return np.asarray(r2prime * np.tan(math.pi * ((j + 0.5) / n - 0.5)))


def simulate_slice(
    fractions: np.ndarray,
    te_ms: float,
    tr_ms: float,
    protocol: SpinEcho,
    *,
    b0_ppm: np.ndarray | None = None,
    sensitivities: np.ndarray | None = None,
    table: TissueTable | None = None,
    isochromats: int = 256,
    n_dummy: int = 2,
) -> np.ndarray:
    """Noise-free k-space of one slice by Bloch simulation, complex128 ``(coils, H, W)``.

    Same inputs and output convention as :func:`mrsim.engines.fast.simulate_slice`;
    ``isochromats`` per voxel-compartment when T2' is on (1 otherwise), ``n_dummy`` repetitions
    before the first acquired line. ``protocol.readout_relaxation=False`` is not supported
    (relaxation is part of the Bloch equations).
    """
    if not protocol.readout_relaxation:
        raise ValueError("the bloch engine always relaxes; readout_relaxation=False is fast-only")
    if isochromats < 1 or n_dummy < 1:
        raise ValueError("need isochromats >= 1 and n_dummy >= 1")
    f, b0, sens, tab = check_inputs(fractions, te_ms, tr_ms, b0_ppm, sensitivities, table, protocol)
    comp = compartments(tab, protocol)
    _, height, width = f.shape
    comp_frac = f[comp.label]
    k_idx, h_idx, w_idx = np.nonzero(comp_frac)
    n_iso = isochromats if protocol.t2prime else 1
    m0 = comp_frac[k_idx, h_idx, w_idx] * comp.weight[k_idx] * comp.pd[k_idx] / n_iso
    omega = off_resonance_rad_s(b0[h_idx, w_idx] + comp.shift_ppm[k_idx], protocol.field_t)
    unit = cauchy_offsets(1.0, n_iso) if protocol.t2prime else np.zeros(1)
    spread = comp.r2prime[k_idx][:, None] * unit[None, :]
    rep = np.repeat
    out_re, out_im = bloch_spin_echo(
        rep(m0, n_iso),
        rep(comp.t1_s[k_idx], n_iso),
        rep(comp.t2_s[k_idx], n_iso),
        (omega[:, None] + spread).ravel(),
        rep(h_idx, n_iso).astype(np.int64),
        rep(w_idx, n_iso).astype(np.int64),
        rep(h_idx * width + w_idx, n_iso).astype(np.int64),
        np.ascontiguousarray(sens.reshape(sens.shape[0], -1).real),
        np.ascontiguousarray(sens.reshape(sens.shape[0], -1).imag),
        height,
        width,
        te_ms * 1e-3,
        tr_ms * 1e-3,
        protocol.dwell_s,
        n_dummy,
        _CHUNKS,
    )
    # (coils, line, sample) -> (coils, H = sample, W = line), orthonormal scaling.
    return np.asarray((out_re + 1j * out_im).transpose(0, 2, 1) / math.sqrt(height * width))
