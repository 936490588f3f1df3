"""The paper's published numbers, our tables beside them, and which of its claims hold here.

The paper (Huang et al., SERANet, arXiv:1812.02068v1) reports mean Dice over 171 test slices
of 1 mm BrainWeb images. Our presets differ in resolution, width and epochs, so absolute
values differ; what is compared is the *shape* of the results (the ordering of the methods,
the share of the Zero-filling -> Fully-sampled gap recovered, the effect of noise and of the
number of reconstruction blocks). :func:`shape_checks`, :func:`noise_checks` and
:func:`ablation_checks` state each claim and say whether our numbers support it.

Each check has a point-estimate verdict (``holds``: the table's means) and, when the runs'
per-slice test scores are at hand (a :data:`TermSource`), a paired verdict
(:mod:`bench.stats`): the mean paired difference on identical test slices with a 95 %
bootstrap interval over subjects, slices and seeds; ``holds`` when the interval lies above 0
(or the claim's threshold), ``fails`` below, ``undecided`` otherwise. A claim over several
comparisons ("above every method") holds when every comparison holds and fails when any
fails; the check shows its weakest comparison (lowest interval).

Table 1's averages are the paper's "Average" column. Table 2 (supplement B, 20 % noise) is
printed per class only in the text we have; its averages here are the mean of the three class
Dice values, which reproduces every average that is printed (e.g. Fully-sampled 0.8922).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bench.presets import REFERENCES
from bench.stats import PairedResult, Term, paired_bootstrap
from bench.tables import (
    AblationPoint,
    TableRow,
    cell,
    converged_cell,
    gap_recovered,
    row_name,
    sort_rows,
)
from seranet.vocabulary import MEAN, SCORE_KEYS

__all__ = [
    "PAPER_TABLE1_DICE",
    "PAPER_TABLE2_DICE",
    "Check",
    "NoiseDrop",
    "TermSource",
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


TermSource = Callable[[TableRow], Term | None]
"""Per-slice test scores of a table row's runs (None when they are not at hand)."""


@dataclass(frozen=True)
class NoiseDrop:
    """A method's mean Dice at the low and the high noise level (:func:`bench.reproduce.noise_drop`)."""

    method: str
    """Registry name."""
    recon_type: str | None
    """Reg block type (None for reconstruction-free methods)."""
    dice_low: float
    """Mean Dice at the low noise level."""
    dice_high: float
    """Mean Dice at the high noise level."""
    seeds_low: int = 1
    """Seeds behind :attr:`dice_low`."""
    seeds_high: int = 1
    """Seeds behind :attr:`dice_high`."""

    @property
    def drop(self) -> float:
        """``dice_low - dice_high``."""
        return self.dice_low - self.dice_high

    @property
    def name(self) -> str:
        """``seranet-3 (B)``, or the method alone when it has no Reg type."""
        return row_name(self.method, self.recon_type)


@dataclass(frozen=True)
class Check:
    """One claim of the paper and whether our numbers support it."""

    claim: str
    """The claim, for one Reg type where it depends on it."""
    holds: bool | None
    """Point-estimate verdict on the table's means; None when the rows it needs are missing."""
    evidence: str
    """The numbers the verdict rests on."""
    paired: PairedResult | None = None
    """The paired bootstrap result (the weakest comparison of a claim over several)."""
    paired_verdict: str | None = None
    """``holds`` / ``fails`` / ``undecided`` over all the claim's comparisons; None unpaired."""
    weakest: str = ""
    """The comparison :attr:`paired` belongs to (``seranet-3 (B) - joint (B)``)."""
    unpaired: str = "no per-slice scores"
    """Why there is no paired verdict (when :attr:`paired` is None)."""

    @property
    def verdict(self) -> str:
        """The paired verdict, else the point estimate's marked as such."""
        if self.paired_verdict is not None:
            return self.paired_verdict
        return {True: "holds (means only)", False: "fails (means only)", None: "-"}[self.holds]


def _difference(v: np.ndarray) -> np.ndarray:
    return v[..., 0] - v[..., 1]


def _paired(
    check: Check,
    comparisons: Sequence[tuple[str, Sequence[Term | None]]],
    *,
    statistic: Callable[[np.ndarray], np.ndarray] = _difference,
    threshold: float = 0.0,
) -> Check:
    """``check`` with the paired verdict over ``comparisons`` (label, terms), when every term
    is at hand; unchanged otherwise."""
    results: list[tuple[str, PairedResult]] = []
    for label, terms in comparisons:
        if not terms or any(t is None for t in terms):
            return check
        given = [t for t in terms if t is not None]
        results.append((label, paired_bootstrap(given, statistic, threshold=threshold)))
    if not results:
        return check
    verdicts = {r.verdict for _, r in results}
    combined = "fails" if "fails" in verdicts else "holds" if verdicts == {"holds"} else "undecided"
    label, weakest = min(results, key=lambda lr: lr[1].low - lr[1].threshold)
    return Check(check.claim, check.holds, check.evidence, weakest, combined, label)


def _pairs(
    source: TermSource | None, pairs: Sequence[tuple[TableRow, TableRow]]
) -> list[tuple[str, Sequence[Term | None]]]:
    if source is None:
        return []
    return [(f"{a.name} - {b.name}", (source(a), source(b))) for a, b in pairs]


def _rows_by_key(rows: Sequence[TableRow]) -> dict[Key, TableRow]:
    return {(r.method, r.recon_type): r for r in rows if r.mean_dice is not None}


def _lookup(by_key: dict[Key, TableRow], method: str, recon_type: str) -> TableRow | None:
    """The row of ``method`` under ``recon_type`` (reconstruction-free rows have no type)."""
    return by_key.get((method, recon_type)) or by_key.get((method, None))


def _types(rows: Sequence[TableRow]) -> list[str]:
    return sorted({r.recon_type for r in rows if r.recon_type is not None})


def _dice(row: TableRow) -> float:
    dice = row.mean_dice
    if dice is None:  # such rows are left out of every check
        raise ValueError(f"{row.name} has no mean Dice")
    return dice


def _std(row: TableRow) -> float | None:
    std = (row.dice_std or {}).get(MEAN)
    return None if std is None else float(std)


def _listing(rows: Sequence[TableRow]) -> str:
    return ", ".join(f"{r.name} {_dice(r):.4f}" for r in rows)


def shape_checks(
    rows: Sequence[TableRow],
    paper: dict[Key, float] | None = None,
    source: TermSource | None = None,
) -> list[Check]:
    """The ordering claims of a Table 1 / 2 (``make_rows`` output), per Reg type.

    * Fully-sampled above every other method; every method above Zero-filling;
    * SERANet-3++ >= SERANet-3;
    * each SERANet-N, and SERANet-3++, above Joint, Two-step and SegNetMRI;
    * SERANet-3 above Joint by more than twice the standard error of the difference over
      seeds (``sqrt(s_a^2 / n_a + s_b^2 / n_b)``), when both have several seeds;
    * SERANet-3++ recovering at least the paper's share of the Zero-filling -> Fully-sampled gap
      (when ``paper`` is given: 67 % type A, 69 % type B in Table 1).

    With ``source``, each check also gets its paired verdict (module docstring); SERANet-3
    against Joint is then a plain paired comparison (seeds resampled in the bootstrap).
    """
    by_key = _rows_by_key(rows)
    fs, zf = by_key.get(("fully-sampled", None)), by_key.get(("zero-filling", None))
    checks: list[Check] = []
    for t in _types(rows):
        typed = [r for r in rows if r.recon_type == t and r.mean_dice is not None]
        others = [*([by_key[("segnetmri", None)]] if ("segnetmri", None) in by_key else []), *typed]
        if fs is not None:
            rest = [*others, *([zf] if zf else [])]
            worse = [r for r in rest if _dice(r) >= _dice(fs)]
            check = Check(
                f"type {t}: Fully-sampled above every method",
                not worse,
                f"Fully-sampled {_dice(fs):.4f}"
                + (f"; not below it: {_listing(worse)}" if worse else ""),
            )
            checks.append(_paired(check, _pairs(source, [(fs, r) for r in rest])))
        if zf is not None:
            below = [r for r in others if _dice(r) <= _dice(zf)]
            check = Check(
                f"type {t}: every method above Zero-filling",
                not below,
                f"Zero-filling {_dice(zf):.4f}"
                + (f"; not above it: {_listing(below)}" if below else ""),
            )
            checks.append(_paired(check, _pairs(source, [(r, zf) for r in others])))
        s3, s3pp = _lookup(by_key, "seranet-3", t), _lookup(by_key, "seranet-3++", t)
        if s3 is not None and s3pp is not None:
            check = Check(
                f"type {t}: SERANet-3++ >= SERANet-3",
                _dice(s3pp) >= _dice(s3),
                _listing([s3pp, s3]),
            )
            checks.append(_paired(check, _pairs(source, [(s3pp, s3)])))
        baselines = [r for m in BASELINES if (r := _lookup(by_key, m, t)) is not None]
        for method in SERANET_METHODS:
            row = _lookup(by_key, method, t)
            if row is None or not baselines:
                continue
            best = max(baselines, key=_dice)
            check = Check(
                f"type {t}: {method} above Joint, Two-step and SegNetMRI",
                _dice(row) > _dice(best),
                f"{_listing([row])}; best baseline {_listing([best])}",
            )
            checks.append(_paired(check, _pairs(source, [(row, b) for b in baselines])))
        joint = _lookup(by_key, "joint", t)
        paired_joint = _paired(
            Check(f"type {t}: SERANet-3 above Joint", False, ""),
            _pairs(source, [(s3, joint)] if s3 is not None and joint is not None else []),
        )
        if s3 is not None and joint is not None and paired_joint.paired is not None:
            checks.append(
                Check(
                    paired_joint.claim,
                    _dice(s3) > _dice(joint),
                    f"{_listing([s3, joint])} ({s3.seeds} and {joint.seeds} seeds)",
                    paired_joint.paired,
                    paired_joint.paired_verdict,
                    paired_joint.weakest,
                )
            )
        elif s3 is not None and joint is not None and s3.seeds > 1 and joint.seeds > 1:
            sa, sb = _std(s3), _std(joint)
            if sa is not None and sb is not None:
                diff = _dice(s3) - _dice(joint)
                se = math.sqrt(sa**2 / s3.seeds + sb**2 / joint.seeds)
                checks.append(
                    Check(
                        f"type {t}: SERANet-3 above Joint beyond seed spread",
                        diff > 2 * se,
                        f"difference {diff:+.4f}, standard error {se:.4f} "
                        f"(std {sa:.4f} over {s3.seeds} seeds, {sb:.4f} over {joint.seeds})",
                    )
                )
        if paper is not None and s3pp is not None and fs is not None and zf is not None:
            ours = gap_recovered(_dice(s3pp), _dice(zf), _dice(fs))
            theirs = _paper_gap(paper, "seranet-3++", t)
            if theirs is not None:
                check = Check(
                    f"type {t}: SERANet-3++ recovers at least the paper's share of the gap",
                    ours is not None and ours >= theirs,
                    f"ours {_percent(ours)}, paper {_percent(theirs)}",
                )
                terms = [source(r) for r in (s3pp, zf, fs)] if source is not None else []
                checks.append(
                    _paired(
                        check,
                        [("seranet-3++'s share of the gap", terms)] if terms else [],
                        statistic=_gap_share,
                        threshold=theirs,
                    )
                )
    return checks


def _gap_share(v: np.ndarray) -> np.ndarray:
    """``(method - zero-filling) / (fully-sampled - zero-filling)`` of terms (m, zf, fs)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (v[..., 0] - v[..., 1]) / (v[..., 2] - v[..., 1])


def _paper_gap(paper: dict[Key, float], method: str, recon_type: str | None) -> float | None:
    value = paper.get((method, recon_type)) or paper.get((method, None))
    zf, fs = paper.get(("zero-filling", None)), paper.get(("fully-sampled", None))
    if value is None or zf is None or fs is None:
        return None
    return gap_recovered(value, zf, fs)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def noise_checks(
    drops: Sequence[NoiseDrop],
    low_source: TermSource | None = None,
    high_source: TermSource | None = None,
) -> list[Check]:
    """Per Reg type: a SERANet variant loses the least average Dice from low to high noise.

    ``drops`` is :func:`bench.reproduce.noise_drop` output; Fully-sampled and Zero-filling
    (no reconstruction to make robust) are left out of the comparison. With both sources the
    paired verdict compares the SERANet variant that loses least with every other method:
    ``(drop of the other) - (drop of SERANet) > 0`` on the same slices at both noise levels
    (the seeds of the high-noise run at both levels).
    """
    checks = []
    for t in sorted({d.recon_type for d in drops if d.recon_type is not None}):
        pool = [d for d in drops if d.method not in REFERENCES and d.recon_type in (t, None)]
        if not pool or not any(d.method in SERANET_METHODS for d in pool):
            continue
        least = min(pool, key=lambda d: d.drop)
        listing = ", ".join(f"{d.method} {d.drop:+.4f}" for d in pool)
        check = Check(
            f"type {t}: SERANet loses the least Dice from 10 % to 20 % noise",
            least.method in SERANET_METHODS,
            f"drops: {listing}",
        )
        if low_source is not None and high_source is not None:
            ours = min((d for d in pool if d.method in SERANET_METHODS), key=lambda d: d.drop)

            def terms(d: NoiseDrop) -> list[Term | None]:
                # the runs of the high-noise row: the same seeds at both levels
                runs = TableRow(
                    method=d.method, recon_type=d.recon_type, seeds=d.seeds_high, dice={}
                )
                return [low_source(runs), high_source(runs)]

            comparisons = [
                (f"drop of {d.name} - drop of {ours.name}", [*terms(ours), *terms(d)])
                for d in pool
                if d.method not in SERANET_METHODS
            ]
            if comparisons:
                check = _paired(check, comparisons, statistic=_drop_difference)
            else:
                check = dataclasses.replace(check, unpaired="no other method to compare with")
        checks.append(check)
    return checks


def _drop_difference(v: np.ndarray) -> np.ndarray:
    """Terms (ours low, ours high, other low, other high): the other's drop minus ours."""
    return (v[..., 2] - v[..., 3]) - (v[..., 0] - v[..., 1])


def ablation_checks(
    points: Sequence[AblationPoint], source: TermSource | None = None
) -> list[Check]:
    """The claims of the paper's section 4.3 (Fig. 6) on the ablation's average Dice.

    ``points`` is ``ablation.json``'s ``points``. Per method and Reg type with a reconstruction
    module: Dice rises with K, judged on the end points (largest K against smallest) and on
    every step, both reported. Per Reg type: SERANet-3 is above Two-step and Joint at every K.
    Per method: type B (encoder-decoder) is above type A at every K. With ``source`` (which
    reads ``recon_blocks`` from the point) each check gets its paired verdict.
    """
    series: dict[Key, list[tuple[int, float]]] = {}
    at_point: dict[tuple[str, str | None, int], TableRow] = {}
    for p in points:
        dice = p.row.mean_dice
        if p.note or dice is None:
            continue
        series.setdefault((p.row.method, p.row.recon_type), []).append((p.recon_blocks, dice))
        at_point[(p.row.method, p.row.recon_type, p.recon_blocks)] = p.row
    checks = []
    for (method, t), values in sorted(series.items(), key=lambda kv: (kv[0][1] or "", kv[0][0])):
        values.sort()
        if len(values) < 2:
            continue
        steps = [b - a for (_, a), (_, b) in itertools.pairwise(values)]
        text = ", ".join(f"K={k} {d:.4f}" for k, d in values)
        check = Check(
            f"{method} ({t}): Dice rises from K={values[0][0]} to K={values[-1][0]}",
            values[-1][1] > values[0][1],
            text + ("; every step up" if all(s > 0 for s in steps) else "; not every step up"),
        )
        first, last = at_point[(method, t, values[0][0])], at_point[(method, t, values[-1][0])]
        comparison = [
            (f"K={values[-1][0]} - K={values[0][0]}", [source(last), source(first)])
        ] if source is not None else []  # fmt: skip
        checks.append(_paired(check, comparison))
    return checks + _ablation_order_checks(series, at_point, source)


def _ablation_order_checks(
    series: dict[Key, list[tuple[int, float]]],
    at_point: dict[tuple[str, str | None, int], TableRow],
    source: TermSource | None,
) -> list[Check]:
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
        check = Check(
            f"type {t}: SERANet-3 above Two-step and Joint at every K",
            all(ours[k] > best[k] for k in ks),
            ", ".join(f"K={k} {ours[k]:.4f} vs {best[k]:.4f}" for k in ks),
        )
        pairs = [
            (at_point[("seranet-3", t, k)], at_point[(m, t, k)])
            for k in ks
            for m in ("two-step", "joint")
        ]
        checks.append(_paired(check, _pairs_at_k(source, pairs)))
    for method in sorted({m for m, _ in at}):
        a, b = at.get((method, "A")), at.get((method, "B"))
        if a is None or b is None or not (ks := sorted(set(a) & set(b))):
            continue
        check = Check(
            f"{method}: type B above type A at every K",
            all(b[k] > a[k] for k in ks),
            ", ".join(f"K={k} B {b[k]:.4f} vs A {a[k]:.4f}" for k in ks),
        )
        pairs = [(at_point[(method, "B", k)], at_point[(method, "A", k)]) for k in ks]
        checks.append(_paired(check, _pairs_at_k(source, pairs)))
    return checks


def _pairs_at_k(
    source: TermSource | None, pairs: Sequence[tuple[TableRow, TableRow]]
) -> list[tuple[str, Sequence[Term | None]]]:
    """:func:`_pairs` with the number of blocks in each label."""
    if source is None:
        return []
    return [
        (f"{label} at K={a.recon_blocks}", terms)
        for (label, terms), (a, _) in zip(_pairs(source, pairs), pairs, strict=True)
    ]


def checks_markdown(checks: Sequence[Check]) -> str:
    """A Markdown table: claim, verdict, the weakest paired comparison with its 95 % interval,
    and the table means the point-estimate verdict rests on."""
    lines = [
        "| Claim | Verdict | Weakest paired comparison [95 % CI] | Means |",
        "|---|---|---|---|",
    ]
    for c in checks:
        verdict = c.verdict if c.verdict.startswith("holds") else f"**{c.verdict}**"
        if c.paired is None:
            paired = f"not paired ({c.unpaired})"
        else:
            p = c.paired
            bar = f" vs {p.threshold:.2f}" if p.threshold else ""
            paired = (
                f"{c.weakest}: {p.interval()}{bar} ({p.subjects} subjects, {p.slices} slices, "
                f"seeds {'/'.join(map(str, p.seeds))})"
            )
        lines.append(f"| {c.claim} | {verdict} | {paired} | {c.evidence} |")
    return "\n".join(lines) + "\n"


def beside_paper_markdown(rows: Sequence[TableRow], paper: dict[Key, float]) -> str:
    """Our Dice per class and average (± std over seeds) and gap recovered beside the paper's."""
    lines = [
        "| Method | Type | Seeds | Converged | CSF | GM | WM | Avg Dice (ours) | Avg Dice (paper) "
        "| Gap recovered (ours) | Gap recovered (paper) |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sort_rows(rows):
        key = (row.method, row.recon_type)
        cells = [cell(row, k) for k in SCORE_KEYS]
        theirs = paper.get(key)
        lines.append(
            f"| {row.method} | {row.recon_type or '-'} | {row.seeds} | "
            f"{converged_cell(row)} | "
            + " | ".join(cells)
            + f" | {'-' if theirs is None else f'{theirs:.4f}'} | "
            f"{_percent(row.gap_recovered)} | {_percent(_paper_gap(paper, *key))} |"
        )
    return "\n".join(lines) + "\n"
