"""``seranet train / evaluate / predict`` end to end on tiny data, and every bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

from seranet.cli import app

runner = CliRunner()
TINY = [
    "--width", "4", "--depth", "3", "--recon-width", "4", "--recon-blocks", "1",
    "--epochs", "1", "--pretrain-epochs", "1", "--batch-size", "4", "--center-lines", "4",
    "--device", "cpu", "--quiet",
]  # fmt: skip


def _train(data: Path, out: Path, model: str, *extra: str) -> None:
    result = runner.invoke(
        app, ["train", "--data", str(data), "--model", model, "--out", str(out), *TINY, *extra]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path) -> Path:
    """A SERANet-2 run with type B Reg blocks."""
    out = tmp_path_factory.mktemp("runs") / "seranet2"
    _train(dataset_dir, out, "seranet-2", "--recon-type", "B")
    return out


@pytest.mark.parametrize(
    ("model", "recon_type"),
    [
        ("fully-sampled", "A"),
        ("zero-filling", "A"),
        ("two-step", "A"),
        ("joint", "B"),
        ("segnetmri", "A"),
        ("seranet-1", "A"),
        ("seranet-2++", "B"),
    ],
)
def test_train_every_model(tmp_path: Path, dataset_dir: Path, model: str, recon_type: str) -> None:
    out = tmp_path / "run"
    _train(dataset_dir, out, model, "--recon-type", recon_type)
    assert (out / "model.pt").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["name"] == model
    assert config["model"]["recon_type"] == recon_type
    assert config["epochs"] == 1


def test_evaluate_writes_json_and_table(
    finished_run: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "metrics.json"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--run",
            str(finished_run),
            "--data",
            str(dataset_dir),
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "seranet-2 on test" in result.stdout
    assert "average" in result.stdout
    metrics = json.loads(out.read_text())
    assert metrics["method"] == "seranet-2"
    assert metrics["split"] == "test"
    assert metrics["n_slices"] == 3  # one test subject of three slices
    assert len(metrics["slices"]) == 3
    assert set(metrics["per_class"]) == {"csf", "gm", "wm"}
    for values in metrics["per_class"].values():
        assert {"dice", "hd", "hd95", "hd_mm", "hd95_mm", "count"} <= set(values)
        assert 0.0 <= values["dice"] <= 1.0
        # fixture spacing is 2 mm: millimetres are twice the pixels
        assert values["hd_mm"] == pytest.approx(2 * values["hd"])
        assert values["hd95"] <= values["hd"] + 1e-9
    dice = [v["dice"] for v in metrics["per_class"].values()]
    assert metrics["average"]["dice"] == pytest.approx(np.mean(dice))
    assert metrics["config"]["model"]["recon_type"] == "B"
    # per-slice values average to the per-class values
    per_slice = [s["dice"]["gm"] for s in metrics["slices"] if s["dice"]["gm"] is not None]
    assert metrics["per_class"]["gm"]["dice"] == pytest.approx(np.mean(per_slice))


def test_predict_writes_h5_and_png(finished_run: Path, dataset_dir: Path, tmp_path: Path) -> None:
    source = sorted(dataset_dir.glob("*.h5"))[0]
    out, png = tmp_path / "pred.h5", tmp_path / "png"
    result = runner.invoke(
        app,
        [
            "predict",
            "--run",
            str(finished_run),
            "--input",
            str(source),
            "--out",
            str(out),
            "--png",
            str(png),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    with h5py.File(out) as f, h5py.File(source) as src:
        seg, probs = f["segmentation"][()], f["probabilities"][()]
        assert seg.dtype == np.uint8
        assert seg.shape == (3, 32, 32)
        assert probs.dtype == np.float16
        assert probs.shape == (3, 4, 32, 32)
        np.testing.assert_allclose(probs.astype(np.float32).sum(axis=1), 1.0, atol=5e-3)
        assert np.mean(probs.argmax(axis=1) == seg) > 0.99  # float16 rounding may flip near-ties
        assert f["recurrence_probabilities"].shape == (3, 3, 4, 32, 32)  # initial + 2 recurrences
        assert f["image"].shape == (3, 32, 32)
        assert f["image"].dtype == np.float32
        assert f["mask"].shape == (3, 1, 32)
        assert set(f["mask"][()].sum(axis=(1, 2)).tolist()) == {round(0.3 * 32)}
        # the zero-filled magnitude is in the input's units (normalisation undone)
        kspace = src["kspace"][0]
        zf = np.abs(
            np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(kspace * f["mask"][0]), norm="ortho"))
        )
        np.testing.assert_allclose(f["zero_filled"][0], zf, rtol=1e-4, atol=1e-5)
        assert f.attrs["model"] == "seranet-2"
    pngs = sorted(png.glob("*.png"))
    assert len(pngs) == 3
    picture = mpimg.imread(pngs[0])
    assert picture.ndim == 3
    assert picture.shape[0] == 256  # 32 px zoomed by 8; prediction beside ground truth
    assert picture.shape[1] > 2 * 256


def _one_line_error(result: object, match: str) -> None:
    code = result.exit_code  # type: ignore[attr-defined]
    stderr = result.stderr  # type: ignore[attr-defined]
    assert code not in (0, None), stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert match in lines[0]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def _train_args(data: Path, out: Path, model: str = "seranet-1") -> list[str]:
    return ["train", "--data", str(data), "--model", model, "--out", str(out), *TINY]


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        ("missing-dir", "does not exist"),
        ("empty-dir", "holds no subject files"),
        ("too-few", "at least 3"),
        ("nan", "NaN"),
        ("missing-labels", "missing dataset 'labels'"),
        ("multicoil", "multi-coil"),
    ],
)
def test_train_bad_data(
    tmp_path: Path, make_subject: Callable[..., Path], setup: str, match: str
) -> None:
    data = tmp_path / "data"
    if setup != "missing-dir":
        data.mkdir()
    if setup in ("too-few",):
        for i in range(2):
            make_subject(data / f"s{i}.h5", seed=i)
    if setup in ("nan", "missing-labels", "multicoil"):
        for i in range(3):
            make_subject(data / f"s{i}.h5", seed=i)
        bad = np.zeros((3, 32, 32), np.complex64)
        bad[1, 2, 3] = np.nan
        options = {
            "nan": {"kspace_override": bad},
            "missing-labels": {"drop": ("labels",)},
            "multicoil": {"multicoil": True},
        }[setup]
        for i in range(3):  # whichever split a subject lands in, it is checked
            make_subject(data / f"s{i}.h5", seed=i, **options)
    out = tmp_path / "run"
    result = runner.invoke(app, _train_args(data, out))
    _one_line_error(result, match)
    assert not out.exists()


def test_train_bad_options(tmp_path: Path, dataset_dir: Path) -> None:
    out = tmp_path / "run"
    _one_line_error(
        runner.invoke(app, _train_args(dataset_dir, out, "unet-9")), "unknown model 'unet-9'"
    )
    _one_line_error(
        runner.invoke(app, [*_train_args(dataset_dir, out), "--recon-type", "C"]),
        "recon_type must be 'A' or 'B'",
    )
    _one_line_error(
        runner.invoke(app, [*_train_args(dataset_dir, out), "--sampling", "0"]), "sampling"
    )
    _one_line_error(
        runner.invoke(app, [*_train_args(dataset_dir, out), "--split", "1/2"]), "--split"
    )
    _one_line_error(
        runner.invoke(app, [*_train_args(dataset_dir, out), "--mask", "spiral"]), "unknown mask"
    )
    _one_line_error(
        runner.invoke(app, [*_train_args(dataset_dir, out), "--init-from", str(tmp_path / "none")]),
        "not complete",
    )
    _one_line_error(
        runner.invoke(app, [*_train_args(dataset_dir, out), "--lr-schedule", "linear"]),
        "lr_schedule must be one of step, cosine",
    )
    _one_line_error(
        runner.invoke(app, [*_train_args(dataset_dir, out), "--eval-seed", "-1"]),
        "eval_seed must be a non-negative integer",
    )
    assert not out.exists()


def test_existing_run_and_checkpoint_mismatch(
    finished_run: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    args = _train_args(dataset_dir, finished_run, "seranet-2")
    before = sorted(p.name for p in finished_run.iterdir())
    _one_line_error(
        runner.invoke(app, [*args, "--recon-type", "B"]), "already holds a complete run"
    )
    done = runner.invoke(app, [*args, "--recon-type", "B", "--resume"])
    assert done.exit_code == 0
    assert "already complete" in done.stderr
    _one_line_error(
        runner.invoke(app, [*args, "--resume"]), "not the requested seranet-2 (recon_type=A"
    )
    assert sorted(p.name for p in finished_run.iterdir()) == before


def test_evaluate_and_predict_bad_inputs(
    finished_run: Path, dataset_dir: Path, tmp_path: Path, make_subject: Callable[..., Path]
) -> None:
    out = tmp_path / "m.json"
    missing = tmp_path / "nothing"
    _one_line_error(
        runner.invoke(app, ["evaluate", "--run", str(missing), "--out", str(out)]), "does not exist"
    )
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    _one_line_error(runner.invoke(app, ["evaluate", "--run", str(unfinished)]), "not complete")
    _one_line_error(
        runner.invoke(app, ["evaluate", "--run", str(finished_run), "--split", "holdout"]),
        "split must be one of",
    )
    _one_line_error(
        runner.invoke(app, ["evaluate", "--run", str(finished_run), "--eval-seed", "-2"]),
        "--eval-seed must be >= 0",
    )
    _one_line_error(
        runner.invoke(app, ["evaluate", "--run", str(finished_run), "--data", str(missing)]),
        "does not exist",
    )
    _one_line_error(
        runner.invoke(
            app, ["evaluate", "--run", str(finished_run), "--out", str(missing / "m.json")]
        ),
        "does not exist",
    )
    assert not out.exists()

    pred = tmp_path / "p.h5"
    base = ["predict", "--run", str(finished_run), "--out", str(pred)]
    _one_line_error(runner.invoke(app, [*base, "--input", str(missing / "x.h5")]), "no such file")
    nan = np.zeros((3, 32, 32), np.complex64)
    nan[0, 0, 0] = np.inf
    bad = make_subject(tmp_path / "bad.h5", seed=1, kspace_override=nan)
    _one_line_error(runner.invoke(app, [*base, "--input", str(bad)]), "bad.h5: 'kspace' holds NaN")
    nokspace = make_subject(tmp_path / "nok.h5", seed=1, drop=("kspace",))
    _one_line_error(
        runner.invoke(app, [*base, "--input", str(nokspace)]), "missing dataset 'kspace'"
    )
    source = sorted(dataset_dir.glob("*.h5"))[0]
    _one_line_error(
        runner.invoke(
            app,
            [
                "predict",
                "--run",
                str(finished_run),
                "--input",
                str(source),
                "--out",
                str(missing / "p.h5"),
            ],
        ),
        "does not exist",
    )
    _one_line_error(
        runner.invoke(app, [*base, "--input", str(source), "--probabilities", "int8"]),
        "probabilities_dtype",
    )
    assert not pred.exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("seranet ")


def test_evaluate_all_and_val_splits(finished_run: Path, dataset_dir: Path) -> None:
    from seranet.evaluate import evaluate

    every = evaluate(finished_run, dataset_dir, split="all", device="cpu", progress=False)
    val = evaluate(finished_run, dataset_dir, split="val", device="cpu", progress=False)
    assert every.n_slices == 15
    assert len(every.subjects) == 5
    assert val.n_slices == 3
    assert set(val.subjects) < set(every.subjects)
    # the same fixed masks: a slice scores the same whichever split it is evaluated in
    scores = {(s, k): v for s, k, v in every.slices}
    for subject, index, v in val.slices:
        np.testing.assert_array_equal(v.dice, scores[(subject, index)].dice)


def test_predict_unlabelled_input(
    finished_run: Path, tmp_path: Path, make_subject: Callable[..., Path]
) -> None:
    from seranet.predict import predict

    source = make_subject(tmp_path / "scan.h5", seed=9, slices=2, drop=("labels",))
    result = predict(
        finished_run,
        source,
        tmp_path / "p.h5",
        png_dir=tmp_path / "png",
        device="cpu",
        progress=False,
    )
    assert result.slices == 2
    picture = mpimg.imread(result.pngs[0])
    assert picture.shape[:2] == (256, 256)  # prediction only: no ground-truth panel
    with h5py.File(result.out) as f:
        assert f["segmentation"].shape == (2, 32, 32)


def test_interrupted_training_says_how_to_resume(
    tmp_path: Path, dataset_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seranet.train

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(seranet.train, "train", interrupted)
    result = runner.invoke(app, _train_args(dataset_dir, tmp_path / "run"))
    assert result.exit_code == 130
    assert result.stderr.strip().startswith(
        "interrupted; continue with the same command and --resume"
    )


def test_one_subject_is_enough_for_split_all_and_predict(
    finished_run: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    from seranet.evaluate import evaluate
    from seranet.predict import predict

    subject = sorted(dataset_dir.glob("*.h5"))[0]
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / subject.name).symlink_to(subject)
    every = evaluate(finished_run, dataset_dir, split="all", device="cpu", progress=False)
    for source in (alone, subject):
        one = evaluate(finished_run, source, split="all", device="cpu", progress=False)
        assert one.subjects == (subject.stem,)
        # the same slices as in the whole directory, scored on the same inputs
        here = {(s, k): v.dice for s, k, v in every.slices if s == subject.stem}
        assert len(here) == one.n_slices
        for s, k, v in one.slices:
            np.testing.assert_array_equal(v.dice, here[(s, k)])
    result = predict(finished_run, alone, tmp_path / "p.h5", device="cpu", progress=False)
    assert result.slices == one.n_slices
    with pytest.raises(ValueError, match="has no test split; use --split all"):
        evaluate(finished_run, subject, split="test", device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"holds 5 subjects; give one file"):
        predict(finished_run, dataset_dir, tmp_path / "q.h5", device="cpu", progress=False)
