"""Under-sampling masks: small callable classes and a factory keyed by name.

Line masks select phase-encode columns (the last axis, ``W``) and keep **exactly**
``round(fraction * W)`` of them, including a contiguous block of fully sampled centre
columns centred on ``W // 2``. Every mask takes a ``seed`` (an int, a
:class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator`) and never touches
global random state, so equal seeds give equal masks. Use :func:`mask_seed` to derive
independent per-slice / per-epoch / per-process seeds.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from kspace._poisson import poisson_disc_kernel

__all__ = [
    "MASKS",
    "EquispacedLines",
    "GaussianLines",
    "LineMask",
    "MaskFunc",
    "MaskSample",
    "PoissonDisc2D",
    "RandomLines",
    "Seed",
    "create_mask",
    "mask_seed",
]

Seed = int | np.random.SeedSequence | np.random.Generator | None


class MaskSample(NamedTuple):
    """A drawn mask and the number of fully sampled centre lines (or centre rows x columns)."""

    mask: np.ndarray
    """Boolean array broadcastable to the requested shape."""
    center_lines: int
    """Fully sampled centre columns (line masks) or the side of the calibration square (2D)."""


def mask_seed(*keys: int) -> np.random.SeedSequence:
    """An independent seed from several integers, e.g. ``mask_seed(base, epoch, rank, index)``.

    Different key tuples give statistically independent streams (numpy's ``SeedSequence``),
    which is what per-slice, per-epoch and per-process masks need.
    """
    if not keys or any(int(k) != k or k < 0 for k in keys):
        raise ValueError(f"mask_seed keys must be non-negative integers; got {keys}")
    return np.random.SeedSequence([int(k) for k in keys])


def _check_shape(shape: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2 or any(s < 1 for s in shape):
        raise ValueError(f"shape must be (..., H, W) with positive sizes; got {shape}")
    return shape


class MaskFunc(abc.ABC):
    """Base of every mask: ``mask_fn(shape, seed=...)`` returns a boolean mask."""

    def __call__(self, shape: Sequence[int], seed: Seed = None) -> np.ndarray:
        """Draw a boolean mask broadcastable to ``shape`` (``(..., H, W)``)."""
        return self.sample(shape, seed).mask

    @abc.abstractmethod
    def sample(self, shape: Sequence[int], seed: Seed = None) -> MaskSample:
        """Draw a mask and report its fully sampled centre size."""


def _center_block(width: int, count: int) -> np.ndarray:
    start = width // 2 - count // 2
    return np.arange(start, start + count)


class LineMask(MaskFunc):
    """Cartesian line mask over the phase-encode axis ``W``; override :meth:`_pick`."""

    @abc.abstractmethod
    def num_lines(self, width: int) -> int:
        """Total columns kept for a given width."""

    @abc.abstractmethod
    def num_center_lines(self, width: int) -> int:
        """Fully sampled centre columns for a given width."""

    @abc.abstractmethod
    def _pick(
        self, candidates: np.ndarray, count: int, width: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Choose ``count`` distinct columns out of ``candidates`` (the non-centre columns)."""

    def sample(self, shape: Sequence[int], seed: Seed = None) -> MaskSample:
        shape = _check_shape(shape)
        width = shape[-1]
        total, center = self.num_lines(width), self.num_center_lines(width)
        if center > width:
            raise ValueError(f"center_lines must be <= W = {width}; got {center}")
        if center > total:
            raise ValueError(
                f"center_lines ({center}) must not exceed the number of kept lines ({total} of W = {width})"
            )
        rng = np.random.default_rng(seed)
        centre = _center_block(width, center)
        rest = np.setdiff1d(np.arange(width), centre)
        picked = (
            self._pick(rest, total - center, width, rng) if total > center else np.empty(0, int)
        )
        line = np.zeros(width, dtype=bool)
        line[centre] = True
        line[picked] = True
        return MaskSample(line.reshape((1,) * (len(shape) - 1) + (width,)), center)


def _check_fraction(fraction: float) -> None:
    if not (0.0 < fraction <= 1.0) or math.isnan(fraction):
        raise ValueError(f"fraction must be in (0, 1]; got {fraction}")


def _check_center_lines(center_lines: int) -> None:
    if int(center_lines) != center_lines or center_lines < 0:
        raise ValueError(f"center_lines must be a non-negative integer; got {center_lines}")


@dataclass(frozen=True)
class GaussianLines(LineMask):
    """The SERANet paper's mask: centre block plus lines drawn from a zero-mean Gaussian density.

    The non-centre columns are drawn without replacement with probability proportional to
    ``exp(-(k - W//2)^2 / (2 (std W)^2))``.

    References
    ----------
    Q. Huang, X. Chen, M. Nadar, "End-to-end segmentation with recurrent attention neural
    network" (SERANet), arXiv:1812.02068v1, 2018, section 4.1: 30 % of the phase-encode
    lines kept, 16 of them centre lines.
    """

    fraction: float = 0.3
    """Fraction of the ``W`` phase-encode columns kept, in (0, 1]."""
    center_lines: int = 16
    """Contiguous fully sampled columns centred on ``W // 2``."""
    std: float = 0.25
    """Standard deviation of the sampling density, as a fraction of ``W``."""

    def __post_init__(self) -> None:
        _check_fraction(self.fraction)
        _check_center_lines(self.center_lines)
        if not self.std > 0:
            raise ValueError(f"std must be positive; got {self.std}")

    def num_lines(self, width: int) -> int:
        return round(self.fraction * width)

    def num_center_lines(self, width: int) -> int:
        return int(self.center_lines)

    def _pick(
        self, candidates: np.ndarray, count: int, width: int, rng: np.random.Generator
    ) -> np.ndarray:
        weights = np.exp(-0.5 * ((candidates - width // 2) / (self.std * width)) ** 2)
        return rng.choice(candidates, size=count, replace=False, p=weights / weights.sum())


@dataclass(frozen=True)
class _AccelerationLines(LineMask):
    center_fraction: float = 0.08
    """Fraction of ``W`` fully sampled at the centre (fastMRI's ``center_fractions``)."""
    acceleration: float = 4.0
    """Under-sampling factor: ``round(W / acceleration)`` columns are kept in all."""

    def __post_init__(self) -> None:
        if not (0.0 <= self.center_fraction <= 1.0):
            raise ValueError(f"center_fraction must be in [0, 1]; got {self.center_fraction}")
        if not self.acceleration >= 1.0:
            raise ValueError(f"acceleration must be >= 1; got {self.acceleration}")

    def num_lines(self, width: int) -> int:
        return max(1, round(width / self.acceleration))

    def num_center_lines(self, width: int) -> int:
        return round(width * self.center_fraction)


@dataclass(frozen=True)
class RandomLines(_AccelerationLines):
    """fastMRI's random mask, with the total line count made exact.

    The centre block is ``round(W * center_fraction)`` columns; the rest are drawn uniformly
    without replacement so that exactly ``round(W / acceleration)`` columns are kept.
    """

    def _pick(
        self, candidates: np.ndarray, count: int, width: int, rng: np.random.Generator
    ) -> np.ndarray:
        return rng.choice(candidates, size=count, replace=False)


@dataclass(frozen=True)
class EquispacedLines(_AccelerationLines):
    """fastMRI's equispaced mask, with the total line count made exact.

    The non-centre columns are taken at evenly spaced positions (random offset) among the
    columns outside the centre block, so exactly ``round(W / acceleration)`` are kept.
    """

    def _pick(
        self, candidates: np.ndarray, count: int, width: int, rng: np.random.Generator
    ) -> np.ndarray:
        spacing = len(candidates) / count
        offset = rng.uniform(0.0, spacing)
        return candidates[np.floor(offset + spacing * np.arange(count)).astype(int)]


@dataclass(frozen=True)
class PoissonDisc2D(MaskFunc):
    """Variable-density Poisson-disc mask over both axes (for 3D or 2D phase encoding).

    Points of the ``H x W`` grid are accepted in random order when no accepted point lies
    closer than ``r(p) = s (1 + density * rho(p))``, ``rho`` the elliptical radius normalised to
    1 at the edge; the scale ``s`` is found by bisection so that about ``H W / acceleration``
    points (calibration square included) are kept. The count is matched to within 2 %, not
    exactly: a disc packing cannot hit every integer.

    References
    ----------
    Bridson, "Fast Poisson disk sampling in arbitrary dimensions", SIGGRAPH sketches 2007;
    Lustig et al., "Sparse MRI", MRM 2007 (variable density).
    """

    acceleration: float = 4.0
    """Target under-sampling factor."""
    calib: int = 16
    """Side of the fully sampled centre square."""
    density: float = 2.0
    """How fast the disc radius grows towards the k-space edge (0: uniform)."""

    def __post_init__(self) -> None:
        if not self.acceleration >= 1.0:
            raise ValueError(f"acceleration must be >= 1; got {self.acceleration}")
        _check_center_lines(self.calib)
        if self.density < 0:
            raise ValueError(f"density must be >= 0; got {self.density}")

    def sample(self, shape: Sequence[int], seed: Seed = None) -> MaskSample:
        shape = _check_shape(shape)
        height, width = shape[-2:]
        if self.calib > min(height, width):
            raise ValueError(f"calib must be <= min(H, W) = {min(height, width)}; got {self.calib}")
        target = round(height * width / self.acceleration)
        if self.calib**2 > target:
            raise ValueError(f"calib**2 ({self.calib**2}) exceeds the {target} points to keep")
        rng = np.random.default_rng(seed)
        order = rng.permutation(height * width).astype(np.int64)
        ky, kx = np.meshgrid(
            (np.arange(height) - height // 2) / (height / 2),
            (np.arange(width) - width // 2) / (width / 2),
            indexing="ij",
        )
        growth = (1.0 + self.density * np.minimum(np.hypot(ky, kx), 1.0)).astype(np.float64)
        calib = np.zeros((height, width), dtype=np.bool_)
        calib[np.ix_(_center_block(height, self.calib), _center_block(width, self.calib))] = True

        best: np.ndarray = calib
        low, high = 0.0, float(max(height, width))
        for _ in range(40):
            scale = 0.5 * (low + high)
            mask = poisson_disc_kernel(order, growth * scale, calib)
            count = int(mask.sum())
            if abs(count - target) < abs(int(best.sum()) - target):
                best = mask
            if abs(count - target) <= 0.002 * target:
                break
            if count > target:
                low = scale
            else:
                high = scale
        return MaskSample(best.reshape((1,) * (len(shape) - 2) + (height, width)), self.calib)


MASKS: dict[str, type[MaskFunc]] = {
    "gaussian-lines": GaussianLines,
    "random-lines": RandomLines,
    "equispaced-lines": EquispacedLines,
    "poisson-disc-2d": PoissonDisc2D,
}
"""Mask classes by the names :func:`create_mask` and the command lines accept."""


def create_mask(name: str, **kwargs: Any) -> MaskFunc:
    """Build a mask by name (see :data:`MASKS`), passing ``kwargs`` to its constructor."""
    try:
        cls = MASKS[name]
    except KeyError:
        raise ValueError(f"unknown mask {name!r}; expected one of {', '.join(MASKS)}") from None
    try:
        return cls(**kwargs)
    except TypeError as error:
        raise ValueError(f"bad options for mask {name!r}: {error}") from None
