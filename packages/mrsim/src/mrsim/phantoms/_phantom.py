"""The phantom record: 12 BrainWeb tissue fractions on a regular grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["N_TISSUES", "TISSUE_NAMES", "Phantom", "PhantomError"]

TISSUE_NAMES: tuple[str, ...] = (
    "background",
    "csf",
    "gm",
    "wm",
    "fat",
    "muscle",
    "muscle_skin",
    "skull",
    "vessels",
    "around_fat",
    "dura",
    "marrow",
)
"""BrainWeb's 12 tissue classes; the index of a name is its label value in the crisp models."""

N_TISSUES = len(TISSUE_NAMES)


class PhantomError(ValueError):
    """A phantom file or argument cannot be used (the message names the file or argument)."""


@dataclass(frozen=True)
class Phantom:
    """Tissue fractions of a head on a regular grid (world axes z, y, x in mm).

    Axes follow BrainWeb / MINC: ``z`` inferior -> superior, ``y`` posterior -> anterior,
    ``x`` left -> right.
    """

    fractions: np.ndarray
    """float32 ``(12, Z, Y, X)``; per voxel the volume fraction of each tissue in
    :data:`TISSUE_NAMES` order, summing to 1 over axis 0 (to float32 round-off)."""
    spacing_mm: tuple[float, float, float]
    """Voxel size ``(dz, dy, dx)`` in mm."""
    origin_mm: tuple[float, float, float]
    """World position ``(z, y, x)`` in mm of the centre of voxel ``(0, 0, 0)``."""
    name: str
    """Subject name, e.g. ``"subject04"`` or ``"procedural07"``."""

    def __post_init__(self) -> None:
        f = self.fractions
        if not isinstance(f, np.ndarray) or f.ndim != 4 or f.shape[0] != N_TISSUES:
            raise PhantomError(
                f"fractions must be an array of shape ({N_TISSUES}, Z, Y, X), got "
                f"{getattr(f, 'shape', type(f).__name__)}"
            )
        if f.dtype != np.float32:
            raise PhantomError(f"fractions must be float32, got {f.dtype}")
        if len(self.spacing_mm) != 3 or any(not s > 0 for s in self.spacing_mm):
            raise PhantomError(f"spacing_mm must be three positive numbers, got {self.spacing_mm}")
        if len(self.origin_mm) != 3:
            raise PhantomError(f"origin_mm must be three numbers, got {self.origin_mm}")
        object.__setattr__(self, "spacing_mm", tuple(float(s) for s in self.spacing_mm))
        object.__setattr__(self, "origin_mm", tuple(float(o) for o in self.origin_mm))

    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid shape ``(Z, Y, X)``."""
        _, z, y, x = self.fractions.shape
        return (z, y, x)

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in millilitres."""
        dz, dy, dx = self.spacing_mm
        return dz * dy * dx / 1000.0

    @property
    def labels(self) -> np.ndarray:
        """Crisp uint8 label map ``(Z, Y, X)``: the tissue with the largest fraction per voxel."""
        return np.argmax(self.fractions, axis=0).astype(np.uint8)

    def volumes_ml(self) -> dict[str, float]:
        """Volume in millilitres of each tissue (sum of its fractions times the voxel volume)."""
        totals = self.fractions.sum(axis=(1, 2, 3), dtype=np.float64) * self.voxel_volume_ml
        return {name: float(v) for name, v in zip(TISSUE_NAMES, totals, strict=True)}

    def world_z_mm(self) -> np.ndarray:
        """World z coordinate (mm) of every axial plane of the grid."""
        return self.origin_mm[0] + self.spacing_mm[0] * np.arange(self.shape[0])
