"""The paper's published numbers, our tables beside them, and which of its claims hold here.

The paper (Huang et al., SERANet, arXiv:1812.02068v1) reports mean Dice over 171 test slices
of 1 mm BrainWeb images. Our presets differ in resolution, width and epochs, so absolute
values differ; what is compared is the *shape* of the results (the ordering of the methods,
the share of the Zero-filling -> Fully-sampled gap recovered, the effect of noise and of the
number of reconstruction blocks). :func:`shape_checks`, :func:`noise_checks` and
:func:`ablation_checks` state each claim and say whether our numbers support it.

Table 1's averages are the paper's "Average" column. Table 2 (supplement B, 20 % noise) is
printed per class only in the text we have; its averages here are the mean of the three class
Dice values, which reproduces every average that is printed (e.g. Fully-sampled 0.8922).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.tables import gap_recovered, sort_rows

__all__ = [
    "PAPER_TABLE1_DICE",
    "PAPER_TABLE2_DICE",
    "Check",
    "ablation_checks",
    "beside_paper_markdown",
    "checks_markdown",
    "noise_checks",
    "paper_dice",
    "shape_checks",
]

Key = tuple[str, str | None]

PAPER_TABLE1_DICE: dict[Key, float] = {
    ("fully-sampled", None): 0.9261,
    ("zero-filling", None): 0.7970,
    ("segnetmri", None): 0.8628,
    ("two-step", "A"): 0.8560,
    ("joint", "A"): 0.8566,
    ("seranet-1", "A"): 0.8745,
    ("seranet-2", "A"): 0.8749,
    ("seranet-3", "A"): 0.8749,
    ("seranet-3++", "A"): 0.8839,
    ("two-step", "B"): 0.8631,
    ("joint", "B"): 0.8652,
    ("seranet-1", "B"): 0.8752,
    ("seranet-2", "B"): 0.8845,
    ("seranet-3", "B"): 0.8845,
    ("seranet-3++", "B"): 0.8865,
}
"""Average Dice of the paper's Table 1 (10 % noise, 30 % sampling), by (method, Reg type)."""

_TABLE2_CLASS_DICE: dict[Key, tuple[float, float, float]] = {
    ("fully-sampled", None): (0.8631, 0.9188, 0.8946),
    ("zero-filling", None): (0.7600, 0.8324, 0.7911),
    ("segnetmri", None): (0.7793, 0.8384, 0.7753),
    ("two-step", "A"): (0.7988, 0.8567, 0.8194),
    ("joint", "A"): (0.7997, 0.8584, 0.8125),
    ("seranet-1", "A"): (0.8079, 0.8726, 0.8409),
    ("seranet-2", "A"): (0.8079, 0.8684, 0.8408),
    ("seranet-3", "A"): (0.8064, 0.8684, 0.8425),
    ("seranet-3++", "A"): (0.8075, 0.8693, 0.8421),
    ("two-step", "B"): (0.8079, 0.8654, 0.8243),
    ("joint", "B"): (0.8084, 0.8694, 0.8223),
    ("seranet-1", "B"): (0.8122, 0.8740, 0.8478),
    ("seranet-2", "B"): (0.8108, 0.8684, 0.8408),
    ("seranet-3", "B"): (0.8115, 0.8717, 0.8460),
    ("seranet-3++", "B"): (0.8155, 0.8756, 0.8514),
}

PAPER_TABLE2_DICE: dict[Key, float] = {
    key: round(sum(dice) / 3, 4) for key, dice in _TABLE2_CLASS_DICE.items()
}
"""Average Dice of the paper's Table 2 (20 % noise): the mean of its CSF, GM and WM Dice."""


def paper_dice(noise: float) -> dict[Key, float] | None:
    """The paper's average Dice at noise level ``noise`` (Table 1: 0.10, Table 2: 0.20), else None."""
    for level, table in ((0.10, PAPER_TABLE1_DICE), (0.20, PAPER_TABLE2_DICE)):
        if abs(noise - level) < 1e-9:
            return table
    return None


SERANET_METHODS = ("seranet-1", "seranet-2", "seranet-3", "seranet-3++")
"""Our method's variants in the tables."""
BASELINES = ("two-step", "joint", "segnetmri")
"""The reconstruct-and-segment baselines the paper's ordering puts SERANet above."""


@dataclass(frozen=True)
class Check:
    """One claim of the paper and whether our numbers support it."""

    claim: str
    """The claim, for one Reg type where it depends on it."""
    holds: bool | None
    """True / False; None when the rows it needs are missing."""
    evidence: str
    """The numbers the verdict rests on."""


def _rows_by_key(rows: Sequence[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    return {(r["method"], r["recon_type"]): r for r in rows if r["dice"]["avg"] is not None}


def _lookup(
    by_key: dict[Key, dict[str, Any]], method: str, recon_type: str
) -> dict[str, Any] | None:
    """The row of ``method`` under ``recon_type`` (reconstruction-free rows have no type)."""
    return by_key.get((method, recon_type)) or by_key.get((method, None))


def _types(rows: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({r["recon_type"] for r in rows if r["recon_type"] is not None})


def _dice(row: dict[str, Any]) -> float:
    return float(row["dice"]["avg"])


def _std(row: dict[str, Any]) -> float | None:
    std = row.get("dice_std")
    return None if std is None or std.get("avg") is None else float(std["avg"])


def _name(row: dict[str, Any]) -> str:
    return row["method"] if row["recon_type"] is None else f"{row['method']} ({row['recon_type']})"


def _listing(rows: Sequence[dict[str, Any]]) -> str:
    return ", ".join(f"{_name(r)} {_dice(r):.4f}" for r in rows)


def shape_checks(
    rows: Sequence[dict[str, Any]], paper: dict[Key, float] | None = None
) -> list[Check]:
    """The ordering claims of a Table 1 / 2 (``make_rows`` output), per Reg type.

    * Fully-sampled above every other method; every method above Zero-filling;
    * SERANet-3++ >= SERANet-3;
    * each SERANet-N above Joint, Two-step and SegNetMRI;
    * SERANet-3 above Joint by more than twice the standard error of the difference over
      seeds (``sqrt(s_a^2 / n_a + s_b^2 / n_b)``), when both have several seeds;
    * SERANet-3++ recovering at least the paper's share of the Zero-filling -> Fully-sampled gap
      (when ``paper`` is given: 67 % type A, 69 % type B in Table 1).
    """
    by_key = _rows_by_key(rows)
    fs, zf = by_key.get(("fully-sampled", None)), by_key.get(("zero-filling", None))
    checks: list[Check] = []
    for t in _types(rows):
        typed = [r for r in rows if r["recon_type"] == t and r["dice"]["avg"] is not None]
        others = [*([by_key[("segnetmri", None)]] if ("segnetmri", None) in by_key else []), *typed]
        if fs is not None:
            worse = [r for r in [*others, *([zf] if zf else [])] if _dice(r) >= _dice(fs)]
            checks.append(
                Check(
                    f"type {t}: Fully-sampled above every method",
                    not worse,
                    f"Fully-sampled {_dice(fs):.4f}"
                    + (f"; not below it: {_listing(worse)}" if worse else ""),
                )
            )
        if zf is not None:
            below = [r for r in others if _dice(r) <= _dice(zf)]
            checks.append(
                Check(
                    f"type {t}: every method above Zero-filling",
                    not below,
                    f"Zero-filling {_dice(zf):.4f}"
                    + (f"; not above it: {_listing(below)}" if below else ""),
                )
            )
        s3, s3pp = _lookup(by_key, "seranet-3", t), _lookup(by_key, "seranet-3++", t)
        if s3 is not None and s3pp is not None:
            checks.append(
                Check(
                    f"type {t}: SERANet-3++ >= SERANet-3",
                    _dice(s3pp) >= _dice(s3),
                    _listing([s3pp, s3]),
                )
            )
        baselines = [r for m in BASELINES if (r := _lookup(by_key, m, t)) is not None]
        for method in ("seranet-1", "seranet-2", "seranet-3"):
            row = _lookup(by_key, method, t)
            if row is None or not baselines:
                continue
            best = max(baselines, key=_dice)
            checks.append(
                Check(
                    f"type {t}: {method} above Joint, Two-step and SegNetMRI",
                    _dice(row) > _dice(best),
                    f"{_listing([row])}; best baseline {_listing([best])}",
                )
            )
        joint = _lookup(by_key, "joint", t)
        if s3 is not None and joint is not None and s3["seeds"] > 1 and joint["seeds"] > 1:
            sa, sb = _std(s3), _std(joint)
            if sa is not None and sb is not None:
                diff = _dice(s3) - _dice(joint)
                se = math.sqrt(sa**2 / s3["seeds"] + sb**2 / joint["seeds"])
                checks.append(
                    Check(
                        f"type {t}: SERANet-3 above Joint beyond seed spread",
                        diff > 2 * se,
                        f"difference {diff:+.4f}, standard error {se:.4f} "
                        f"(std {sa:.4f} over {s3['seeds']} seeds, {sb:.4f} over {joint['seeds']})",
                    )
                )
        if paper is not None and s3pp is not None and fs is not None and zf is not None:
            ours = gap_recovered(_dice(s3pp), _dice(zf), _dice(fs))
            theirs = _paper_gap(paper, "seranet-3++", t)
            if theirs is not None:
                checks.append(
                    Check(
                        f"type {t}: SERANet-3++ recovers at least the paper's share of the gap",
                        ours is not None and ours >= theirs,
                        f"ours {_percent(ours)}, paper {_percent(theirs)}",
                    )
                )
    return checks


def _paper_gap(paper: dict[Key, float], method: str, recon_type: str | None) -> float | None:
    value = paper.get((method, recon_type)) or paper.get((method, None))
    zf, fs = paper.get(("zero-filling", None)), paper.get(("fully-sampled", None))
    if value is None or zf is None or fs is None:
        return None
    return gap_recovered(value, zf, fs)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def noise_checks(drops: Sequence[dict[str, Any]]) -> list[Check]:
    """Per Reg type: a SERANet variant loses the least average Dice from low to high noise.

    ``drops`` is :func:`bench.reproduce.noise_drop` output; Fully-sampled and Zero-filling
    (no reconstruction to make robust) are left out of the comparison.
    """
    checks = []
    for t in sorted({d["recon_type"] for d in drops if d["recon_type"] is not None}):
        pool = [
            d
            for d in drops
            if d["method"] not in ("fully-sampled", "zero-filling") and d["recon_type"] in (t, None)
        ]
        if not pool or not any(d["method"] in SERANET_METHODS for d in pool):
            continue
        least = min(pool, key=lambda d: d["drop"])
        listing = ", ".join(f"{d['method']} {d['drop']:+.4f}" for d in pool)
        checks.append(
            Check(
                f"type {t}: SERANet loses the least Dice from 10 % to 20 % noise",
                least["method"] in SERANET_METHODS,
                f"drops: {listing}",
            )
        )
    return checks


def ablation_checks(points: Sequence[dict[str, Any]]) -> list[Check]:
    """The claims of the paper's section 4.3 (Fig. 6) on the ablation's average Dice.

    ``points`` is ``ablation.json``'s ``points``. Per method and Reg type with a reconstruction
    module: Dice rises with K, judged on the end points (largest K against smallest) and on
    every step, both reported. Per Reg type: SERANet-3 is above Two-step and Joint at every K.
    Per method: type B (encoder-decoder) is above type A at every K.
    """
    series: dict[Key, list[tuple[int, float]]] = {}
    for p in points:
        if p.get("note") or p["dice"]["avg"] is None:
            continue
        series.setdefault((p["method"], p["recon_type"]), []).append(
            (int(p["recon_blocks"]), float(p["dice"]["avg"]))
        )
    checks = []
    for (method, t), values in sorted(series.items(), key=lambda kv: (kv[0][1] or "", kv[0][0])):
        values.sort()
        if len(values) < 2:
            continue
        steps = [b - a for (_, a), (_, b) in itertools.pairwise(values)]
        text = ", ".join(f"K={k} {d:.4f}" for k, d in values)
        checks.append(
            Check(
                f"{method} ({t}): Dice rises from K={values[0][0]} to K={values[-1][0]}",
                values[-1][1] > values[0][1],
                text + ("; every step up" if all(s > 0 for s in steps) else "; not every step up"),
            )
        )
    return checks + _ablation_order_checks(series)


def _ablation_order_checks(series: dict[Key, list[tuple[int, float]]]) -> list[Check]:
    """SERANet-3 above Two-step and Joint per type and K; type B above type A per method and K."""
    at = {key: dict(values) for key, values in series.items()}
    checks = []
    for t in sorted({t for _, t in at if t is not None}):
        ours, step, joint = (at.get((m, t)) for m in ("seranet-3", "two-step", "joint"))
        if ours is None or step is None or joint is None:
            continue
        if not (ks := sorted(set(ours) & set(step) & set(joint))):
            continue
        best = {k: max(step[k], joint[k]) for k in ks}
        checks.append(
            Check(
                f"type {t}: SERANet-3 above Two-step and Joint at every K",
                all(ours[k] > best[k] for k in ks),
                ", ".join(f"K={k} {ours[k]:.4f} vs {best[k]:.4f}" for k in ks),
            )
        )
    for method in sorted({m for m, _ in at}):
        a, b = at.get((method, "A")), at.get((method, "B"))
        if a is None or b is None or not (ks := sorted(set(a) & set(b))):
            continue
        checks.append(
            Check(
                f"{method}: type B above type A at every K",
                all(b[k] > a[k] for k in ks),
                ", ".join(f"K={k} B {b[k]:.4f} vs A {a[k]:.4f}" for k in ks),
            )
        )
    return checks


def checks_markdown(checks: Sequence[Check]) -> str:
    """A Markdown table: claim, holds / does not hold, evidence."""
    lines = ["| Claim | Holds | Evidence |", "|---|---|---|"]
    verdict = {True: "yes", False: "**no**", None: "-"}
    for c in checks:
        lines.append(f"| {c.claim} | {verdict[c.holds]} | {c.evidence} |")
    return "\n".join(lines) + "\n"


def beside_paper_markdown(rows: Sequence[dict[str, Any]], paper: dict[Key, float]) -> str:
    """Our Dice per class and average (± std over seeds) and gap recovered beside the paper's."""
    lines = [
        "| Method | Type | Seeds | CSF | GM | WM | Avg Dice (ours) | Avg Dice (paper) "
        "| Gap recovered (ours) | Gap recovered (paper) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sort_rows(rows):
        key = (row["method"], row["recon_type"])
        std = row.get("dice_std") or {}
        cells = []
        for k in ("csf", "gm", "wm", "avg"):
            mean = row["dice"][k]
            spread = std.get(k)
            cells.append(
                "-"
                if mean is None
                else f"{mean:.4f}" + (f" ± {spread:.4f}" if spread is not None else "")
            )
        theirs = paper.get(key)
        lines.append(
            f"| {row['method']} | {row['recon_type'] or '-'} | {row['seeds']} | "
            + " | ".join(cells)
            + f" | {'-' if theirs is None else f'{theirs:.4f}'} | "
            f"{_percent(row.get('gap_recovered'))} | {_percent(_paper_gap(paper, *key))} |"
        )
    return "\n".join(lines) + "\n"
