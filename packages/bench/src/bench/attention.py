"""Attention maps per recurrence (the paper's Fig. 5) and a slice-by-slice animation.

SERANet-N's segmentation softmax is the attention of the next recurrence. The PNG shows the
CSF, GM and WM probability maps of the initial segmentation and of each recurrence next to the
ground truth; the paper's observation is that ambiguous regions (probabilities near 0.5) at
the first recurrence become more distinct at later ones. The GIF walks through every slice of
one test subject: recovered image, predicted segmentation and ground truth (like the
supplement's ``SERANet-3-image.avi`` and ``SERANet-3-seg.avi``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from bench._io import BenchError, writes_folder
from bench._render import colour_labels, grey, save_figure, save_gif
from bench._runs import SubjectPrediction, busiest_slice, predict_subject, run_info
from seranet.models import parse_model_name
from seranet.vocabulary import DISPLAY_NAMES, LABELS, TISSUES

__all__ = ["AttentionResult", "attention", "attention_figure", "slice_frames"]

_CLASSES = tuple((LABELS[t], DISPLAY_NAMES[t]) for t in TISSUES)


@dataclass(frozen=True)
class AttentionResult:
    """What :func:`attention` wrote."""

    png: Path
    """Probability maps per recurrence of one slice."""
    gif: Path
    """Animation through all slices of the subject."""
    subject: str
    """Subject shown."""
    slice_index: int
    """Slice of the PNG."""
    recurrences: int
    """N of the SERANet-N run."""
    mean_ambiguity: list[float]
    """Per map (initial, recurrence 1..N): mean over brain pixels of ``1 - |2 p - 1|`` for the
    true class, 1 where the network is undecided (p = 0.5), 0 where it is certain."""


def attention_figure(pred: SubjectPrediction, k: int, title: str) -> Figure:
    """Rows CSF / GM / WM; columns: initial map, each recurrence, ground truth."""
    maps = pred.probabilities[k]  # (T, C, H, W)
    steps = maps.shape[0]
    h, w = pred.labels.shape[1:]
    fig = Figure(figsize=(1.7 * (steps + 1) * w / max(h, w) + 1.0, 5.4), layout="constrained")
    axes = fig.subplots(3, steps + 1, squeeze=False)
    image = None
    for row, (c, name) in enumerate(_CLASSES):
        for t in range(steps):
            image = axes[row, t].imshow(maps[t, c], vmin=0.0, vmax=1.0, cmap="magma")
            if row == 0:
                axes[row, t].set_title("initial" if t == 0 else f"recurrence {t}", fontsize=8)
        axes[row, steps].imshow((pred.labels[k] == c).astype(float), vmin=0, vmax=1, cmap="magma")
        axes[row, 0].set_ylabel(name, fontsize=9)
    axes[0, steps].set_title("ground truth", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.6, label="probability")
    fig.suptitle(title, fontsize=9)
    return fig


def slice_frames(pred: SubjectPrediction, zoom: int = 2) -> list[np.ndarray]:
    """One RGB frame per slice: recovered image | predicted segmentation | ground truth."""
    top = float(np.percentile(pred.image, 99.5))
    frames = []
    for k in range(pred.labels.shape[0]):
        gap = np.full((pred.labels.shape[1], 2, 3), 64, dtype=np.uint8)
        row = np.concatenate(
            [
                grey(pred.image[k], top),
                gap,
                colour_labels(pred.prediction[k]),
                gap,
                colour_labels(pred.labels[k]),
            ],
            axis=1,
        )
        frames.append(np.repeat(np.repeat(row, zoom, axis=0), zoom, axis=1))
    return frames


def _ambiguity(pred: SubjectPrediction, k: int) -> list[float]:
    labels = pred.labels[k]
    brain = labels > 0
    out = []
    for t in range(pred.probabilities.shape[1]):
        p_true = np.take_along_axis(pred.probabilities[k, t], labels[None], axis=0)[0]
        out.append(float(np.mean(1 - np.abs(2 * p_true[brain] - 1))) if brain.any() else 0.0)
    return out


@writes_folder("out_dir")
def attention(
    run_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    subject: str | None = None,
    slice_index: int | None = None,
    device: str = "cpu",
) -> AttentionResult:
    """Write ``attention.png`` and ``slices.gif`` of a SERANet-N run into ``out_dir``.

    Parameters
    ----------
    run_dir
        A finished ``seranet-N`` or ``seranet-N++`` run.
    data_dir
        The dataset it was trained on.
    subject, slice_index
        What to show (default: the first test subject, its slice with the most brain).
    """
    info = run_info(run_dir)
    spec = parse_model_name(info.method)
    if spec.family != "seranet":
        raise BenchError(
            f"run {str(info.path)!r} is {info.method}; attention maps need a seranet-N run"
        )
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BenchError(f"output {str(out)!r} exists and is not a directory")
    pred = predict_subject(info, data_dir, subject=subject, device=device)
    k = busiest_slice(pred.labels) if slice_index is None else slice_index
    if not 0 <= k < pred.labels.shape[0]:
        raise BenchError(
            f"slice {k} is out of range: {pred.subject} has {pred.labels.shape[0]} slices"
        )
    kind = f"type {info.recon_type}" if info.recon_type else ""
    title = f"{info.method} ({kind}), {pred.subject} slice {k}: class probabilities per recurrence"
    png = save_figure(attention_figure(pred, k, title), out / "attention.png")
    gif = save_gif(slice_frames(pred), out / "slices.gif")
    return AttentionResult(png, gif, pred.subject, k, spec.recurrences, _ambiguity(pred, k))
