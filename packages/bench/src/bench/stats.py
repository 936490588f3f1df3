"""Paired comparisons on identical test slices, with hierarchical bootstrap intervals.

Every run of a comparison is scored on the same test inputs (:mod:`seranet.inputs`), so two
methods can be compared slice by slice. A *term* is one method: the per-slice, per-class Dice
of each of its training seeds. A term's value is the table's average Dice: per class the mean
over slices (a class absent from prediction and truth is left out, as in
:mod:`seranet.metrics`), then the mean over seeds, then the mean of the three classes.

A claim is a statistic of the terms' values (``a - b`` for "A above B", a difference of noise
drops, a share of a gap) compared with a threshold (0 for "above"). Its uncertainty comes from
a hierarchical bootstrap that mirrors how the data were drawn: resample the test subjects with
replacement, then slices within each drawn subject, the *same* slices for every term (the
pairing), and each term's seeds independently (seeds are not paired across methods). The 95 %
interval is the 2.5-97.5 percentile interval of the statistic; the verdict is ``holds`` when
the whole interval lies above the threshold, ``fails`` when it lies below, ``undecided``
otherwise.

References
----------
Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993 (percentile intervals).
Davison & Hinkley, *Bootstrap Methods and their Application*, 1997, section 3.8 (resampling
hierarchical data: clusters first, then units within each drawn cluster).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seranet.vocabulary import TISSUES

__all__ = [
    "CLASS_KEYS",
    "PairedResult",
    "SliceKey",
    "Term",
    "paired_bootstrap",
    "slice_dice",
    "term_from_metrics",
]

SliceKey = tuple[str, int]
"""A test slice: subject and slice number."""

CLASS_KEYS = TISSUES
"""Classes averaged into a slice's Dice (case-insensitive keys of ``test-metrics.json``)."""

VERDICTS = ("holds", "fails", "undecided")


def slice_dice(metrics: Mapping[str, Any]) -> dict[SliceKey, np.ndarray]:
    """Per-slice Dice of CSF, GM, WM (NaN where a class is excluded) from a
    ``seranet evaluate`` result (``test-metrics.json``) written with its slices.

    Raises
    ------
    ValueError
        When the result holds no per-slice scores.
    """
    slices = metrics.get("slices")
    if not slices:
        raise ValueError(
            f"the scores of {metrics.get('run', 'a run')!r} hold no per-slice values; "
            "score the run again to get them"
        )
    out = {}
    for s in slices:
        dice = {k.lower(): v for k, v in s["dice"].items()}
        out[(str(s["subject"]), int(s["slice"]))] = np.array(
            [np.nan if dice.get(c) is None else float(dice[c]) for c in CLASS_KEYS]
        )
    return out


@dataclass(frozen=True)
class Term:
    """One method in a claim: the per-slice Dice of each of its seeds."""

    label: str
    """How the claim names it (``seranet-3 (B)``)."""
    seeds: tuple[Mapping[SliceKey, np.ndarray], ...]
    """Per seed: slice -> Dice per class."""

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError(f"term {self.label!r} has no runs")


def term_from_metrics(label: str, metrics: Sequence[Mapping[str, Any]]) -> Term:
    """A :class:`Term` from the ``test-metrics.json`` contents of a method's seeds."""
    return Term(label, tuple(slice_dice(m) for m in metrics))


@dataclass(frozen=True)
class PairedResult:
    """A claim's statistic, its 95 % bootstrap interval and the verdict."""

    estimate: float
    """The statistic on the test set as scored."""
    low: float
    """2.5th percentile of the bootstrap distribution."""
    high: float
    """97.5th percentile."""
    threshold: float
    """What the statistic must exceed for the claim to hold."""
    verdict: str
    """``holds``, ``fails`` or ``undecided``."""
    subjects: int
    """Test subjects shared by every term."""
    slices: int
    """Test slices shared by every term."""
    seeds: tuple[int, ...]
    """Seeds behind each term."""

    def interval(self, digits: int = 4) -> str:
        """``+0.0123 [+0.0040, +0.0201]``."""
        return f"{self.estimate:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "threshold": self.threshold,
            "verdict": self.verdict,
            "subjects": self.subjects,
            "slices": self.slices,
            "seeds": list(self.seeds),
        }


def _value(dice: np.ndarray, seed_idx: np.ndarray, slice_idx: np.ndarray) -> np.ndarray:
    """Average Dice of ``dice`` (seeds, slices, classes) for bootstrap index sets.

    ``seed_idx`` (B, R) and ``slice_idx`` (B, N) -> (B,): per class the NaN-aware mean over
    the drawn slices, the mean over the drawn seeds, then over classes.
    """
    drawn = dice[seed_idx[:, :, None], slice_idx[:, None, :], :]  # (B, R, N, C)
    valid = ~np.isnan(drawn)
    counts = valid.sum(axis=2)
    sums = np.where(valid, drawn, 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = sums / counts  # (B, R, C), NaN where a class never counts
    return np.nanmean(per_class.mean(axis=1), axis=-1)


def paired_bootstrap(
    terms: Sequence[Term],
    statistic: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    threshold: float = 0.0,
    n_boot: int = 2000,
    seed: int = 0,
) -> PairedResult:
    """The statistic of the terms' average Dice, its 95 % interval and verdict (module docs).

    Parameters
    ----------
    terms
        The methods of the claim, scored on the same slices (only the slices every run
        holds are used).
    statistic
        Maps term values ``(..., len(terms))`` to the claim's statistic ``(...)``; default
        ``v[..., 0] - v[..., 1]`` ("the first term above the second").
    threshold
        The claim holds when the interval lies above it (0 for "above").
    n_boot, seed
        Bootstrap replicates and the seed of their generator.
    """
    if statistic is None:
        if len(terms) != 2:
            raise ValueError("the default statistic compares exactly two terms")

        def statistic(v: np.ndarray) -> np.ndarray:
            return v[..., 0] - v[..., 1]

    common = set.intersection(*(set(run) for t in terms for run in t.seeds))
    if not common:
        raise ValueError(f"{', '.join(t.label for t in terms)}: no test slice in common")
    keys = sorted(common)
    subjects = sorted({s for s, _ in keys})
    by_subject = [np.array([i for i, k in enumerate(keys) if k[0] == s]) for s in subjects]
    arrays = [np.stack([np.stack([run[k] for k in keys]) for run in t.seeds]) for t in terms]

    rng = np.random.default_rng(seed)
    slice_idx = []
    for _ in range(n_boot):
        drawn = rng.integers(0, len(subjects), len(subjects))
        slice_idx.append(
            np.concatenate(
                [
                    by_subject[d][rng.integers(0, len(by_subject[d]), len(by_subject[d]))]
                    for d in drawn
                ]
            )
        )
    # Subjects differ in slice count, so replicates differ in length: evaluate the replicates
    # of each length together.
    values = np.empty((n_boot, len(terms)))
    lengths = np.array([len(ix) for ix in slice_idx])
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        idx = np.stack([slice_idx[r] for r in rows])
        for j, a in enumerate(arrays):
            seed_idx = rng.integers(0, a.shape[0], (len(rows), a.shape[0]))
            values[rows, j] = _value(a, seed_idx, idx)
    full_slices = np.arange(len(keys))[None, :]
    point = np.array([_value(a, np.arange(a.shape[0])[None, :], full_slices)[0] for a in arrays])
    estimate = float(statistic(point))
    boot = np.asarray(statistic(values), dtype=np.float64)
    boot = boot[np.isfinite(boot)]
    low, high = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    verdict = "holds" if low > threshold else "fails" if high < threshold else "undecided"
    return PairedResult(
        estimate,
        low,
        high,
        threshold,
        verdict,
        len(subjects),
        len(keys),
        tuple(len(t.seeds) for t in terms),
    )
