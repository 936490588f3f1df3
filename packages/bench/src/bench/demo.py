"""The demo: simulate a few procedural subjects, train a few methods briefly, compare, draw.

``bench demo --out DIR`` (what ``nox -s demo`` runs) needs no data files and finishes in a few
minutes on 2 CPU cores: it simulates the :data:`~bench.presets.DEMO` preset's procedural
dataset (10 % noise), trains Fully-sampled, Zero-filling, Joint and SERANet-2 on it, scores them
on the held-out subject, prints the table and writes the figure panel and the attention maps.
Every step is resumable like the commands it is made of.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench.attention import AttentionResult, attention
from bench.compare import CompareResult, compare
from bench.data import simulate
from bench.figures import Panel, figures
from bench.presets import DEMO, Preset

__all__ = ["DemoResult", "demo"]


@dataclass(frozen=True)
class DemoResult:
    """What :func:`demo` produced."""

    comparison: CompareResult
    """The table and its runs."""
    panels: list[Panel]
    """Figure panels."""
    attention: AttentionResult | None
    """Attention maps of the SERANet run (None if the preset has none)."""
    seconds: dict[str, float]
    """Wall time of each step."""


def demo(
    out_dir: str | os.PathLike[str],
    *,
    preset: Preset = DEMO,
    device: str = "auto",
    progress: bool = True,
    console: Console | None = None,
    jobs: int = 1,
) -> DemoResult:
    """Run the demo into ``out_dir`` (``data/``, ``compare/``, ``figures/``, ``attention/``)."""
    console = console or Console(stderr=True)
    out = Path(out_dir)
    data = out / "data"
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    simulate(preset, data, preset.noise_levels[0], progress=progress, console=console)
    seconds["simulate"] = time.perf_counter() - t
    t = time.perf_counter()
    result = compare(data, out / "compare", preset, device=device, progress=progress,
                     console=console, jobs=jobs)  # fmt: skip
    seconds["train and evaluate"] = time.perf_counter() - t
    t = time.perf_counter()
    panels = figures([out / "compare"], data, out / "figures", device=device)
    seranet_runs = [o for o in result.outcomes if o.spec.method.startswith("seranet")]
    maps = (
        attention(seranet_runs[0].run_dir, data, out / "attention", device=device)
        if seranet_runs
        else None
    )
    seconds["figures"] = time.perf_counter() - t
    return DemoResult(result, panels, maps, seconds)
