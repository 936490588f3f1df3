"""Spin-echo acquisition settings and the seeded per-subject acquisition quantities.

:class:`SpinEcho` holds the protocol (TE, TR, jitter, bandwidth, field, B0 scale, coils,
noise). The helpers draw what varies per subject from independent seeded streams: per-slice
TE/TR (:func:`slice_timings`), a smooth B0 field map (:func:`b0_field_map`); coil
sensitivities are deterministic (:func:`coil_sensitivities`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SpinEcho", "b0_field_map", "coil_sensitivities", "slice_timings"]


@dataclass(frozen=True)
class SpinEcho:
    """A 2D multi-slice Cartesian spin-echo protocol and its simulated imperfections."""

    te_ms: float = 80.0
    """Nominal echo time, ms."""
    tr_ms: float = 3000.0
    """Nominal repetition time, ms."""
    jitter: float = 0.05
    """Relative per-slice jitter of TE and TR: each slice draws ``(1 + U(-jitter, jitter))``
    factors for TE and for TR independently (seeded)."""
    bandwidth_hz: float = 32000.0
    """Total receiver bandwidth (``1 / dwell``), Hz; 32 kHz over 216 samples is 148 Hz/pixel,
    which puts fat 1.5 pixels from water at 1.5 T."""
    field_t: float = 1.5
    """Main field, tesla (selects the tissue table: 1.5 or 3)."""
    b0_ppm: float = 1.0
    """Peak absolute value of the smooth B0 inhomogeneity map over the volume, ppm
    (0 disables it; 1 ppm = 64 Hz at 1.5 T)."""
    coils: int = 1
    """Number of receive coils (1: uniform sensitivity)."""
    noise_level: float = 0.10
    """Complex noise std (per real/imaginary part) relative to the 99th percentile of the
    noise-free fully-sampled image magnitude of the subject's volume."""
    readout_relaxation: bool = True
    """Apply T2 decay ``exp(-tau R2)`` during the readout (tau from the echo centre)."""
    t2prime: bool = True
    """Apply reversible dephasing ``exp(-|tau| R2')`` during the readout."""
    chemical_shift: bool = True
    """Let fat compartments precess at :data:`mrsim.tissues.FAT_SHIFT_PPM`."""

    def __post_init__(self) -> None:
        checks = {
            "te_ms": self.te_ms,
            "tr_ms": self.tr_ms,
            "bandwidth_hz": self.bandwidth_hz,
            "field_t": self.field_t,
        }
        for name, value in checks.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number; got {value}")
        if not (math.isfinite(self.jitter) and 0 <= self.jitter < 1):
            raise ValueError(f"jitter must be in [0, 1); got {self.jitter}")
        if self.te_ms * (1 + self.jitter) >= self.tr_ms * (1 - self.jitter):
            raise ValueError(
                f"TE must be shorter than TR for every jittered slice; got TE {self.te_ms} ms, "
                f"TR {self.tr_ms} ms, jitter {self.jitter}"
            )
        if not (math.isfinite(self.b0_ppm) and self.b0_ppm >= 0):
            raise ValueError(f"b0_ppm must be >= 0; got {self.b0_ppm}")
        if not (math.isfinite(self.noise_level) and self.noise_level >= 0):
            raise ValueError(f"noise level must be >= 0; got {self.noise_level}")
        if int(self.coils) != self.coils or self.coils < 1:
            raise ValueError(f"coils must be a positive integer; got {self.coils}")

    @property
    def dwell_s(self) -> float:
        """Readout sample spacing, s."""
        return 1.0 / self.bandwidth_hz


def slice_timings(
    protocol: SpinEcho, n_slices: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-slice TE and TR (ms, float64), jittered uniformly by ``protocol.jitter``.

    TE factors are drawn first, then TR factors, from ``rng`` only.
    """
    u = rng.uniform(-1.0, 1.0, size=(2, n_slices))
    te = protocol.te_ms * (1.0 + protocol.jitter * u[0])
    tr = protocol.tr_ms * (1.0 + protocol.jitter * u[1])
    return te, tr


def b0_field_map(
    shape: tuple[int, int, int], peak_ppm: float, rng: np.random.Generator, order: int = 2
) -> np.ndarray:
    """A smooth 3D B0 inhomogeneity map in ppm, float64 ``shape = (S, H, W)``.

    A random combination of products of Legendre polynomials up to total degree ``order``
    (the spherical-harmonic-like shapes a shim leaves behind) over the normalised volume
    ``[-1, 1]^3``, without the constant term, scaled so that its peak absolute value is
    ``peak_ppm``. The coefficients come from ``rng`` only; 0 ppm gives zeros.
    """
    s, h, w = shape
    axes = [np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1) for n in (s, h, w)]
    terms = [
        (a, b, c) for a in range(order + 1) for b in range(order + 1) for c in range(order + 1)
    ]
    terms = [t for t in terms if 0 < sum(t) <= order]
    coef = rng.standard_normal(len(terms))
    if peak_ppm == 0:
        return np.zeros(shape)
    field = np.zeros(shape)
    leg = [[np.polynomial.legendre.Legendre.basis(d)(ax) for d in range(order + 1)] for ax in axes]
    for c, (a, b, d) in zip(coef, terms, strict=True):
        field += c * leg[0][a][:, None, None] * leg[1][b][None, :, None] * leg[2][d][None, None, :]
    peak = np.max(np.abs(field))
    return field * (peak_ppm / peak) if peak > 0 else field


def coil_sensitivities(n_coils: int, height: int, width: int) -> np.ndarray:
    """Smooth complex receive sensitivities, complex128 ``(n_coils, H, W)``.

    One coil gives ones. ``N > 1`` coils sit evenly on a ring around the field of view; each
    has a Gaussian fall-off with distance and a linear phase across the image, and the set is
    normalised to unit root-sum-of-squares at every pixel, so the RSS image equals the
    single-coil magnitude image.
    """
    if n_coils == 1:
        return np.ones((1, height, width), dtype=np.complex128)
    y = np.linspace(-1.0, 1.0, height)[:, None]
    x = np.linspace(-1.0, 1.0, width)[None, :]
    sens = np.empty((n_coils, height, width), dtype=np.complex128)
    for c in range(n_coils):
        angle = 2 * math.pi * c / n_coils
        cy, cx = 1.3 * math.sin(angle), 1.3 * math.cos(angle)
        mag = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * 0.8**2))
        phase = math.pi / 2 * (math.cos(angle) * y - math.sin(angle) * x) + angle
        sens[c] = mag * np.exp(1j * phase)
    return sens / np.sqrt(np.sum(np.abs(sens) ** 2, axis=0))
