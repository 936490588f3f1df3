"""Training curves as a picture and a table, and optional TensorBoard logging."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

from seranet.cli import app
from seranet.train import train
from seranet.train.curves import CSV_FIELDS, write_curves

from .test_train import tiny


def test_a_run_writes_its_curves_and_csv(tmp_path: Path, dataset_dir: Path) -> None:
    run = tmp_path / "run"
    train(tiny(dataset_dir, "two-step", epochs=2, pretrain_epochs=1), run, progress=False)
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    with (run / "metrics.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert [(r["stage"], int(r["epoch"])) for r in rows] == [
        (r["stage"], r["epoch"]) for r in records
    ]
    assert rows[0]["val_dice_mean"] == ""  # reconstruction pre-training has no Dice
    assert float(rows[-1]["val_dice_mean"]) == pytest.approx(records[-1]["val_dice"]["mean"])
    assert float(rows[-1]["lr"]) == pytest.approx(records[-1]["lr"])
    picture = mpimg.imread(run / "curves.png")
    assert picture.shape[0] > 200
    assert picture.shape[1] > 2 * picture.shape[0]  # three panels side by side


def test_curves_of_no_records_write_nothing(tmp_path: Path) -> None:
    write_curves([], tmp_path / "c.png")
    assert not (tmp_path / "c.png").exists()


@pytest.mark.skipif(
    importlib.util.find_spec("tensorboard") is not None, reason="tensorboard is installed"
)
def test_tensorboard_without_the_package_is_a_one_line_error(
    tmp_path: Path, dataset_dir: Path
) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["train", "--data", str(dataset_dir), "--model", "zero-filling", "--out", str(out),
              "--width", "4", "--depth", "3", "--center-lines", "4", "--epochs", "1",
              "--device", "cpu", "--quiet", "--tensorboard"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "needs the tensorboard package" in result.stderr
    assert not out.exists()


@pytest.mark.interop
def test_tensorboard_logs_scalars_and_overlays(tmp_path: Path, dataset_dir: Path) -> None:
    pytest.importorskip("tensorboard", reason="installed by the 'interop' nox session")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"
    train(tiny(dataset_dir, "joint", epochs=2), run, progress=False, tensorboard=True)
    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0})
    events.Reload()
    tags = events.Tags()
    assert {"train/train_loss", "train/val_dice_mean", "train/lr"} <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("train/val_dice_mean")] == [1, 2]
    assert "train/segmentation_0" in tags["images"]
