"""Render a pytest-benchmark JSON of ``test_models_bench.py`` as the Markdown table of RESULTS.md.

Usage: ``python make_table.py BENCH.json [COMMAND...] > RESULTS.md``. Times are the minimum
over rounds (the least disturbed by other processes on a shared CPU), per image for training
steps (batch 4) and per slice for inference (batch 1). Ratios compare with the UNet of the
same size, width and path, measured in the same run.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any

__all__ = ["render"]


def render(data: dict[str, Any], command: str = "") -> str:
    """Markdown tables (one per size and width) from a pytest-benchmark JSON document."""
    times: dict[tuple[str, str, int, str, str], float] = {}
    for b in data["benchmarks"]:
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
        f"{data.get('datetime', '?')}. Minimum over rounds (one warm-up round first).",
        "",
    ]
    if command:
        lines += ["Command:", "", "```", command, "```", ""]
    lines += [
        "Train = forward + backward + Adam step of the model's final stage, batch 4, ms per image.",
        "Infer = one slice, batch 1, ms. `opt` = `optimise_for_training` / `optimise_for_inference`",
        "(channels-last weights; inference also under `torch.inference_mode`). x UNet = ratio to the",
        "UNet (zero-filling) of the same size, width and path in this run.",
        "",
    ]
    for size, width in configs:
        lines += [
            f"## {size}, width {width} (recon width 32)",
            "",
            "| model | train eager | train opt | x UNet (opt) | infer eager | infer opt | x UNet (opt) | opt speed-up (train / infer) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for m in models:
            t: dict[tuple[str, str], float] = defaultdict(lambda: float("nan"))
            for path in ("eager", "optimised"):
                for kind in ("train", "infer"):
                    if (m, size, width, path, kind) in times:
                        t[(path, kind)] = times[(m, size, width, path, kind)]
            u_train = times.get(("unet", size, width, "optimised", "train"), float("nan"))
            u_inf = times.get(("unet", size, width, "optimised", "infer"), float("nan"))
            lines.append(
                f"| {m} | {t[('eager', 'train')]:.1f} | {t[('optimised', 'train')]:.1f} | "
                f"{t[('optimised', 'train')] / u_train:.2f} | {t[('eager', 'infer')]:.1f} | "
                f"{t[('optimised', 'infer')]:.1f} | {t[('optimised', 'infer')] / u_inf:.2f} | "
                f"{t[('eager', 'train')] / t[('optimised', 'train')]:.2f} / "
                f"{t[('eager', 'infer')] / t[('optimised', 'infer')]:.2f} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        print(render(json.load(fh), " ".join(sys.argv[2:])))
