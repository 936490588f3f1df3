"""Take a finished run elsewhere: ONNX, TorchScript or a ``torch.export`` ExportedProgram.

Exporters take plain tensors, not :class:`~seranet.models.ModelInput`, and ONNX has no complex
type, so the exported graph is :class:`TensorModel`: the model behind a forward of real
tensors, complex k-space as a trailing real/imaginary axis::

    k-space models:  logits = f(zero_filled (B, 2, H, W) float32,
                                measured    (B, H, W, 2) float32,   # torch.view_as_real
                                mask        (B, 1, W) bool for line masks, (B, H, W) for 2D)
    fully-sampled:   logits = f(image (B, 2, H, W) float32)

``logits`` is ``(B, 4, H, W)`` (background, CSF, GM, WM); inputs are normalised as in training
(:func:`seranet.data.make_sample`: divide by the 99th percentile of the zero-filled magnitude).
The batch size is fixed at export time (``batch``). After writing, :func:`export` runs the
exported model and the eager one on the same input and reports whether their segmentations
agree (ONNX needs ``onnxruntime`` for that check).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from seranet._files import atomic_path
from seranet.models import ModelInput, SegmentationModel
from seranet.train.run import load_run

__all__ = ["EXPORT_FORMATS", "ExportResult", "TensorModel", "example_inputs", "export"]

EXPORT_FORMATS = ("onnx", "torchscript", "exported-program")
"""What :func:`export` writes: ``.onnx``, a TorchScript ``.pt`` (traced), a ``.pt2``."""


class TensorModel(nn.Module):
    """``model`` as a function of real tensors (module docstring), in inference mode."""

    def __init__(self, model: SegmentationModel) -> None:
        super().__init__()
        self.model = model.eval()
        self.fully_sampled = model.config.name == "fully-sampled"

    def forward(self, *tensors: Tensor) -> Tensor:
        """Logits ``(B, 4, H, W)``."""
        if self.fully_sampled:
            (image,) = tensors
            out = self.model(
                ModelInput(image, torch.view_as_complex(_pairs(image)), _all(image), image)
            )
        else:
            zero_filled, measured, mask = tensors
            out = self.model(ModelInput(zero_filled, torch.view_as_complex(measured), mask))
        if out.logits is None:  # pragma: no cover - every registered model segments
            raise RuntimeError(f"{self.model.config.name} gives no segmentation")
        return out.logits


def _pairs(image: Tensor) -> Tensor:
    # an unused k-space stand-in for the fully-sampled model, which reads only its image
    return image.permute(0, 2, 3, 1).contiguous()


def _all(image: Tensor) -> Tensor:
    return torch.ones(image.shape[0], 1, image.shape[-1], dtype=torch.bool)


def example_inputs(
    model: SegmentationModel, shape: tuple[int, int], *, batch: int = 1, line_mask: bool = True
) -> tuple[Tensor, ...]:
    """Seeded example inputs of the exported signature for images ``shape``."""
    g = torch.Generator().manual_seed(0)
    h, w = shape
    image = torch.randn(batch, 2, h, w, generator=g)
    if model.config.name == "fully-sampled":
        return (image,)
    measured = torch.randn(batch, h, w, 2, generator=g)
    mask = torch.rand(batch, 1 if line_mask else h, w, generator=g) < 0.3
    mask[..., w // 2 - 2 : w // 2 + 2] = True
    measured = measured * mask.unsqueeze(-1)
    return image, measured, mask


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote and checked."""

    path: Path
    """The exported file."""
    format: str
    """One of :data:`EXPORT_FORMATS`."""
    inputs: tuple[str, ...]
    """Input names, in order."""
    same_segmentation: bool | None
    """Whether the exported and the eager model agree on the example (None: not checked)."""
    max_logit_difference: float | None
    """Largest absolute logit difference on the example (None: not checked)."""


def export(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    format: str = "onnx",
    batch: int = 1,
) -> ExportResult:
    """Export the finished run ``run_dir`` to ``out`` (written atomically) and check it.

    Raises
    ------
    ValueError, CheckpointError
        Unknown format, bad batch, a run that did not record its image size (one line).
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}; got {format!r}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1; got {batch}")
    out = Path(out)
    if not out.parent.is_dir():
        raise ValueError(f"output directory {str(out.parent)!r} does not exist")
    run = load_run(run_dir, "cpu")
    if run.image_shape is None:
        raise ValueError(f"run {str(run_dir)!r} did not record its image size; train it again")
    wrapped = TensorModel(run.model)
    inputs = example_inputs(
        run.model, run.image_shape, batch=batch, line_mask=run.config.mask != "poisson-disc-2d"
    )
    names = ("image",) if len(inputs) == 1 else ("zero_filled", "measured", "mask")
    with torch.inference_mode():
        reference = wrapped(*inputs)
    with atomic_path(out, suffix=out.suffix) as tmp, warnings.catch_warnings():
        # the exporters' own deprecation notes
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        # shapes and the batch are fixed at export: tracing freezes shape checks, as meant
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="torch")
        exported = _write(wrapped, inputs, names=names, fmt=format, path=tmp)
        result = _check(exported, inputs, names=names, fmt=format, path=tmp, reference=reference)
    return ExportResult(out, format, names, *result)


def _write(
    wrapped: TensorModel,
    inputs: tuple[Tensor, ...],
    *,
    names: tuple[str, ...],
    fmt: str,
    path: Path,
) -> Any:
    if fmt == "torchscript":
        traced = torch.jit.trace(wrapped, inputs, check_trace=False)
        torch.jit.save(traced, str(path))
        return traced
    program = torch.export.export(wrapped, inputs)
    if fmt == "exported-program":
        torch.export.save(program, str(path))
        return program
    # The exporter logs its progress and optional-dependency notes; keep the command's output
    # to its one result line.
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            torch.onnx.export(
                program, inputs, str(path), input_names=list(names), output_names=["logits"]
            )
    finally:
        logger.setLevel(level)
    return None


def _check(
    exported: Any,
    inputs: tuple[Tensor, ...],
    *,
    names: tuple[str, ...],
    fmt: str,
    path: Path,
    reference: Tensor,
) -> tuple[bool | None, float | None]:
    if fmt == "onnx":
        try:
            import onnxruntime
        except ImportError:
            return None, None
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        feed = {n: t.numpy() for n, t in zip(names, inputs, strict=True)}
        logits = torch.from_numpy(session.run(None, feed)[0])
    else:
        loaded = (
            torch.jit.load(str(path))
            if fmt == "torchscript"
            else torch.export.load(str(path)).module()
        )
        with torch.no_grad():
            logits = loaded(*inputs)
    same = bool(torch.equal(logits.argmax(dim=1), reference.argmax(dim=1)))
    return same, float((logits - reference).abs().max())
