"""Result tables: per-run test scores -> rows (mean and std over seeds), JSON, CSV, Markdown.

A row is a :class:`TableRow`; :meth:`TableRow.to_json` gives a row of ``table.json``::

    {"method": "seranet-3++", "recon_type": "A", "seeds": 3,
     "dice": {"csf": .., "gm": .., "wm": .., "mean": ..}, "dice_std": {..} | null,
     "hd": {..}, "hd_std": {..} | null, "hd95": {..}, "hd95_std": {..} | null,
     "converged": [..], "runs": [..], "gap_recovered": ..}

* ``dice``, ``hd``, ``hd95``: per class, the mean over test slices (as :mod:`seranet.metrics`
  averages them), then the mean over seeds; ``mean`` is the mean of the three classes (the
  paper's "Average" column; tables made before :mod:`seranet.vocabulary` call it ``avg``, and
  :meth:`TableRow.from_json` reads both). Distances are in millimetres.
* ``*_std``: the sample standard deviation (``ddof=1``) over seeds of the same quantities;
  null with a single seed.
* ``converged``: per seed, whether the run's training converged (:mod:`seranet.train.convergence`;
  null where it cannot be judged); ``runs``: per seed, the run's folder;
* ``gap_recovered``: the fraction of the Zero-filling -> Fully-sampled gap in average Dice
  that the method closes, ``(D - D_zf) / (D_fs - D_zf)`` (1 = as good as segmenting the
  fully-sampled image, 0 = no better than the zero-filled one); null when either reference row
  is missing or ``D_fs <= D_zf``. The paper's SERANet-3++ recovers 67 % (type A) and 69 %
  (type B) of it in Table 1.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from bench.presets import REFERENCES, TABLE_METHODS
from seranet.vocabulary import DISPLAY_NAMES, MEAN, SCORE_KEYS, TISSUES, mean_of

__all__ = [
    "KEYS",
    "METRICS",
    "AblationPoint",
    "RunScores",
    "Scores",
    "TableRow",
    "cell",
    "converged_cell",
    "curve_links",
    "gap_recovered",
    "make_rows",
    "row_name",
    "rows_to_csv",
    "rows_to_markdown",
    "score",
    "sort_rows",
]

KEYS: tuple[str, ...] = SCORE_KEYS
"""Keys of each metric dict: the classes and their average (:data:`~seranet.vocabulary.MEAN`)."""
METRICS: tuple[str, ...] = ("dice", "hd", "hd95")
"""Metrics of a row (Dice; Hausdorff distance and HD95 in mm)."""


@dataclass(frozen=True)
class RunScores:
    """Test scores of one trained run (one method, Reg type and seed)."""

    method: str
    """Registry name."""
    recon_type: str | None
    """``"A"``, ``"B"`` or None for reconstruction-free methods."""
    seed: int
    """Training seed."""
    dice: dict[str, float]
    """Mean Dice per class (``csf``, ``gm``, ``wm``) over the test slices."""
    hd: dict[str, float]
    """Mean Hausdorff distance per class in mm."""
    hd95: dict[str, float]
    """Mean HD95 per class in mm."""
    converged: bool | None = None
    """Whether the run's training converged (:mod:`seranet.train.convergence`); None: unknown."""
    run_dir: str | None = None
    """The run's folder (its ``curves.png`` is linked from the Markdown table)."""

    def metric(self, name: str) -> dict[str, float]:
        """Per-class values of ``name`` with their class average under ``mean``."""
        values: dict[str, float] = getattr(self, name)
        out = {c: float(values[c]) for c in TISSUES}
        finite = [v for v in out.values() if math.isfinite(v)]
        out[MEAN] = float(np.mean(finite)) if finite else math.nan
        return out


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def row_name(method: str, recon_type: str | None) -> str:
    """``seranet-3 (B)``, or the method alone when it has no Reg type."""
    return method if recon_type is None else f"{method} ({recon_type})"


Scores: TypeAlias = dict[str, float | None]
"""One metric of a row: a value per key of :data:`KEYS` (None where it is not finite)."""


def _read_scores(values: dict[str, Any] | None) -> Scores | None:
    """A score dict of a ``table.json`` row keyed as :data:`KEYS`, its mean read with
    :func:`~seranet.vocabulary.mean_of` (older files key it ``avg``)."""
    if values is None:
        return None
    return {k: score(values, k) for k in KEYS}


@dataclass(frozen=True)
class TableRow:
    """One row of a result table: a method under one Reg type, over its seeds."""

    method: str
    """Registry name."""
    recon_type: str | None
    """``"A"``, ``"B"`` or None for reconstruction-free methods."""
    seeds: int
    """Seeds (runs) behind the row."""
    dice: Scores
    """Dice per class and their mean, averaged over test slices, then over seeds."""
    dice_std: Scores | None = None
    """Sample standard deviation over seeds (``ddof=1``); None with a single seed."""
    hd: Scores | None = None
    """Hausdorff distance in mm, as :attr:`dice`."""
    hd_std: Scores | None = None
    """Its standard deviation over seeds."""
    hd95: Scores | None = None
    """95th-percentile Hausdorff distance in mm, as :attr:`dice`."""
    hd95_std: Scores | None = None
    """Its standard deviation over seeds."""
    converged: tuple[bool | None, ...] = ()
    """Per seed, whether the run converged (None: cannot be judged); empty in older tables."""
    runs: tuple[str | None, ...] = ()
    """Per seed, the run's folder; empty in older tables."""
    gap_recovered: float | None = None
    """Share of the Zero-filling -> Fully-sampled gap in mean Dice (:func:`gap_recovered`)."""
    recon_blocks: int | None = None
    """K of the row's runs where it is not the preset's (ablation points); not in ``table.json``."""

    @property
    def name(self) -> str:
        """``seranet-3 (B)``, or the method alone when it has no Reg type."""
        return row_name(self.method, self.recon_type)

    @property
    def mean_dice(self) -> float | None:
        """The mean Dice over the three classes (the paper's "Average")."""
        return self.dice.get(MEAN)

    def metric(self, name: str) -> Scores | None:
        """The scores of ``name`` (``dice``, ``dice_std``, ``hd``, ... as in ``table.json``)."""
        values: Scores | None = getattr(self, name)
        return values

    def to_json(self) -> dict[str, Any]:
        """The row as written to ``table.json`` (with ``recon_blocks`` first when set)."""
        head: dict[str, Any] = (
            {} if self.recon_blocks is None else {"recon_blocks": self.recon_blocks}
        )
        return {
            **head,
            "method": self.method,
            "recon_type": self.recon_type,
            "seeds": self.seeds,
            "converged": list(self.converged),
            "runs": list(self.runs),
            **{m: self.metric(m) for name in METRICS for m in (name, f"{name}_std")},
            "gap_recovered": self.gap_recovered,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableRow:
        """A row of a ``table.json`` (or an ablation point), old files included: the mean read
        as :func:`~seranet.vocabulary.mean_of` does; fields the file lacks take their defaults."""
        scores = {m: _read_scores(data.get(m)) for name in METRICS for m in (name, f"{name}_std")}
        blocks = data.get("recon_blocks")
        return cls(
            method=data["method"],
            recon_type=data["recon_type"],
            seeds=int(data.get("seeds", 1)),
            dice=scores.pop("dice") or {},
            converged=tuple(data.get("converged") or ()),
            runs=tuple(data.get("runs") or ()),
            gap_recovered=data.get("gap_recovered"),
            recon_blocks=None if blocks is None else int(blocks),
            **scores,
        )


@dataclass(frozen=True)
class AblationPoint:
    """One point of the blocks ablation (``ablation.json``'s ``points``): a row at one K."""

    row: TableRow
    """The method and type at K = ``row.recon_blocks`` (``gap_recovered`` unused)."""
    note: str | None = None
    """Why the point says nothing about K (reconstruction-free methods)."""

    @property
    def recon_blocks(self) -> int:
        """K of the point."""
        if self.row.recon_blocks is None:
            raise ValueError(f"ablation point {self.row.name} has no recon_blocks")
        return self.row.recon_blocks

    def to_json(self) -> dict[str, Any]:
        """The point as written to ``ablation.json``."""
        data = self.row.to_json()
        del data["gap_recovered"]
        return data if self.note is None else {**data, "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AblationPoint:
        """A point of an ``ablation.json`` (old files included, as :meth:`TableRow.from_json`)."""
        return cls(TableRow.from_json(data), data.get("note"))


MIN_GAP = 0.01
"""Smallest Fully-sampled minus Zero-filling Dice a share of the gap is computed for: below
it the ratio divides by noise (a 1-epoch smoke table gave -20486 %)."""


def gap_recovered(dice: float, zero_filling: float, fully_sampled: float) -> float | None:
    """``(dice - zero_filling) / (fully_sampled - zero_filling)``; None (shown as n/a) when
    the gap is below :data:`MIN_GAP`.

    Examples
    --------
    >>> gap_recovered(0.8839, 0.7970, 0.9261)  # the paper's SERANet-3++, type A
    0.6731...
    """
    values = (dice, zero_filling, fully_sampled)
    if not all(math.isfinite(v) for v in values) or fully_sampled - zero_filling < MIN_GAP:
        return None
    return (dice - zero_filling) / (fully_sampled - zero_filling)


def _group_key(s: RunScores) -> tuple[str, str | None]:
    return (s.method, s.recon_type)


def make_rows(scores: Iterable[RunScores]) -> list[TableRow]:
    """Aggregate runs into table rows (one per method and Reg type), in the paper's order.

    Zero-filling and Fully-sampled rows (``recon_type`` null) are the references of every
    row's ``gap_recovered``.
    """
    groups: dict[tuple[str, str | None], list[RunScores]] = {}
    for s in scores:
        groups.setdefault(_group_key(s), []).append(s)
    rows: list[TableRow] = []
    for (method, recon_type), runs in groups.items():
        runs = sorted(runs, key=lambda r: r.seed)
        metrics: dict[str, Scores | None] = {}
        for metric in METRICS:
            per_seed = np.array(
                [[r.metric(metric)[k] for k in KEYS] for r in runs], dtype=np.float64
            )
            mean = per_seed.mean(axis=0)
            metrics[metric] = {k: _num(v) for k, v in zip(KEYS, mean, strict=True)}
            if len(runs) > 1:
                std = per_seed.std(axis=0, ddof=1)
                metrics[f"{metric}_std"] = {k: _num(v) for k, v in zip(KEYS, std, strict=True)}
        rows.append(
            TableRow(
                method=method,
                recon_type=recon_type,
                seeds=len(runs),
                dice=metrics["dice"] or {},
                dice_std=metrics.get("dice_std"),
                hd=metrics["hd"],
                hd_std=metrics.get("hd_std"),
                hd95=metrics["hd95"],
                hd95_std=metrics.get("hd95_std"),
                converged=tuple(r.converged for r in runs),
                runs=tuple(r.run_dir for r in runs),
            )
        )
    refs = {r.method: r.mean_dice for r in rows if r.recon_type is None}
    fs, zf = (refs.get(m) for m in REFERENCES)
    with_gaps = []
    for row in rows:
        d = row.mean_dice
        gap = None if zf is None or fs is None or d is None else gap_recovered(d, zf, fs)
        with_gaps.append(replace(row, gap_recovered=None if gap is None else _num(gap)))
    return sort_rows(with_gaps)


def sort_rows(rows: Iterable[TableRow]) -> list[TableRow]:
    """Reference rows first, then by Reg type, each in the paper's method order."""
    order = {m: i for i, m in enumerate(TABLE_METHODS)}

    def key(row: TableRow) -> tuple[int, str, int, str]:
        return (
            0 if row.recon_type is None else 1,
            row.recon_type or "",
            order.get(row.method, len(order)),
            row.method,
        )

    return sorted(rows, key=key)


def converged_cell(row: TableRow) -> str:
    """``yes`` when every run of the row converged, ``no (1 of 3)`` otherwise, ``-`` unknown."""
    flags = row.converged
    judged = [f for f in flags if f is not None]
    if not judged:
        return "-"
    if all(judged) and len(judged) == len(flags):
        return "yes"
    return f"**no** ({sum(judged)} of {len(flags)})"


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def score(values: Mapping[str, Any] | None, key: str) -> Any:
    """``values[key]`` of a per-class score dict, the mean read as :func:`seranet.vocabulary.mean_of`
    (older tables call it ``avg``); None when absent."""
    if not values:
        return None
    return mean_of(values) if key == MEAN else values.get(key)


def cell(row: TableRow, key: str, *, metric: str = "dice", digits: int = 4) -> str:
    """``mean ± std`` of one key of a metric (``-`` where the mean is missing; the mean alone
    with one seed)."""
    mean = score(row.metric(metric), key)
    spread = score(row.metric(f"{metric}_std"), key)
    if mean is None:
        return "-"
    if spread is None:
        return _fmt(mean, digits)
    return f"{_fmt(mean, digits)} ± {_fmt(spread, digits)}"


def curve_links(row: TableRow, base: str | os.PathLike[str] | None) -> str:
    """Links to the ``curves.png`` of the row's runs (``s0 s1 s2``), relative to ``base``."""
    runs = [r for r in row.runs if r]
    if base is None or not runs:
        return "-"
    links = []
    for i, run in enumerate(runs):
        target = os.path.relpath(Path(run) / "curves.png", base)
        links.append(f"[s{i}]({Path(target).as_posix()})")
    return " ".join(links)


def rows_to_markdown(
    rows: Sequence[TableRow],
    title: str | None = None,
    links_from: str | os.PathLike[str] | None = None,
) -> str:
    """A Markdown table: Dice, HD and HD95 per class and average, mean ± std over seeds, and
    with ``links_from`` (the folder the table is written to) links to each run's curves."""
    head = ["Method", "Type", "Seeds", "Converged"]
    for label in ("Dice", "HD mm", "HD95 mm"):
        head += [f"{label} {DISPLAY_NAMES[k]}" for k in KEYS]
    head.append("Gap recovered")
    if links_from is not None:
        head.append("Curves")
    lines = []
    if title:
        lines += [f"### {title}", ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * 4 + ["---:"] * (len(head) - 4)) + "|")
    for row in rows:
        cells = [row.method, row.recon_type or "-", str(row.seeds), converged_cell(row)]
        for metric, digits in (("dice", 4), ("hd", 3), ("hd95", 3)):
            cells += [cell(row, k, metric=metric, digits=digits) for k in KEYS]
        gap = row.gap_recovered
        cells.append("n/a" if gap is None else f"{100 * gap:.1f} %")
        if links_from is not None:
            cells.append(curve_links(row, links_from))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def rows_to_csv(rows: Sequence[TableRow]) -> str:
    """Flat CSV: one column per metric, key and statistic (``dice_csf``, ``dice_csf_std``, ...)."""
    fields = ["method", "recon_type", "seeds"]
    for metric in METRICS:
        for k in KEYS:
            fields += [f"{metric}_{k}", f"{metric}_{k}_std"]
    fields += ["converged", "gap_recovered"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat: dict[str, Any] = {
            "method": row.method,
            "recon_type": row.recon_type or "",
            "seeds": row.seeds,
            "gap_recovered": "" if row.gap_recovered is None else row.gap_recovered,
            "converged": converged_cell(row).replace("*", ""),
        }
        for metric in METRICS:
            for k in KEYS:
                mean = score(row.metric(metric), k)
                spread = score(row.metric(f"{metric}_std"), k)
                flat[f"{metric}_{k}"] = "" if mean is None else mean
                flat[f"{metric}_{k}_std"] = "" if spread is None else spread
        writer.writerow(flat)
    return buffer.getvalue()
