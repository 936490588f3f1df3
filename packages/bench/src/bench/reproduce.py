"""Everything of the paper's section 4 and supplement B in one resumable call.

Steps (each skips what a previous call finished)::

    OUT/data/noise10, noise20      simulated datasets (mrsim), one per preset noise level
    OUT/table1/                    Table 1: every method, both Reg types, key methods x seeds (10 %)
    OUT/table2/                    Table 2: every method at 20 % noise (one seed)
    OUT/ablation/                  Fig. 6: Dice vs reconstruction blocks (10 %)
    OUT/figures/                   Figs. 3 and 4: panels per Reg type (10 %)
    OUT/attention/                 Fig. 5: attention maps per recurrence + GIF (SERANet-3, 10 %)
    OUT/runs/noise10, noise20      the run folders, shared by the tables and the ablation
    OUT/summary.md                 the tables, the 10 % -> 20 % Dice drop, the figures
    OUT/reproduce.json             preset, versions, machine, wall time of every step and call
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console

from bench._io import BenchError, atomic_write_json, atomic_write_text, read_json, writes_folder
from bench.ablation import ablate_blocks
from bench.attention import attention
from bench.compare import (
    RunSpec,
    Trainer,
    compare,
    saved_scores,
    simulated_source,
    term_source,
    versions,
)
from bench.data import noise_folder, simulate
from bench.figures import figures
from bench.paper import (
    NoiseDrop,
    ablation_checks,
    beside_paper_markdown,
    checks_markdown,
    noise_checks,
    paper_dice,
    shape_checks,
)
from bench.presets import Preset
from bench.tables import AblationPoint, TableRow, make_rows
from seranet.models import parse_model_name

__all__ = ["STEPS", "ReproduceResult", "noise_drop", "reproduce", "seed_matched"]

STEPS: tuple[str, ...] = ("data", "table1", "table2", "ablation", "figures", "attention")
"""The steps of :func:`reproduce`, in order."""


@dataclass(frozen=True)
class ReproduceResult:
    """What :func:`reproduce` did."""

    out_dir: Path
    """The output directory."""
    seconds: dict[str, float]
    """Wall time of each step in this call."""
    summary: str
    """``summary.md``'s text."""


def seed_matched(
    low_rows: Sequence[TableRow],
    *,
    low_runs: Sequence[dict[str, Any]],
    high_runs: Sequence[dict[str, Any]],
    low_runs_dir: Path,
) -> list[TableRow]:
    """The low-noise table's rows over the seeds the high-noise table ran, so that a drop
    compares the same training seeds at both levels.

    ``low_runs`` / ``high_runs`` are the tables' ``runs.json``; a row with more seeds than its
    high-noise counterpart is recomputed from the cached test scores of its runs of those seeds
    (folders looked up by name in ``low_runs_dir``). A row whose runs are gone keeps its mean
    over all its seeds, and its ``seeds`` says so.
    """
    wanted: dict[tuple[str, str | None], set[int]] = {}
    for r in high_runs:
        wanted.setdefault((r["method"], r["recon_type"]), set()).add(r["seed"])
    out = []
    for row in low_rows:
        key = (row.method, row.recon_type)
        seeds = wanted.get(key, set())
        runs = [r for r in low_runs if (r["method"], r["recon_type"]) == key and r["seed"] in seeds]
        if not seeds or row.seeds == len(runs) or len(runs) != len(seeds):
            out.append(row)
            continue
        scores = [
            saved_scores(
                low_runs_dir / Path(r["run"]).name,
                RunSpec(r["method"], r["recon_type"], int(r["seed"]), int(r["recon_blocks"])),
            )
            for r in runs
        ]
        found = [s for s in scores if s is not None]
        out.append(make_rows(found)[0] if len(found) == len(runs) else row)
    return out


def noise_drop(low: Sequence[TableRow], high: Sequence[TableRow]) -> list[NoiseDrop]:
    """Average Dice at the low and the high noise level per method and type, and the drop
    (with the number of seeds behind each side)."""
    by_key = {(r.method, r.recon_type): r for r in high}
    out = []
    for row in low:
        other = by_key.get((row.method, row.recon_type))
        if other is None:
            continue
        a, b = row.mean_dice, other.mean_dice
        if a is None or b is None:
            continue
        out.append(
            NoiseDrop(
                method=row.method,
                recon_type=row.recon_type,
                dice_low=a,
                dice_high=b,
                seeds_low=row.seeds,
                seeds_high=other.seeds,
            )
        )
    return out


def _drop_markdown(drops: Sequence[NoiseDrop], low: float, high: float) -> str:
    lines = [
        f"### Average Dice at {round(100 * low)} % and {round(100 * high)} % noise",
        "",
        "Seeds: training seeds behind each side (the same seeds where the runs are at hand; a",
        "mean over more seeds at the low level where they are not).",
        "",
        "| Method | Type | Seeds (low / high) | Dice (low) | Dice (high) | Drop |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for d in drops:
        lines.append(
            f"| {d.method} | {d.recon_type or '-'} | {d.seeds_low} / {d.seeds_high} "
            f"| {d.dice_low:.4f} | {d.dice_high:.4f} | {d.drop:+.4f} |"
        )
    return "\n".join(lines) + "\n"


def _attention_run(table_dir: Path) -> Path | None:
    """Table 1's SERANet run with the most recurrences (SERANet-3, type B, seed 0 as the
    paper's Fig. 5 when present); None without any SERANet run."""
    runs = read_json(table_dir / "runs.json")
    candidates = []
    for r in runs:
        spec = parse_model_name(r["method"])
        if spec.family == "seranet":
            key = (-spec.recurrences, spec.pretrained, r["recon_type"] != "B", r["seed"])
            candidates.append((key, r["run"]))
    return Path(min(candidates)[1]) if candidates else None


@writes_folder("out_dir")
def reproduce(
    preset: Preset,
    out_dir: str | os.PathLike[str],
    *,
    brainweb_dir: str | os.PathLike[str] | None = None,
    steps: Sequence[str] | None = None,
    device: str = "auto",
    progress: bool = True,
    console: Console | None = None,
    trainer: Trainer | None = None,
    jobs: int = 1,
) -> ReproduceResult:
    """Simulate the datasets and produce Tables 1 and 2, the ablation and the figures.

    Parameters
    ----------
    preset
        Settings of everything (``cpu`` on 2 cores, ``paper`` on a GPU, ``smoke`` to check).
    out_dir
        Output directory (layout in the module docstring).
    brainweb_dir
        BrainWeb folder, needed when the preset simulates BrainWeb and ``data`` is a step.
    steps
        A subset of :data:`STEPS` (default all); later steps need the earlier ones' outputs.
    jobs
        Runs trained at once, each in a process with one torch thread (2 on a 2-core CPU).
    """
    wanted = tuple(steps) if steps is not None else STEPS
    for name in wanted:
        if name not in STEPS:
            raise ValueError(f"unknown step {name!r}; expected some of {', '.join(STEPS)}")
    if preset.phantom == "brainweb" and brainweb_dir is None and "data" in wanted:
        raise BenchError(f"preset {preset.name!r} simulates BrainWeb: pass --brainweb-dir")
    if {"table1", "table2", "ablation"} & set(wanted):
        simulated_source(preset, brainweb_dir)  # a simulated preset's folder, checked up front
    if brainweb_dir is not None and not Path(brainweb_dir).is_dir():
        raise BenchError(f"BrainWeb directory {str(brainweb_dir)!r} does not exist")
    if len(preset.noise_levels) < 2 and "table2" in wanted:
        raise BenchError(f"preset {preset.name!r} has one noise level; Table 2 needs two")
    console = console or Console(stderr=True)
    out = Path(out_dir)
    low, high = preset.noise_levels[0], preset.noise_levels[-1]
    data = {n: out / "data" / noise_folder(n) for n in (low, high)}
    runs = {n: out / "runs" / noise_folder(n) for n in (low, high)}
    seconds: dict[str, float] = {}
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def step(name: str) -> bool:
        if name in wanted and progress:
            console.rule(f"[bold]{name}")
        return name in wanted

    if step("data"):
        t = time.perf_counter()
        for noise in (low, high):
            simulate(
                preset, data[noise], noise, brainweb_dir=brainweb_dir, progress=progress,
                console=console,
            )  # fmt: skip
        seconds["data"] = time.perf_counter() - t
    common: dict[str, Any] = {
        "brainweb_dir": brainweb_dir,
        "device": device,
        "progress": progress,
        "console": console,
        "jobs": jobs,
    }
    if step("table1"):
        t = time.perf_counter()
        compare(data[low], out / "table1", preset, recon_types=preset.recon_types,
                seeds=preset.seeds, runs_dir=runs[low], trainer=trainer, **common)  # fmt: skip
        seconds["table1"] = time.perf_counter() - t
    if step("table2"):
        t = time.perf_counter()
        compare(data[high], out / "table2", preset, recon_types=preset.table2_recon_types,
                seeds=1, runs_dir=runs[high], trainer=trainer, **common)  # fmt: skip
        seconds["table2"] = time.perf_counter() - t
    if step("ablation"):
        t = time.perf_counter()
        ablate_blocks(data[low], out / "ablation", preset, runs_dir=runs[low], trainer=trainer,
                      **common)  # fmt: skip
        seconds["ablation"] = time.perf_counter() - t
    if step("figures"):
        t = time.perf_counter()
        figures([out / "table1"], data[low], out / "figures", device=device)
        seconds["figures"] = time.perf_counter() - t
    if step("attention"):
        t = time.perf_counter()
        run = _attention_run(out / "table1")
        if run is None:
            console.print("attention: Table 1 has no seranet-N run; skipped")
        else:
            attention(run, data[low], out / "attention", device=device)
        seconds["attention"] = time.perf_counter() - t
    summary = _summary(out, preset, low=low, high=high)
    atomic_write_text(out / "summary.md", summary)
    log_path = out / "reproduce.json"
    log = read_json(log_path) if log_path.is_file() else {"calls": []}
    log["preset"] = preset.to_dict()
    log["versions"] = versions()
    log["brainweb_dir"] = None if brainweb_dir is None else str(brainweb_dir)
    log["calls"].append(
        {
            "started": started,
            "steps": list(wanted),
            "seconds": {k: round(v, 1) for k, v in seconds.items()},
        }
    )
    atomic_write_json(log_path, log)
    return ReproduceResult(out, seconds, summary)


def _summary(out: Path, preset: Preset, *, low: float, high: float) -> str:
    parts = [
        f"# Reproduction with preset `{preset.name}`",
        "",
        f"{preset.description}. Settings: `preset.json` beside each table; versions and wall "
        "times: `reproduce.json`.",
        "",
    ]
    tables: dict[str, list[TableRow]] = {}
    for name, noise, what in (("table1", low, f"Table 1 ({round(100 * low)} % noise)"),
                              ("table2", high, f"Table 2 ({round(100 * high)} % noise)")):  # fmt: skip
        md, js = out / name / "table.md", out / name / "table.json"
        if not md.is_file() or not js.is_file():
            continue
        rows = tables[name] = [TableRow.from_json(r) for r in read_json(js)]
        paper = paper_dice(noise)
        parts += [f"## {what}", "", md.read_text(encoding="utf-8"), ""]
        if paper is not None:
            parts += [
                "### Beside the paper (average Dice)",
                "",
                beside_paper_markdown(rows, paper),
                "",
            ]
        source = term_source(out / "runs" / noise_folder(noise), preset.recon_blocks)
        checks = shape_checks(rows, paper, source)
        parts += ["### The paper's claims here", "", checks_markdown(checks), ""]
    if "table1" in tables and "table2" in tables:
        low_rows = seed_matched(
            tables["table1"],
            low_runs=read_json(out / "table1" / "runs.json"),
            high_runs=read_json(out / "table2" / "runs.json"),
            low_runs_dir=out / "runs" / noise_folder(low),
        )
        drops = noise_drop(low_rows, tables["table2"])
        sources = [term_source(out / "runs" / noise_folder(n), preset.recon_blocks)
                   for n in (low, high)]  # fmt: skip
        parts += ["## Noise robustness", "", _drop_markdown(drops, low, high), "",
                  checks_markdown(noise_checks(drops, *sources)), ""]  # fmt: skip
    ab = out / "ablation" / "ablation.md"
    if ab.is_file():
        ablation = read_json(out / "ablation" / "ablation.json")
        points = [AblationPoint.from_json(p) for p in ablation["points"]]
        parts += ["## Dice vs reconstruction blocks (Fig. 6)", "", ab.read_text(encoding="utf-8"),
                  "", checks_markdown(ablation_checks(points, term_source(
                      out / "runs" / noise_folder(low), preset.recon_blocks))), "",
                  "![ablation](ablation/ablation.png)", ""]  # fmt: skip
    for png in sorted((out / "figures").glob("*.png")) if (out / "figures").is_dir() else []:
        parts += [f"![{png.stem}](figures/{png.name})", ""]
    if (out / "attention" / "attention.png").is_file():
        parts += ["## Attention per recurrence (Fig. 5)", "", "![attention](attention/attention.png)",
                  "", "![slices](attention/slices.gif)", ""]  # fmt: skip
    return "\n".join(parts)
