"""Segmenting real under-sampled acquisitions: k-space plus its own mask, fastMRI's way."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from kspace import GaussianLines, complex_to_channels, ifft2c
from seranet.cli import app
from seranet.data import normalisation_scale, split_subjects
from seranet.models import ModelInput
from seranet.predict import predict
from seranet.train import load_run, train

from .test_train import tiny


@pytest.fixture(scope="module")
def joint_run(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path) -> Path:
    run = tmp_path_factory.mktemp("joint") / "run"
    train(tiny(dataset_dir, "joint", epochs=1), run, progress=False)
    return run


def _acquisition(
    dataset_dir: Path, out: Path, columns: np.ndarray, *, with_mask: bool = True
) -> Path:
    """A test subject written as fastMRI stores an accelerated scan: k-space zero off the
    sampled columns and ``mask`` (W,) float32, no labels, no fully-sampled image."""
    subject = split_subjects(dataset_dir)["test"][0]
    with h5py.File(subject, "r") as f:
        full = np.asarray(f["kspace"])
    with h5py.File(out, "w") as f:
        f.create_dataset("kspace", data=(full * columns[None, None, :]).astype(np.complex64))
        if with_mask:
            f.create_dataset("mask", data=columns.astype(np.float32))
    return out


def _trained_like(width: int, seed: int = 3) -> np.ndarray:
    mask = GaussianLines(fraction=0.3, center_lines=4)((1, width), seed=seed)
    return np.asarray(mask, dtype=bool).reshape(-1)


def test_an_acquisition_is_segmented_as_it_is(
    joint_run: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    columns = _trained_like(32)
    path = _acquisition(dataset_dir, tmp_path / "scan.h5", columns)
    result = predict(joint_run, path, tmp_path / "pred.h5", device="cpu", progress=False)
    assert result.acquired
    assert result.warnings == ()
    with h5py.File(tmp_path / "pred.h5", "r") as f:
        seg = np.asarray(f["segmentation"])
        used = np.asarray(f["mask"])
        assert f.attrs["input_kind"] == "acquired"
        assert "eval_seed" not in f.attrs
    assert np.array_equal(used, np.broadcast_to(columns[None, None, :], used.shape))
    # an independent reference: the model on the measured k-space, normalised as in training
    run = load_run(joint_run)
    with h5py.File(path, "r") as f:
        measured = np.asarray(f["kspace"])
    for s in range(measured.shape[0]):
        zf = ifft2c(measured[s])
        inv = np.float32(1 / normalisation_scale(zf))
        inp = ModelInput(
            torch.from_numpy(complex_to_channels(zf * inv).astype(np.float32))[None],
            torch.from_numpy((measured[s] * inv).astype(np.complex64))[None],
            torch.from_numpy(columns[None, :])[None],
        )
        with torch.inference_mode():
            logits = run.model(inp).logits
        assert logits is not None
        assert np.array_equal(logits.argmax(dim=1)[0].numpy(), seg[s])


def test_a_mask_unlike_the_training_masks_warns(
    joint_run: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    columns = np.zeros(32, bool)
    columns[::2] = True  # 50 % of the lines, no fully sampled centre block of 4
    path = _acquisition(dataset_dir, tmp_path / "scan.h5", columns)
    result = predict(joint_run, path, tmp_path / "pred.h5", device="cpu", progress=False)
    (warning,) = result.warnings
    assert "samples 50 % (trained on 30 %)" in warning
    assert "centre lines (trained on 4)" in warning


def test_the_mask_may_come_from_a_file(joint_run: Path, dataset_dir: Path, tmp_path: Path) -> None:
    columns = _trained_like(32, seed=5)
    path = _acquisition(dataset_dir, tmp_path / "scan.h5", columns, with_mask=False)
    np.save(tmp_path / "mask.npy", columns)
    out = tmp_path / "pred.h5"
    done = CliRunner().invoke(
        app, ["predict", "--run", str(joint_run), "--input", str(path), "--out", str(out),
              "--mask", str(tmp_path / "mask.npy"), "--device", "cpu", "--quiet"],
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    with h5py.File(out, "r") as f:
        assert f.attrs["input_kind"] == "acquired"


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.ones(33, np.float32), "does not fit 32 x 32 k-space"),
        (np.full(32, 2.0, np.float32), "must hold 0 and 1 only"),
        (np.zeros(32, np.float32), "samples nothing"),
    ],
)
def test_masks_that_cannot_work_are_one_line_errors(
    joint_run: Path, dataset_dir: Path, tmp_path: Path, mask: np.ndarray, message: str
) -> None:
    np.save(tmp_path / "mask.npy", mask)
    path = _acquisition(dataset_dir, tmp_path / "scan.h5", _trained_like(32), with_mask=False)
    out = tmp_path / "pred.h5"
    done = CliRunner().invoke(
        app, ["predict", "--run", str(joint_run), "--input", str(path), "--out", str(out),
              "--mask", str(tmp_path / "mask.npy"), "--device", "cpu"],
    )  # fmt: skip
    assert done.exit_code != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
    assert not out.exists()


def test_the_fully_sampled_model_refuses_an_acquisition(tmp_path: Path, dataset_dir: Path) -> None:
    train(tiny(dataset_dir, "fully-sampled", epochs=1), tmp_path / "fs", progress=False)
    path = _acquisition(dataset_dir, tmp_path / "scan.h5", _trained_like(32))
    with pytest.raises(ValueError, match="fully-sampled model segments fully-sampled images"):
        predict(tmp_path / "fs", path, tmp_path / "pred.h5", device="cpu", progress=False)
