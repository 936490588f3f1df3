"""Robustness to protocols and anatomy never trained on: file-trained against randomised models.

Every method is trained twice on one dataset's split (the same preset, seeds, epochs and samples
per epoch, so the same number of optimiser steps; the CPU time of each is measured and
reported): the paper's way, on the training files (arm ``files``), and on samples simulated
afresh from randomised anatomy and protocol (arm ``randomised``, :mod:`seranet.simulated`).
Both arms are scored on the test split as simulated (``standard``) and on copies of it that
change one thing (:data:`TEST_SETS`): the same test subjects re-simulated at 3 T, with a long TE
and TR, at 20 % noise, with 2 ppm B0 inhomogeneity, and procedural heads that neither arm
trained on. The shifted copies keep every other setting of the test files (read from their
``settings``), so each differs from ``standard`` in one factor.

Each comparison is paired: both arms are scored on bit-identical inputs (:mod:`seranet.inputs`),
and the difference ``randomised - files`` in average Dice gets a hierarchical bootstrap interval
(:mod:`bench.stats`). The claims: on ``standard`` the randomised models lose at most
:data:`STANDARD_MARGIN`; on every shifted set they gain (difference above 0).

Layout::

    OUT/data/<set>/                  shifted test sets (mrsim subject files; resumable)
    OUT/runs/files/<run>/            seranet.train run folders, trained on the files
    OUT/runs/randomised/<run>/       ... trained on the simulated source
    OUT/runs/*/<run>/robustness/<set>.json   per-slice scores of the run on each set
    OUT/robustness.json / .md / .png
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
from rich.console import Console

from bench._io import (
    BenchError,
    atomic_write,
    atomic_write_json,
    atomic_write_text,
    read_json,
    writes_folder,
)
from bench.compare import (
    RunJob,
    RunSpec,
    check_data,
    run_jobs,
    scores_from_json,
    simulated_source,
    versions,
)
from bench.convergence import curve_of
from bench.presets import RECON_FREE, Preset
from bench.stats import PairedResult, Term, paired_bootstrap, term_from_metrics
from bench.tables import row_name
from mrsim.sequence import SpinEcho
from mrsim.simulate import DatasetConfig, simulate_dataset
from seranet.data import SplitConfig, split_subjects
from seranet.evaluate import evaluate
from seranet.train.config import SimulatedSource
from seranet.vocabulary import MEAN

__all__ = [
    "ARMS",
    "ROBUSTNESS_METHODS",
    "STANDARD_MARGIN",
    "TEST_SETS",
    "UNSEEN_FIRST",
    "TestSet",
    "parse_test_sets",
    "robustness_study",
    "shifted_config",
]

ROBUSTNESS_METHODS: tuple[str, ...] = (
    "fully-sampled",
    "zero-filling",
    "joint",
    "seranet-3",
    "seranet-3++",
)
"""The methods of the benchmark: the references, a baseline and SERANet with and without
pre-training."""

ARMS: tuple[str, ...] = ("files", "randomised")
"""How each method is trained: on the training files, or on samples simulated afresh."""

STANDARD_MARGIN = 0.02
"""Average Dice the randomised models may lose on the standard test split."""

UNSEEN_FIRST = 500
"""First procedural head index of the ``unseen-heads`` set: above any dataset's subject count,
below the randomised source's pool (:attr:`seranet.simulated.HeadPool.PROCEDURAL_FIRST`)."""


@dataclass(frozen=True)
class TestSet:
    """One set the models are scored on: the test split, or a copy of it changing one factor."""

    name: str
    """Folder and table name."""
    description: str
    """One line for tables."""
    protocol: tuple[tuple[str, float], ...] = ()
    """Fields of :class:`mrsim.sequence.SpinEcho` changed from the test files' protocol."""
    unseen_heads: bool = False
    """Procedural heads (from :data:`UNSEEN_FIRST`) instead of the test subjects."""

    @property
    def standard(self) -> bool:
        """The test split itself (nothing re-simulated)."""
        return not self.protocol and not self.unseen_heads


TEST_SETS: tuple[TestSet, ...] = (
    TestSet("standard", "the test split as trained"),
    TestSet("3t", "re-simulated at 3 T", (("field_t", 3.0),)),
    TestSet(
        "long-te", "re-simulated with TE 100 ms, TR 4 s", (("te_ms", 100.0), ("tr_ms", 4000.0))
    ),
    TestSet("noise20", "re-simulated at 20 % noise", (("noise_level", 0.2),)),
    TestSet("b0-2ppm", "re-simulated with 2 ppm B0 inhomogeneity", (("b0_ppm", 2.0),)),
    TestSet("unseen-heads", "procedural heads no model trained on", unseen_heads=True),
)
"""The sets of the benchmark, ``standard`` first."""


def parse_test_sets(text: str | Sequence[str]) -> tuple[TestSet, ...]:
    """``"standard,3t"`` -> the sets (``standard`` always included, first); ``ValueError``
    naming an unknown one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in items if n.strip()]
    by_name = {s.name: s for s in TEST_SETS}
    for name in names:
        if name not in by_name:
            raise ValueError(f"unknown test set {name!r}; expected one of {', '.join(by_name)}")
    wanted = {"standard", *names}
    return tuple(s for s in TEST_SETS if s.name in wanted)


def _indices(values: Sequence[int]) -> str:
    """Procedural head indices as mrsim's ``subjects`` (a lone ``N`` would mean N heads)."""
    if len(values) == 1:
        return f"{values[0]}-{values[0]}"
    return ",".join(str(v) for v in values)


def shifted_config(
    test_files: Sequence[Path],
    test_set: TestSet,
    out_dir: Path,
    *,
    brainweb_dir: Path | None = None,
) -> DatasetConfig:
    """The :class:`mrsim.simulate.DatasetConfig` re-simulating ``test_files`` (or as many unseen
    procedural heads) with ``test_set``'s change, every other setting read from the files
    (BrainWeb files are re-simulated from the models in ``brainweb_dir``)."""
    if test_set.standard:
        raise ValueError("the standard set is the test split itself: nothing to simulate")
    with h5py.File(test_files[0], "r") as f:
        try:
            settings = json.loads(f.attrs["settings"])
        except KeyError:
            raise BenchError(
                f"{str(test_files[0])!r} records no simulation settings (made by an older mrsim?)"
            ) from None
    changes: dict[str, Any] = dict(test_set.protocol)
    protocol = dataclasses.replace(SpinEcho(**settings["protocol"]), **changes)
    common: dict[str, Any] = {
        "n_slices": int(settings["n_slices"]),
        "slice_thickness_mm": float(settings["slice_thickness_mm"]),
        "resolution_mm": float(settings["resolution_mm"]),
        "slice_profile": str(settings["slice_profile"]),
        "extent_mm": tuple(float(v) for v in settings["extent_mm"]),
        "engine": str(settings["engine"]),
        "seed": int(settings["seed"]),
        "protocol": protocol,
    }
    if test_set.unseen_heads:
        heads = [UNSEEN_FIRST + i for i in range(len(test_files))]
        return DatasetConfig(out_dir, phantom="procedural", subjects=_indices(heads), **common)
    if settings["phantom"] == "procedural":
        indices = [int(Path(p).stem.removeprefix("procedural")) for p in test_files]
        return DatasetConfig(out_dir, phantom="procedural", subjects=_indices(indices), **common)
    if brainweb_dir is None:
        raise BenchError("the test split is BrainWeb: pass --brainweb-dir")
    ids = ",".join(Path(p).stem.removeprefix("subject") for p in test_files)
    return DatasetConfig(
        out_dir, phantom="brainweb", brainweb_dir=brainweb_dir, subjects=ids, **common
    )


def _simulate_sets(
    test_files: Sequence[Path],
    sets: Sequence[TestSet],
    out: Path,
    *,
    brainweb_dir: Path | None,
) -> dict[str, Path]:
    folders: dict[str, Path] = {}
    for test_set in sets:
        if test_set.standard:
            continue
        folder = out / "data" / test_set.name
        simulate_dataset(shifted_config(test_files, test_set, folder, brainweb_dir=brainweb_dir))
        folders[test_set.name] = folder
    return folders


def _jobs(
    preset: Preset,
    *,
    methods: Sequence[str],
    recon_type: str,
    seeds: int,
    source: SimulatedSource,
    root: Path,
) -> list[tuple[str, RunJob]]:
    plan = []
    for arm in ARMS:
        for method in methods:
            rt = None if method in RECON_FREE else recon_type
            for seed in range(seeds):
                spec = RunSpec(method, rt, seed, preset.recon_blocks)
                simulated = source if arm == "randomised" else None
                plan.append((arm, RunJob(spec, preset, root / arm, simulated=simulated)))
    return plan


def _scores(job: RunJob, test_set: TestSet, folder: Path | None, device: str) -> Any:
    """The run's per-slice scores on ``test_set`` (cached in the run folder)."""
    if folder is None:  # the standard set: the test split the run was scored on
        return read_json(job.run_dir / "test-metrics.json")
    path = job.run_dir / "robustness" / f"{test_set.name}.json"
    if path.is_file():
        return read_json(path)
    path.parent.mkdir(exist_ok=True)
    result = evaluate(job.run_dir, folder, split="all", device=device, progress=False)
    data_json = result.to_dict(per_slice=True)
    atomic_write_json(path, data_json)
    return data_json


@writes_folder("out_dir")
def robustness_study(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    preset: Preset,
    *,
    brainweb_dir: str | os.PathLike[str] | None = None,
    procedural_heads: int = 20,
    methods: Sequence[str] = ROBUSTNESS_METHODS,
    recon_type: str = "B",
    seeds: int = 1,
    sets: Sequence[TestSet] = TEST_SETS,
    device: str = "auto",
    jobs: int = 1,
    progress: bool = True,
    console: Console | None = None,
) -> dict[str, Any]:
    """Train both arms of every method, score them on every set and write the table, the
    figure and ``robustness.json`` (its content is returned). Resumable."""
    if seeds < 1:
        raise BenchError(f"seeds must be >= 1; got {seeds}")
    data = check_data(data_dir, preset)
    out = Path(out_dir)
    bw = None if brainweb_dir is None else Path(brainweb_dir).resolve()
    if bw is not None and not bw.is_dir():
        raise BenchError(f"BrainWeb directory {str(brainweb_dir)!r} does not exist")
    try:
        randomised = preset.replace(source="simulated", procedural_heads=procedural_heads)
    except ValueError as error:
        raise BenchError(str(error)) from None
    source = simulated_source(randomised, bw)
    if source is None:  # cannot happen: the preset was just made simulated
        raise BenchError(f"preset {randomised.name!r} has no simulated source")
    test_files = split_subjects(data, SplitConfig(*preset.split))["test"]
    folders = _simulate_sets(test_files, sets, out, brainweb_dir=bw)
    plan = _jobs(preset, methods=methods, recon_type=recon_type, seeds=seeds, source=source,
                 root=out / "runs")  # fmt: skip
    run_jobs([job for _, job in plan], data, device=device, progress=progress, console=console,
             label="robustness ", jobs=jobs)  # fmt: skip
    scores = {
        (arm, job.spec, s.name): _scores(job, s, folders.get(s.name), device)
        for arm, job in plan
        for s in sets
    }
    result = summarize(plan, sets, scores, out=out)
    result.update(preset=preset.to_dict(), data=str(data), source=dataclasses.asdict(source),
                  versions=versions())  # fmt: skip
    atomic_write_json(out / "robustness.json", result)
    atomic_write_text(out / "robustness.md", markdown(result))
    plot(result, out / "robustness.png")
    return result


def summarize(
    plan: Sequence[tuple[str, RunJob]],
    sets: Sequence[TestSet],
    scores: dict[tuple[str, RunSpec, str], Any],
    *,
    out: Path,
) -> dict[str, Any]:
    """``robustness.json``'s rows: per method and set, each arm's mean Dice and the paired
    difference ``randomised - files`` with its interval and verdict."""
    methods = list(dict.fromkeys(job.spec.method for _, job in plan))
    rows = []
    for method in methods:
        arms = {arm: [job for a, job in plan if a == arm and job.spec.method == method]
                for arm in ARMS}  # fmt: skip
        name = row_name(method, arms["files"][0].spec.recon_type)
        curves = {arm: [curve_of(j.run_dir) for j in arms[arm]] for arm in ARMS}
        cpu = {arm: sum(c["cpu_seconds"] for c in curves[arm]) for arm in ARMS}
        converged = {arm: [bool(c["converged"]) for c in curves[arm]] for arm in ARMS}
        for s in sets:
            metrics = {arm: [scores[(arm, j.spec, s.name)] for j in arms[arm]] for arm in ARMS}
            terms: list[Term] = [
                term_from_metrics(f"{name} {arm}", metrics[arm]) for arm in reversed(ARMS)
            ]
            threshold = -STANDARD_MARGIN if s.standard else 0.0
            paired: PairedResult = paired_bootstrap(terms, threshold=threshold)
            rows.append(
                {
                    "method": method,
                    "name": name,
                    "set": s.name,
                    "dice": {arm: _mean_of_runs(metrics[arm], arms[arm]) for arm in ARMS},
                    "paired": paired.to_dict(),
                    "cpu_seconds": cpu,
                    "converged": converged,
                    "runs": {
                        arm: [str(j.run_dir.relative_to(out)) for j in arms[arm]] for arm in ARMS
                    },
                }
            )
    seeds = max(len([j for a, j in plan if a == ARMS[0] and j.spec.method == m]) for m in methods)
    return {
        "seeds": seeds,
        "sets": {s.name: s.description for s in sets},
        "claims": {
            "standard": f"randomised - files > -{STANDARD_MARGIN} (loses at most "
            f"{STANDARD_MARGIN} average Dice)",
            "shifted": "randomised - files > 0 (gains)",
        },
        "rows": rows,
    }


def _mean_of_runs(metrics: Sequence[dict[str, Any]], jobs: Sequence[RunJob]) -> float:
    """Mean over runs of the average Dice (per class over slices, then over classes)."""
    values = [
        scores_from_json(m, j.spec, j.run_dir).metric("dice")[MEAN]
        for m, j in zip(metrics, jobs, strict=True)
    ]
    return sum(values) / len(values)


def markdown(result: dict[str, Any]) -> str:
    """The table: per method and set, both arms' average Dice and the paired difference."""
    lines = [
        "| Method | Test set | Dice, files | Dice, randomised | Randomised - files [95 % CI] "
        "| Verdict |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        p = r["paired"]
        diff = f"{p['estimate']:+.4f} [{p['low']:+.4f}, {p['high']:+.4f}]"
        verdict = p["verdict"] if p["verdict"] == "holds" else f"**{p['verdict']}**"
        lines.append(
            f"| {r['name']} | {r['set']} | {r['dice']['files']:.4f} | "
            f"{r['dice']['randomised']:.4f} | {diff} | {verdict} |"
        )
    per_method = {r["name"]: r for r in result["rows"]}
    lines += [
        "",
        "| Method | CPU h, files | CPU h, randomised | Converged, files | Converged, randomised |",
        "|---|---:|---:|---|---|",
    ]
    for name, r in per_method.items():
        c, flags = r["cpu_seconds"], r.get("converged", {})
        lines.append(
            f"| {name} | {c['files'] / 3600:.2f} | {c['randomised'] / 3600:.2f} | "
            f"{_flags(flags.get('files'))} | {_flags(flags.get('randomised'))} |"
        )
    sets = "; ".join(f"`{k}`: {v}" for k, v in result["sets"].items())
    claims = result["claims"]
    seeds = int(result.get("seeds", 1))
    resampled = (
        "training seeds, test subjects and slices"
        if seeds > 1
        else (
            "test subjects and slices; with one training seed per arm the intervals do not cover "
            "how much another training run would move a score"
        )
    )
    return (
        f"Test sets: {sets}.\n\nClaims: on `standard`, {claims['standard']}; on every other set, "
        f"{claims['shifted']}. {seeds} seed(s) per method and arm. Verdicts from a paired "
        f"hierarchical bootstrap over {resampled} (bench.stats).\n\n" + "\n".join(lines) + "\n"
    )


def _flags(flags: Sequence[bool] | None) -> str:
    """``yes`` when every run converged, ``no (k of n)`` otherwise, ``-`` unknown."""
    if not flags:
        return "-"
    if all(flags):
        return "yes"
    return f"no ({len(flags) - sum(flags)} of {len(flags)})"


def plot(result: dict[str, Any], path: Path) -> None:
    """One panel per method: average Dice per test set, a marker per arm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["name"] for r in result["rows"]))
    sets = list(result["sets"])
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=True):
        rows = {r["set"]: r for r in result["rows"] if r["name"] == name}
        xs = range(len(sets))
        for i, arm in enumerate(ARMS):
            ys = [rows[s]["dice"][arm] for s in sets]
            ax.plot(xs, ys, marker="o", linestyle="none", color=f"C{i}", label=arm)
        ax.set_xticks(list(xs), sets, rotation=60, ha="right", fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("average Dice")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Trained on the files or on randomised simulation, scored on shifted test sets")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)
