"""Dice versus the number of reconstruction blocks K (the paper's Fig. 6, section 4.3).

Each method x Reg type x K is a run of :func:`bench.compare.plan_runs`, so the points at the
preset's own K are the comparison's runs when both share a runs folder (``bench reproduce``
does this). Outputs: ``ablation.json`` (every point), ``ablation.md`` and ``ablation.png`` (one
panel per class, Dice against K, one line per method and type).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from matplotlib.figure import Figure
from rich.console import Console

from bench._io import atomic_write_json, atomic_write_text, writes_folder
from bench._render import save_figure
from bench.compare import (
    Trainer,
    check_data,
    parse_methods,
    parse_recon_types,
    plan_runs,
    run_specs,
    versions,
)
from bench.presets import REFERENCES, Preset
from bench.tables import KEYS, AblationPoint, cell, make_rows
from seranet.vocabulary import LONG_NAMES, MEAN, TISSUES

__all__ = [
    "NO_RECONSTRUCTION",
    "AblationResult",
    "ablate_blocks",
    "ablation_markdown",
    "parse_blocks",
    "plot_ablation",
]

NO_RECONSTRUCTION = "no reconstruction module: independent of K"
"""The note on the points of the :data:`~bench.presets.REFERENCES` (their K is only a name)."""


@dataclass(frozen=True)
class AblationResult:
    """What :func:`ablate_blocks` wrote."""

    points: list[AblationPoint]
    """One per method, type and K (``ablation.json``'s ``points``)."""
    json_path: Path
    """``ablation.json``."""
    png_path: Path
    """``ablation.png``."""
    markdown: str
    """``ablation.md``'s text."""


def parse_blocks(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"1,2,3"`` -> ``(1, 2, 3)``, sorted and unique; ``ValueError`` for anything else."""
    if isinstance(text, str):
        try:
            values = [int(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise ValueError(
                f"--blocks must be comma-separated positive integers; got {text!r}"
            ) from None
    else:
        values = [int(v) for v in text]
    if not values or any(v < 1 for v in values):
        raise ValueError(f"--blocks must be comma-separated positive integers; got {text!r}")
    return tuple(sorted(set(values)))


def _label(method: str, recon_type: str | None) -> str:
    names = {"two-step": "Two-step", "joint": "Joint", "segnetmri": "SegNetMRI"}
    name = names.get(method, method.replace("seranet", "SERANet"))
    return name if recon_type is None else f"{name} (Type {recon_type})"


def _series(
    points: Sequence[AblationPoint],
) -> dict[tuple[str, str | None], dict[int, AblationPoint]]:
    """The points by method and type, then by K."""
    series: dict[tuple[str, str | None], dict[int, AblationPoint]] = {}
    for p in points:
        series.setdefault((p.row.method, p.row.recon_type), {})[p.recon_blocks] = p
    return series


def plot_ablation(points: Sequence[AblationPoint], title: str) -> Figure:
    """Three panels (CSF, GM, WM): Dice against K per method and type, error bars if seeds > 1."""
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    series = _series(points)
    for ax, cls in zip(axes, TISSUES, strict=True):
        name = LONG_NAMES[cls]
        for (method, recon_type), by_k in series.items():
            ks = sorted(by_k)
            ys = [by_k[k].row.dice[cls] for k in ks]
            errs = [(by_k[k].row.dice_std or {}).get(cls) or 0.0 for k in ks]
            style = "--" if recon_type == "A" else "-"
            ax.errorbar(ks, ys, yerr=errs, fmt=style + "o", capsize=2, markersize=4,
                        label=_label(method, recon_type))  # fmt: skip
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("reconstruction blocks K")
        ax.set_xticks(sorted({p.recon_blocks for p in points}))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Dice")
    axes[-1].legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=9)
    return fig


def ablation_markdown(points: Sequence[AblationPoint], title: str) -> str:
    """A Markdown table: one row per method and type, one column per K (average Dice)."""
    ks = sorted({p.recon_blocks for p in points})
    series = _series(points)
    lines = [f"### {title}", "", "| Method | " + " | ".join(f"K={k}" for k in ks) + " |"]
    lines.append("|---|" + "---:|" * len(ks))
    for (method, recon_type), by_k in series.items():
        cells = [cell(by_k[k].row, MEAN) if k in by_k else "-" for k in ks]
        lines.append(f"| {_label(method, recon_type)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@writes_folder("out_dir")
def ablate_blocks(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    preset: Preset,
    *,
    blocks: Sequence[int] | None = None,
    methods: Sequence[str] | None = None,
    recon_types: Sequence[str] | None = None,
    seeds: int = 1,
    runs_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
    progress: bool = True,
    console: Console | None = None,
    trainer: Trainer | None = None,
    jobs: int = 1,
    brainweb_dir: str | os.PathLike[str] | None = None,
) -> AblationResult:
    """Train and score each method x type x K (seed 0, or ``seeds`` seeds); write JSON, MD, PNG.

    Defaults come from the preset (``ablation_blocks``, ``ablation_methods``,
    ``ablation_recon_types``). ``jobs``: runs trained at once (see :func:`bench.compare.plan_runs`);
    ``brainweb_dir``: the training anatomies of a ``simulated`` ``brainweb`` preset.
    """
    ks = parse_blocks(blocks) if blocks is not None else preset.ablation_blocks
    names = parse_methods(methods) if methods is not None else preset.ablation_methods
    types = (
        parse_recon_types(recon_types) if recon_types is not None else preset.ablation_recon_types
    )
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1; got {seeds}")
    data = check_data(data_dir, preset)
    out = Path(out_dir)
    runs = Path(runs_dir) if runs_dir is not None else out / "runs"
    single = preset.replace(seeded_methods=tuple(names), seeds=seeds)
    per_k = {k: run_specs(single, names, types, seeds=seeds, recon_blocks=k) for k in ks}
    unique = list({s.name: s for specs in per_k.values() for s in specs}.values())
    done = plan_runs(
        unique,
        preset,
        data_dir=data,
        runs_dir=runs,
        device=device,
        progress=progress,
        console=console,
        trainer=trainer,
        label="ablation ",
        jobs=jobs,
        brainweb_dir=brainweb_dir,
    )
    outcomes = {o.spec.name: o for o in done}
    points = [
        AblationPoint(
            replace(row, recon_blocks=k, gap_recovered=None),
            note=NO_RECONSTRUCTION if row.method in REFERENCES else None,
        )
        for k, specs in per_k.items()
        for row in make_rows(outcomes[s.name].test_scores for s in specs)
    ]
    title = (
        f"Dice vs reconstruction blocks - preset `{preset.name}`, data `{data}`, "
        f"{'seed 0' if seeds == 1 else f'{seeds} seeds'}"
    )
    json_path = atomic_write_json(
        out / "ablation.json",
        {
            "preset": preset.to_dict(),
            "data": str(data),
            "blocks": list(ks),
            "methods": list(names),
            "recon_types": list(types),
            "seeds": seeds,
            "keys": list(KEYS),
            "points": [p.to_json() for p in points],
            "versions": versions(),
        },
    )
    markdown = ablation_markdown(points, title)
    atomic_write_text(out / "ablation.md", markdown)
    png_path = save_figure(plot_ablation(points, title), out / "ablation.png")
    return AblationResult(points=points, json_path=json_path, png_path=png_path, markdown=markdown)
