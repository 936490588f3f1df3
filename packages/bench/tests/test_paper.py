"""The paper's numbers, the side-by-side table and the claim checks."""

from __future__ import annotations

import numpy as np
import pytest

from bench.paper import (
    PAPER_TABLE1_DICE,
    PAPER_TABLE2_DICE,
    NoiseDrop,
    ablation_checks,
    beside_paper_markdown,
    checks_markdown,
    noise_checks,
    shape_checks,
)
from bench.stats import Term
from bench.tables import AblationPoint, RunScores, TableRow, gap_recovered, make_rows


def _scores(method: str, recon_type: str | None, avg: float, seed: int = 0) -> RunScores:
    dice = {"csf": avg - 0.01, "gm": avg + 0.02, "wm": avg - 0.01}
    dist = {"csf": 4.0, "gm": 4.0, "wm": 4.0}
    return RunScores(method, recon_type, seed, dice, dist, dist)


def _table(avg: dict[tuple[str, str | None], float | list[float]]) -> list[TableRow]:
    scores = []
    for (method, t), value in avg.items():
        for seed, v in enumerate(value if isinstance(value, list) else [value]):
            scores.append(_scores(method, t, v, seed))
    return make_rows(scores)


GOOD = {
    ("fully-sampled", None): 0.90,
    ("zero-filling", None): 0.70,
    ("segnetmri", None): 0.75,
    ("two-step", "A"): 0.76,
    ("joint", "A"): [0.760, 0.762, 0.758],
    ("seranet-1", "A"): 0.80,
    ("seranet-2", "A"): 0.81,
    ("seranet-3", "A"): [0.820, 0.821, 0.819],
    ("seranet-3++", "A"): [0.84, 0.84, 0.84],
}


def _verdicts(checks) -> dict[str, bool | None]:
    return {c.claim: c.holds for c in checks}


def test_table2_averages_reproduce_the_printed_ones():
    # the paper prints these two averages of Table 2; the rest are computed the same way
    assert PAPER_TABLE2_DICE[("fully-sampled", None)] == pytest.approx(0.8922, abs=5e-5)
    assert PAPER_TABLE2_DICE[("zero-filling", None)] == pytest.approx(0.7945, abs=5e-5)


def test_paper_headline_gap_is_67_and_69_percent():
    zf, fs = PAPER_TABLE1_DICE[("zero-filling", None)], PAPER_TABLE1_DICE[("fully-sampled", None)]
    a = gap_recovered(PAPER_TABLE1_DICE[("seranet-3++", "A")], zf, fs)
    b = gap_recovered(PAPER_TABLE1_DICE[("seranet-3++", "B")], zf, fs)
    assert round(100 * a) == 67
    assert round(100 * b) == 69


def test_every_claim_holds_on_a_table_with_the_papers_shape():
    checks = shape_checks(_table(GOOD), {("fully-sampled", None): 0.9, ("zero-filling", None): 0.7,
                                         ("seranet-3++", "A"): 0.8})  # fmt: skip
    verdicts = _verdicts(checks)
    assert len(verdicts) == 9
    assert all(verdicts.values()), verdicts
    gap = next(c for c in checks if "share of the gap" in c.claim)
    assert gap.evidence == "ours 70 %, paper 50 %"


def test_a_broken_ordering_is_reported_with_the_offending_method():
    table = dict(GOOD)
    table[("seranet-2", "A")] = 0.69  # below Zero-filling
    table[("seranet-3++", "A")] = [0.81, 0.81, 0.81]  # below SERANet-3
    checks = shape_checks(_table(table))
    verdicts = _verdicts(checks)
    assert verdicts["type A: every method above Zero-filling"] is False
    assert verdicts["type A: SERANet-3++ >= SERANet-3"] is False
    assert verdicts["type A: seranet-2 above Joint, Two-step and SegNetMRI"] is False
    assert verdicts["type A: seranet-1 above Joint, Two-step and SegNetMRI"] is True
    assert verdicts["type A: seranet-3++ above Joint, Two-step and SegNetMRI"] is True
    below = next(c for c in checks if c.claim == "type A: every method above Zero-filling")
    assert "seranet-2 (A) 0.6900" in below.evidence
    assert not any("share of the gap" in c for c in verdicts)  # no paper given


def test_seed_spread_decides_whether_seranet_beats_joint():
    table = dict(GOOD)
    claim = "type A: SERANet-3 above Joint beyond seed spread"
    assert _verdicts(shape_checks(_table(table)))[claim] is True
    table[("seranet-3", "A")] = [0.70, 0.86, 0.90]  # higher mean, but a wide spread
    assert _verdicts(shape_checks(_table(table)))[claim] is False
    table[("seranet-3", "A")] = 0.9  # a single seed: no spread to compare with
    assert claim not in _verdicts(shape_checks(_table(table)))


def test_noise_checks_name_the_method_losing_least():
    drops = [
        NoiseDrop("zero-filling", None, 0.8, 0.799),
        NoiseDrop("segnetmri", None, 0.8, 0.75),
        NoiseDrop("joint", "B", 0.8, 0.77),
        NoiseDrop("seranet-3", "B", 0.8, 0.78),
    ]
    (check,) = noise_checks(drops)
    assert check.holds is True
    assert "joint +0.0300" in check.evidence
    drops[2] = NoiseDrop("joint", "B", 0.8, 0.79)
    assert noise_checks(drops)[0].holds is False


def test_ablation_checks_judge_rising_dice_per_method():
    def point(method, k, avg, note=None):
        row = TableRow(method, "A", 1, {"mean": avg}, recon_blocks=k)
        return AblationPoint(row, note)

    points = [
        point("joint", 1, 0.70), point("joint", 3, 0.72), point("joint", 5, 0.71),
        point("seranet-3", 1, 0.74), point("seranet-3", 3, 0.73), point("seranet-3", 5, 0.72),
        point("zero-filling", 1, 0.6, note="no reconstruction module: independent of K"),
    ]  # fmt: skip
    verdicts = {c.claim: (c.holds, c.evidence) for c in ablation_checks(points)}
    assert set(verdicts) == {
        "joint (A): Dice rises from K=1 to K=5",
        "seranet-3 (A): Dice rises from K=1 to K=5",
    }
    assert verdicts["joint (A): Dice rises from K=1 to K=5"] == (
        True,
        "K=1 0.7000, K=3 0.7200, K=5 0.7100; not every step up",
    )
    assert verdicts["seranet-3 (A): Dice rises from K=1 to K=5"][0] is False


def test_beside_paper_table_shows_both_columns():
    text = beside_paper_markdown(_table(GOOD), PAPER_TABLE1_DICE)
    lines = text.splitlines()
    assert len(lines) == 2 + len(GOOD)
    s3pp = next(line for line in lines if line.startswith("| seranet-3++ | A |"))
    cells = [c.strip() for c in s3pp.strip("|").split("|")]
    assert cells == [
        "seranet-3++", "A", "3", "-", "0.8300 ± 0.0000", "0.8600 ± 0.0000", "0.8300 ± 0.0000",
        "0.8400 ± 0.0000", "0.8839", "70 %", "67 %",
    ]  # fmt: skip
    joint = next(line for line in lines if line.startswith("| joint | A |"))
    assert "| 0.7600 ± 0.0020 | 0.8566 | 30 % | 46 % |" in joint
    markdown = checks_markdown(shape_checks(_table(GOOD)))
    assert "fails" not in markdown
    assert "holds (means only)" in markdown
    assert "not paired (no per-slice scores)" in markdown


def test_ablation_checks_judge_seranet_against_the_baselines_and_b_against_a():
    def point(method, t, k, avg):
        return AblationPoint(TableRow(method, t, 1, {"mean": avg}, recon_blocks=k))

    points = [
        point("two-step", "A", 1, 0.70), point("two-step", "A", 3, 0.71),
        point("joint", "A", 1, 0.69), point("joint", "A", 3, 0.73),
        point("seranet-3", "A", 1, 0.72), point("seranet-3", "A", 3, 0.72),
        point("two-step", "B", 1, 0.71), point("two-step", "B", 3, 0.72),
        point("joint", "B", 1, 0.70), point("joint", "B", 3, 0.71),
        point("seranet-3", "B", 1, 0.73), point("seranet-3", "B", 3, 0.74),
    ]  # fmt: skip
    verdicts = {c.claim: (c.holds, c.evidence) for c in ablation_checks(points)}
    assert verdicts["type A: SERANet-3 above Two-step and Joint at every K"] == (
        False,
        "K=1 0.7200 vs 0.7000, K=3 0.7200 vs 0.7300",
    )
    assert verdicts["type B: SERANet-3 above Two-step and Joint at every K"][0] is True
    assert verdicts["two-step: type B above type A at every K"][0] is True
    assert verdicts["joint: type B above type A at every K"] == (
        False,
        "K=1 B 0.7000 vs A 0.6900, K=3 B 0.7100 vs A 0.7300",
    )
    assert verdicts["seranet-3: type B above type A at every K"][0] is True


def _source(per_slice: dict[tuple[str, str | None], np.ndarray]):
    """A term source over synthetic per-slice tables: (seeds, subjects, slices, classes)."""

    def source(row: TableRow) -> Term | None:
        values = per_slice.get((row.method, row.recon_type))
        if values is None:
            return None
        seeds = []
        for v in values:
            seeds.append(
                {(f"s{i}", k): v[i, k] for i in range(v.shape[0]) for k in range(v.shape[1])}
            )
        return Term(row.method, tuple(seeds))

    return source


def test_paired_verdicts_hold_fail_or_stay_undecided_as_the_slices_say():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.5, 0.9, (1, 3, 20, 3))
    noisy = base + rng.normal(0, 0.05, (3, 3, 20, 3))  # three seeds, no real difference
    per_slice = {
        ("fully-sampled", None): base + 0.10,
        ("zero-filling", None): base - 0.10,
        ("joint", "A"): base,
        ("seranet-3", "A"): noisy,
        ("seranet-3++", "A"): base - 0.02,  # below SERANet-3 on every slice
    }
    means = {k: float(np.mean(v)) for k, v in per_slice.items()}
    rows = _table({("seranet-3", "A"): [means[("seranet-3", "A")]] * 3,
                   **{k: v for k, v in means.items() if k != ("seranet-3", "A")}})  # fmt: skip
    checks = {c.claim: c for c in shape_checks(rows, source=_source(per_slice))}
    assert checks["type A: Fully-sampled above every method"].verdict == "holds"
    assert checks["type A: every method above Zero-filling"].verdict == "holds"
    worse = checks["type A: SERANet-3++ >= SERANet-3"]
    assert worse.verdict == "fails"
    assert worse.paired is not None
    assert worse.paired.high < 0
    assert worse.paired.seeds == (1, 3)
    joint = checks["type A: SERANet-3 above Joint"]
    assert joint.verdict == "undecided"
    assert joint.paired is not None
    assert joint.paired.low < 0 < joint.paired.high
    fs = checks["type A: Fully-sampled above every method"]
    assert fs.paired is not None
    assert fs.weakest.startswith("fully-sampled - ")
    assert fs.paired.estimate == pytest.approx(0.10, abs=0.03)
    markdown = checks_markdown(list(checks.values()))
    assert "**fails**" in markdown
    assert "**undecided**" in markdown
    assert "3 subjects, 60 slices" in markdown


def test_a_claim_over_several_comparisons_fails_when_one_fails():
    base = np.random.default_rng(1).uniform(0.5, 0.9, (1, 3, 20, 3))
    per_slice = {
        ("fully-sampled", None): base + 0.10,
        ("zero-filling", None): base - 0.10,
        ("two-step", "A"): base + 0.11,  # above Fully-sampled
        ("joint", "A"): base,
    }
    rows = _table({k: float(np.mean(v)) for k, v in per_slice.items()})
    checks = {c.claim: c for c in shape_checks(rows, source=_source(per_slice))}
    fs = checks["type A: Fully-sampled above every method"]
    assert fs.verdict == "fails"
    assert fs.weakest == "fully-sampled - two-step (A)"


def test_paired_noise_and_ablation_checks():
    base = np.random.default_rng(2).uniform(0.5, 0.9, (1, 3, 20, 3))
    low = {("seranet-3", "B"): base + 0.05, ("joint", "B"): base + 0.05}
    high = {("seranet-3", "B"): base + 0.02, ("joint", "B"): base - 0.05}
    drops = [NoiseDrop("seranet-3", "B", 0.8, 0.77), NoiseDrop("joint", "B", 0.8, 0.70)]
    (check,) = noise_checks(drops, _source(low), _source(high))
    assert check.verdict == "holds"
    assert check.paired is not None
    assert check.paired.estimate == pytest.approx(0.07)

    def point(method: str, t: str, k: int, avg: float) -> AblationPoint:
        return AblationPoint(TableRow(method, t, 1, {"mean": avg}, recon_blocks=k))

    by_k = {1: base, 5: base - 0.03}

    def source(row: TableRow) -> Term | None:
        v = by_k[row.recon_blocks][0]
        return Term("x", ({(f"s{i}", k): v[i, k] for i in range(3) for k in range(20)},))

    points = [point("joint", "A", 1, 0.70), point("joint", "A", 5, 0.67)]
    (rises,) = ablation_checks(points, source)
    assert rises.claim == "joint (A): Dice rises from K=1 to K=5"
    assert rises.verdict == "fails"
    assert rises.weakest == "K=5 - K=1"
