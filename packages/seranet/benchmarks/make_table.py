"""Render a pytest-benchmark JSON of ``test_models_bench.py`` as the Markdown table of RESULTS.md.

Usage: ``python make_table.py A.json [B.json ...] [--command "..."] > RESULTS.md`` (several
JSON files, e.g. one per width, are merged; each table comes from one run). Times are the minimum
over rounds (the least disturbed by other processes on a shared CPU), per image for training
steps (batch 4) and per slice for inference (batch 1). Ratios compare with the UNet of the
same size, width and path, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any

__all__ = ["main", "render"]


def render(runs: list[dict[str, Any]], command: str = "") -> str:
    """Markdown tables (one per size and width) from pytest-benchmark JSON documents."""
    times: dict[tuple[str, str, int, str, str], float] = {}
    data = runs[0]
    for b in (b for run in runs for b in run["benchmarks"]):
        p = b["params"]
        kind = "train" if b["name"].startswith("test_train_step") else "infer"
        per = b.get("extra_info", {}).get("images_per_call", 1)
        times[(p["name"], p["size"], int(p["width"]), p["path"], kind)] = (
            1e3 * b["stats"]["min"] / per
        )
    models = list(dict.fromkeys(k[0] for k in times))
    configs = sorted({(k[1], k[2]) for k in times}, key=lambda c: (int(c[0].split("x")[0]), c[1]))
    machine = data.get("machine_info", {})
    lines = [
        "# seranet model benchmarks",
        "",
        f"CPU: {machine.get('cpu', {}).get('brand_raw', '?')}, torch threads 2, "
        f"JSON written {', '.join(r.get('datetime', '?')[:19] for r in runs)} UTC.",
        "Minimum over rounds (one warm-up round first).",
        "",
    ]
    if command:
        lines += ["Command:", "", "```", command, "```", ""]
    lines += [
        "Train = forward + backward + Adam step of the model's final stage, batch 4, ms per image.",
        "Infer = one slice, batch 1, ms. `opt` = `optimise_for_training` / `optimise_for_inference`",
        "(channels-last weights; inference also under `torch.inference_mode`). x UNet = ratio to the",
        "UNet (zero-filling) of the same size, width, path and kind in the same run.",
        "",
    ]
    for size, width in configs:
        lines += [
            f"## {size}, width {width} (Reg blocks as wide as the UNet's first level)",
            "",
            "| model | train eager | x UNet | train opt | x UNet | infer eager | x UNet | infer opt | x UNet | opt speed-up (train / infer) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for m in models:
            t: dict[tuple[str, str], float] = defaultdict(lambda: float("nan"))
            for path in ("eager", "optimised"):
                for kind in ("train", "infer"):
                    if (m, size, width, path, kind) in times:
                        t[(path, kind)] = times[(m, size, width, path, kind)]
            cells = []
            for kind in ("train", "infer"):
                for path in ("eager", "optimised"):
                    unet = times.get(("unet", size, width, path, kind), float("nan"))
                    cells += [f"{t[(path, kind)]:.1f}", f"{t[(path, kind)] / unet:.2f}"]
            speedup = " / ".join(
                f"{t[('eager', k)] / t[('optimised', k)]:.2f}" for k in ("train", "infer")
            )
            lines.append(f"| {m} | " + " | ".join(cells) + f" | {speedup} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    """Command-line entry: JSON paths, optional ``--command``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", help="pytest-benchmark JSON files")
    parser.add_argument("--command", default="", help="the command that produced them")
    args = parser.parse_args()
    runs = []
    for path in args.json:
        with open(path) as fh:
            runs.append(json.load(fh))
    print(render(runs, args.command))


if __name__ == "__main__":
    main()
