"""Table rows: means and sample std over seeds, the gap-recovered arithmetic, CSV / Markdown."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from bench.tables import (
    RunScores,
    TableRow,
    gap_recovered,
    make_rows,
    rows_to_csv,
    rows_to_markdown,
)
from seranet.vocabulary import TISSUES


def _scores(
    method: str, recon_type: str | None, seed: int, dice: tuple[float, float, float]
) -> RunScores:
    d = dict(zip(TISSUES, dice, strict=True))
    hd = {c: 10 * v for c, v in d.items()}
    return RunScores(method, recon_type, seed, d, hd, {c: v / 2 for c, v in hd.items()})


@pytest.fixture
def rows() -> list[TableRow]:
    return make_rows(
        [
            _scores("seranet-3++", "A", 1, (0.8, 0.9, 0.7)),
            _scores("zero-filling", None, 0, (0.6, 0.6, 0.6)),
            _scores("seranet-3++", "A", 0, (0.7, 0.8, 0.9)),
            _scores("fully-sampled", None, 0, (0.9, 0.9, 0.9)),
            _scores("seranet-3++", "A", 2, (0.9, 1.0, 0.8)),
        ]
    )


def test_paper_gap_figures() -> None:
    # Table 1, SERANet-3++: 67 % (type A) and 69 % (type B) of the gap.
    assert gap_recovered(0.8839, 0.7970, 0.9261) == pytest.approx(0.6731, abs=1e-4)
    assert gap_recovered(0.8865, 0.7970, 0.9261) == pytest.approx(0.6933, abs=1e-4)
    assert gap_recovered(0.8, 0.9, 0.9) is None
    assert gap_recovered(0.8, 0.9, 0.7) is None
    assert gap_recovered(math.nan, 0.7, 0.9) is None


def test_rows_are_ordered_with_references_first(rows: list[TableRow]) -> None:
    assert [(r.method, r.recon_type) for r in rows] == [
        ("fully-sampled", None),
        ("zero-filling", None),
        ("seranet-3++", "A"),
    ]
    assert set(rows[0].to_json()) == {
        "method", "recon_type", "seeds", "dice", "dice_std", "hd", "hd_std", "hd95", "hd95_std",
        "gap_recovered", "converged", "runs",
    }  # fmt: skip


def test_mean_and_sample_std_over_seeds(rows: list[TableRow]) -> None:
    row = rows[2]
    per_seed = np.array([[0.7, 0.8, 0.9], [0.8, 0.9, 0.7], [0.9, 1.0, 0.8]])
    assert row.seeds == 3
    for i, c in enumerate(TISSUES):
        assert row.dice[c] == pytest.approx(per_seed[:, i].mean())
        assert row.dice_std[c] == pytest.approx(per_seed[:, i].std(ddof=1))
        assert row.hd[c] == pytest.approx(10 * per_seed[:, i].mean())
    avg = per_seed.mean(axis=1)
    assert row.dice["mean"] == pytest.approx(avg.mean())
    assert row.dice_std["mean"] == pytest.approx(avg.std(ddof=1))
    assert row.gap_recovered == pytest.approx((avg.mean() - 0.6) / (0.9 - 0.6))
    assert rows[0].gap_recovered == pytest.approx(1.0)
    assert rows[1].gap_recovered == pytest.approx(0.0)
    assert rows[0].dice_std is None


def test_gap_is_null_without_references() -> None:
    rows = make_rows([_scores("joint", "B", 0, (0.5, 0.6, 0.7))])
    assert rows[0].gap_recovered is None


def test_gap_is_not_a_ratio_of_noise() -> None:
    # a 1-epoch smoke table once printed -20486 % for a Fully-sampled - Zero-filling gap of 1e-5
    assert gap_recovered(0.52, 0.50001, 0.50002) is None
    assert gap_recovered(0.52, 0.50, 0.51) == pytest.approx(2.0)
    rows = make_rows(
        [_scores("zero-filling", None, 0, (0.5, 0.5, 0.5)),
         _scores("fully-sampled", None, 0, (0.505, 0.5, 0.5)),
         _scores("joint", "B", 0, (0.6, 0.6, 0.6))]
    )  # fmt: skip
    assert all(r.gap_recovered is None for r in rows)
    assert rows_to_markdown(rows).count("| n/a |") == 3


def test_markdown_shows_mean_plus_minus_std(rows: list[TableRow]) -> None:
    text = rows_to_markdown(rows, "Table")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    assert len(lines) == 2 + len(rows)
    seranet = next(line for line in lines if "seranet-3++" in line)
    assert "0.8000 ± 0.1000" in seranet  # CSF: mean 0.8, std 0.1
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[:4] == ["fully-sampled", "-", "1", "-"]  # convergence not known
    assert cells[4] == "0.9000"  # single seed: no ± part
    assert cells[-1] == "100.0 %"


def test_csv_round_trips_the_numbers(rows: list[TableRow]) -> None:
    parsed = list(csv.DictReader(io.StringIO(rows_to_csv(rows))))
    assert [r["method"] for r in parsed] == [r.method for r in rows]
    for got, want in zip(parsed, rows, strict=True):
        assert float(got["dice_mean"]) == pytest.approx(want.dice["mean"])
        assert float(got["hd95_wm"]) == pytest.approx(want.hd95["wm"])
        if want.dice_std is None:
            assert got["dice_csf_std"] == ""
        else:
            assert float(got["dice_csf_std"]) == pytest.approx(want.dice_std["csf"])
    assert parsed[0]["recon_type"] == ""


def test_rows_say_whether_their_runs_converged(tmp_path) -> None:
    import dataclasses
    import json

    from bench.compare import run_converged
    from bench.tables import converged_cell

    base = _scores("joint", "B", 0, (0.7, 0.7, 0.7))
    flags = (True, False, None)
    row = make_rows([dataclasses.replace(base, seed=i, converged=f) for i, f in enumerate(flags)])[
        0
    ]
    assert row.converged == (True, False, None)
    assert converged_cell(row) == "**no** (1 of 3)"
    assert converged_cell(dataclasses.replace(row, converged=(True, True))) == "yes"
    assert converged_cell(dataclasses.replace(row, converged=(True, None))) == "**no** (1 of 2)"
    assert converged_cell(dataclasses.replace(row, converged=(None,))) == "-"
    assert "| joint | B | 3 | **no** (1 of 3) |" in rows_to_markdown([row])

    # from a run's curve: 8 epochs still rising, then 8 flat ones
    def write(values: list[float]) -> bool | None:
        lines = [{"stage": "train", "val_dice": {"mean": v}} for v in values]
        (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
        return run_converged(tmp_path)

    assert write([0.1 * i for i in range(1, 9)]) is False
    assert write([0.7, 0.71, 0.72, 0.72, 0.721, 0.722, 0.722, 0.722]) is True
    assert run_converged(tmp_path / "missing") is None


def test_markdown_links_each_row_to_its_runs_curves(tmp_path) -> None:
    import dataclasses

    base = _scores("joint", "B", 0, (0.7, 0.7, 0.7))
    runs = [str(tmp_path / "runs" / f"joint_B_k3_s{i}") for i in range(2)]
    rows = make_rows([dataclasses.replace(base, seed=i, run_dir=r) for i, r in enumerate(runs)])
    text = rows_to_markdown(rows, links_from=tmp_path / "table1")
    assert "| Curves |" in text.splitlines()[0] + " |"
    assert "[s0](../runs/joint_B_k3_s0/curves.png) [s1](../runs/joint_B_k3_s1/curves.png)" in text
    assert "Curves" not in rows_to_markdown(rows)


def test_rows_round_trip_through_table_json(rows: list[TableRow]) -> None:
    import json

    for row in rows:
        assert TableRow.from_json(json.loads(json.dumps(row.to_json()))) == row


def test_rows_of_tables_written_before_the_vocabulary_are_read() -> None:
    # tables made before seranet.vocabulary keyed the mean "avg" and had no converged / runs
    old = {
        "method": "joint", "recon_type": "B", "seeds": 1,
        "dice": {"csf": 0.6, "gm": 0.7, "wm": 0.8, "avg": 0.7}, "dice_std": None,
        "hd": {"csf": 1.0, "gm": 2.0, "wm": 3.0, "avg": 2.0}, "hd_std": None,
        "hd95": {"csf": 1.0, "gm": 1.0, "wm": 1.0, "avg": 1.0}, "hd95_std": None,
        "gap_recovered": 0.5,
    }  # fmt: skip
    row = TableRow.from_json(old)
    assert row.mean_dice == pytest.approx(0.7)
    assert row.converged == ()
    assert row.to_json()["dice"] == {"csf": 0.6, "gm": 0.7, "wm": 0.8, "mean": 0.7}
    assert "| joint | B | 1 | - | 0.6000 | 0.7000 | 0.8000 | 0.7000 |" in rows_to_markdown([row])
