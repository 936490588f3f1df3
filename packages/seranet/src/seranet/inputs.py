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
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from seranet.data import SliceDataset, inspect_subject

if TYPE_CHECKING:  # seranet.train imports this module: import its config lazily
    from seranet.train.config import TrainConfig

__all__ = ["evaluation_dataset", "inputs_digest"]


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
