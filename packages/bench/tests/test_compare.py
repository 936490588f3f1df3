"""``bench compare``: the smoke preset end to end, resuming, and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.cli import app
from bench.compare import compare, run_specs
from bench.presets import SMOKE, TABLE_METHODS
from seranet.train import EpochRecord, RunSummary
from seranet.train import train as seranet_train

pytestmark = pytest.mark.integration


class CountingTrainer:
    """Wraps ``seranet.train``: records each call and whether it trained anything."""

    def __init__(self, interrupt: str | None = None) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.interrupt = interrupt

    def __call__(self, config: Any, out_dir: Path, **kwargs: Any) -> RunSummary:
        if self.interrupt is not None and Path(out_dir).name == self.interrupt:

            def stop(record: EpochRecord) -> None:
                raise KeyboardInterrupt  # after the first epoch's checkpoint is written

            kwargs["on_epoch_end"] = stop
        summary = seranet_train(config, out_dir, **kwargs)
        self.calls.append((Path(out_dir).name, summary.skipped))
        return summary


def test_smoke_table_has_every_method_and_finite_values(smoke: Path) -> None:
    rows = json.loads((smoke / "table.json").read_text())
    keys = {(r["method"], r["recon_type"]) for r in rows}
    for method in TABLE_METHODS:
        if method in ("fully-sampled", "zero-filling", "segnetmri"):
            assert (method, None) in keys
        else:
            assert {(method, "A"), (method, "B")} <= keys
    assert len(rows) == 3 + 2 * 6
    for row in rows:
        for metric in ("dice", "hd", "hd95"):
            assert all(math.isfinite(v) for v in row[metric].values()), row
        assert 0 <= row["dice"]["mean"] <= 1
    preset = json.loads((smoke / "preset.json").read_text())
    assert preset["preset"]["name"] == "smoke"
    assert "torch" in preset["versions"]
    md = (smoke / "table.md").read_text()
    assert md.count("| seranet-3++ |") == 2
    assert (smoke / "table.csv").read_text().count("\n") == len(rows) + 1


def test_every_run_folder_holds_a_model_and_its_test_scores(smoke: Path) -> None:
    runs = json.loads((smoke / "runs.json").read_text())
    assert len(runs) == len(run_specs(SMOKE, SMOKE.methods, SMOKE.recon_types))
    for run in runs:
        folder = Path(run["run"])
        assert (folder / "model.pt").is_file()
        scores = json.loads((folder / "test-metrics.json").read_text())
        assert scores["split"] == "test"
        assert scores["n_slices"] == 4


def test_resuming_trains_nothing_twice(dataset_dir: Path, tmp_path: Path) -> None:
    methods = ["zero-filling", "two-step", "seranet-1"]
    first = CountingTrainer(interrupt="two-step_A_k2_s0")
    with pytest.raises(KeyboardInterrupt):
        compare(dataset_dir, tmp_path, SMOKE, methods=methods, recon_types=["A"], device="cpu",
                progress=False, trainer=first)  # fmt: skip
    assert first.calls == [("zero-filling_s0", False)]
    half = tmp_path / "runs" / "two-step_A_k2_s0"
    assert (half / "checkpoints" / "recon-pretrain-last.pt").is_file()
    assert not (half / "model.pt").exists()
    assert not (tmp_path / "table.json").exists()
    done = tmp_path / "runs" / "zero-filling_s0" / "model.pt"
    stamp = done.stat().st_mtime_ns

    second = CountingTrainer()
    result = compare(dataset_dir, tmp_path, SMOKE, methods=methods, recon_types=["A"],
                     device="cpu", progress=False, trainer=second)  # fmt: skip
    status = {o.spec.name: o.status for o in result.outcomes}
    assert status == {
        "zero-filling_s0": "skipped",
        "two-step_A_k2_s0": "resumed",
        "seranet-1_A_k2_s0": "trained",
    }
    assert done.stat().st_mtime_ns == stamp
    epochs = [json.loads(line) for line in (half / "metrics.jsonl").read_text().splitlines()]
    assert [(e["stage"], e["epoch"]) for e in epochs] == [("recon-pretrain", 1), ("train", 1)]

    third = CountingTrainer()
    again = compare(dataset_dir, tmp_path, SMOKE, methods=methods, recon_types=["A"],
                    device="cpu", progress=False, trainer=third)  # fmt: skip
    assert len(third.calls) == 3
    assert all(skipped for _, skipped in third.calls)
    assert again.rows == result.rows


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "smok"], "unknown preset 'smok'"),
        (["--preset", "smoke", "--methods", "joint,unet"], "unknown model 'unet'"),
        (["--preset", "smoke", "--recon-types", "A,C"], "unknown reconstruction type 'C'"),
        (["--preset", "smoke", "--seeds", "0"], "seeds must be >= 1"),
        (["--preset", "smoke", "--epochs", "0"], "epochs must be a positive integer; got 0"),
        (["--preset", "smoke", "--pretrain-epochs", "-1"], "pretrain_epochs must be a positive"),
        (["--preset", "smoke", "--recipe", "sgdr"], "unknown recipe 'sgdr'"),
        (["--preset", "smoke", "--recipe", "cosine,preset"], "--recipe takes one recipe"),
    ],
)
def test_bad_options_give_one_line_errors_and_no_files(
    dataset_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    result = _invoke("compare", "--data", str(dataset_dir), "--out", str(out), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


def test_missing_data_is_a_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke(
        "compare", "--data", str(tmp_path / "nowhere"), "--out", str(out), "--preset", "smoke"
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _invoke("compare", "--data", str(empty), "--out", str(out), "--preset", "smoke")
    assert result.exit_code == 2
    assert "holds no subject files" in result.stderr
    assert not out.exists()


def test_cli_prints_the_table(dataset_dir: Path, tmp_path: Path) -> None:
    result = _invoke(
        "compare", "--data", str(dataset_dir), "--out", str(tmp_path), "--preset", "smoke", "--methods",
        "zero-filling,fully-sampled", "--quiet", "--device", "cpu", "--jobs", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "zero-filling" in result.stdout
    assert "fully-sampled" in result.stdout
    rows = json.loads((tmp_path / "table.json").read_text())
    assert [r["method"] for r in rows] == ["fully-sampled", "zero-filling"]
    assert "2 trained" in result.stderr


def test_a_run_folder_trained_otherwise_is_an_error(dataset_dir: Path, tmp_path: Path) -> None:
    compare(dataset_dir, tmp_path, SMOKE, methods=["zero-filling"], device="cpu", progress=False)
    other = SMOKE.replace(epochs=2)
    with pytest.raises(ValueError, match="config differs in epochs"):
        compare(dataset_dir, tmp_path, other, methods=["zero-filling"], device="cpu",
                progress=False)  # fmt: skip


def test_cli_epochs_override_trains_that_many_and_says_so(
    dataset_dir: Path, tmp_path: Path
) -> None:
    result = _invoke(
        "compare", "--data", str(dataset_dir), "--out", str(tmp_path), "--preset", "smoke",
        "--methods", "zero-filling", "--epochs", "2", "--quiet", "--device", "cpu", "--jobs", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    preset = json.loads((tmp_path / "preset.json").read_text())["preset"]
    assert (preset["name"], preset["epochs"]) == ("smoke+epochs=2", 2)
    lines = (tmp_path / "runs" / "zero-filling_s0" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_cli_recipe_trains_under_it_and_says_so(dataset_dir: Path, tmp_path: Path) -> None:
    result = _invoke(
        "compare", "--data", str(dataset_dir), "--out", str(tmp_path), "--preset", "smoke",
        "--methods", "zero-filling", "--recipe", "cosine", "--quiet", "--device", "cpu",
        "--jobs", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    preset = json.loads((tmp_path / "preset.json").read_text())["preset"]
    assert (preset["name"], preset["epochs"], preset["lr_schedule"]) == (
        "smoke@cosine",
        3,
        "cosine",
    )
    config = json.loads((tmp_path / "runs" / "zero-filling_s0" / "config.json").read_text())
    assert (config["lr_schedule"], config["warmup_epochs"], config["epochs"]) == ("cosine", 1, 3)
