"""Paper-resolution anchor: how hard are our simulated 1 mm data, and why?

The paper reports Fully-sampled 0.9261 and Zero-filling 0.7970 average Dice at 1 mm
(216 x 180, 16 centre lines, 10 % noise). This study trains Fully-sampled (and Zero-filling)
UNets at that resolution under one factor changed at a time from a base condition, so each
factor's share of the difference is measured rather than guessed:

* noise: 0, 2.5, 5 and 10 % (our definition: complex Gaussian noise of std p x the 99th
  percentile of the noise-free image magnitude);
* labels: the slab as imaged (argmax of the through-plane partial volumes; ours) or the
  phantom's own mask at the slice centre (``mrsim simulate --labels centre``);
* capacity: UNet width 16 / 32, 4 or 5 levels;
* training length: the base recipe and twice its epochs;
* method: Two-step, Joint, SERANet-3 and SERANet-3++ with type-B blocks under the base
  condition, the closest to the paper's own setting a CPU reaches.

Every condition trains under the recipe of the ``cpu-converged`` preset (``hold-step``, chosen
by the time-to-accuracy study on validation data only), stretched by its length factor.

Layout::

    OUT/data/<noise>-<labels>/     simulated 1 mm datasets (resumable)
    OUT/runs/<condition>/<run>/    seranet.train run folders (resumable)
    OUT/anchor.json, anchor.md     per condition: settings, converged flag, test Dice per
                                   class and average, beside the paper's
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from bench._io import BenchError, atomic_write_json, atomic_write_text, writes_folder
from bench.compare import RunJob, RunSpec, check_data, run_jobs, versions
from bench.convergence import RECIPES, Recipe
from bench.data import simulate
from bench.paper import PAPER_TABLE1_DICE
from bench.presets import CPU_TRAINING, PAPER, REFERENCES, Preset
from seranet.vocabulary import mean_of

__all__ = ["ANCHOR", "CONDITIONS", "RECIPE", "Condition", "anchor_study", "parse_conditions"]

ANCHOR = PAPER.replace(
    name="anchor",
    description="the paper's 1 mm data (216 x 180, 16 centre lines) with a CPU-sized UNet",
    width=16,
    depth=4,
    recon_width=16,
    methods=REFERENCES,
    seeds=1,
    **CPU_TRAINING,
)
"""Base settings: the paper's data (1 mm BrainWeb, 57 slices of 3 mm, 30 % of the lines with 16
centre lines, 15 / 2 / 3 subjects) and the ``cpu`` preset's training (batch 4, lr 1e-3) with a
width-16, 4-level UNet; every condition trains under :data:`RECIPE`."""

RECIPE: Recipe = RECIPES["hold-step"]
"""The recipe of every condition: the one ``cpu-converged`` trains with (24 epochs, 12 for
pre-training stages; lr held 8 epochs, then halved every 4), chosen on validation data by
``bench convergence``."""


@dataclass(frozen=True)
class Condition:
    """One cell of the study: a method under one setting changed from the base."""

    name: str
    """Folder of its runs."""
    factor: str
    """What it varies (``base``, ``noise``, ``labels``, ``capacity``, ``length``)."""
    method: str = "fully-sampled"
    """Registry name."""
    recon_type: str | None = None
    """Reg block type of a method with a reconstruction module (``B``), None for the references."""
    noise: float = 0.10
    """Noise level of its dataset."""
    labels: str = "slab"
    """Label definition of its dataset."""
    width: int = 16
    """UNet width."""
    depth: int = 4
    """UNet levels."""
    length: int = 1
    """Epochs as a multiple of the recipe's."""

    def preset(self, base: Preset) -> Preset:
        """The training settings of this condition."""
        recipe = replace(RECIPE, length=RECIPE.length * self.length)
        return recipe.apply(base).replace(
            name=f"{base.name}@{self.name}", width=self.width, depth=self.depth
        )

    @property
    def dataset(self) -> str:
        """Folder name of its dataset."""
        return f"noise{self.noise * 100:04.1f}-{self.labels}".replace(".", "p")

    def settings(self) -> dict[str, Any]:
        """What differs between conditions."""
        return {
            "method": self.method,
            "recon_type": self.recon_type,
            "noise": self.noise,
            "labels": self.labels,
            "width": self.width,
            "depth": self.depth,
            "length": self.length,
        }


CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition("fs-base", "base"),
        Condition("zf-base", "base", method="zero-filling"),
        Condition("fs-noise0", "noise", noise=0.0),
        Condition("fs-noise2.5", "noise", noise=0.025),
        Condition("fs-noise5", "noise", noise=0.05),
        Condition("fs-centre-labels", "labels", labels="centre"),
        Condition("fs-width32", "capacity", width=32),
        Condition("fs-depth5", "capacity", depth=5),
        Condition("fs-long", "length", length=2),
        Condition("two-step-B", "method", method="two-step", recon_type="B"),
        Condition("joint-B", "method", method="joint", recon_type="B"),
        Condition("seranet-3-B", "method", method="seranet-3", recon_type="B"),
        Condition("seranet-3++-B", "method", method="seranet-3++", recon_type="B"),
    )
}
"""The study's conditions: Fully-sampled unless named after another method."""


def parse_conditions(text: str | Sequence[str]) -> tuple[Condition, ...]:
    """``"fs-base,zf-base"`` -> the conditions; ``ValueError`` naming an unknown one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in items if n.strip()]
    if not names:
        raise ValueError("no condition given")
    for name in names:
        if name not in CONDITIONS:
            raise ValueError(
                f"unknown condition {name!r}; expected some of {', '.join(CONDITIONS)}"
            )
    return tuple(CONDITIONS[n] for n in dict.fromkeys(names))


@writes_folder("out_dir")
def anchor_study(
    out_dir: str | os.PathLike[str],
    brainweb_dir: str | os.PathLike[str] | None,
    *,
    conditions: Sequence[Condition] = tuple(CONDITIONS.values()),
    base: Preset = ANCHOR,
    device: str = "auto",
    jobs: int = 1,
    progress: bool = True,
    console: Console | None = None,
) -> dict[str, Any]:
    """Simulate the datasets the conditions need, train and score every condition, and write
    ``anchor.json`` / ``anchor.md``. Resumable; returns ``anchor.json``'s content.
    ``brainweb_dir`` may be None for a procedural ``base`` (tests)."""
    if brainweb_dir is not None and not Path(brainweb_dir).is_dir():
        raise BenchError(f"BrainWeb directory {str(brainweb_dir)!r} does not exist")
    out = Path(out_dir)
    data: dict[str, Path] = {}
    for c in conditions:
        if c.dataset not in data:
            folder = out / "data" / c.dataset
            simulate(base, folder, c.noise, brainweb_dir=brainweb_dir, labels=c.labels, progress=progress,
                     console=console)  # fmt: skip
            data[c.dataset] = check_data(folder, base)
    items = [
        RunJob(
            RunSpec(c.method, c.recon_type, 0, base.recon_blocks),
            c.preset(base),
            out / "runs" / c.name,
            data[c.dataset],
        )
        for c in conditions
    ]
    done = run_jobs(
        items, None, device=device, progress=progress, console=console, label="anchor ",
        jobs=jobs,
    )  # fmt: skip
    rows = []
    for c, outcome in zip(conditions, done, strict=True):
        scores = outcome.test_scores
        rows.append(
            {
                "condition": c.name,
                "factor": c.factor,
                **c.settings(),
                "epochs": c.preset(base).epochs,
                "converged": scores.converged,
                "dice": scores.metric("dice"),
                "paper": PAPER_TABLE1_DICE[(c.method, c.recon_type)],
                "run": str(outcome.run_dir.relative_to(out)),
            }
        )
    order = {c.name: i for i, c in enumerate(conditions)}
    rows.sort(key=lambda r: order[r["condition"]])
    result = {"preset": base.to_dict(), "rows": rows, "versions": versions()}
    atomic_write_json(out / "anchor.json", result)
    atomic_write_text(out / "anchor.md", markdown(rows))
    return result


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The anchor table beside the paper's Fully-sampled and Zero-filling Dice."""
    flag = {True: "yes", False: "**no**", None: "-"}
    lines = [
        "| Condition | Method | Noise | Labels | Width | Levels | Epochs | Converged "
        "| CSF | GM | WM | Avg Dice | Paper |",
        "|---|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d = r["dice"]
        lines.append(
            f"| {r['condition']} | {_method(r)} | {100 * r['noise']:g} % | {r['labels']} | "
            f"{r['width']} | {r['depth']} | {r['epochs']} | {flag[r['converged']]} | "
            f"{d['csf']:.4f} | {d['gm']:.4f} | {d['wm']:.4f} | {mean_of(d):.4f} | {r['paper']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def _method(row: dict[str, Any]) -> str:
    """``joint-B`` for a method with blocks, the registry name otherwise."""
    kind = row.get("recon_type")
    return f"{row['method']}-{kind}" if kind else str(row["method"])
