"""Score a finished run on a split: per-slice Dice, HD and HD95 (pixels and mm), averaged.

The inputs are the evaluation inputs of :mod:`seranet.inputs` (masks from the run's
``eval_seed``, never its training seed: the same for every method and seed, and fingerprinted
in the result), the split is recomputed from the run's split settings, and the
empty-mask policy is :mod:`seranet.metrics`'s (a class absent from both maps is excluded; absent
from one gives Dice 0 and the image diagonal as HD).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from torch.utils.data import DataLoader

from seranet import __version__
from seranet._display import progress_bar
from seranet._files import atomic_write_text
from seranet.data import SPLITS, Batch, SliceDataset, collate, split_subjects, subject_files
from seranet.inputs import evaluation_dataset, inputs_digest
from seranet.metrics import ScoreSummary, SliceScores, score_slice, summarize
from seranet.models import ModelOutput, SegmentationModel
from seranet.train.config import TrainConfig
from seranet.train.distributed import resolve_device
from seranet.train.run import LoadedRun, load_run
from seranet.vocabulary import DISPLAY_NAMES, LABELS, TISSUES

__all__ = [
    "EVAL_SPLITS",
    "EvaluationResult",
    "check_image_shape",
    "evaluate",
    "iterate_predictions",
    "render_table",
]

EVAL_SPLITS = (*SPLITS, "all")
"""Splits :func:`evaluate` accepts (``all``: every subject of the directory)."""

_LABELS = tuple(LABELS[t] for t in TISSUES)
_METRIC_TITLES = {
    "dice": "Dice",
    "hd": "HD (px)",
    "hd95": "HD95 (px)",
    "hd_mm": "HD (mm)",
    "hd95_mm": "HD95 (mm)",
}


@dataclass(frozen=True)
class EvaluationResult:
    """Scores of one run on one split."""

    method: str
    """Model name of the run."""
    run_dir: Path
    """The run evaluated."""
    data_dir: Path
    """The dataset directory."""
    split: str
    """``train``, ``val``, ``test`` or ``all``."""
    subjects: tuple[str, ...]
    """Subjects scored."""
    summary: ScoreSummary
    """Per-class means and class averages."""
    slices: tuple[tuple[str, int, SliceScores], ...]
    """Per slice: subject, slice number, scores."""
    config: dict[str, Any] = field(default_factory=dict)
    """The run's training configuration."""
    seconds: float = 0.0
    """Wall time of the evaluation."""
    eval_seed: int = 0
    """Seed of the masks the slices were scored with."""
    inputs_digest: str = ""
    """:func:`seranet.inputs.inputs_digest` of the scored inputs."""

    @property
    def n_slices(self) -> int:
        """Slices scored."""
        return len(self.slices)

    def to_dict(self, per_slice: bool = True) -> dict[str, Any]:
        """JSON-able: method, split, per-class and average values, slice count, config."""

        def num(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        names = self.summary.class_names
        out: dict[str, Any] = {
            "method": self.method,
            "run": str(self.run_dir),
            "data": str(self.data_dir),
            "split": self.split,
            "subjects": list(self.subjects),
            **self.summary.to_dict(),
            "config": self.config,
            "eval_seed": self.eval_seed,
            "inputs_digest": self.inputs_digest,
            "seranet_version": __version__,
            "seconds": self.seconds,
        }
        if per_slice:
            out["slices"] = [
                {
                    "subject": subject,
                    "slice": index,
                    **{
                        metric: {n: num(v) for n, v in zip(names, getattr(s, metric), strict=True)}
                        for metric in SliceScores._fields
                    },
                }
                for subject, index, s in self.slices
            ]
        return out


def check_image_shape(run: LoadedRun, shape: tuple[int, int]) -> None:
    """Refuse images of another size than the run was trained on (one-line ``ValueError``)."""
    if run.image_shape is not None and tuple(shape) != run.image_shape:
        h, w = shape
        th, tw = run.image_shape
        raise ValueError(
            f"images are {h} x {w} but run {str(run.paths.root)!r} was trained on {th} x {tw}; "
            "resample the data to the training grid"
        )


def iterate_predictions(
    model: SegmentationModel,
    dataset: SliceDataset,
    *,
    batch_size: int,
    device: torch.device,
    workers: int = 0,
) -> Iterator[tuple[Batch, ModelOutput]]:
    """Batches of ``dataset`` in order with the model's inference output (on the CPU)."""
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=workers, collate_fn=collate
    )
    model.eval()
    with torch.inference_mode():
        for batch in loader:
            out = model(batch.to(device).inputs)
            yield (
                batch,
                ModelOutput(
                    None if out.logits is None else out.logits.float().cpu(),
                    None if out.image is None else out.image.float().cpu(),
                    [p.float().cpu() for p in out.probabilities],
                    [],
                ),
            )


def evaluate(
    run_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    split: str = "test",
    out: str | os.PathLike[str] | None = None,
    device: str = "auto",
    batch_size: int | None = None,
    eval_seed: int | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> EvaluationResult:
    """Score the finished run ``run_dir`` on ``split`` of ``data_dir``.

    Parameters
    ----------
    run_dir
        A complete run (``model.pt`` present).
    data_dir
        Dataset directory (default: the run's own ``data_dir``); with ``split="all"`` also a
        directory of any number of subjects, or one subject file.
    split
        One of :data:`EVAL_SPLITS`: ``train``, ``val`` or ``test`` recomputed from the run's
        split settings, or ``all`` (every subject of ``data_dir``, no split made).
    out
        Optional JSON file to write (atomically) with :meth:`EvaluationResult.to_dict`.
    device, batch_size
        Inference device (``auto``, ``cpu``, ``cuda``) and batch (default: the run's).
    eval_seed
        Seed of the test masks (default: the run's ``eval_seed``).
    progress
        Show a progress bar on ``console`` (default stderr).
    """
    if split not in EVAL_SPLITS:
        raise ValueError(f"split must be one of {', '.join(EVAL_SPLITS)}; got {split!r}")
    start = time.perf_counter()
    dev = resolve_device(device)
    run = load_run(run_dir, dev)
    config: TrainConfig = run.config
    data = Path(data_dir) if data_dir is not None else Path(config.data_dir)
    if split == "all":
        files = subject_files(data)
    elif data.is_file():
        raise ValueError(
            f"{str(data)!r} is one subject file, which has no {split} split; use --split all"
        )
    else:
        files = split_subjects(data, config.split)[split]
    dataset = evaluation_dataset(files, config, eval_seed=eval_seed)
    check_image_shape(run, dataset.shape)
    digest = inputs_digest(dataset)
    spacing = {s.subject: s.spacing_mm for s in dataset.subjects}
    scores: list[tuple[str, int, SliceScores]] = []
    console = console or Console(stderr=True)
    with progress_bar(console, disable=not progress) as bar:
        task = bar.add_task(f"evaluate {split}", total=len(dataset))
        for batch, output in iterate_predictions(
            run.model, dataset, batch_size=batch_size or config.batch_size, device=dev
        ):
            if output.logits is None:
                raise RuntimeError(f"model {config.model.name} gives no segmentation at inference")
            pred = output.logits.argmax(dim=1).numpy()
            labels = batch.labels.numpy()
            for b, (subject, index) in enumerate(
                zip(batch.subjects, batch.slice_indices, strict=True)
            ):
                s = score_slice(pred[b], labels[b], _LABELS, spacing=spacing[subject])
                scores.append((subject, index, s))
            bar.advance(task, len(batch.subjects))
    dataset.close()
    result = EvaluationResult(
        config.model.name,
        Path(run_dir),
        data,
        split,
        tuple(s.subject for s in dataset.subjects),
        summarize([s for _, _, s in scores], _LABELS, TISSUES),
        tuple(scores),
        config.to_dict(),
        time.perf_counter() - start,
        dataset.seed,
        digest,
    )
    if out is not None:
        atomic_write_text(out, json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def render_table(result: EvaluationResult) -> Table:
    """A rich table: one row per class plus the class average, one column per metric."""
    summary = result.summary
    table = Table(
        title=f"{result.method} on {result.split} ({result.n_slices} slices, "
        f"{len(result.subjects)} subjects)"
    )
    table.add_column("class")
    for metric in _METRIC_TITLES.values():
        table.add_column(metric, justify="right")
    table.add_column("slices", justify="right")

    def fmt(v: float, metric: str) -> str:
        if not np.isfinite(v):
            return "-"
        return f"{v:.4f}" if metric == "dice" else f"{v:.3f}"

    for i, name in enumerate(summary.class_names):
        table.add_row(
            DISPLAY_NAMES.get(name, name),
            *(fmt(float(summary.means[m][i]), m) for m in _METRIC_TITLES),
            str(int(summary.counts[i])),
        )
    table.add_row(
        "[bold]average[/bold]",
        *(fmt(summary.average(m), m) for m in _METRIC_TITLES),
        str(summary.n_slices),
    )
    return table
