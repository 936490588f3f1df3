"""Exported models give the same segmentation as the eager ones."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from seranet.cli import app
from seranet.data import split_subjects
from seranet.export import TensorModel, export
from seranet.inputs import evaluation_dataset
from seranet.train import load_run, train

from .test_train import tiny

MODELS = ("fully-sampled", "zero-filling", "two-step", "joint", "segnetmri", "seranet-1",
          "seranet-1++")  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("export")
    out = {}
    for name in MODELS:
        out[name] = root / name
        train(tiny(dataset_dir, name, epochs=1), out[name], progress=False)
    return out


def _slice_inputs(run: Path, dataset_dir: Path) -> tuple[torch.Tensor, ...]:
    loaded = load_run(run)
    files = split_subjects(dataset_dir, loaded.config.split)["test"]
    sample = evaluation_dataset(files, loaded.config)[0]
    if loaded.config.model.name == "fully-sampled":
        assert sample.fully_sampled is not None
        return (sample.fully_sampled[None],)
    return sample.zero_filled[None], torch.view_as_real(sample.measured)[None], sample.mask[None]


def _load(path: Path, fmt: str):  # type: ignore[no-untyped-def]
    if fmt == "torchscript":
        return torch.jit.load(str(path))
    if fmt == "exported-program":
        return torch.export.load(str(path)).module()
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return lambda *t: torch.from_numpy(
        session.run(None, {n: x.numpy() for n, x in zip(names, t, strict=True)})[0]
    )


def _check(run: Path, dataset_dir: Path, fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"model.{fmt}"
    result = export(run, out, format=fmt)
    assert result.same_segmentation is True
    inputs = _slice_inputs(run, dataset_dir)
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the loaders' own deprecation and storage notes
        eager = TensorModel(load_run(run).model)(*inputs)
        exported = _load(out, fmt)(*inputs)
    assert torch.equal(exported.argmax(dim=1), eager.argmax(dim=1))
    assert torch.allclose(exported, eager, atol=1e-3)


@pytest.mark.parametrize("fmt", ["torchscript", "exported-program"])
@pytest.mark.parametrize("name", ["zero-filling", "seranet-1++"])
def test_exported_models_segment_a_real_slice_like_the_eager_ones(
    runs: dict[str, Path], dataset_dir: Path, tmp_path: Path, name: str, fmt: str
) -> None:
    _check(runs[name], dataset_dir, fmt, tmp_path)


@pytest.mark.interop
@pytest.mark.parametrize("fmt", ["onnx", "torchscript", "exported-program"])
@pytest.mark.parametrize("name", MODELS)
def test_every_registry_model_exports(
    runs: dict[str, Path], dataset_dir: Path, tmp_path: Path, name: str, fmt: str
) -> None:
    if fmt == "onnx":
        pytest.importorskip("onnxruntime", reason="installed by the 'interop' nox session")
    _check(runs[name], dataset_dir, fmt, tmp_path)


def test_export_errors_are_one_line(runs: dict[str, Path], tmp_path: Path) -> None:
    for args, message in (
        (["--format", "tflite", "--out", str(tmp_path / "m")], "format must be one of onnx"),
        (["--out", str(tmp_path / "none" / "m.onnx")], "does not exist"),
        (["--batch", "0", "--out", str(tmp_path / "m.onnx")], "batch must be >= 1"),
    ):
        result = CliRunner().invoke(app, ["export", "--run", str(runs["joint"]), *args])
        assert result.exit_code == 2, result.stderr
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_calling_a_model_with_a_plain_tensor_says_what_it_takes(runs: dict[str, Path]) -> None:
    model = load_run(runs["joint"]).model
    with pytest.raises(TypeError, match=r"takes a ModelInput\(zero_filled, measured, mask\)"):
        model(torch.zeros(1, 2, 32, 32))
