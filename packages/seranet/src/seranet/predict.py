"""Apply a finished run to one subject file: segmentation, probabilities, recovered image, mask.

The input is under-sampled with the run's evaluation masks (:mod:`seranet.inputs`), so the
prediction of a slice is the one ``seranet evaluate`` scores. The output HDF5 (written to a
temporary file beside it, then renamed) holds

``segmentation`` uint8 ``(S, H, W)``
    argmax class (0 background, 1 CSF, 2 GM, 3 WM);
``probabilities`` float16 or float32 ``(S, C, H, W)``
    softmax of the final segmentation;
``recurrence_probabilities`` ``(S, T, C, H, W)``
    SERANet only: the softmax maps of the initial segmentation and of every recurrence;
``image`` float32 ``(S, H, W)``
    magnitude of the recovered image the final segmentation saw, in the input's intensity
    units (the normalisation undone);
``zero_filled`` float32 ``(S, H, W)``
    magnitude of the zero-filled image, same units;
``mask`` bool ``(S, 1, W)`` (line masks) or ``(S, H, W)``
    the under-sampling mask used;
``scale`` float32 ``(S,)``
    the per-slice normalisation factor;

with attributes naming the run, the model, the input file and the mask settings. Optional PNG
overlays colour CSF purple, GM orange and WM white over the recovered image (as the paper's
figures), beside the ground truth when the input has labels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from rich.console import Console

from seranet import __version__
from seranet._display import progress_bar
from seranet._files import atomic_path
from seranet.data import inspect_subject, single_subject
from seranet.evaluate import check_image_shape, iterate_predictions
from seranet.inputs import acquisition_dataset, evaluation_dataset, mask_warning, read_mask
from seranet.train.distributed import resolve_device
from seranet.train.run import load_run
from seranet.vocabulary import BACKGROUND, TISSUE_RGB

__all__ = ["OVERLAY_COLOURS", "Prediction", "overlay", "predict"]

OVERLAY_COLOURS: dict[int, tuple[int, int, int]] = {
    c: rgb for c, rgb in TISSUE_RGB.items() if c != BACKGROUND
}
"""RGB colour of each tissue class in PNG overlays (the paper's palette)."""

_PROBABILITY_DTYPES = ("float16", "float32")


@dataclass(frozen=True)
class Prediction:
    """What :func:`predict` wrote."""

    out: Path
    """The output HDF5 file."""
    slices: int
    """Slices predicted."""
    pngs: tuple[Path, ...]
    """PNG overlays written (empty without ``png_dir``)."""
    acquired: bool = False
    """True when the input was an under-sampled acquisition with its own mask."""
    warnings: tuple[str, ...] = ()
    """One-line warnings (e.g. a mask unlike the run's training masks)."""


def _holds_mask(path: Path) -> bool:
    with h5py.File(path, "r") as f:
        return "mask" in f


def overlay(
    image: np.ndarray, labels: np.ndarray, *, alpha: float = 0.45, zoom: int = 1
) -> np.ndarray:
    """An RGB uint8 picture of ``labels`` coloured over the grey ``image`` (both ``(H, W)``).

    The image is scaled to its 99.5th percentile; each class of :data:`OVERLAY_COLOURS` is
    blended with weight ``alpha``; ``zoom`` repeats pixels for small images.
    """
    top = float(np.percentile(image, 99.5)) if image.size else 1.0
    grey = np.clip(image / (top if top > 0 else 1.0), 0.0, 1.0) * 255.0
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    for c, colour in OVERLAY_COLOURS.items():
        sel = labels == c
        rgb[sel] = (1 - alpha) * rgb[sel] + alpha * np.asarray(colour, dtype=np.float64)
    out = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    if zoom > 1:
        out = out.repeat(zoom, axis=0).repeat(zoom, axis=1)
    return out


def _save_png(rgb: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import image as mpimg

    with atomic_path(path, suffix=".png") as tmp:
        mpimg.imsave(tmp, rgb, format="png")


def predict(
    run_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    png_dir: str | os.PathLike[str] | None = None,
    probabilities_dtype: str = "float16",
    device: str = "auto",
    batch_size: int | None = None,
    eval_seed: int | None = None,
    mask: str | os.PathLike[str] | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> Prediction:
    """Segment every slice of ``input_path`` (a subject file, or a directory holding one)
    with the finished run ``run_dir``.

    An under-sampled acquisition (k-space zero off the sampled lines) is segmented as it is,
    with its own mask: the ``mask`` dataset of the input file (fastMRI's convention, ``(W,)``
    or ``(H, W)``) or the file ``mask`` (``.npy`` or HDF5 with a ``mask`` dataset); no
    fully-sampled data are needed. A mask unlike the run's training masks gives a warning
    (:attr:`Prediction.warnings`). Without a mask the input is taken as fully sampled and
    under-sampled with the evaluation masks of :mod:`seranet.inputs` (seed ``eval_seed``,
    default the run's), as :func:`seranet.evaluate.evaluate` scores it.

    Raises
    ------
    seranet.data.DataError, CheckpointError, ValueError
        Bad input file, unfinished run, bad options (one-line messages); nothing is written.
    """
    if probabilities_dtype not in _PROBABILITY_DTYPES:
        raise ValueError(
            f"probabilities_dtype must be one of {', '.join(_PROBABILITY_DTYPES)}; got {probabilities_dtype!r}"
        )
    input_path = single_subject(input_path)
    out = Path(out)
    if out.suffix not in (".h5", ".hdf5"):
        raise ValueError(f"output {str(out)!r} must end in .h5 or .hdf5")
    if not out.parent.is_dir():
        raise ValueError(f"output directory {str(out.parent)!r} does not exist")
    if Path(input_path).resolve() == out.resolve():
        raise ValueError("the output file must differ from the input file")
    if png_dir is not None and Path(png_dir).exists() and not Path(png_dir).is_dir():
        raise ValueError(f"--png {str(png_dir)!r} exists and is not a directory")
    dev = resolve_device(device)
    run = load_run(run_dir, dev)
    config = run.config
    info = inspect_subject(input_path, require_labels=False)
    warnings: list[str] = []
    acquired = mask is not None or _holds_mask(info.path)
    if acquired:
        if config.model.name == "fully-sampled":
            raise ValueError(
                "the fully-sampled model segments fully-sampled images; this input is an "
                "under-sampled acquisition"
            )
        sampled = read_mask(mask if mask is not None else info.path, info.shape)
        if (warning := mask_warning(sampled, config)) is not None:
            warnings.append(warning)
        dataset = acquisition_dataset(info.path, sampled)
    else:
        dataset = evaluation_dataset(
            [input_path], config, eval_seed=eval_seed, require_labels=False
        )
    check_image_shape(run, dataset.shape)
    console = console or Console(stderr=True)
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)

    n, (h, w) = len(dataset), info.shape
    seg = np.zeros((n, h, w), np.uint8)
    image = np.zeros((n, h, w), np.float32)
    zero_filled = np.zeros((n, h, w), np.float32)
    scale = np.zeros(n, np.float32)
    labels = np.zeros((n, h, w), np.uint8)
    probs: np.ndarray | None = None
    rec_probs: np.ndarray | None = None
    masks: list[np.ndarray] = []
    with progress_bar(console, disable=not progress) as bar:
        task = bar.add_task(f"predict {info.path.name}", total=n)
        for batch, output in iterate_predictions(
            run.model, dataset, batch_size=batch_size or config.batch_size, device=dev
        ):
            if output.logits is None:
                raise RuntimeError(f"model {config.model.name} gives no segmentation at inference")
            idx = np.asarray(batch.slice_indices)
            p = torch.softmax(output.logits, dim=1).numpy()
            if probs is None:
                probs = np.zeros((n, *p.shape[1:]), probabilities_dtype)
            probs[idx] = p
            if len(output.probabilities) > 1:
                stacked = torch.stack(output.probabilities, dim=1).numpy()
                if rec_probs is None:
                    rec_probs = np.zeros((n, *stacked.shape[1:]), probabilities_dtype)
                rec_probs[idx] = stacked
            seg[idx] = output.logits.argmax(dim=1).numpy().astype(np.uint8)
            s = batch.scales.numpy()[:, None, None]
            recovered = output.image if output.image is not None else batch.inputs.zero_filled
            image[idx] = torch.linalg.vector_norm(recovered, dim=1).numpy() * s
            zero_filled[idx] = torch.linalg.vector_norm(batch.inputs.zero_filled, dim=1).numpy() * s
            scale[idx] = batch.scales.numpy()
            labels[idx] = batch.labels.numpy().astype(np.uint8)
            masks.extend(batch.inputs.mask.numpy())
            bar.advance(task, len(idx))
    dataset.close()
    assert probs is not None  # n >= 1 slices were predicted

    with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("segmentation", data=seg, compression="gzip")
        f.create_dataset("probabilities", data=probs, compression="gzip")
        if rec_probs is not None:
            f.create_dataset("recurrence_probabilities", data=rec_probs, compression="gzip")
        f.create_dataset("image", data=image, compression="gzip")
        f.create_dataset("zero_filled", data=zero_filled, compression="gzip")
        f.create_dataset("mask", data=np.stack(masks).astype(bool))
        f.create_dataset("scale", data=scale)
        f.attrs.update(
            {
                "run": str(run_dir),
                "model": config.model.name,
                "input": str(input_path),
                "subject": info.subject,
                "mask_name": config.mask,
                "sampling": config.sampling,
                "center_lines": config.center_lines,
                "input_kind": "acquired" if acquired else "fully sampled, masked",
                **({} if acquired else {"eval_seed": dataset.seed}),
                "resolution_mm": np.asarray(info.spacing_mm),
                "seranet_version": __version__,
            }
        )

    pngs: list[Path] = []
    if png_dir is not None:
        folder = Path(png_dir)
        folder.mkdir(parents=True, exist_ok=True)
        zoom = max(1, 256 // max(h, w))
        for k in range(n):
            picture = overlay(image[k], seg[k], zoom=zoom)
            if info.has_labels:
                gap = np.zeros((picture.shape[0], 4 * zoom, 3), np.uint8)
                picture = np.concatenate(
                    [picture, gap, overlay(image[k], labels[k], zoom=zoom)], axis=1
                )
            path = folder / f"{info.subject}_slice{k:03d}.png"
            _save_png(picture, path)
            pngs.append(path)
    return Prediction(out, n, tuple(pngs), acquired, tuple(warnings))
