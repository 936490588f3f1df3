"""Simulation engines: ``fast`` (exact separable encoding, numba) and ``bloch`` (isochromats).

Both take one slice's tissue fractions ``(12, H, W)``, its TE/TR, a :class:`~mrsim.SpinEcho`
protocol and optional B0 map and coil sensitivities, and return the noise-free k-space
``(coils, H, W)`` in ``kspace``'s centred orthonormal convention.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from mrsim.engines import bloch, fast
from mrsim.engines._common import compartments, echo_magnetisation
from mrsim.sequence import SpinEcho
from mrsim.tissues import TissueTable

__all__ = [
    "ENGINES",
    "SliceEngine",
    "bloch",
    "compartments",
    "echo_magnetisation",
    "fast",
    "get_engine",
]


class SliceEngine(Protocol):
    """The call signature shared by the engines."""

    def __call__(
        self,
        fractions: np.ndarray,
        te_ms: float,
        tr_ms: float,
        protocol: SpinEcho,
        *,
        b0_ppm: np.ndarray | None = None,
        sensitivities: np.ndarray | None = None,
        table: TissueTable | None = None,
    ) -> np.ndarray: ...


ENGINES: dict[str, SliceEngine] = {"fast": fast.simulate_slice, "bloch": bloch.simulate_slice}


def get_engine(name: str) -> SliceEngine:
    """The engine called ``name`` (``"fast"`` or ``"bloch"``)."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}") from None
