"""When a run has stopped learning: the convergence rule every reported result is flagged by.

A run counts as **converged** when the best validation Dice of the last quarter of its final
stage's epochs exceeds the best of the quarter before by less than ``tolerance`` (0.005):
``max(d[-q:]) - max(d[-2q:-q]) < tolerance`` with ``q = epochs // 4`` (at least 1). A stage of
fewer than two epochs, or one without a validation Dice, cannot be judged (None).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["CONVERGENCE_TOLERANCE", "final_stage_dice", "is_converged", "quarter_gain"]

CONVERGENCE_TOLERANCE = 0.005
"""Largest gain in best validation Dice between the last two quarters of a converged run."""


def quarter_gain(values: Sequence[float]) -> float | None:
    """Best of the last quarter of ``values`` minus best of the quarter before (None when
    fewer than two values, or when either quarter holds no finite value)."""
    q = max(1, len(values) // 4)
    if len(values) < 2 * q or len(values) < 2:
        return None
    last = [v for v in values[-q:] if math.isfinite(v)]
    before = [v for v in values[-2 * q : -q] if math.isfinite(v)]
    if not last or not before:
        return None
    return max(last) - max(before)


def is_converged(values: Sequence[float], tolerance: float = CONVERGENCE_TOLERANCE) -> bool | None:
    """Whether a validation-Dice curve has converged (module docstring); None: cannot tell."""
    gain = quarter_gain(values)
    return None if gain is None else gain < tolerance


def final_stage_dice(records: Iterable[Mapping[str, Any]]) -> list[float]:
    """Mean validation Dice per epoch of the last stage that has one, from ``metrics.jsonl``
    records (NaN where an epoch's Dice is missing)."""
    by_stage: dict[str, list[float]] = {}
    for r in records:
        dice = r.get("val_dice")
        if dice is None:
            continue
        mean = dice.get("mean")
        by_stage.setdefault(str(r["stage"]), []).append(math.nan if mean is None else float(mean))
    return list(by_stage.values())[-1] if by_stage else []
