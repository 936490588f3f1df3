"""Qualitative panels like the paper's Figs. 3 and 4.

One PNG per Reg block type: a column per method (ground truth, Fully-sampled, Zero-filling,
Two-step, Joint, SegNetMRI, SERANet-1..3, SERANet-3++, as available), the image each method's
segmentation saw in the top row (the fully-sampled image for the ground truth and
Fully-sampled, the zero-filled image for Zero-filling, the recovered image otherwise) and
the segmentation below it, CSF purple, GM orange, WM white. All methods show the same test
slice; reconstruction-free methods appear in every type's panel.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from bench._io import BenchError, writes_folder
from bench._render import colour_labels, grey, save_figure
from bench._runs import RunInfo, SubjectPrediction, busiest_slice, find_runs, predict_subject
from bench.presets import TABLE_METHODS

__all__ = ["FIGURE_ORDER", "Panel", "figures", "select_runs"]

FIGURE_ORDER: tuple[str, ...] = (
    "fully-sampled",
    "zero-filling",
    "two-step",
    "joint",
    "segnetmri",
    "seranet-1",
    "seranet-2",
    "seranet-3",
    "seranet-3++",
)
"""Column order of the panels (the paper's Figs. 3 and 4)."""


@dataclass(frozen=True)
class Panel:
    """One written figure."""

    path: Path
    """The PNG."""
    recon_type: str | None
    """Reg block type shown (None when only reconstruction-free runs were given)."""
    methods: tuple[str, ...]
    """Columns after the ground truth."""
    subject: str
    """Subject shown."""
    slice_index: int
    """Slice shown."""


def _order(method: str) -> tuple[int, str]:
    order = {m: i for i, m in enumerate(FIGURE_ORDER)}
    extra = len(FIGURE_ORDER) + TABLE_METHODS.index(method) if method in TABLE_METHODS else 99
    return (order.get(method, extra), method)


def select_runs(runs: Sequence[RunInfo]) -> dict[str | None, list[RunInfo]]:
    """Group runs by Reg type for the panels: one run per method (lowest seed, then lowest K).

    Reconstruction-free runs join every type's group.
    """
    best: dict[tuple[str, str | None], RunInfo] = {}
    for run in sorted(runs, key=lambda r: (r.seed, r.recon_blocks)):
        best.setdefault((run.method, run.recon_type), run)
    free = [r for (_, t), r in best.items() if t is None]
    types = sorted({t for (_, t) in best if t is not None})
    groups: dict[str | None, list[RunInfo]] = {}
    keys: list[str | None] = list(types) if types else [None]
    for t in keys:
        members = free + [r for (_, rt), r in best.items() if rt == t and t is not None]
        groups[t] = sorted(members, key=lambda r: _order(r.method))
    return groups


def _title(method: str) -> str:
    names = {
        "fully-sampled": "Fully-sampled",
        "zero-filling": "Zero-filling",
        "two-step": "Two-step",
        "joint": "Joint",
        "segnetmri": "SegNetMRI",
    }
    return names.get(method, method.replace("seranet", "SERANet"))


def _draw(predictions: list[tuple[RunInfo, SubjectPrediction]], k: int, title: str) -> Figure:
    first = predictions[0][1]
    columns = 1 + len(predictions)
    h, w = first.labels.shape[1:]
    fig = Figure(figsize=(1.6 * columns * w / max(h, w) + 0.4, 3.6), layout="constrained")
    axes = fig.subplots(2, columns, squeeze=False)
    top = float(np.percentile(first.fully_sampled[k], 99.5))
    axes[0, 0].imshow(grey(first.fully_sampled[k], top))
    axes[1, 0].imshow(colour_labels(first.labels[k]))
    axes[0, 0].set_title("Ground truth", fontsize=8)
    for j, (run, pred) in enumerate(predictions, start=1):
        image = (
            pred.fully_sampled[k]
            if run.method == "fully-sampled"
            else pred.zero_filled[k]
            if run.method == "zero-filling"
            else pred.image[k]
        )
        axes[0, j].imshow(grey(image, top))
        axes[1, j].imshow(colour_labels(pred.prediction[k]))
        axes[0, j].set_title(_title(run.method), fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    return fig


@writes_folder("out_dir")
def figures(
    runs: Sequence[str | os.PathLike[str]],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    subject: str | None = None,
    slice_index: int | None = None,
    device: str = "cpu",
) -> list[Panel]:
    """Write ``figure_type_A.png`` / ``figure_type_B.png`` (or ``figure.png``) into ``out_dir``.

    Parameters
    ----------
    runs
        Run directories, comparison output directories (their ``runs.json``), or folders of runs.
    data_dir
        The dataset the runs were trained on.
    subject, slice_index
        What to show (default: the first test subject, its slice with the most brain).
    """
    infos = find_runs(runs)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BenchError(f"output {str(out)!r} exists and is not a directory")
    cache: dict[Path, SubjectPrediction] = {}
    panels: list[Panel] = []
    for recon_type, members in select_runs(infos).items():
        predictions = []
        for run in members:
            if run.path not in cache:
                cache[run.path] = predict_subject(run, data_dir, subject=subject, device=device)
            predictions.append((run, cache[run.path]))
        first = predictions[0][1]
        k = busiest_slice(first.labels) if slice_index is None else slice_index
        if not 0 <= k < first.labels.shape[0]:
            raise BenchError(
                f"slice {k} is out of range: {first.subject} has {first.labels.shape[0]} slices"
            )
        name = "figure.png" if recon_type is None else f"figure_type_{recon_type}.png"
        label = "" if recon_type is None else f", reconstruction type {recon_type}"
        fig = _draw(predictions, k, f"{first.subject}, slice {k}{label}")
        panels.append(
            Panel(
                save_figure(fig, out / name),
                recon_type,
                tuple(r.method for r, _ in predictions),
                first.subject,
                k,
            )
        )
    return panels
