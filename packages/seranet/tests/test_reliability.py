"""Runs that cannot be fooled, paths that travel, leftovers and messages."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seranet.cli import app
from seranet.data import DataError, SplitConfig, inspect_subject, split_subjects
from seranet.evaluate import evaluate
from seranet.predict import predict
from seranet.train import CheckpointError, EpochRecord, train

from .test_train import tiny


def _interrupt_after(n: int) -> Callable[[EpochRecord], None]:
    seen: list[EpochRecord] = []

    def stop(record: EpochRecord) -> None:
        seen.append(record)
        if len(seen) == n:
            raise KeyboardInterrupt

    return stop


def test_weights_swapped_in_from_another_run_are_refused(tmp_path: Path, dataset_dir: Path) -> None:
    train(tiny(dataset_dir, "zero-filling", epochs=1), tmp_path / "zf", progress=False)
    train(tiny(dataset_dir, "seranet-1", epochs=1), tmp_path / "s1", progress=False)
    shutil.copy(tmp_path / "zf" / "model.pt", tmp_path / "s1" / "model.pt")
    with pytest.raises(
        CheckpointError, match=r"trained as zero-filling.*the run folder was altered"
    ):
        evaluate(tmp_path / "s1", device="cpu", progress=False)
    subject = split_subjects(dataset_dir)["test"][0]
    with pytest.raises(CheckpointError, match="the run folder was altered"):
        predict(tmp_path / "s1", subject, tmp_path / "p.h5", device="cpu", progress=False)
    assert not (tmp_path / "p.h5").exists()


def test_images_of_another_size_are_refused(
    tmp_path: Path, dataset_dir: Path, make_subject: Callable[..., Path]
) -> None:
    train(tiny(dataset_dir, "zero-filling", epochs=1), tmp_path / "run", progress=False)
    other = tmp_path / "other"
    other.mkdir()
    for i in range(3):
        make_subject(other / f"s{i}.h5", seed=i, shape=(48, 40))
    with pytest.raises(ValueError, match=r"images are 48 x 40 but run .* was trained on 32 x 32"):
        evaluate(tmp_path / "run", other, split="all", device="cpu", progress=False)


def test_a_relative_data_path_is_stored_resolved(
    tmp_path: Path,
    dataset_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_subject: Callable[..., Path],
) -> None:
    home = tmp_path / "home"
    shutil.copytree(dataset_dir, home / "data")
    monkeypatch.chdir(home)
    config = tiny(Path("data"), "zero-filling", epochs=2)
    assert config.data_dir == str(home / "data")
    with pytest.raises(KeyboardInterrupt):
        train(config, home / "run", progress=False, on_epoch_end=_interrupt_after(1))
    stored = json.loads((home / "run" / "config.json").read_text())
    assert stored["data_dir"] == str(home / "data")
    # resumed with the absolute path, from elsewhere
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)  # another folder called data: never read
    for i in range(3):
        make_subject(elsewhere / "data" / f"x{i}.h5", seed=50 + i)
    monkeypatch.chdir(elsewhere)
    summary = train(tiny(home / "data", "zero-filling", epochs=2), home / "run", resume=True,
                    progress=False)  # fmt: skip
    assert not summary.skipped
    result = evaluate(home / "run", device="cpu", progress=False)
    assert result.data_dir == home / "data"
    assert all(not s.startswith("x") for s in result.subjects)


def test_temporary_files_of_a_killed_writer_are_removed_on_resume(
    tmp_path: Path, dataset_dir: Path
) -> None:
    run = tmp_path / "run"
    config = tiny(dataset_dir, "zero-filling", epochs=2)
    with pytest.raises(KeyboardInterrupt):
        train(config, run, progress=False, on_epoch_end=_interrupt_after(1))
    leftovers = [run / ".train-best.pt.abc.tmp", run / "checkpoints" / ".train-last.pt.x.tmp"]
    for path in leftovers:
        path.write_bytes(b"partial")
    train(config, run, resume=True, progress=False)
    assert not any(p.exists() for p in leftovers)
    assert not list(run.rglob("*.tmp"))


def test_predict_checks_the_png_folder_before_writing(tmp_path: Path, dataset_dir: Path) -> None:
    train(tiny(dataset_dir, "zero-filling", epochs=1), tmp_path / "run", progress=False)
    subject = split_subjects(dataset_dir)["test"][0]
    png = tmp_path / "taken.png"
    png.write_bytes(b"not a folder")
    result = CliRunner().invoke(
        app, ["predict", "--run", str(tmp_path / "run"), "--input", str(subject),
              "--out", str(tmp_path / "p.h5"), "--png", str(png), "--device", "cpu"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "exists and is not a directory" in result.stderr
    assert not (tmp_path / "p.h5").exists()


def test_pixel_spacing_must_be_given_and_finite(
    tmp_path: Path, make_subject: Callable[..., Path]
) -> None:
    missing = make_subject(tmp_path / "missing.h5", seed=1, drop=("resolution_mm",))
    with pytest.raises(DataError, match="no 'resolution_mm' attribute"):
        inspect_subject(missing)
    assert inspect_subject(missing, require_labels=False).spacing_mm == (1.0, 1.0)
    for value in (float("nan"), 0.0, -1.0, float("inf")):
        bad = make_subject(tmp_path / "bad.h5", seed=1, resolution_mm=value)
        with pytest.raises(DataError, match="resolution_mm must be positive and finite"):
            inspect_subject(bad)


def test_a_split_that_leaves_no_training_subject_says_so(dataset_dir: Path) -> None:
    with pytest.raises(DataError, match=r"split 1/1/10 scaled to the 5 subjects .* leaves none"):
        split_subjects(dataset_dir, SplitConfig(1, 1, 10))


def test_models_too_deep_or_too_large_are_refused_before_allocating(
    tmp_path: Path, dataset_dir: Path
) -> None:
    from seranet.models import ModelConfig
    from seranet.train.resources import check_model_fits

    # 32 x 32 images: 4 levels leave 4 x 4 at the bottleneck, 5 levels 2 x 2, 6 levels 1 x 1
    check_model_fits(ModelConfig("zero-filling", width=4, depth=5), (32, 32))
    with pytest.raises(ValueError, match=r"depth 6 halves the 32 x 32 images 5 times.*--depth 5"):
        check_model_fits(ModelConfig("zero-filling", width=4, depth=6), (32, 32))
    with pytest.raises(ValueError, match=r"depth 7 .* 54 x 45 .* 0 x 0 pixels"):
        check_model_fits(ModelConfig("zero-filling", width=4, depth=7), (54, 45))
    wide = ModelConfig("zero-filling", width=256, depth=4)
    with pytest.raises(ValueError, match=r"GiB for weights, gradients and Adam state alone"):
        check_model_fits(wide, (64, 64), available=2**30)
    check_model_fits(wide, (64, 64), available=2**40)
    # through the CLI: one line, nothing written
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["train", "--data", str(dataset_dir), "--model", "zero-filling", "--out", str(out),
              "--depth", "12", "--width", "4", "--center-lines", "4", "--device", "cpu",
              "--quiet"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "depth 12 halves the 32 x 32 images" in result.stderr
    assert not out.exists()
