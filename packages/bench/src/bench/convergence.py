"""Time-to-accuracy study: validation Dice against CPU time, per method and training recipe.

A *recipe* is a learning-rate schedule and a training length applied to a preset
(:data:`RECIPES`). Every method of the study is trained once per recipe (seed 0) and nothing is
scored on the test split: the recipe of a converged preset is chosen from these validation
curves alone. Layout::

    OUT/runs/<recipe>/<run>/     seranet.train run folders (resumable)
    OUT/convergence.json         per recipe and run: the validation curve against CPU time,
                                 best validation Dice, converged flag (seranet.train.convergence)
    OUT/convergence.png          one panel per method, one line per recipe
    OUT/convergence.md           the same as a table
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from bench._io import atomic_write, atomic_write_json, atomic_write_text, read_jsonl, writes_folder
from bench.compare import RunJob, RunSpec, check_data, run_jobs, versions
from bench.presets import RECON_FREE, Preset
from seranet.train.convergence import final_stage_dice, is_converged, quarter_gain

__all__ = [
    "RECIPES",
    "STUDY_METHODS",
    "Recipe",
    "choose_recipe",
    "convergence_study",
    "curve_of",
    "parse_recipes",
]

STUDY_METHODS: tuple[str, ...] = (
    "fully-sampled",
    "zero-filling",
    "two-step",
    "joint",
    "seranet-3",
    "seranet-3++",
)
"""The methods of the study: the references, two baselines and SERANet with and without
pre-training."""


@dataclass(frozen=True)
class Recipe:
    """A training schedule applied to a preset: length as a multiple of the preset's epochs."""

    name: str
    """Name (folder of its runs)."""
    description: str
    """One line for tables."""
    length: int
    """Epochs of every stage as a multiple of the preset's (1: the preset's own length)."""
    schedule: str
    """``step`` or ``cosine``."""
    hold_fraction: float = 0.0
    """``step``: fraction of the main stage's epochs at the initial rate before the first decay."""
    step_fraction: float = 0.0
    """``step``: fraction of the main stage's epochs between decays (0: the preset's own)."""
    warmup_epochs: int = 0
    """Epochs of linear warm-up per stage."""

    def apply(self, preset: Preset) -> Preset:
        """``preset`` trained with this recipe (renamed ``cpu@<recipe>``)."""
        epochs = preset.epochs * self.length
        pretrain = None if preset.pretrain_epochs is None else preset.pretrain_epochs * self.length
        changes: dict[str, Any] = {
            "name": f"{preset.name}@{self.name}",
            "epochs": epochs,
            "pretrain_epochs": pretrain,
            "lr_schedule": self.schedule,
            "warmup_epochs": self.warmup_epochs,
        }
        if self.schedule == "step" and self.step_fraction > 0:
            step = max(1, round(self.step_fraction * epochs))
            hold = max(step, round(self.hold_fraction * epochs))
            changes.update(lr_step=step, lr_hold=hold - step)
        return preset.replace(**changes)


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("preset", "the preset as shipped", 1, "step"),
        Recipe(
            "hold-step",
            "3x epochs; rate held for the first third, then halved every sixth",
            3,
            "step",
            hold_fraction=1 / 3,
            step_fraction=1 / 6,
        ),
        Recipe("cosine", "3x epochs; 1 warm-up epoch, then cosine to 0", 3, "cosine", 0.0, 0, 1),
    )
}
"""The recipes of the study. On the ``cpu`` preset ``hold-step`` trains 24 epochs at lr 1e-3
for epochs 1-8, halved at epochs 9, 13, 17 and 21 (the 12-epoch pre-training stages: halved at
epoch 9 only); ``cosine`` anneals each stage (24 or 12 epochs) to 0 after one warm-up epoch."""


def parse_recipes(text: str | Sequence[str]) -> tuple[Recipe, ...]:
    """``"preset,cosine"`` -> the recipes; ``ValueError`` naming an unknown one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in items if n.strip()]
    if not names:
        raise ValueError("no recipe given")
    for name in names:
        if name not in RECIPES:
            raise ValueError(f"unknown recipe {name!r}; expected one of {', '.join(RECIPES)}")
    return tuple(RECIPES[n] for n in dict.fromkeys(names))


def curve_of(run_dir: Path) -> dict[str, Any]:
    """A run's validation curve from its ``metrics.jsonl``: per epoch with a validation Dice,
    stage, epoch, mean Dice, cumulative CPU and wall seconds since the run started (all stages,
    pre-training included); plus the best Dice, the quarter gain and the converged flag."""
    path = run_dir / "metrics.jsonl"
    records = read_jsonl(path) if path.is_file() else []
    points, cpu, wall = [], 0.0, 0.0
    for r in records:
        cpu += float(r.get("cpu_seconds") or r["seconds"])
        wall += float(r["seconds"])
        mean = (r.get("val_dice") or {}).get("mean")
        if mean is not None:
            points.append(
                {
                    "stage": r["stage"],
                    "epoch": r["epoch"],
                    "dice": mean,
                    "cpu_seconds": round(cpu, 1),
                    "wall_seconds": round(wall, 1),
                    "lr": r["lr"],
                }
            )
    final = final_stage_dice(records)
    finite = [d for d in final if math.isfinite(d)]
    return {
        "points": points,
        "epochs": len(records),
        "cpu_seconds": round(cpu, 1),
        "best_dice": max(finite) if finite else None,
        "quarter_gain": quarter_gain(final),
        "converged": is_converged(final),
        "complete": (run_dir / "model.pt").is_file(),
    }


def _jobs(
    preset: Preset,
    recipes: Sequence[Recipe],
    *,
    methods: Sequence[str],
    recon_type: str,
    root: Path,
) -> list[tuple[Recipe, RunJob]]:
    out = []
    for recipe in recipes:
        trained = recipe.apply(preset)
        for method in methods:
            t = None if method in RECON_FREE else recon_type
            spec = RunSpec(method, t, 0, preset.recon_blocks)
            out.append((recipe, RunJob(spec, trained, root / recipe.name)))
    return out


@writes_folder("out_dir")
def convergence_study(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    preset: Preset,
    *,
    recipes: Sequence[Recipe] = tuple(RECIPES.values()),
    methods: Sequence[str] = STUDY_METHODS,
    recon_type: str = "B",
    device: str = "auto",
    jobs: int = 1,
    progress: bool = True,
    console: Console | None = None,
) -> dict[str, Any]:
    """Train every method under every recipe (seed 0), then write the curves and the figure.

    Resumable like :func:`bench.compare.compare`. Nothing is scored on the test split.
    Returns ``convergence.json``'s content.
    """
    data = check_data(data_dir, preset)
    out = Path(out_dir)
    plan = _jobs(preset, recipes, methods=methods, recon_type=recon_type, root=out / "runs")
    run_jobs(
        [job for _, job in plan], data, device=device, progress=progress, console=console,
        label="convergence ", jobs=jobs, score_test=False,
    )  # fmt: skip
    result = summarize(out, preset, plan)
    result["choice"] = choose_recipe(result)
    result["data"] = str(data)
    result["versions"] = versions()
    atomic_write_json(out / "convergence.json", result)
    atomic_write_text(out / "convergence.md", markdown(result))
    plot(result, out / "convergence.png")
    return result


def summarize(out: Path, preset: Preset, plan: Sequence[tuple[Recipe, RunJob]]) -> dict[str, Any]:
    """``convergence.json``'s content from the run folders of ``plan`` (finished or not)."""
    runs = []
    for recipe, job in plan:
        curve = curve_of(job.run_dir)
        runs.append(
            {
                "recipe": recipe.name,
                "method": job.spec.method,
                "recon_type": job.spec.recon_type,
                "run": str(job.run_dir.relative_to(out)),
                "preset": job.preset.to_dict(),
                **curve,
            }
        )
    return {
        "preset": preset.name,
        "recipes": {r.name: r.description for r, _ in plan},
        "rule": "converged: best validation Dice of the final stage's last quarter of epochs "
        "exceeds the best of the quarter before by less than 0.005",
        "runs": runs,
    }


CHOICE_TOLERANCE = 0.003
"""Mean best validation Dice within which two recipes count as equally good (then the cheaper
one is chosen); about the spread of a run's best validation Dice between neighbouring epochs."""


def choose_recipe(result: dict[str, Any]) -> dict[str, Any]:
    """The recipe of the converged preset, chosen on validation data only.

    Eligible: a recipe every method of the study finished and converged under. Among those, the
    highest mean (over methods) best validation Dice wins; recipes within
    :data:`CHOICE_TOLERANCE` of it count as equal, and the one of least CPU time among them is
    taken. Returns ``{"recipe": name or None, "reason": one line, "candidates": [...]}``.
    """
    methods = sorted({r["method"] for r in result["runs"]})
    candidates = []
    for name in result["recipes"]:
        runs = [r for r in result["runs"] if r["recipe"] == name]
        by_method = {r["method"]: r for r in runs}
        missing = [m for m in methods if m not in by_method or not by_method[m]["complete"]]
        unconverged = [m for m in methods if m in by_method and by_method[m]["converged"] is False]
        dice = [by_method[m]["best_dice"] for m in methods if m in by_method]
        candidates.append(
            {
                "recipe": name,
                "eligible": not missing and not unconverged,
                "unfinished": missing,
                "not_converged": unconverged,
                "mean_best_val_dice": (
                    None if missing or None in dice else round(sum(dice) / len(dice), 4)
                ),
                "cpu_hours": round(sum(r["cpu_seconds"] for r in runs) / 3600, 2),
            }
        )
    eligible = [c for c in candidates if c["eligible"]]
    if not eligible:
        why = "; ".join(
            f"{c['recipe']}: "
            + (f"unfinished {', '.join(c['unfinished'])}" if c["unfinished"] else "")
            + (" " if c["unfinished"] and c["not_converged"] else "")
            + (f"not converged {', '.join(c['not_converged'])}" if c["not_converged"] else "")
            for c in candidates
        )
        return {"recipe": None, "reason": f"no recipe yet ({why})", "candidates": candidates}
    top = max(c["mean_best_val_dice"] for c in eligible)
    near = [c for c in eligible if c["mean_best_val_dice"] >= top - CHOICE_TOLERANCE]
    best = min(near, key=lambda c: c["cpu_hours"])
    reason = (
        f"every method converged; mean best validation Dice {best['mean_best_val_dice']:.4f}"
        + (
            f", the cheapest of {len(near)} within {CHOICE_TOLERANCE} of the best ({top:.4f})"
            if len(near) > 1
            else ", the highest"
        )
    )
    return {"recipe": best["recipe"], "reason": reason, "candidates": candidates}


def markdown(result: dict[str, Any]) -> str:
    """A table: method, recipe, epochs, CPU time, best validation Dice, quarter gain, converged."""

    def num(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    flag = {True: "yes", False: "**no**", None: "-"}
    lines = [
        f"Time to accuracy, preset `{result['preset']}`, seed 0, validation split only.",
        "",
        *(f"* `{name}`: {text}" for name, text in result["recipes"].items()),
        "",
        "| Method | Recipe | Epochs run | CPU h | Best val Dice | Gain last quarter | Converged |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in sorted(result["runs"], key=lambda r: (r["method"], r["recipe"])):
        name = r["method"] + (f" ({r['recon_type']})" if r["recon_type"] else "")
        status = flag[r["converged"]] + ("" if r["complete"] else " (unfinished)")
        lines.append(
            f"| {name} | {r['recipe']} | {r['epochs']} | {r['cpu_seconds'] / 3600:.2f} | "
            f"{num(r['best_dice'], '.4f')} | {num(r['quarter_gain'], '+.4f')} | {status} |"
        )
    choice = result.get("choice")
    if choice is not None:
        chosen = f"`{choice['recipe']}`" if choice["recipe"] else "none yet"
        lines += ["", f"Recipe of the converged preset (validation only): {chosen}: "
                  f"{choice['reason']}."]  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    """One panel per method: validation Dice against cumulative CPU hours, a line per recipe."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(r["method"] for r in result["runs"]))
    recipes = list(result["recipes"])
    cols = 3
    rows = math.ceil(len(methods) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, method in zip(axes.flat, methods, strict=False):
        for i, recipe in enumerate(recipes):
            run = next(
                (r for r in result["runs"] if r["method"] == method and r["recipe"] == recipe),
                None,
            )
            if run is None or not run["points"]:
                continue
            xs = [p["cpu_seconds"] / 3600 for p in run["points"]]
            ys = [p["dice"] for p in run["points"]]
            flag = {True: "", False: " (not converged)", None: " (?)"}[run["converged"]]
            ax.plot(xs, ys, marker=".", color=f"C{i}", label=f"{recipe}{flag}")
        ax.set_title(method)
        ax.set_xlabel("CPU hours (one thread)")
        ax.set_ylabel("validation Dice")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "no epoch finished yet", ha="center", transform=ax.transAxes)
    for ax in list(axes.flat)[len(methods) :]:
        ax.axis("off")
    fig.suptitle(f"Time to accuracy, preset {result['preset']} (seed 0, validation split)")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)
