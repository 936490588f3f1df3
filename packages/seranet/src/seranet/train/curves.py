"""A run's training curves as a picture and a table, from its ``metrics.jsonl`` records.

``RUN/curves.png`` has three panels against the epoch counted across stages (stage boundaries
marked): training and validation loss, validation Dice per class and their mean, and the
learning rate (log scale). ``RUN/metrics.csv`` holds the same numbers, one row per epoch.
Both are rewritten atomically as the run goes (see :mod:`seranet.train.loop`).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CSV_FIELDS", "write_csv", "write_curves"]

CSV_FIELDS = (
    "stage",
    "epoch",
    "train_loss",
    "val_loss",
    "val_mse",
    "val_dice_csf",
    "val_dice_gm",
    "val_dice_wm",
    "val_dice_mean",
    "lr",
    "seconds",
    "cpu_seconds",
    "best",
)
"""Columns of ``metrics.csv``."""


def _row(record: Mapping[str, Any]) -> dict[str, Any]:
    dice = record.get("val_dice") or {}
    row = {k: record.get(k) for k in CSV_FIELDS if not k.startswith("val_dice")}
    row.update({f"val_dice_{k}": dice.get(k) for k in ("csf", "gm", "wm", "mean")})
    return {k: "" if row.get(k) is None else row[k] for k in CSV_FIELDS}


def write_csv(records: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> None:
    """``metrics.csv``: one row per record, :data:`CSV_FIELDS` columns (empty for missing)."""
    from seranet._files import atomic_write_text

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(_row(record))
    atomic_write_text(path, buffer.getvalue())


def _values(records: Sequence[Mapping[str, Any]], key: str, sub: str | None = None) -> list[float]:
    out = []
    for r in records:
        value = r.get(key)
        if sub is not None:
            value = (value or {}).get(sub)
        out.append(math.nan if value is None else float(value))
    return out


def write_curves(
    records: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], title: str = ""
) -> None:
    """``curves.png`` of ``records`` (module docstring); nothing is written for no records."""
    if not records:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seranet._files import atomic_write_bytes

    x = list(range(1, len(records) + 1))
    fig, (loss, dice, lr) = plt.subplots(1, 3, figsize=(13, 3.6))
    loss.plot(x, _values(records, "train_loss"), label="train", color="C0")
    loss.plot(x, _values(records, "val_loss"), label="validation", color="C1")
    loss.set_ylabel("loss")
    colours = {"csf": "tab:purple", "gm": "tab:orange", "wm": "tab:gray", "mean": "black"}
    for name, colour in colours.items():
        values = _values(records, "val_dice", name)
        if any(math.isfinite(v) for v in values):
            dice.plot(x, values, label=name.upper() if name != "mean" else "mean", color=colour)
    dice.set_ylabel("validation Dice")
    dice.set_ylim(0, 1)
    lr.plot(x, _values(records, "lr"), color="C2")
    lr.set_yscale("log")
    lr.set_ylabel("learning rate")
    stages = [str(r["stage"]) for r in records]
    starts = [i for i in range(len(stages)) if i == 0 or stages[i] != stages[i - 1]]
    for ax in (loss, dice, lr):
        ax.set_xlabel("epoch (all stages)")
        ax.grid(alpha=0.3)
        for i in starts[1:]:
            ax.axvline(i + 0.5, color="k", alpha=0.3, linestyle="--")
    for i in starts:
        loss.annotate(stages[i], (i + 1, 1.0), xycoords=("data", "axes fraction"),
                      fontsize=7, va="top")  # fmt: skip
    loss.legend(fontsize=7)
    if dice.get_lines():
        dice.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(Path(path), buffer.getvalue())
