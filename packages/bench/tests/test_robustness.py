"""The robustness benchmark: shifted test sets that change one factor, both training arms,
paired verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
from typer.testing import CliRunner

from bench.cli import app
from bench.presets import SMOKE
from bench.robustness import (
    STANDARD_MARGIN,
    TEST_SETS,
    UNSEEN_FIRST,
    _flags,
    parse_test_sets,
    robustness_study,
    shifted_config,
)
from seranet.data import SplitConfig, split_subjects


def _settings(path: Path) -> dict:
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["settings"])


def test_parse_test_sets_keeps_standard_first() -> None:
    assert [s.name for s in parse_test_sets("noise20,3t")] == ["standard", "3t", "noise20"]
    assert parse_test_sets(",".join(s.name for s in TEST_SETS)) == TEST_SETS
    with pytest.raises(ValueError, match="unknown test set '7t'"):
        parse_test_sets("7t")


def test_each_shifted_set_changes_one_factor(procedural_data: Path, tmp_path: Path) -> None:
    test_files = split_subjects(procedural_data, SplitConfig(*SMOKE.split))["test"]
    base = _settings(test_files[0])
    for test_set in TEST_SETS[1:]:
        config = shifted_config(test_files, test_set, tmp_path / test_set.name)
        protocol = {k: getattr(config.protocol, k) for k in base["protocol"]}
        changed = {k for k in protocol if protocol[k] != base["protocol"][k]}
        assert changed == {k for k, _ in test_set.protocol}, test_set.name
        assert config.resolution_mm == base["resolution_mm"]
        assert config.n_slices == base["n_slices"]
        assert config.seed == base["seed"]
        (test_file,) = test_files  # the smoke split has one test subject
        index = UNSEEN_FIRST if test_set.unseen_heads else int(test_file.stem[len("procedural") :])
        assert config.subjects == f"{index}-{index}"  # one head, not the first N
    with pytest.raises(ValueError, match="nothing to simulate"):
        shifted_config(test_files, TEST_SETS[0], tmp_path)


def test_study_trains_both_arms_and_pairs_them(procedural_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "robust"
    sets = parse_test_sets("3t,unseen-heads")
    result = robustness_study(
        procedural_data, out, SMOKE, procedural_heads=2, methods=("zero-filling", "joint"),
        sets=sets, device="cpu", progress=False,
    )  # fmt: skip
    rows = result["rows"]
    assert [(r["method"], r["set"]) for r in rows] == [
        (m, s) for m in ("zero-filling", "joint") for s in ("standard", "3t", "unseen-heads")
    ]
    for r in rows:
        paired = r["paired"]
        assert paired["low"] <= paired["estimate"] <= paired["high"]
        assert paired["threshold"] == (-STANDARD_MARGIN if r["set"] == "standard" else 0.0)
        assert paired["subjects"] == 1  # the smoke split's one test subject (or unseen head)
        assert paired["slices"] == SMOKE.slices
        assert r["cpu_seconds"]["files"] > 0
        assert r["cpu_seconds"]["randomised"] > 0
        assert {arm: len(flags) for arm, flags in r["converged"].items()} == {
            "files": 1,
            "randomised": 1,
        }
    assert result["seeds"] == 1
    # the arms differ only in their training source
    files = json.loads((out / "runs/files/joint_B_k2_s0/config.json").read_text())
    randomised = json.loads((out / "runs/randomised/joint_B_k2_s0/config.json").read_text())
    assert files.get("simulated") is None
    assert randomised["simulated"]["procedural_heads"] == 2
    del randomised["simulated"]
    files.pop("simulated", None)
    assert files == randomised
    # the shifted sets were simulated as stated, and each run was scored on them
    (hot,) = sorted((out / "data/3t").glob("*.h5"))
    assert _settings(hot)["protocol"]["field_t"] == 3.0
    (unseen,) = sorted((out / "data/unseen-heads").glob("*.h5"))
    assert unseen.name == f"procedural{UNSEEN_FIRST:02d}.h5"
    scored = json.loads((out / "runs/files/joint_B_k2_s0/robustness/3t.json").read_text())
    assert scored["slices"]
    for name in ("robustness.json", "robustness.md", "robustness.png"):
        assert (out / name).is_file()
    table = (out / "robustness.md").read_text()
    assert "| joint (B) | 3t |" in table
    assert "one training seed per arm" in table

    # resumable: a second call trains and scores nothing again
    model = out / "runs/randomised/joint_B_k2_s0/model.pt"
    stamp = model.stat().st_mtime_ns
    again = robustness_study(
        procedural_data, out, SMOKE, procedural_heads=2, methods=("zero-filling", "joint"),
        sets=sets, device="cpu", progress=False,
    )  # fmt: skip
    assert model.stat().st_mtime_ns == stamp
    assert again["rows"] == rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sets", "7t"], "unknown test set '7t'"),
        (["--procedural-heads", "0"], "needs procedural heads"),
        (["--seeds", "0"], "seeds must be >= 1"),
    ],
)
def test_cli_errors_are_one_line(
    procedural_data: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        app,
        ["robustness", "--data", str(procedural_data), "--out", str(tmp_path / "o"),
         "--preset", "smoke", "--quiet", *args],
    )  # fmt: skip
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_converged_flags_name_the_runs_that_did_not() -> None:
    assert _flags([True, True]) == "yes"
    assert _flags([True, False, False]) == "no (2 of 3)"
    assert _flags([]) == "-"
    assert _flags(None) == "-"
