"""Slice datasets over the per-subject HDF5 files that ``mrsim simulate`` writes.

One file per subject holds ``kspace`` complex64 ``(slices, H, W)`` (readout along ``H``, phase
encoding along ``W``), ``labels`` uint8 ``(slices, H, W)`` (0 background, 1 CSF, 2 GM, 3 WM) and
attributes such as ``resolution_mm``. Multi-coil k-space ``(slices, coils, H, W)`` is refused
with a clear error: the models take single-channel complex images and data consistency needs
the measured k-space of that one channel (coil-combine, e.g. with sensitivity maps, first).

Splits
------
Subjects (files), never slices, are split, so no subject is in two splits. The files are
sorted by name and shuffled with ``numpy.random.default_rng(split.seed)``; the first
``train`` go to training, the next ``val`` to validation, the last ``test`` to testing. When the
directory does not hold exactly ``train + val + test`` subjects, the counts are scaled to the
number present: ``test = max(1, round(n * test / total))``, ``val = max(1, round(n * val /
total))`` and the rest train (e.g. 5 subjects with the 15/2/3 default: 3 / 1 / 1); a split left
empty is an error.

Masks
-----
Every slice gets its own under-sampling mask drawn with :func:`kspace.mask_seed`:
``mask_seed(seed, 1, epoch, rank, subject_key, slice)`` for training (fresh every epoch and
different on every DDP rank) and ``mask_seed(seed, 0, subject_key, slice)`` for validation,
testing and prediction (fixed, the same on every rank and in every run with that seed).
``subject_key`` is the CRC-32 of the file name's stem, so a slice keeps its mask whatever the
split.

Intensity normalisation
-----------------------
Identical for every method and computable at inference: each slice is divided by the 99th
percentile of the magnitude of its *zero-filled* image (a quantity available from the
under-sampled data alone). The same factor scales the measured k-space, the zero-filled image
and the fully-sampled image, so data consistency and the MSE target stay consistent. The
factor is returned with each sample (``scale``) to undo it.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset

from kspace import MaskFunc, complex_to_channels, ifft2c, mask_seed
from seranet.models import ModelInput

__all__ = [
    "NUM_CLASSES",
    "SPLITS",
    "Batch",
    "DataError",
    "SliceDataset",
    "SliceSample",
    "SplitConfig",
    "SubjectInfo",
    "collate",
    "find_subjects",
    "inspect_subject",
    "make_sample",
    "normalisation_scale",
    "split_subjects",
    "subject_key",
]

NUM_CLASSES = 4
"""Background, CSF, GM, WM."""

SPLITS = ("train", "val", "test")
_CHECK_CHUNK = 8  # slices read at a time when validating a file


class DataError(ValueError):
    """A dataset directory or file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class SplitConfig:
    """How subjects are divided into training, validation and test sets (by subject)."""

    train: int = 15
    """Training subjects (out of ``train + val + test``; scaled when fewer files exist)."""
    val: int = 2
    """Validation subjects, used for checkpoint selection."""
    test: int = 3
    """Test subjects, held out for :mod:`seranet.evaluate`."""
    seed: int = 0
    """Seed of the shuffle of the sorted file names (independent of the training seed)."""

    def __post_init__(self) -> None:
        for name in SPLITS:
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ValueError(f"split size {name!r} must be a positive integer; got {value}")
        if self.seed < 0:
            raise ValueError(f"split seed must be >= 0; got {self.seed}")

    def counts(self, n: int) -> tuple[int, int, int]:
        """Train, validation and test counts for ``n`` subjects (see the module docstring)."""
        total = self.train + self.val + self.test
        if n == total:
            return self.train, self.val, self.test
        test = max(1, round(n * self.test / total))
        val = max(1, round(n * self.val / total))
        return n - val - test, val, test


class SubjectInfo(NamedTuple):
    """What :func:`inspect_subject` learnt about one subject file."""

    path: Path
    """The HDF5 file."""
    subject: str
    """The file name's stem (``subject04``)."""
    slices: int
    """Number of slices."""
    shape: tuple[int, int]
    """Image size ``(H, W)``."""
    spacing_mm: tuple[float, float]
    """Pixel spacing along ``H`` and ``W`` in mm (from ``resolution_mm``, which labelled files
    must carry; 1.0 for an unlabelled file without it)."""
    has_labels: bool = True
    """Whether the file holds ``labels``."""


class SliceSample(NamedTuple):
    """One slice, normalised, with its under-sampling mask applied."""

    zero_filled: torch.Tensor
    """Zero-filled image, float32 ``(2, H, W)`` (real, imaginary)."""
    measured: torch.Tensor
    """Measured k-space, complex64 ``(H, W)``, zero off the mask."""
    mask: torch.Tensor
    """Boolean mask, ``(1, W)`` for line masks or ``(H, W)`` for 2D masks."""
    fully_sampled: torch.Tensor | None
    """Fully-sampled image, float32 ``(2, H, W)`` (the reconstruction target); None for an
    under-sampled acquisition."""
    labels: torch.Tensor
    """Tissue classes, int64 ``(H, W)``: 0 background, 1 CSF, 2 GM, 3 WM."""
    scale: float
    """The normalisation factor the slice was divided by."""
    subject: str
    """Subject (file stem) the slice comes from."""
    slice_index: int
    """Slice number within the subject file."""


class Batch(NamedTuple):
    """A collated batch: the model's input, the labels and where each slice came from."""

    inputs: ModelInput
    """What the model's ``forward`` takes."""
    labels: torch.Tensor
    """int64 ``(B, H, W)``."""
    scales: torch.Tensor
    """float32 ``(B,)`` normalisation factors."""
    subjects: tuple[str, ...]
    """Subject of each slice."""
    slice_indices: tuple[int, ...]
    """Slice number of each slice within its subject file."""

    def to(self, device: torch.device | str) -> Batch:
        """The batch on ``device`` (subjects and slice numbers stay on the host)."""
        inp = self.inputs
        return Batch(
            ModelInput(
                inp.zero_filled.to(device),
                inp.measured.to(device),
                inp.mask.to(device),
                None if inp.fully_sampled is None else inp.fully_sampled.to(device),
            ),
            self.labels.to(device),
            self.scales.to(device),
            self.subjects,
            self.slice_indices,
        )


def collate(samples: Sequence[SliceSample]) -> Batch:
    """Stack samples into a :class:`Batch` (all slices must share ``H x W``)."""
    if not samples:
        raise ValueError("cannot collate an empty batch")
    full = [s.fully_sampled for s in samples]
    return Batch(
        ModelInput(
            torch.stack([s.zero_filled for s in samples]),
            torch.stack([s.measured for s in samples]),
            torch.stack([s.mask for s in samples]),
            None if any(f is None for f in full) else torch.stack(full),  # type: ignore[arg-type]
        ),
        torch.stack([s.labels for s in samples]),
        torch.tensor([s.scale for s in samples], dtype=torch.float32),
        tuple(s.subject for s in samples),
        tuple(s.slice_index for s in samples),
    )


def _spacing(value: Any) -> tuple[float, float]:
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if arr.size in (1, 2, 3) and not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"resolution_mm must be positive and finite; got {arr.tolist()}")
    if arr.size == 1:
        return (float(arr[0]), float(arr[0]))
    if arr.size in (2, 3):
        # (x, y[, z]) or (H, W[, slice]) spacings: in-plane voxels of mrsim are isotropic,
        # so the first two entries are the in-plane pair.
        return (float(arr[0]), float(arr[1]))
    raise ValueError(f"resolution_mm must be one to three positive numbers; got {arr.tolist()}")


def inspect_subject(
    path: str | os.PathLike[str], *, check_values: bool = True, require_labels: bool = True
) -> SubjectInfo:
    """Validate one subject file and describe it.

    Checks that ``kspace`` (complex, ``(slices, H, W)``) and ``labels`` (integer, same shape,
    values 0..3) exist and, with ``check_values``, that the k-space is finite everywhere.
    With ``require_labels=False`` a file without ``labels`` passes (for prediction); its
    samples then carry all-background labels.

    Raises
    ------
    DataError
        With a one-line message naming the file and the problem.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise DataError(f"{str(path)!r}: no such file")
    try:
        handle = h5py.File(path, "r")
    except (OSError, ValueError) as error:
        raise DataError(f"{name}: not a readable HDF5 file ({error})") from None
    with handle as f:
        for key in ("kspace", "labels"):
            if key == "labels" and not require_labels and key not in f:
                continue
            if key not in f or not isinstance(f[key], h5py.Dataset):
                raise DataError(f"{name}: missing dataset {key!r}")
        kspace = f["kspace"]
        labels = f.get("labels")
        if kspace.dtype.kind != "c":
            raise DataError(f"{name}: 'kspace' must be complex; got {kspace.dtype}")
        if kspace.ndim == 4:
            raise DataError(
                f"{name}: multi-coil k-space {kspace.shape} (slices, coils, H, W) is not supported; "
                "coil-combine it into (slices, H, W) first"
            )
        if kspace.ndim != 3 or min(kspace.shape) < 1:
            raise DataError(f"{name}: 'kspace' must have shape (slices, H, W); got {kspace.shape}")
        if labels is not None and labels.shape != kspace.shape:
            raise DataError(
                f"{name}: 'labels' shape {labels.shape} does not match 'kspace' shape {kspace.shape}"
            )
        if labels is not None and labels.dtype.kind not in "ui":
            raise DataError(f"{name}: 'labels' must be integer; got {labels.dtype}")
        value = f.attrs.get("resolution_mm")
        if value is None and require_labels:
            raise DataError(
                f"{name}: no 'resolution_mm' attribute (the pixel spacing in mm, needed for "
                "distances in mm); add it to the file"
            )
        try:
            spacing = (1.0, 1.0) if value is None else _spacing(value)
        except ValueError as error:
            raise DataError(f"{name}: {error}") from None
        slices = int(kspace.shape[0])
        if check_values:
            for start in range(0, slices, _CHECK_CHUNK):
                block = kspace[start : start + _CHECK_CHUNK]
                if not np.all(np.isfinite(block)):
                    bad = start + int(np.flatnonzero(~np.isfinite(block).all(axis=(1, 2)))[0])
                    raise DataError(f"{name}: 'kspace' holds NaN or infinite values (slice {bad})")
                if labels is None:
                    continue
                lab = labels[start : start + _CHECK_CHUNK]
                if lab.min() < 0 or lab.max() >= NUM_CLASSES:
                    raise DataError(
                        f"{name}: 'labels' must hold 0..{NUM_CLASSES - 1}; got {int(lab.min())}..{int(lab.max())}"
                    )
        return SubjectInfo(
            path,
            path.stem,
            slices,
            (int(kspace.shape[1]), int(kspace.shape[2])),
            spacing,
            labels is not None,
        )


def find_subjects(data_dir: str | os.PathLike[str]) -> list[Path]:
    """The ``*.h5`` subject files of ``data_dir``, sorted by name.

    Raises
    ------
    DataError
        When the directory does not exist or holds no ``.h5`` files.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(f"data directory {str(root)!r} does not exist")
    files = sorted(p for p in root.iterdir() if p.suffix == ".h5" and p.is_file())
    if not files:
        raise DataError(f"data directory {str(root)!r} holds no subject files (*.h5)")
    return files


def single_subject(path: str | os.PathLike[str]) -> Path:
    """The subject file ``path`` names: the only ``*.h5`` of a directory, or ``path`` itself.

    Raises
    ------
    DataError
        When ``path`` is a directory holding no subject or several.
    """
    root = Path(path)
    if not root.is_dir():
        return root  # a file, or nothing: the reader says which
    files = find_subjects(root)
    if len(files) > 1:
        raise DataError(
            f"directory {str(root)!r} holds {len(files)} subjects; give one file "
            f"(e.g. {str(files[0])!r})"
        )
    return files[0]


def subject_files(path: str | os.PathLike[str]) -> list[Path]:
    """Every subject ``path`` names: a subject file, or the ``*.h5`` files of a directory
    (any number from one; no split is made)."""
    root = Path(path)
    return [root] if root.is_file() else find_subjects(root)


def split_subjects(
    data_dir: str | os.PathLike[str], split: SplitConfig | None = None
) -> dict[str, list[Path]]:
    """Assign the subject files of ``data_dir`` to ``"train"``, ``"val"`` and ``"test"``.

    Deterministic for a given set of file names and ``split.seed`` (module docstring).

    Raises
    ------
    DataError
        When the directory is missing, empty, or too small for every split to get a subject.
    """
    split = split or SplitConfig()
    files = find_subjects(data_dir)
    n_train, n_val, n_test = split.counts(len(files))
    if n_train < 1:
        wanted = f"{split.train}/{split.val}/{split.test}"
        raise DataError(
            f"data directory {str(data_dir)!r} holds {len(files)} subject(s): at least 3 are "
            "needed for non-empty train, val and test splits"
            if len(files) < 3
            else f"the split {wanted} scaled to the {len(files)} subjects of "
            f"{str(data_dir)!r} leaves none for training ({n_train}/{n_val}/{n_test}); "
            "give a split with more training subjects"
        )
    order = np.random.default_rng(split.seed).permutation(len(files))
    shuffled = [files[i] for i in order]
    return {
        "train": sorted(shuffled[:n_train]),
        "val": sorted(shuffled[n_train : n_train + n_val]),
        "test": sorted(shuffled[n_train + n_val :]),
    }


def subject_key(subject: str) -> int:
    """A stable non-negative integer for a subject name (CRC-32), used in mask seeds."""
    return zlib.crc32(subject.encode("utf-8"))


def normalisation_scale(zero_filled_image: np.ndarray) -> float:
    """The factor a slice is divided by: the 99th percentile of its zero-filled magnitude.

    Falls back to 1 for an all-zero slice.
    """
    value = float(np.percentile(np.abs(zero_filled_image), 99.0))
    return value if value > 0 and np.isfinite(value) else 1.0


class SliceDataset(Dataset[SliceSample]):
    """All slices of some subject files; reads one slice at a time, lazily.

    File handles are opened on first access in each process (and dropped when the dataset is
    pickled into a DataLoader worker), so the dataset is safe with ``num_workers > 0``.

    Parameters
    ----------
    files
        Subject HDF5 files; all must share the image size.
    mask
        The under-sampling mask to draw per slice.
    seed
        Base seed of the masks.
    train
        Fresh masks every epoch (and per rank) when true; fixed per slice otherwise.
    rank
        DDP rank, part of the training mask seed.
    check_values
        Scan the k-space for NaN/inf and the labels for bad classes up front.
    require_labels
        Refuse files without ``labels`` (False for prediction on unlabelled data).
    acquired
        The files hold under-sampled acquisitions: their k-space is the measurement (``mask``
        then returns the acquisition's own mask) and there is no fully-sampled image.
    """

    def __init__(
        self,
        files: Sequence[str | os.PathLike[str]],
        mask: MaskFunc,
        *,
        seed: int = 0,
        train: bool = False,
        rank: int = 0,
        check_values: bool = True,
        require_labels: bool = True,
        acquired: bool = False,
    ) -> None:
        if not files:
            raise DataError("a slice dataset needs at least one subject file")
        self.acquired = bool(acquired)
        if seed < 0 or rank < 0:
            raise ValueError(f"seed and rank must be >= 0; got {seed}, {rank}")
        self.subjects = [
            inspect_subject(p, check_values=check_values, require_labels=require_labels)
            for p in files
        ]
        shapes = {s.shape for s in self.subjects}
        if len(shapes) > 1:
            first = self.subjects[0]
            other = next(s for s in self.subjects if s.shape != first.shape)
            raise DataError(
                f"{other.path.name}: image size {other.shape} differs from {first.path.name}'s "
                f"{first.shape}; all subjects of a dataset must share H x W"
            )
        self.mask = mask
        self.seed = int(seed)
        self.train = bool(train)
        self.rank = int(rank)
        self.epoch = 0
        self._index = [(i, k) for i, s in enumerate(self.subjects) for k in range(s.slices)]
        self._keys = [subject_key(s.subject) for s in self.subjects]
        self._handles: dict[int, Any] = {}
        self._pid = os.getpid()

    @property
    def shape(self) -> tuple[int, int]:
        """The image size ``(H, W)`` shared by every slice."""
        return self.subjects[0].shape

    def set_epoch(self, epoch: int) -> None:
        """Select the training masks of ``epoch`` (no effect on validation/test masks)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0; got {epoch}")
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self._index)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_handles"] = {}
        return state

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """Close the file handles this process opened."""
        for handle in getattr(self, "_handles", {}).values():
            # At interpreter shutdown h5py may already be torn down.
            with contextlib.suppress(Exception):
                handle.close()
        self._handles = {}

    def _file(self, i: int) -> Any:
        if self._pid != os.getpid():  # forked into a worker: never reuse the parent's handles
            self._handles, self._pid = {}, os.getpid()
        handle = self._handles.get(i)
        if handle is None:
            handle = h5py.File(self.subjects[i].path, "r")
            self._handles[i] = handle
        return handle

    def mask_seed(self, index: int) -> np.random.SeedSequence:
        """The seed of the mask of sample ``index`` (see the module docstring)."""
        i, k = self._index[index]
        if self.train:
            return mask_seed(self.seed, 1, self.epoch, self.rank, self._keys[i], k)
        return mask_seed(self.seed, 0, self._keys[i], k)

    def locate(self, index: int) -> tuple[str, int]:
        """Subject and slice number of sample ``index``."""
        i, k = self._index[index]
        return self.subjects[i].subject, k

    def __getitem__(self, index: int) -> SliceSample:
        if not 0 <= index < len(self._index):
            raise IndexError(f"slice index {index} out of range for {len(self._index)} slices")
        i, k = self._index[index]
        f = self._file(i)
        kspace = np.asarray(f["kspace"][k], dtype=np.complex64)
        if "labels" in f:
            labels = np.asarray(f["labels"][k], dtype=np.int64)
        else:
            labels = np.zeros(kspace.shape, dtype=np.int64)
        if not np.all(np.isfinite(kspace)):
            raise DataError(
                f"{self.subjects[i].path.name}: 'kspace' holds NaN or infinite values (slice {k})"
            )
        mask = np.asarray(self.mask(kspace.shape, seed=self.mask_seed(index)), dtype=bool)
        return make_sample(
            kspace,
            labels,
            mask,
            subject=self.subjects[i].subject,
            slice_index=k,
            fully_sampled=not self.acquired,
        )


def make_sample(
    kspace: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    *,
    subject: str = "",
    slice_index: int = 0,
    fully_sampled: bool = True,
) -> SliceSample:
    """Under-sample and normalise one k-space slice ``(H, W)``.

    ``mask`` is a boolean array broadcastable to ``(H, W)``; the measured k-space is
    ``kspace * mask``; every image and the k-space are divided by
    :func:`normalisation_scale` of the zero-filled image. With ``fully_sampled=False``
    (``kspace`` is an under-sampled acquisition) the sample has no fully-sampled image.
    """
    measured = np.where(mask, kspace, np.complex64(0)).astype(np.complex64)
    zero_filled = ifft2c(measured).astype(np.complex64)
    scale = normalisation_scale(zero_filled)
    inv = np.float32(1.0 / scale)
    full = ifft2c(kspace).astype(np.complex64) if fully_sampled else None
    return SliceSample(
        torch.from_numpy(
            np.ascontiguousarray(complex_to_channels(zero_filled * inv), dtype=np.float32)
        ),
        torch.from_numpy(np.ascontiguousarray(measured * inv)),
        torch.from_numpy(np.ascontiguousarray(mask)),
        None
        if full is None
        else torch.from_numpy(
            np.ascontiguousarray(complex_to_channels(full * inv), dtype=np.float32)
        ),
        torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64)),
        scale,
        subject,
        slice_index,
    )
