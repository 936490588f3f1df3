"""What both engines share: compartments, closed-form echo magnetisation, input checks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mrsim.sequence import SpinEcho
from mrsim.tissues import FAT_SHIFT_PPM, GAMMA_HZ_PER_T, TissueTable, tissue_table

__all__ = ["Compartments", "check_inputs", "compartments", "echo_magnetisation"]


@dataclass(frozen=True)
class Compartments:
    """Signal compartments: one per (tissue label, water or fat species) with signal."""

    label: np.ndarray
    """Tissue label of each compartment, int64 ``(K,)``."""
    weight: np.ndarray
    """Share of the label's proton density in this species, ``(K,)``."""
    shift_ppm: np.ndarray
    """Chemical shift, ppm ``(K,)``."""
    pd: np.ndarray
    """Proton density of the label, ``(K,)``."""
    t1_s: np.ndarray
    """T1 in s, ``(K,)``."""
    t2_s: np.ndarray
    """T2 in s, ``(K,)``."""
    r2prime: np.ndarray
    """R2' in 1/s, ``(K,)``."""


def compartments(table: TissueTable, protocol: SpinEcho) -> Compartments:
    """Split every label with signal into water and fat compartments (see the tissue table)."""
    rows: list[tuple[int, float, float]] = []
    for label, t in enumerate(table.tissues):
        if t.pd <= 0:
            continue
        if t.fat_fraction < 1:
            rows.append((label, 1.0 - t.fat_fraction, 0.0))
        if t.fat_fraction > 0:
            rows.append((label, t.fat_fraction, FAT_SHIFT_PPM if protocol.chemical_shift else 0.0))
    lab = np.array([r[0] for r in rows], dtype=np.int64)
    return Compartments(
        label=lab,
        weight=np.array([r[1] for r in rows]),
        shift_ppm=np.array([r[2] for r in rows]),
        pd=table.array("pd")[lab],
        t1_s=table.array("t1_ms")[lab] * 1e-3,
        t2_s=table.array("t2_ms")[lab] * 1e-3,
        r2prime=table.array("r2prime_per_s")[lab],
    )


def echo_magnetisation(
    pd: np.ndarray, t1_s: np.ndarray, t2_s: np.ndarray, te_ms: float, tr_ms: float
) -> np.ndarray:
    """Steady-state spin-echo magnetisation at the echo centre.

    ``PD (1 - 2 exp(-(TR - TE/2)/T1) + exp(-TR/T1)) exp(-TE/T2)`` for ideal 90/180 pulses and
    a spoiled transverse magnetisation at the end of each TR.

    References
    ----------
    M. A. Bernstein, K. F. King, X. J. Zhou, *Handbook of MRI Pulse Sequences*, Elsevier 2004,
    section 14.3 (spin echo signal).
    """
    te = te_ms * 1e-3
    tr = tr_ms * 1e-3
    recovery = 1.0 - 2.0 * np.exp(-(tr - te / 2) / t1_s) + np.exp(-tr / t1_s)
    return np.asarray(pd * recovery * np.exp(-te / t2_s), dtype=np.float64)


def off_resonance_rad_s(ppm: np.ndarray | float, field_t: float) -> np.ndarray:
    """Angular off-resonance ``2 pi gamma B0 ppm 1e-6`` in rad/s."""
    return np.asarray(2.0 * math.pi * GAMMA_HZ_PER_T * field_t * 1e-6 * np.asarray(ppm))


def check_inputs(
    fractions: np.ndarray,
    te_ms: float,
    tr_ms: float,
    b0_ppm: np.ndarray | None,
    sensitivities: np.ndarray | None,
    table: TissueTable | None,
    protocol: SpinEcho,
    keep_dtype: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, TissueTable]:
    """Validate one slice's inputs; return fractions (float64 unless ``keep_dtype`` and
    float32), the B0 map, the sensitivities and the table."""
    f = np.asarray(fractions)
    if f.ndim != 3 or f.shape[0] != 12 or min(f.shape[1:]) < 1:
        raise ValueError(f"fractions must have shape (12, H, W); got {f.shape}")
    if not (np.isfinite(f).all() and f.min() >= 0):
        raise ValueError("fractions must be finite and >= 0")
    if not (0 < te_ms < tr_ms):
        raise ValueError(f"need 0 < TE < TR; got TE {te_ms} ms, TR {tr_ms} ms")
    h, w = f.shape[1:]
    b0 = np.zeros((h, w)) if b0_ppm is None else np.asarray(b0_ppm, dtype=np.float64)
    if b0.shape != (h, w):
        raise ValueError(f"b0_ppm must have shape {(h, w)}; got {b0.shape}")
    if sensitivities is None:
        sens = np.ones((1, h, w), dtype=np.complex128)
    else:
        sens = np.asarray(sensitivities, dtype=np.complex128)
        if sens.ndim != 3 or sens.shape[1:] != (h, w):
            raise ValueError(f"sensitivities must have shape (coils, {h}, {w}); got {sens.shape}")
    tab = table if table is not None else tissue_table(protocol.field_t)
    keep = keep_dtype and f.dtype == np.float32
    return np.ascontiguousarray(f, dtype=np.float32 if keep else np.float64), b0, sens, tab
