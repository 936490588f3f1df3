"""Finding finished runs and predicting whole test subjects with them (for figures)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bench._io import BenchError, read_json
from bench._render import magnitude
from bench.presets import RECON_FREE
from seranet.data import split_subjects
from seranet.evaluate import iterate_predictions
from seranet.inputs import evaluation_dataset
from seranet.train import RunPaths, TrainConfig, load_run, resolve_device

__all__ = [
    "RunInfo",
    "SubjectPrediction",
    "busiest_slice",
    "find_runs",
    "magnitude_batch",
    "predict_subject",
    "run_info",
    "subject_file",
]


@dataclass(frozen=True)
class RunInfo:
    """A finished run, described from its ``config.json``."""

    path: Path
    """Run directory."""
    method: str
    """Model name."""
    recon_type: str | None
    """Reg block type; None for reconstruction-free methods."""
    recon_blocks: int
    """K."""
    seed: int
    """Training seed."""
    config: TrainConfig
    """The training configuration."""


def run_info(path: str | os.PathLike[str]) -> RunInfo:
    """Describe the finished run in ``path``; :class:`BenchError` when it is not one."""
    paths = RunPaths(Path(path))
    if not paths.root.is_dir():
        raise BenchError(f"run directory {str(paths.root)!r} does not exist")
    if not paths.complete:
        raise BenchError(f"{str(paths.root)!r} is not a finished run (no model.pt)")
    try:
        config = TrainConfig.from_dict(read_json(paths.config))
    except (KeyError, TypeError, ValueError) as error:
        raise BenchError(f"{str(paths.config)!r} is not a training config: {error}") from None
    method = config.model.name
    recon_type = None if method in RECON_FREE else config.model.recon_type
    return RunInfo(paths.root, method, recon_type, config.model.recon_blocks, config.seed, config)


def find_runs(paths: Sequence[str | os.PathLike[str]]) -> list[RunInfo]:
    """Runs named by ``paths``: run directories, or folders holding them.

    A comparison's output directory (with ``runs.json``) contributes exactly the runs of its
    table; any other folder contributes every finished run directly inside it (or inside its
    ``runs/`` sub-folder).
    """
    found: list[RunInfo] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise BenchError(f"{str(path)!r} does not exist")
        if RunPaths(path).complete:
            found.append(run_info(path))
        elif (path / "runs.json").is_file():
            listed = read_json(path / "runs.json")
            found += [run_info(entry["run"]) for entry in listed]
        else:
            folder = path / "runs" if (path / "runs").is_dir() else path
            subs = sorted(d for d in folder.iterdir() if d.is_dir() and RunPaths(d).complete)
            found += [run_info(d) for d in subs]
    if not found:
        raise BenchError(
            f"no finished run (a folder with model.pt) in {', '.join(map(str, paths))}"
        )
    return found


@dataclass(frozen=True)
class SubjectPrediction:
    """One run's outputs on every slice of one subject."""

    subject: str
    """Subject name (file stem)."""
    image: np.ndarray
    """``(S, H, W)`` magnitude of the recovered image the final segmentation saw."""
    zero_filled: np.ndarray
    """``(S, H, W)`` magnitude of the zero-filled image."""
    fully_sampled: np.ndarray
    """``(S, H, W)`` magnitude of the fully-sampled image."""
    labels: np.ndarray
    """``(S, H, W)`` ground-truth classes."""
    prediction: np.ndarray
    """``(S, H, W)`` predicted classes."""
    probabilities: np.ndarray
    """``(S, T, C, H, W)`` softmax maps: SERANet-N gives T = N + 1 (initial and each recurrence)."""


def subject_file(
    config: TrainConfig, data_dir: str | os.PathLike[str], subject: str | None
) -> Path:
    """The file of ``subject`` (default: the first test subject of the run's split)."""
    split = split_subjects(data_dir, config.split)
    if subject is None:
        return split["test"][0]
    every = sorted(p for files in split.values() for p in files)
    for path in every:
        if path.stem == subject:
            return path
    raise BenchError(
        f"subject {subject!r} is not in {str(data_dir)!r}; test subjects: "
        + ", ".join(p.stem for p in split["test"])
    )


def predict_subject(
    run: RunInfo,
    data_dir: str | os.PathLike[str],
    *,
    subject: str | None = None,
    device: str = "cpu",
) -> SubjectPrediction:
    """Run ``run`` on every slice of ``subject`` with its fixed evaluation masks."""
    dev = resolve_device(device)
    loaded = load_run(run.path, dev)
    config = loaded.config
    path = subject_file(config, data_dir, subject)
    dataset = evaluation_dataset([path], config)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("image", "zf", "fs", "labels", "pred", "probs")
    }
    try:
        for batch, out in iterate_predictions(
            loaded.model, dataset, batch_size=config.batch_size, device=dev
        ):
            if out.logits is None:  # pragma: no cover - every registered model segments
                raise BenchError(f"{run.method} gives no segmentation")
            image = out.image if out.image is not None else batch.inputs.zero_filled
            parts["image"].append(magnitude_batch(image))
            parts["zf"].append(magnitude_batch(batch.inputs.zero_filled))
            full = batch.inputs.fully_sampled
            if full is None:  # pragma: no cover - evaluation datasets hold fully-sampled data
                raise BenchError(f"{path.name} holds no fully-sampled data")
            parts["fs"].append(magnitude_batch(full))
            parts["labels"].append(batch.labels.numpy())
            parts["pred"].append(out.logits.argmax(dim=1).numpy())
            parts["probs"].append(torch.stack(out.probabilities, dim=1).numpy())
    finally:
        dataset.close()
    return SubjectPrediction(
        path.stem,
        np.concatenate(parts["image"]),
        np.concatenate(parts["zf"]),
        np.concatenate(parts["fs"]),
        np.concatenate(parts["labels"]),
        np.concatenate(parts["pred"]),
        np.concatenate(parts["probs"]).astype(np.float32),
    )


def magnitude_batch(images: torch.Tensor) -> np.ndarray:
    """``(B, 2, H, W)`` tensor -> ``(B, H, W)`` magnitudes."""
    return np.stack([magnitude(im) for im in images.detach().cpu().numpy()])


def busiest_slice(labels: np.ndarray) -> int:
    """The slice with the most brain (CSF + GM + WM) pixels: a representative axial slice."""
    return int(np.argmax((labels > 0).reshape(labels.shape[0], -1).sum(axis=1)))
