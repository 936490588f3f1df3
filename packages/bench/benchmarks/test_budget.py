"""Training-step cost of every Table 1 model at the ``cpu`` preset's size (the preset's budget).

One optimiser step per round on a batch of 12 random 108 x 90 inputs, every stage of each
model, one torch thread (the setting ``--jobs 2`` uses). Divide the median by 12 for the
per-image times in ``packages/bench/README.md``; multiply by 855 training slices for an epoch.
Run with ``pytest packages/bench/benchmarks --benchmark-only`` (or ``nox -s bench``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from bench.presets import CPU
from seranet.models import ModelInput, build_model

H, W, BATCH = 108, 90, 12
CASES = [
    (method, recon_type, stage)
    for method, recon_type, stages in [
        ("zero-filling", "A", ("train",)),
        ("two-step", "A", ("recon-pretrain", "train")),
        ("joint", "A", ("train",)),
        ("joint", "B", ("train",)),
        ("segnetmri", "A", ("recon-pretrain", "seg-pretrain", "finetune")),
        ("seranet-1", "A", ("train",)),
        ("seranet-3", "A", ("train",)),
        ("seranet-3", "B", ("train",)),
        ("seranet-3++", "B", ("recon-pretrain", "seg-pretrain", "finetune")),
    ]
    for stage in stages
]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _inputs() -> tuple[ModelInput, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    mask = torch.rand(BATCH, 1, W, generator=g) < CPU.sampling
    measured = torch.randn(BATCH, H, W, dtype=torch.complex64, generator=g) * mask
    inp = ModelInput(
        torch.randn(BATCH, 2, H, W, generator=g),
        measured,
        mask,
        torch.randn(BATCH, 2, H, W, generator=g),
    )
    return inp, torch.randint(0, 4, (BATCH, H, W), generator=g)


@pytest.mark.parametrize(("method", "recon_type", "stage"), CASES)
def test_training_step(benchmark: Any, method: str, recon_type: str, stage: str) -> None:
    torch.manual_seed(0)
    model = build_model(CPU.model_config(method, recon_type))
    spec = next(s for s in model.stages() if s.name == stage)
    optimiser = torch.optim.Adam(model.stage_parameters(stage), lr=CPU.lr)
    inp, labels = _inputs()
    model.train()

    def step() -> float:
        out = model(inp, stage)
        loss = torch.zeros(())
        if spec.seg_weight:
            assert out.logits is not None
            loss = loss + spec.seg_weight * F.cross_entropy(out.logits, labels)
        if spec.recon_weight:
            loss = (
                loss
                + spec.recon_weight
                * torch.stack([F.mse_loss(r, inp.fully_sampled) for r in out.recon_images]).mean()
            )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        return float(loss.detach())

    step()  # warm-up: allocations, first-call overheads
    loss = benchmark.pedantic(step, rounds=3, iterations=1)
    assert torch.isfinite(torch.tensor(loss))
