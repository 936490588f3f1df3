"""Training-step and inference time of every model, plain eager vs the optimised path.

Run (2 threads, results to JSON, then the Markdown table)::

    python -m pytest packages/seranet/benchmarks --benchmark-only \
        --benchmark-json=/tmp/seranet-bench.json
    python packages/seranet/benchmarks/make_table.py /tmp/seranet-bench.json \
        > packages/seranet/benchmarks/RESULTS.md

``SERANET_BENCH_ROUNDS`` (default 3) sets the timed rounds per case (one warm-up round
before them); width-64 training cases use ``SERANET_BENCH_ROUNDS_W64`` (default 1) rounds
because a single SERANet-3 step at 216 x 180 takes about a minute on two cores.
``SERANET_BENCH_SIZES`` / ``SERANET_BENCH_WIDTHS`` / ``SERANET_BENCH_MODELS``
(comma-separated, e.g. ``108x90`` / ``16`` / ``unet,seranet-3``) restrict the grid.

``fully-sampled`` runs exactly the network of ``zero-filling`` (a UNet, here ``unet``), and
``seranet-3++`` runs exactly the forward of ``seranet-3`` in its final stage, so neither is
timed separately. A training step is the model's final stage: forward, cross-entropy
(+ MSE where the stage has it), backward and an Adam step on that stage's parameters.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from kspace import complex_to_channels, fft2c, ifft2c
from seranet.models import (
    ModelConfig,
    ModelInput,
    SegmentationModel,
    build_model,
    optimise_for_inference,
    optimise_for_training,
)

torch.set_num_threads(2)

ALL_MODELS = "unet,two-step,joint,segnetmri,seranet-1,seranet-2,seranet-3"
MODELS = [m for m in os.environ.get("SERANET_BENCH_MODELS", ALL_MODELS).split(",") if m]
ALL_SIZES = {"108x90": (108, 90), "216x180": (216, 180)}
SIZES = [s for s in os.environ.get("SERANET_BENCH_SIZES", "108x90,216x180").split(",") if s]
WIDTHS = [int(w) for w in os.environ.get("SERANET_BENCH_WIDTHS", "16,64").split(",") if w]
ROUNDS = int(os.environ.get("SERANET_BENCH_ROUNDS", "3"))
ROUNDS_W64 = int(os.environ.get("SERANET_BENCH_ROUNDS_W64", "1"))
TRAIN_BATCH = 4


def _input(batch: int, h: int, w: int) -> tuple[ModelInput, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    image = torch.complex(
        torch.randn(batch, h, w, generator=g), torch.randn(batch, h, w, generator=g)
    )
    k = fft2c(image)
    mask = torch.rand(batch, 1, w, generator=g) < 0.3
    measured = torch.where(mask, k, torch.zeros((), dtype=k.dtype))
    inp = ModelInput(
        complex_to_channels(ifft2c(measured)), measured, mask, complex_to_channels(image)
    )
    labels = torch.randint(0, 4, (batch, h, w), generator=g)
    return inp, labels


def _model(name: str, width: int) -> SegmentationModel:
    torch.manual_seed(0)
    return build_model(
        ModelConfig("zero-filling" if name == "unet" else name, width=width, recon_width=width)
    )


def _rounds(kind: str, size: str, width: int) -> int:
    return ROUNDS_W64 if kind == "train" and width >= 64 else ROUNDS


def _run(benchmark: Any, fn: Callable[[], object], rounds: int, per: int) -> None:
    benchmark.extra_info["images_per_call"] = per
    benchmark.pedantic(fn, rounds=rounds, warmup_rounds=1, iterations=1)


@pytest.mark.parametrize("path", ["eager", "optimised"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", MODELS)
def test_train_step(benchmark: Any, name: str, size: str, width: int, path: str) -> None:
    model = _model(name, width).train()
    if path == "optimised":
        optimise_for_training(model)
    stage = model.stages()[-1]
    inp, labels = _input(TRAIN_BATCH, *ALL_SIZES[size])
    optimiser = torch.optim.Adam(model.stage_parameters(stage.name), lr=1e-4)

    def step() -> None:
        optimiser.zero_grad(set_to_none=True)
        out = model(inp, stage.name)
        loss = torch.zeros(())
        if stage.seg_weight:
            assert out.logits is not None
            loss = loss + stage.seg_weight * F.cross_entropy(out.logits, labels)
        if stage.recon_weight and out.recon_images:
            mse = torch.stack([F.mse_loss(r, inp.fully_sampled) for r in out.recon_images]).mean()
            loss = loss + stage.recon_weight * mse
        loss.backward()
        optimiser.step()

    _run(benchmark, step, _rounds("train", size, width), TRAIN_BATCH)


@pytest.mark.parametrize("path", ["eager", "optimised"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", MODELS)
def test_inference(benchmark: Any, name: str, size: str, width: int, path: str) -> None:
    model = _model(name, width).eval()
    inp, _ = _input(1, *ALL_SIZES[size])
    if path == "optimised":
        optimise_for_inference(model)

        def infer() -> object:
            with torch.inference_mode():
                return model(inp)

    else:

        def infer() -> object:
            with torch.no_grad():
                return model(inp)

    _run(benchmark, infer, _rounds("infer", size, width), 1)
