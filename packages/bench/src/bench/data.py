"""Simulating a preset's datasets through :mod:`mrsim`'s library (``mrsim simulate``'s engine).

A preset fixes the phantom source, subjects, slices and resolution; the noise level varies
between Table 1 (10 %) and Table 2 (20 %). Finished subject files are skipped by
:func:`mrsim.simulate.simulate_dataset`, so an interrupted simulation resumes.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench._io import BenchError
from bench.presets import Preset
from mrsim.sequence import SpinEcho
from mrsim.simulate import DatasetConfig, ProgressEvent, simulate_dataset

__all__ = ["dataset_config", "noise_folder", "simulate"]


def noise_folder(noise: float) -> str:
    """``0.1`` -> ``"noise10"``."""
    return f"noise{round(100 * noise):02d}"


def _brainweb_subjects(brainweb_dir: Path, n: int) -> str | None:
    if not brainweb_dir.is_dir():
        raise BenchError(f"BrainWeb directory {str(brainweb_dir)!r} does not exist")
    found = sorted(
        {
            p.name.split("_")[0].removeprefix("subject")
            for p in brainweb_dir.glob("subject*_crisp_v.*")
        }
    )
    if not found:
        raise BenchError(
            f"BrainWeb directory {str(brainweb_dir)!r} holds no subjectNN_crisp_v.* files"
        )
    if len(found) < n:
        raise BenchError(
            f"BrainWeb directory {str(brainweb_dir)!r} holds {len(found)} subject(s); "
            f"the preset needs {n}"
        )
    return ",".join(found[:n])


def dataset_config(
    preset: Preset,
    out_dir: str | os.PathLike[str],
    noise: float,
    *,
    brainweb_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    labels: str = "slab",
) -> DatasetConfig:
    """The :class:`mrsim.simulate.DatasetConfig` of ``preset`` at noise level ``noise``
    (``labels``: :attr:`mrsim.simulate.DatasetConfig.labels`)."""
    if preset.phantom == "brainweb":
        if brainweb_dir is None:
            raise BenchError(f"preset {preset.name!r} simulates BrainWeb: pass --brainweb-dir")
        source = Path(brainweb_dir)
        subjects = _brainweb_subjects(source, preset.subjects)
        return DatasetConfig(
            Path(out_dir),
            phantom="brainweb",
            brainweb_dir=source,
            subjects=subjects,
            n_slices=preset.slices,
            resolution_mm=preset.resolution_mm,
            protocol=SpinEcho(noise_level=noise),
            seed=seed,
            labels=labels,
        )
    return DatasetConfig(
        Path(out_dir),
        phantom="procedural",
        subjects=str(preset.subjects),
        n_slices=preset.slices,
        resolution_mm=preset.resolution_mm,
        protocol=SpinEcho(noise_level=noise),
        seed=seed,
        labels=labels,
    )


def simulate(
    preset: Preset,
    out_dir: str | os.PathLike[str],
    noise: float,
    *,
    brainweb_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    labels: str = "slab",
    progress: bool = True,
    console: Console | None = None,
) -> list[Path]:
    """Simulate (or complete) the preset's dataset at ``noise`` in ``out_dir``; its files."""
    config = dataset_config(
        preset, out_dir, noise, brainweb_dir=brainweb_dir, seed=seed, labels=labels
    )
    console = console or Console(stderr=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True, disable=not progress) as bar:
        task = bar.add_task(f"simulate {noise_folder(noise)}", total=None)

        def update(event: ProgressEvent) -> None:
            bar.update(task, completed=event.done, total=event.total)

        outcomes = simulate_dataset(config, update)
    return [o.path for o in outcomes]
