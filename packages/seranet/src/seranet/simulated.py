"""Training samples simulated afresh: randomised anatomy and protocol, exact labels.

Every sample is a new axial slab of a training head, moved and deformed, and acquired with a
new spin-echo protocol by ``mrsim``'s exact simulator, then under-sampled with a fresh mask:

1. **Anatomy.** A head of the pool (BrainWeb training subjects and/or procedural heads) as a
   crisp 1 mm label volume, sampled at the points of a slab of the target grid after a random
   rigid transform (rotation about the slice normal up to ``rotation_deg``, tilts up to
   ``tilt_deg``, scaling, shift) and a smooth elastic displacement (Gaussian control points
   every ``elastic_spacing_mm``, interpolated bicubically). The slab is made as ``mrsim
   simulate`` makes a file's slice: voxels of ``resolution_mm`` (``supersample`` points per
   axis in-plane, one plane per millimetre through-plane), integrated through-plane with the
   file's slice profile (``slice_profile``, FWHM ``slice_thickness_mm``, weights from
   :func:`mrsim.phantoms.slice_weights`). The tissue fractions of a pixel are the weighted
   shares of its points' labels (partial volume), so labels and image come from the same
   deformed anatomy: nothing is interpolated after the fact. The label of a pixel is its
   largest fraction (``mrsim simulate``'s slab labels). Undeformed, a slab equals the file
   pipeline's slice of the same 1 mm labels exactly (tested).
2. **Protocol.** Field 1.5 or 3 T, TE, TR, receive bandwidth, B0 inhomogeneity peak and noise
   level drawn from :class:`Randomisation`'s ranges; no per-slice jitter (one slice).
3. **Acquisition.** ``mrsim``'s ``fast`` engine (exact spin-echo k-space), complex Gaussian
   noise relative to the 99th percentile of this slice's noise-free magnitude (a file's noise
   is relative to its whole volume), a fresh mask of the run's mask function.

Samples are seeded by ``(seed, epoch, index)`` only, so a run is reproducible and resumable, a
sample does not depend on the DataLoader worker that makes it, and DDP ranks (which receive
disjoint indices) never repeat one. The head pool is loaded once per process, lazily;
DataLoader workers must be spawned (:attr:`SimulatedSlices.worker_context`), not forked.

Needs ``mrsim`` (``pip install 'seranet[simulate]'``); nothing else in seranet imports this
module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage
from torch.utils.data import Dataset

import kspace
from kspace import MaskFunc
from seranet.data import DataError, SliceSample, make_sample

__all__ = ["HeadPool", "Randomisation", "SimulatedSlices", "SimulationConfig"]

_LABEL_SPACING_MM = 1.0
"""Voxel size of the crisp label volumes the slabs are sampled from."""

_EXTENT_MM = (180.0, 216.0, 180.0)
"""Field of view ``(z, y, x)``, as ``mrsim simulate``'s."""

_STREAM = 0x51AB
"""Stream key of the simulated samples' seeds (apart from every other seed of a run)."""


@dataclass(frozen=True)
class Randomisation:
    """Ranges of the random anatomy and protocol (uniform unless said otherwise).

    The defaults span clinical 2D spin-echo T2 protocols around the dataset's own (1.5 T, TE 80
    ms, TR 3 s, 32 kHz, 1 ppm, 10 % noise) and head positions a scanner sees: a few degrees of
    tilt, a few millimetres of shift, +-5 % head size, millimetre-scale shape variation.
    """

    rotation_deg: float = 10.0
    """Largest rotation about the slice normal."""
    tilt_deg: float = 5.0
    """Largest rotation about each in-plane axis."""
    shift_mm: float = 6.0
    """Largest shift along each axis."""
    scale: float = 0.05
    """Largest relative change of head size (isotropic)."""
    elastic_mm: float = 1.5
    """Standard deviation of the elastic displacement at its control points."""
    elastic_spacing_mm: float = 32.0
    """Distance between the control points of the elastic displacement."""
    fields_t: tuple[float, ...] = (1.5, 3.0)
    """Field strengths, drawn with equal probability."""
    te_ms: tuple[float, float] = (60.0, 120.0)
    """Echo time range."""
    tr_ms: tuple[float, float] = (2000.0, 5000.0)
    """Repetition time range."""
    bandwidth_hz: tuple[float, float] = (16000.0, 64000.0)
    """Receive bandwidth range (drawn log-uniformly)."""
    b0_ppm: tuple[float, float] = (0.0, 2.0)
    """Range of the peak B0 inhomogeneity."""
    noise: tuple[float, float] = (0.05, 0.20)
    """Range of the noise level (relative to the slice's 99th-percentile magnitude)."""

    def __post_init__(self) -> None:
        for name in ("rotation_deg", "tilt_deg", "shift_mm", "scale", "elastic_mm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0; got {value}")
        if not self.elastic_spacing_mm > 0:
            raise ValueError(f"elastic_spacing_mm must be > 0; got {self.elastic_spacing_mm}")
        if self.scale >= 1:
            raise ValueError(f"scale must be below 1; got {self.scale}")
        if not self.fields_t or any(f not in (1.5, 3.0) for f in self.fields_t):
            raise ValueError(f"fields_t must be 1.5 and/or 3; got {self.fields_t}")
        for name in ("te_ms", "tr_ms", "bandwidth_hz", "b0_ppm", "noise"):
            lo, hi = getattr(self, name)
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi):
                raise ValueError(f"{name} must be a range 0 <= low <= high; got {(lo, hi)}")
        if self.te_ms[1] >= self.tr_ms[0]:
            raise ValueError(f"every TE must be below every TR; got {self.te_ms}, {self.tr_ms}")
        if self.bandwidth_hz[0] <= 0 or self.te_ms[0] <= 0:
            raise ValueError("TE and bandwidth must be positive")


@dataclass(frozen=True)
class SimulationConfig:
    """What the simulated source makes."""

    samples_per_epoch: int
    """Samples per epoch (e.g. as many as the file source's training slices)."""
    resolution_mm: float = 2.0
    """In-plane pixel size (the image is 216 / r x 180 / r)."""
    slice_thickness_mm: float = 3.0
    """Thickness of the ideal slab."""
    supersample: int = 2
    """Points per pixel along each in-plane axis (partial volume)."""
    randomisation: Randomisation = field(default_factory=Randomisation)
    """The ranges of anatomy and protocol."""
    slice_profile: str = "gaussian"
    """Through-plane profile, ``gaussian`` (FWHM ``slice_thickness_mm``) or ``rect`` (an ideal
    slab): the training files' own (``mrsim simulate --slice-profile``)."""

    def __post_init__(self) -> None:
        if self.slice_profile not in ("gaussian", "rect"):
            raise ValueError(
                f"slice_profile must be 'gaussian' or 'rect'; got {self.slice_profile!r}"
            )
        if self.samples_per_epoch < 1:
            raise ValueError(f"samples_per_epoch must be >= 1; got {self.samples_per_epoch}")
        if not (math.isfinite(self.resolution_mm) and self.resolution_mm >= _LABEL_SPACING_MM):
            raise ValueError(f"resolution_mm must be >= 1; got {self.resolution_mm}")
        if not self.slice_thickness_mm > 0:
            raise ValueError(f"slice_thickness_mm must be > 0; got {self.slice_thickness_mm}")
        if self.supersample < 1:
            raise ValueError(f"supersample must be >= 1; got {self.supersample}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the images."""
        return (
            round(_EXTENT_MM[1] / self.resolution_mm),
            round(_EXTENT_MM[2] / self.resolution_mm),
        )


def _require_mrsim() -> Any:
    try:
        import mrsim
    except ImportError:
        raise DataError(
            "the simulated source needs mrsim: pip install 'seranet[simulate]'"
        ) from None
    return mrsim


@dataclass(frozen=True)
class HeadPool:
    """Where the training heads come from: BrainWeb subjects and/or procedural heads."""

    brainweb_dir: Path | None = None
    """Folder of the BrainWeb crisp models."""
    brainweb_subjects: tuple[str, ...] = ()
    """Subjects to use from it (e.g. the training split's ``subject04``, ...)."""
    procedural: int = 0
    """Number of procedural heads (indices ``PROCEDURAL_FIRST`` on: never the evaluation ones)."""
    procedural_seed: int = 0
    """Population seed of the procedural heads."""

    PROCEDURAL_FIRST = 1000
    """First procedural index of the pool: evaluation heads use 0, 1, 2, ..."""

    def __post_init__(self) -> None:
        if self.procedural < 0:
            raise ValueError(f"procedural must be >= 0; got {self.procedural}")
        if self.brainweb_subjects and self.brainweb_dir is None:
            raise ValueError("BrainWeb subjects need brainweb_dir")
        if not self.brainweb_subjects and self.procedural == 0:
            raise ValueError("the head pool is empty: give BrainWeb subjects or procedural heads")

    @property
    def names(self) -> tuple[str, ...]:
        """The heads' names, in pool order."""
        procedural = (f"procedural{self.PROCEDURAL_FIRST + i:02d}" for i in range(self.procedural))
        return (*self.brainweb_subjects, *procedural)

    def load(self, grid_mm: float | None = None) -> list[np.ndarray]:
        """The crisp 1 mm label volumes ``(Z, Y, X)`` uint8 (BrainWeb's 12 tissue labels), on
        :data:`_EXTENT_MM`. With ``grid_mm`` (the training files' voxel size), each window is
        the one ``mrsim simulate`` crops at that voxel size, so that voxels of ``grid_mm``
        about the window centre are the files' voxels: an undeformed slab is then the files'
        slice of the same anatomy, not one shifted by a fraction of a voxel."""
        mrsim = _require_mrsim()
        phantoms: list[Any] = []
        if self.brainweb_subjects:
            files = mrsim.find_brainweb(self.brainweb_dir, list(self.brainweb_subjects))
            phantoms += [mrsim.load_brainweb(f, resolution_mm=_LABEL_SPACING_MM) for f in files]
        phantoms += [
            mrsim.procedural_phantom(
                self.PROCEDURAL_FIRST + i,
                seed=self.procedural_seed,
                resolution_mm=_LABEL_SPACING_MM,
            )
            for i in range(self.procedural)
        ]
        return [_window(p, grid_mm) for p in phantoms]


def _window(phantom: Any, grid_mm: float | None) -> np.ndarray:
    """Labels of ``phantom`` (1 mm) in the :data:`_EXTENT_MM` window ``mrsim.crop_or_pad``
    takes at voxel size ``grid_mm`` (at 1 mm when None or not a whole number of millimetres)."""
    mrsim = _require_mrsim()
    factor = round(grid_mm / _LABEL_SPACING_MM) if grid_mm is not None else 1
    if factor <= 1 or not math.isclose(factor * _LABEL_SPACING_MM, grid_mm or 0.0):
        return np.asarray(mrsim.crop_or_pad(phantom, _EXTENT_MM).labels)
    fractions = phantom.fractions
    padded = [-(-n // factor) * factor for n in fractions.shape[1:]]
    blocks = np.zeros((fractions.shape[0], *padded), dtype=np.float32)
    blocks[0] = 1.0
    blocks[:, : fractions.shape[1], : fractions.shape[2], : fractions.shape[3]] = fractions
    nz, ny, nx = (n // factor for n in padded)
    coarse = blocks.reshape(-1, nz, factor, ny, factor, nx, factor).mean(axis=(2, 4, 6))
    origin = tuple(o + 0.5 * (factor - 1) * _LABEL_SPACING_MM for o in phantom.origin_mm)
    grid = mrsim.Phantom(coarse, (float(grid_mm),) * 3, origin, phantom.name)  # type: ignore[arg-type]
    window = mrsim.crop_or_pad(grid, _EXTENT_MM)
    # the window's first fine voxel, in the phantom's voxel indices
    starts = [
        round((w - 0.5 * (factor - 1) * _LABEL_SPACING_MM - o) / _LABEL_SPACING_MM)
        for w, o in zip(window.origin_mm, phantom.origin_mm, strict=True)
    ]
    labels = np.asarray(phantom.labels)
    n_out = [round(e / _LABEL_SPACING_MM) for e in _EXTENT_MM]
    out = np.zeros(n_out, dtype=np.uint8)
    src, dst = [], []
    for st, n, m in zip(starts, n_out, labels.shape, strict=True):
        lo, hi = max(st, 0), min(st + n, m)
        src.append(slice(lo, hi))
        dst.append(slice(lo - st, hi - st))
    out[tuple(dst)] = labels[tuple(src)]
    return out


class SimulatedSlices(Dataset[SliceSample]):
    """Training samples simulated on demand (module docstring); a drop-in for the file source.

    Parameters
    ----------
    pool
        The training heads.
    config
        Image size, slab, randomisation, samples per epoch.
    mask
        The run's under-sampling mask function (a fresh mask per sample).
    seed
        The run's seed.
    """

    worker_context = "spawn"
    """How DataLoader workers must start: mrsim's kernels run on numba's OpenMP threads, which
    do not survive ``fork`` once the parent has used them."""

    def __init__(
        self, pool: HeadPool, config: SimulationConfig, mask: MaskFunc, *, seed: int
    ) -> None:
        self.pool, self.config, self.mask, self.seed = pool, config, mask, int(seed)
        self.epoch = 0
        self._heads: list[np.ndarray] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """The image size ``(H, W)``."""
        return self.config.shape

    def set_epoch(self, epoch: int) -> None:
        """Draw the samples of ``epoch``."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0; got {epoch}")
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.config.samples_per_epoch

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_heads"] = None  # each worker loads its own pool
        return state

    def heads(self) -> list[np.ndarray]:
        """The pool's label volumes (loaded on first use in each process)."""
        if self._heads is None:
            self._heads = self.pool.load(self.config.resolution_mm)
        return self._heads

    def close(self) -> None:
        """Drop the loaded heads."""
        self._heads = None

    def seed_of(self, index: int) -> np.random.SeedSequence:
        """The seed of sample ``index`` of the current epoch."""
        if not 0 <= index < len(self):
            raise IndexError(f"sample {index} out of range 0..{len(self) - 1}")
        return np.random.SeedSequence([self.seed, _STREAM, self.epoch, index])

    def __getitem__(self, index: int) -> SliceSample:
        head_seed, anatomy_seed, protocol_seed, noise_seed, mask_seed = self.seed_of(index).spawn(5)
        heads = self.heads()
        h = int(np.random.default_rng(head_seed).integers(len(heads)))
        fractions = slab_fractions(heads[h], self.config, np.random.default_rng(anatomy_seed))
        kspace_slice = acquire(
            fractions,
            self.config.randomisation,
            protocol=np.random.default_rng(protocol_seed),
            noise=noise_seed,
        )
        tissue = np.argmax(fractions, axis=0)
        labels = np.where(tissue <= 3, tissue, 0).astype(np.uint8)
        mask = np.asarray(self.mask(kspace_slice.shape, seed=mask_seed), dtype=bool)
        return make_sample(
            kspace_slice, labels, mask, subject=self.pool.names[h], slice_index=index
        )


def _rotation(rng: np.random.Generator, r: Randomisation) -> np.ndarray:
    """A rotation matrix acting on ``(z, y, x)``: about z (the slice normal) up to
    ``rotation_deg``, about y and x up to ``tilt_deg``."""
    a, b, c = np.deg2rad(
        [
            rng.uniform(-r.rotation_deg, r.rotation_deg),
            rng.uniform(-r.tilt_deg, r.tilt_deg),
            rng.uniform(-r.tilt_deg, r.tilt_deg),
        ]
    )
    about_z = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    about_y = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    about_x = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    rotation: np.ndarray = about_z @ about_y @ about_x
    return rotation


def _elastic(
    rng: np.random.Generator, r: Randomisation, shape: tuple[int, int], pixel_mm: float
) -> np.ndarray:
    """A smooth displacement ``(3, H, W)`` in mm over the slab's pixels: Gaussian values at
    control points ``elastic_spacing_mm`` apart (one more than needed on each side),
    interpolated with cubic splines."""
    h, w = shape
    n = [max(2, math.ceil(s * pixel_mm / r.elastic_spacing_mm) + 2) for s in (h, w)]
    control = rng.normal(0.0, r.elastic_mm, size=(3, *n)) if r.elastic_mm > 0 else None
    if control is None:
        return np.zeros((3, h, w))
    ys = np.linspace(0.5, n[0] - 1.5, h)
    xs = np.linspace(0.5, n[1] - 1.5, w)
    grid = np.stack(np.meshgrid(ys, xs, indexing="ij"))
    return np.stack([ndimage.map_coordinates(c, grid, order=3, mode="nearest") for c in control])


def slab_fractions(
    labels: np.ndarray,
    config: SimulationConfig,
    rng: np.random.Generator,
    *,
    centre_z_mm: float | None = None,
) -> np.ndarray:
    """Tissue fractions ``(12, H, W)`` float32 of a random slab of the 1 mm label volume
    ``labels`` ``(Z, Y, X)``, moved and deformed as :class:`Randomisation` draws; the slab's
    centre plane lies ``centre_z_mm`` above the volume centre (default: drawn uniformly over
    the extent)."""
    r = config.randomisation
    h, w = config.shape
    s = config.supersample
    px = config.resolution_mm
    thickness = config.slice_thickness_mm
    centre = (np.asarray(labels.shape, dtype=np.float64) - 1) / 2.0
    # the slab's centre plane: anywhere a file's slices lie (within the extent)
    half_z = (_EXTENT_MM[0] - thickness) / 2.0
    z0 = rng.uniform(-half_z, half_z) if centre_z_mm is None else float(centre_z_mm)
    rotation = _rotation(rng, r) * (1.0 + rng.uniform(-r.scale, r.scale))
    shift = rng.uniform(-r.shift_mm, r.shift_mm, size=3)
    displacement = _elastic(rng, r, (h, w), px)  # (3, H, W) mm
    zs, plane_weights = _planes(z0, config)  # (P,) mm about the centre, weights summing to 1
    # points of the target slab, (z, y, x) mm about the volume centre: (3, H, s, W, s, P)
    sub = (np.arange(s) + 0.5) / s - 0.5
    ys = ((np.arange(h) - (h - 1) / 2.0)[:, None] + sub[None, :]) * px  # (H, s)
    xs = ((np.arange(w) - (w - 1) / 2.0)[:, None] + sub[None, :]) * px  # (W, s)
    shape = (h, s, w, s, len(zs))
    points = np.empty((3, *shape))
    points[0] = zs[None, None, None, None, :]
    points[1] = ys[:, :, None, None, None]
    points[2] = xs[None, None, :, :, None]
    moved = np.tensordot(rotation, points, axes=1) + shift[:, None, None, None, None, None]
    moved += displacement[:, :, None, :, None, None]
    index = np.rint(moved / _LABEL_SPACING_MM + centre[:, None, None, None, None, None])
    index = index.astype(np.int64)
    limits = np.asarray(labels.shape)[:, None, None, None, None, None]
    inside = np.all((index >= 0) & (index < limits), axis=0)
    picked = np.zeros(shape, dtype=np.int64)
    picked[inside] = labels[index[0][inside], index[1][inside], index[2][inside]]
    n_tissues = 12
    pixel = np.arange(h)[:, None, None, None, None] * w + np.arange(w)[None, None, :, None, None]
    weights = np.broadcast_to(plane_weights / (s * s), shape)
    sums = np.bincount(
        (pixel * n_tissues + picked).ravel(), weights=weights.ravel(), minlength=h * w * n_tissues
    ).reshape(h, w, n_tissues)
    fractions: np.ndarray = sums.astype(np.float32).transpose(2, 0, 1)
    return np.ascontiguousarray(fractions)


def _planes(z0: float, config: SimulationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Through-plane sample positions (mm about the volume centre) of a slab centred at ``z0``
    and their weights: the voxels of ``resolution_mm`` a file's grid has there (edges at
    ``-extent / 2 + k * resolution``), weighted by the slice profile as ``mrsim`` weights them,
    each sampled at one plane per label voxel it holds."""
    mrsim = _require_mrsim()
    dz = config.resolution_mm
    edge = -_EXTENT_MM[0] / 2.0
    voxels = edge + (np.arange(round(_EXTENT_MM[0] / dz)) + 0.5) * dz
    first, weights = mrsim.phantoms.slice_weights(
        voxels, dz, np.array([z0]), config.slice_thickness_mm, config.slice_profile
    )
    used = weights[0] > 0
    centres = voxels[first[0] : first[0] + weights.shape[1]][used]
    n = max(1, round(dz / _LABEL_SPACING_MM))
    offsets = ((np.arange(n) + 0.5) / n - 0.5) * dz
    zs = (centres[:, None] + offsets[None, :]).ravel()
    return zs, np.repeat(weights[0][used] / n, n)


def acquire(
    fractions: np.ndarray,
    r: Randomisation,
    *,
    protocol: np.random.Generator,
    noise: np.random.SeedSequence,
) -> np.ndarray:
    """Noisy fully-sampled k-space ``(H, W)`` complex64 of one slice under a random protocol."""
    mrsim = _require_mrsim()
    te = protocol.uniform(*r.te_ms)
    tr = protocol.uniform(*r.tr_ms)
    lo, hi = np.log(r.bandwidth_hz)
    spin_echo = mrsim.SpinEcho(
        te_ms=te,
        tr_ms=tr,
        jitter=0.0,
        bandwidth_hz=float(np.exp(protocol.uniform(lo, hi))),
        field_t=float(protocol.choice(r.fields_t)),
        b0_ppm=protocol.uniform(*r.b0_ppm),
        noise_level=protocol.uniform(*r.noise),
    )
    _, h, w = fractions.shape
    b0 = mrsim.b0_field_map((1, h, w), spin_echo.b0_ppm, protocol)[0]
    clean = mrsim.get_engine("fast")(fractions, te, tr, spin_echo, b0_ppm=b0)[0]
    reference = np.abs(kspace.ifft2c(clean))
    if not reference.any():
        return clean.astype(np.complex64)
    noisy = kspace.add_noise(clean, spin_echo.noise_level, reference, seed=noise)
    return np.asarray(noisy, dtype=np.complex64)


def heads_of_split(files: Sequence[Path]) -> tuple[str, ...]:
    """The BrainWeb subject names of a split's files (``subject04.h5`` -> ``subject04``)."""
    return tuple(Path(f).stem for f in files if Path(f).stem.startswith("subject"))


def file_geometry(path: str | Path) -> tuple[float, float, str]:
    """``(resolution_mm, slice_thickness_mm, slice_profile)`` of an ``mrsim simulate`` file."""
    import h5py

    with h5py.File(path, "r") as f:
        try:
            return (
                float(f.attrs["resolution_mm"]),
                float(f.attrs["slice_thickness_mm"]),
                str(f.attrs["slice_profile"]),
            )
        except KeyError as error:
            raise DataError(f"{str(path)!r} does not record {error.args[0]}") from None
