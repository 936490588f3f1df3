"""Evaluation inputs: the one place that builds what validation, testing and prediction see.

A slice's input is its fully-sampled k-space file (noise included, drawn once by ``mrsim``)
times an under-sampling mask. Training draws fresh masks from the training seed; every
evaluation (validation during training, ``seranet evaluate``, ``seranet predict`` and the
``bench`` tables) draws them from an *evaluation seed* instead,
``mask_seed(eval_seed, 0, subject_key, slice)``, so two methods, or two training seeds of one
method, are scored on bit-identical inputs and their per-slice scores can be paired.

:func:`inputs_digest` fingerprints what a dataset feeds a model (subject, slice and mask of
every sample, in order); result files carry it so a comparison can check that its runs saw the
same inputs.

An under-sampled *acquisition* (k-space with zeros off the sampled lines, and its mask, as in
fastMRI's test files) is taken as it is: :func:`acquisition_dataset` uses the acquisition's own
mask (:func:`read_mask`), draws none, and has no fully-sampled image.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kspace import MaskFunc, MaskSample
from kspace.masks import Seed
from seranet.data import SliceDataset, inspect_subject

if TYPE_CHECKING:  # seranet.train imports this module: import its config lazily
    from seranet.train.config import TrainConfig

__all__ = [
    "AcquiredMask",
    "acquisition_dataset",
    "evaluation_dataset",
    "inputs_digest",
    "mask_warning",
    "read_mask",
]


def evaluation_dataset(
    files: Sequence[str | os.PathLike[str]],
    config: TrainConfig,
    *,
    eval_seed: int | None = None,
    check_values: bool = True,
    require_labels: bool = True,
) -> SliceDataset:
    """The slices of ``files`` under-sampled with ``config``'s mask and the evaluation masks.

    Parameters
    ----------
    files
        Subject HDF5 files (one image size).
    config
        The run's training configuration: mask kind, sampling and centre lines.
    eval_seed
        Seed of the masks (default ``config.eval_seed``); never the training seed.
    check_values, require_labels
        As in :class:`seranet.data.SliceDataset`.
    """
    from seranet.train.config import build_mask

    if not files:
        raise ValueError("no subject files to evaluate")
    seed = config.eval_seed if eval_seed is None else int(eval_seed)
    width = inspect_subject(files[0], check_values=False, require_labels=require_labels).shape[1]
    return SliceDataset(
        files,
        build_mask(config, width),
        seed=seed,
        check_values=check_values,
        require_labels=require_labels,
    )


class AcquiredMask(MaskFunc):
    """An acquisition's own mask, returned whatever seed is asked for.

    Parameters
    ----------
    mask
        Boolean ``(1, W)`` (a line mask) or ``(H, W)``.
    """

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = np.asarray(mask, dtype=bool)

    def sample(self, shape: Sequence[int], seed: Seed = None) -> MaskSample:
        h, w = shape[-2:]
        if self.mask.shape not in ((1, w), (h, w)):
            raise ValueError(
                f"the mask's shape {self.mask.shape} does not fit {h} x {w} k-space "
                f"(expected ({w},) or ({h}, {w}))"
            )
        return MaskSample(self.mask, _centre_width(np.asarray(self.mask.any(axis=0))))


def read_mask(source: str | os.PathLike[str], shape: tuple[int, int]) -> np.ndarray:
    """An acquisition's mask for ``(H, W)`` k-space, as fastMRI stores it: ``(W,)`` (the sampled
    phase-encode columns) or ``(H, W)``, of 0 / 1 or booleans; from the ``mask`` dataset of an
    HDF5 file or from a ``.npy`` file. Returned as boolean ``(1, W)`` or ``(H, W)``.

    Raises
    ------
    ValueError
        One line naming the file: no mask, values other than 0 / 1, a shape that does not fit,
        nothing sampled.
    """
    import h5py

    path = Path(source)
    name = path.name
    try:
        if path.suffix == ".npy":
            raw = np.load(path, allow_pickle=False)
        else:
            with h5py.File(path, "r") as f:
                if "mask" not in f:
                    raise ValueError(f"{name}: no 'mask' dataset (give the mask with --mask)")
                raw = np.asarray(f["mask"])
    except OSError as error:
        raise ValueError(f"{name}: cannot read a mask ({error})") from None
    values = np.unique(raw)
    if raw.dtype != bool and not np.all(np.isin(values, (0, 1))):
        raise ValueError(f"{name}: the mask must hold 0 and 1 only; got {values[:5].tolist()}")
    h, w = shape
    mask = np.asarray(raw, dtype=bool)
    if mask.shape == (w,):
        mask = mask[None, :]
    if mask.shape not in ((1, w), (h, w)):
        raise ValueError(
            f"{name}: the mask's shape {raw.shape} does not fit {h} x {w} k-space "
            f"(expected ({w},) or ({h}, {w}))"
        )
    if not mask.any():
        raise ValueError(f"{name}: the mask samples nothing")
    return mask


def _centre_width(columns: np.ndarray) -> int:
    """Length of the run of sampled columns through the centre column ``W // 2``."""
    w = columns.size
    c = w // 2
    if not columns[c]:
        return 0
    lo, hi = c, c
    while lo > 0 and columns[lo - 1]:
        lo -= 1
    while hi < w - 1 and columns[hi + 1]:
        hi += 1
    return hi - lo + 1


def mask_warning(mask: np.ndarray, config: TrainConfig) -> str | None:
    """A one-line warning when an acquisition's mask differs much from the masks the run was
    trained on (sampled fraction off by more than 0.05, or a fully sampled centre less than half
    or more than twice as wide); None when it is alike."""
    columns = np.asarray(mask.any(axis=0))
    fraction = float(mask.mean()) if mask.shape[0] > 1 else float(columns.mean())
    centre = _centre_width(columns)
    problems = []
    if abs(fraction - config.sampling) > 0.05:
        problems.append(
            f"samples {100 * fraction:.0f} % (trained on {100 * config.sampling:.0f} %)"
        )
    if config.center_lines and not 0.5 <= centre / config.center_lines <= 2.0:
        problems.append(
            f"has {centre} fully sampled centre lines (trained on {config.center_lines})"
        )
    if not problems:
        return None
    return "the acquisition's mask " + " and ".join(problems) + "; expect lower accuracy"


def acquisition_dataset(
    path: str | os.PathLike[str], mask: np.ndarray, *, check_values: bool = True
) -> SliceDataset:
    """The slices of an under-sampled acquisition, taken as measured with its own ``mask``
    (:func:`read_mask`): no mask is drawn and there is no fully-sampled image."""
    return SliceDataset(
        [path],
        AcquiredMask(mask),
        check_values=check_values,
        require_labels=False,
        acquired=True,
    )


def inputs_digest(dataset: SliceDataset) -> str:
    """SHA-256 (hex) of the subject, slice number and mask of every sample of ``dataset``.

    Two datasets over the same files with equal digests feed a model the same inputs; the
    masks are recomputed from their seeds, no k-space is read.
    """
    h = hashlib.sha256()
    for index in range(len(dataset)):
        subject, slice_index = dataset.locate(index)
        shape = dataset.shape
        mask = np.asarray(dataset.mask(shape, seed=dataset.mask_seed(index)), dtype=bool)
        h.update(f"{subject}/{slice_index}/{mask.shape}".encode())
        h.update(np.packbits(mask).tobytes())
    return h.hexdigest()
