"""Train and score every method of the paper's tables; resumable, one folder per run.

Layout of a comparison's output directory::

    OUT/preset.json       the preset, the methods / types / seeds run, package versions
    OUT/runs.json         every run: folder, status (trained / resumed / skipped), seconds
    OUT/table.json        rows (see :mod:`bench.tables`), also table.csv and table.md
    RUNS/<run>/           a ``seranet.train`` run directory, plus ``test-metrics.json``

``RUNS`` defaults to ``OUT/runs``. A run's folder name encodes everything that varies between
runs of one preset and one dataset (``joint_A_k3_s1``: Joint, type A, 3 blocks, seed 1;
``zero-filling_s0``), so the ablation and the tables share runs that are the same computation
(the ablation's ``K = preset.recon_blocks`` points are Table 1's runs).

Resuming
--------
Each run goes through :func:`seranet.train.train` with ``resume=True``: a complete run
(``model.pt`` present) is skipped, an interrupted one continues from its last epoch checkpoint
(ending with the weights an uninterrupted run gets), a missing one starts. A run whose stored
configuration differs from the requested one (another preset or dataset in the same folder) is
an error, never silently mixed. Test scores are cached in ``test-metrics.json`` beside the
run's ``model.pt`` and recomputed only when the run was (re)trained in this call.

Shared pre-training
-------------------
Two-step, SegNetMRI and SERANet-N++ all start with a reconstruction pre-training stage, and
Two-step's and SERANet-N++'s are the same computation (same module, seed, data order and
loss). ``seranet.train``'s ``init_from`` copies a finished run's weights but still runs every
stage of the new model, so it cannot skip a stage; each run therefore pre-trains its own
reconstruction. (Skipping would need the trainer to accept a finished stage from another run.)
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

import seranet
from bench import __version__
from bench._io import (
    BenchError,
    atomic_write_json,
    atomic_write_text,
    read_json,
    read_jsonl,
    writes_folder,
)
from bench.presets import RECON_FREE, RECON_TYPES, REFERENCES, Preset
from bench.stats import Term, term_from_metrics
from bench.tables import RunScores, TableRow, make_rows, rows_to_csv, rows_to_markdown
from kspace.guard import die_with_parent, stop_pool
from seranet.data import SplitConfig, split_subjects
from seranet.evaluate import evaluate
from seranet.models import parse_model_name
from seranet.train import EpochRecord, RunPaths, RunSummary, TrainConfig
from seranet.train import train as seranet_train
from seranet.train.config import SimulatedSource
from seranet.train.convergence import final_stage_dice, is_converged
from seranet.vocabulary import MEAN, TISSUES

__all__ = [
    "METRICS_FILE",
    "TRAINING_FIELDS",
    "CompareResult",
    "RunOutcome",
    "RunSpec",
    "Trainer",
    "auto_jobs",
    "check_data",
    "compare",
    "describe",
    "parse_methods",
    "parse_recon_types",
    "plan_runs",
    "run_converged",
    "run_one",
    "run_specs",
    "saved_scores",
    "simulated_source",
    "term_source",
    "train_config",
    "versions",
    "write_table",
]

METRICS_FILE = "test-metrics.json"
"""Test scores of a run, beside its ``model.pt``."""

Trainer = Callable[..., RunSummary]


@dataclass(frozen=True)
class RunSpec:
    """One training run of a comparison."""

    method: str
    """Registry name."""
    recon_type: str | None
    """``"A"`` / ``"B"``; None for :data:`~bench.presets.RECON_FREE` methods."""
    seed: int
    """Training seed."""
    recon_blocks: int
    """K, the reconstruction cascades (unused by Fully-sampled and Zero-filling)."""

    @property
    def name(self) -> str:
        """Folder name: method, type, blocks (when the model has any) and seed."""
        parts = [self.method]
        if self.recon_type is not None:
            parts.append(self.recon_type)
        if self.method not in REFERENCES:
            parts.append(f"k{self.recon_blocks}")
        parts.append(f"s{self.seed}")
        return "_".join(parts)

    @property
    def label(self) -> str:
        """Human-readable: ``joint (type A, K=3, seed 1)``."""
        bits = [] if self.recon_type is None else [f"type {self.recon_type}"]
        if self.method not in REFERENCES:
            bits.append(f"K={self.recon_blocks}")
        bits.append(f"seed {self.seed}")
        return f"{self.method} ({', '.join(bits)})"


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one run in one call."""

    spec: RunSpec
    """The run."""
    run_dir: Path
    """Its folder."""
    status: str
    """``trained`` (started here), ``resumed`` (continued from a checkpoint) or ``skipped``."""
    seconds: float
    """Wall time spent on it in this call (training and scoring)."""
    scores: RunScores | None
    """Its test scores (None when the caller asked for no test scoring)."""

    @property
    def test_scores(self) -> RunScores:
        """:attr:`scores`; an error for a run trained without test scoring."""
        if self.scores is None:
            raise BenchError(f"{self.spec.label} was not scored on the test split")
        return self.scores


@dataclass(frozen=True)
class CompareResult:
    """What :func:`compare` returns."""

    rows: list[TableRow]
    """The table rows (written to ``table.json``)."""
    outcomes: list[RunOutcome]
    """Every run, in the order run."""
    out_dir: Path
    """The output directory."""
    markdown: str
    """``table.md``'s text."""


def parse_methods(text: str | Sequence[str]) -> tuple[str, ...]:
    """Comma-separated registry names, checked; ``ValueError`` naming a bad one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(dict.fromkeys(m.strip() for m in items if m.strip()))
    if not names:
        raise ValueError("no method given")
    for name in names:
        parse_model_name(name)
    return names


def parse_recon_types(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"A,B"`` -> ``("A", "B")``; ``ValueError`` for anything but A and B."""
    items = text.split(",") if isinstance(text, str) else list(text)
    types = tuple(dict.fromkeys(t.strip().upper() for t in items if t.strip()))
    if not types:
        raise ValueError("no reconstruction type given")
    for t in types:
        if t not in RECON_TYPES:
            raise ValueError(f"unknown reconstruction type {t!r}; expected A or B")
    return types


def run_specs(
    preset: Preset,
    methods: Sequence[str],
    recon_types: Sequence[str],
    *,
    seeds: int | None = None,
    recon_blocks: int | None = None,
) -> list[RunSpec]:
    """The runs of a comparison: reconstruction-free methods once, the others per type.

    Methods in ``preset.seeded_methods`` run with ``seeds`` seeds (default ``preset.seeds``),
    the others with seed 0.
    """
    if seeds is not None and seeds < 1:
        raise ValueError(f"seeds must be >= 1; got {seeds}")
    k = recon_blocks or preset.recon_blocks
    specs: list[RunSpec] = []
    for method in methods:
        types: Sequence[str | None] = [None] if method in RECON_FREE else list(recon_types)
        for t in types:
            for seed in preset.seeds_for(method, seeds):
                specs.append(RunSpec(method, t, seed, k))
    return specs


TRAINING_FIELDS: tuple[str, ...] = (
    "epochs",
    "pretrain_epochs",
    "batch_size",
    "lr",
    "lr_step",
    "lr_schedule",
    "lr_hold",
    "warmup_epochs",
    "sampling",
    "center_lines",
    "eval_seed",
)
""":class:`~bench.presets.Preset` fields that :class:`seranet.train.TrainConfig` takes as they are."""


def train_config(
    preset: Preset,
    spec: RunSpec,
    data_dir: Path,
    *,
    device: str,
    simulated: SimulatedSource | None = None,
) -> TrainConfig:
    """The :class:`seranet.TrainConfig` of ``spec`` under ``preset`` (trained on samples
    simulated afresh with ``simulated``, else on ``data_dir``'s training files)."""
    return TrainConfig(
        data_dir=str(data_dir),
        model=preset.model_config(spec.method, spec.recon_type, spec.recon_blocks),
        seed=spec.seed,
        device=device,
        split=SplitConfig(*preset.split),
        simulated=simulated,
        **{name: getattr(preset, name) for name in TRAINING_FIELDS},
    )


def simulated_source(
    preset: Preset, brainweb_dir: str | os.PathLike[str] | None
) -> SimulatedSource | None:
    """The on-the-fly training source of a ``simulated`` preset (None for ``files``).

    A ``brainweb`` preset draws its anatomies from ``brainweb_dir`` (the training split's
    subjects) and :attr:`~bench.presets.Preset.procedural_heads` procedural heads; a
    ``procedural`` preset from the procedural heads alone. :class:`BenchError` when a needed
    folder is missing.
    """
    if preset.source == "files":
        return None
    folder = None
    if preset.phantom == "brainweb":
        if brainweb_dir is None:
            raise BenchError(
                f"preset {preset.name!r} trains on BrainWeb anatomy simulated afresh: "
                "pass --brainweb-dir"
            )
        folder = Path(brainweb_dir)
        if not folder.is_dir():
            raise BenchError(f"BrainWeb directory {str(brainweb_dir)!r} does not exist")
    try:
        return SimulatedSource(
            brainweb_dir=None if folder is None else str(folder),
            procedural_heads=preset.procedural_heads,
        )
    except ValueError as error:
        raise BenchError(str(error)) from None


def versions() -> dict[str, str]:
    """Versions of the packages and the machine, written beside every result."""
    import kspace
    import mrsim

    return {
        "bench": __version__,
        "seranet": seranet.__version__,
        "mrsim": mrsim.__version__,
        "kspace": getattr(kspace, "__version__", "unknown"),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "cpus": str(os.cpu_count()),
        "torch_threads": str(torch.get_num_threads()),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
    }


def check_data(data_dir: str | os.PathLike[str], preset: Preset) -> Path:
    """The dataset directory, resolved, after checking it holds enough subjects for the split."""
    path = Path(data_dir)
    split_subjects(path, SplitConfig(*preset.split))  # DataError with a one-line message
    return path.resolve()


def run_converged(run_dir: Path) -> bool | None:
    """Whether the run in ``run_dir`` converged (:mod:`seranet.train.convergence`)."""
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return None
    return is_converged(final_stage_dice(read_jsonl(path)))


def scores_from_json(data: dict[str, Any], spec: RunSpec, run_dir: Path) -> RunScores:
    """The :class:`RunScores` of ``spec`` from a ``seranet evaluate`` result (its JSON)."""
    per_class = {k.lower(): v for k, v in data["per_class"].items()}

    def pick(metric: str) -> dict[str, float]:
        out = {}
        for c in TISSUES:
            value = per_class[c][metric]
            out[c] = float("nan") if value is None else float(value)
        return out

    return RunScores(
        method=spec.method,
        recon_type=spec.recon_type,
        seed=spec.seed,
        dice=pick("dice"),
        hd=pick("hd_mm"),
        hd95=pick("hd95_mm"),
        converged=run_converged(run_dir),
        run_dir=str(run_dir),
    )


def saved_scores(run_dir: Path, spec: RunSpec) -> RunScores | None:
    """The test scores a finished run cached in ``RUN/test-metrics.json``; None without them."""
    path = run_dir / METRICS_FILE
    return scores_from_json(read_json(path), spec, run_dir) if path.is_file() else None


def term_source(root: Path, recon_blocks: int) -> Callable[[TableRow], Term | None]:
    """Per-slice test scores of a table row's runs under ``root`` (run folders named by
    :class:`RunSpec`): seeds ``0 .. row.seeds - 1``, K from the row's ``recon_blocks`` or
    ``recon_blocks``. None when a run has no scores or none per slice (runs scored before
    per-slice scores were kept)."""

    def source(row: TableRow) -> Term | None:
        k = row.recon_blocks or recon_blocks
        metrics = []
        for seed in range(row.seeds):
            path = root / RunSpec(row.method, row.recon_type, seed, k).name / METRICS_FILE
            data = read_json(path) if path.is_file() else {}
            if not data.get("slices"):
                return None
            metrics.append(data)
        return term_from_metrics(row.name, metrics)

    return source


RELATIVE_COST: dict[str, float] = {
    "fully-sampled": 1.0,
    "zero-filling": 1.0,
    "two-step": 3.0,
    "joint": 3.5,
    "segnetmri": 9.0,
}
"""Rough training cost per epoch relative to a plain UNet (measured at 108 x 90, width 8);
SERANet-N costs ``3 + 1.6 N``. Used only to start the longest runs first with ``jobs > 1``."""


def _cost(spec: RunSpec) -> float:
    spec_name = parse_model_name(spec.method)
    if spec_name.family == "seranet":
        return 3.0 + 1.6 * spec_name.recurrences + (2.0 if spec_name.pretrained else 0.0)
    return RELATIVE_COST.get(spec.method, 3.0)


def auto_jobs(device: str = "auto") -> int:
    """Default parallel runs: one per CPU core on the CPU, 1 with CUDA (one GPU, one run)."""
    if device == "cuda" or (device == "auto" and torch.cuda.is_available()):
        return 1
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def _status(run_dir: Path) -> str:
    paths = RunPaths(run_dir)
    return "skipped" if paths.complete else "resumed" if paths.started else "trained"


def run_one(
    spec: RunSpec,
    preset: Preset,
    data: Path,
    *,
    root: Path,
    device: str = "auto",
    progress: bool = False,
    console: Console | None = None,
    trainer: Trainer | None = None,
    threads: int | None = None,
    epoch_lines: bool = False,
    score_test: bool = True,
    simulated: SimulatedSource | None = None,
) -> RunOutcome:
    """Train (or resume, or skip) and score one run.

    With ``score_test=False`` the test split is not touched (studies that choose a recipe on
    validation data); ``simulated`` trains on samples simulated afresh (:mod:`seranet.simulated`). ``threads`` sets torch's thread count; ``epoch_lines`` prints one plain
    line per finished epoch to stderr (what worker processes show instead of progress bars).
    """
    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    run_dir = root / spec.name
    status = _status(run_dir)
    train = trainer or seranet_train
    config = train_config(preset, spec, data, device=device, simulated=simulated)
    extra: dict[str, Any] = {}
    if epoch_lines:

        def line(record: EpochRecord) -> None:
            dice = (record.val_dice or {}).get(MEAN)
            value = f"val Dice {dice:.4f}" if dice is not None else f"val MSE {record.val_mse:.3g}"
            total = config.stage_epochs(record.stage)
            print(
                f"  {spec.name} {record.stage} {record.epoch}/{total}: {value}, "
                f"{record.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )

        extra["on_epoch_end"] = line
    summary = train(config, run_dir, resume=True, progress=progress, console=console, **extra)
    if not score_test:
        seconds = time.perf_counter() - start
        return RunOutcome(spec=spec, run_dir=run_dir, status=status, seconds=seconds, scores=None)
    metrics_path = run_dir / METRICS_FILE
    if summary.skipped and metrics_path.is_file():
        data_json = read_json(metrics_path)
    else:
        result = evaluate(
            run_dir, data, split="test", device=device, progress=progress, console=console
        )
        data_json = result.to_dict(per_slice=True)
        atomic_write_json(metrics_path, data_json)
    scores = scores_from_json(data_json, spec, run_dir)
    seconds = time.perf_counter() - start
    return RunOutcome(spec=spec, run_dir=run_dir, status=status, seconds=seconds, scores=scores)


def plan_runs(
    specs: Sequence[RunSpec],
    preset: Preset,
    *,
    data_dir: str | os.PathLike[str],
    runs_dir: str | os.PathLike[str],
    device: str = "auto",
    progress: bool = True,
    console: Console | None = None,
    trainer: Trainer | None = None,
    label: str = "",
    jobs: int = 1,
    brainweb_dir: str | os.PathLike[str] | None = None,
) -> list[RunOutcome]:
    """Train (or resume, or skip) and score each of ``specs``; the outcomes in ``specs`` order.

    ``trainer`` defaults to :func:`seranet.train.train` (tests pass a counting wrapper).
    ``jobs > 1`` trains that many runs at once in worker processes with one torch thread each
    (on a CPU with ``jobs`` cores this scales better than torch's own threads, which spin
    when the machine is shared), longest runs first; workers show no progress bars, only a
    line per finished run. A ``simulated`` preset trains on samples simulated afresh
    (:func:`simulated_source`; ``brainweb_dir`` for a ``brainweb`` preset).
    """
    data = check_data(data_dir, preset)
    simulated = simulated_source(preset, brainweb_dir)
    root = Path(runs_dir)
    items = [RunJob(spec, preset, root, simulated=simulated) for spec in specs]
    return run_jobs(
        items,
        data,
        device=device,
        progress=progress,
        console=console,
        trainer=trainer,
        label=label,
        jobs=jobs,
    )


@dataclass(frozen=True)
class RunJob:
    """One run to train: its spec, the preset it is trained under and the folder of its runs."""

    spec: RunSpec
    """The run."""
    preset: Preset
    """Training settings."""
    root: Path
    """The run goes to ``root / spec.name``."""
    data: Path | None = None
    """Its dataset, when not the one :func:`run_jobs` is given."""
    simulated: SimulatedSource | None = None
    """Train on samples simulated afresh instead of the dataset's training files."""

    @property
    def run_dir(self) -> Path:
        """The run's folder."""
        return self.root / self.spec.name

    def dataset(self, default: Path | None) -> Path:
        """:attr:`data`, else ``default``."""
        found = self.data or default
        if found is None:
            raise ValueError(f"{self.spec.label} has no dataset")
        return found


def run_jobs(
    items: Sequence[RunJob],
    data: Path | None,
    *,
    device: str = "auto",
    progress: bool = True,
    console: Console | None = None,
    trainer: Trainer | None = None,
    label: str = "",
    jobs: int = 1,
    score_test: bool = True,
) -> list[RunOutcome]:
    """Train (or resume, or skip) and, with ``score_test``, score each of ``items`` on its own
    dataset or ``data``; the outcomes in ``items`` order (see :func:`plan_runs` for ``jobs``)."""
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1; got {jobs}")
    console = console or Console(stderr=True)
    todo = [j for j in items if _status(j.run_dir) != "skipped"]
    if jobs == 1 or trainer is not None or len(todo) <= 1:
        outcomes: list[RunOutcome] = []
        for i, job in enumerate(items, 1):
            if progress:
                verb = {"skipped": "done", "resumed": "resuming", "trained": "training"}
                status = verb[_status(job.run_dir)]
                console.print(f"[bold]{label}[{i}/{len(items)}][/bold] {job.spec.label}: {status}")
            outcomes.append(
                run_one(
                    job.spec,
                    job.preset,
                    job.dataset(data),
                    root=job.root,
                    device=device,
                    progress=progress,
                    console=console,
                    trainer=trainer,
                    score_test=score_test,
                    simulated=job.simulated,
                )
            )
        return outcomes
    done: dict[RunJob, RunOutcome] = {}
    order = sorted(items, key=lambda j: _cost(j.spec) * j.preset.epochs, reverse=True)
    pool = ProcessPoolExecutor(
        jobs, mp_context=get_context("spawn"), initializer=die_with_parent, initargs=(os.getpid(),)
    )
    futures = {
        pool.submit(
            run_one,
            job.spec,
            job.preset,
            job.dataset(data),
            root=job.root,
            device=device,
            progress=False,
            threads=1,
            epoch_lines=progress,
            score_test=score_test,
            simulated=job.simulated,
        ): job
        for job in order
    }
    try:
        for future in as_completed(futures):
            outcome = future.result()
            done[futures[future]] = outcome
            if progress:
                scored = (
                    ""
                    if outcome.scores is None
                    else f", test Dice {outcome.scores.metric('dice')[MEAN]:.4f}"
                )
                console.print(
                    f"[bold]{label}[{len(done)}/{len(items)}][/bold] {outcome.spec.label}: "
                    f"{outcome.status}, {outcome.seconds:.0f} s{scored}"
                )
    except BaseException:
        stop_pool(pool)  # interrupted: the runs resume from their last epoch checkpoints
        raise
    pool.shutdown()
    return [done[j] for j in items]


def _title(preset: Preset, data: Path, what: str) -> str:
    return (
        f"{what} - preset `{preset.name}` ({preset.description}); data `{data}`; "
        f"{int(100 * preset.sampling)} % of the lines; Dice per class and average, "
        "HD and HD95 in mm; mean ± std over seeds where seeds > 1"
    )


def write_table(
    out_dir: Path,
    outcomes: Sequence[RunOutcome],
    preset: Preset,
    *,
    data: Path,
    extra: dict[str, Any],
    title: str = "Comparison",
) -> tuple[list[TableRow], str]:
    """Write ``table.json`` / ``.csv`` / ``.md``, ``runs.json`` and ``preset.json``."""
    rows = make_rows(o.test_scores for o in outcomes)
    markdown = rows_to_markdown(rows, _title(preset, data, title), links_from=out_dir)
    atomic_write_json(
        out_dir / "preset.json",
        {"preset": preset.to_dict(), "data": str(data), **extra, "versions": versions()},
    )
    atomic_write_json(
        out_dir / "runs.json",
        [
            {
                "run": str(o.run_dir),
                "method": o.spec.method,
                "recon_type": o.spec.recon_type,
                "recon_blocks": o.spec.recon_blocks,
                "seed": o.spec.seed,
                "status": o.status,
                "seconds": round(o.seconds, 2),
            }
            for o in outcomes
        ],
    )
    atomic_write_json(out_dir / "table.json", [row.to_json() for row in rows])
    atomic_write_text(out_dir / "table.csv", rows_to_csv(rows))
    atomic_write_text(out_dir / "table.md", markdown)
    return rows, markdown


@writes_folder("out_dir")
def compare(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    preset: Preset,
    *,
    methods: Sequence[str] | None = None,
    recon_types: Sequence[str] | None = None,
    seeds: int | None = None,
    runs_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
    progress: bool = True,
    console: Console | None = None,
    trainer: Trainer | None = None,
    jobs: int = 1,
    brainweb_dir: str | os.PathLike[str] | None = None,
) -> CompareResult:
    """Train and score each method x Reg type x seed, then write the tables.

    Parameters
    ----------
    data_dir
        Dataset directory (``mrsim simulate`` output); split by subject as ``preset.split``.
    out_dir
        Where the tables, ``preset.json`` and (by default) the runs go.
    preset
        Network, training and run settings.
    methods, recon_types, seeds
        Override the preset's methods, Reg types and number of seeds of its key methods.
    runs_dir
        Where run folders go (default ``OUT/runs``); reuse it to share runs between commands.
    device
        ``auto``, ``cpu`` or ``cuda``.
    progress, console
        Progress output (default stderr).
    trainer
        Replacement for :func:`seranet.train.train` (same signature).
    jobs
        Runs trained at once in worker processes of one torch thread each (see
        :func:`plan_runs`); 2 on a 2-core machine.
    brainweb_dir
        BrainWeb folder, for a ``simulated`` ``brainweb`` preset (its training anatomies).

    Raises
    ------
    ValueError
        (including :class:`seranet.DataError` and checkpoint errors) with one-line messages,
        before anything is written when the input is bad.
    """
    methods = parse_methods(methods) if methods is not None else preset.methods
    types = parse_recon_types(recon_types) if recon_types is not None else preset.recon_types
    specs = run_specs(preset, methods, types, seeds=seeds)
    data = check_data(data_dir, preset)
    out = Path(out_dir)
    runs = Path(runs_dir) if runs_dir is not None else out / "runs"
    outcomes = plan_runs(
        specs,
        preset,
        data_dir=data,
        runs_dir=runs,
        device=device,
        progress=progress,
        console=console,
        trainer=trainer,
        jobs=jobs,
        brainweb_dir=brainweb_dir,
    )
    extra = {
        "methods": list(methods),
        "recon_types": list(types),
        "seeds": seeds if seeds is not None else preset.seeds,
        "runs_dir": str(runs),
        "command": "compare",
    }
    rows, markdown = write_table(out, outcomes, preset, data=data, extra=extra, title="Comparison")
    return CompareResult(rows=rows, outcomes=outcomes, out_dir=out, markdown=markdown)


def describe(outcomes: Sequence[RunOutcome]) -> str:
    """``"3 trained, 1 resumed, 5 skipped"``."""
    counts = {s: sum(o.status == s for o in outcomes) for s in ("trained", "resumed", "skipped")}
    return ", ".join(f"{n} {s}" for s, n in counts.items())
