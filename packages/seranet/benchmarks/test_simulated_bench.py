"""Cost of one on-the-fly simulated sample against one SERANet-3 training step, on one core.

Run::

    python -m pytest packages/seranet/benchmarks/test_simulated_bench.py --benchmark-only -s

The sample (108 x 90, a procedural head's slab, deformed, acquired, masked) is timed by
pytest-benchmark; the SERANet-3 step (the ``cpu`` preset's network: width 8, depth 4, Reg width
16, three B blocks, batch 4, forward + backward + Adam) is timed in the same run, and the ratio
is printed and stored in the benchmark's ``extra_info``. Both on one thread: the DataLoader
worker making samples and the trainer each have a core of their own.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("mrsim", reason="the simulated source needs mrsim (seranet[simulate])")

from kspace import create_mask
from seranet.data import collate
from seranet.models import ModelConfig, build_model, optimise_for_training
from seranet.simulated import HeadPool, SimulatedSlices, SimulationConfig

torch.set_num_threads(1)


def _step_seconds(batch: object, rounds: int = 5) -> float:
    torch.manual_seed(0)
    model = build_model(
        ModelConfig("seranet-3", recon_type="B", width=8, depth=4, recon_width=16, recon_blocks=3)
    )
    optimise_for_training(model)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, labels = batch.inputs, batch.labels  # type: ignore[attr-defined]

    def step() -> None:
        optimiser.zero_grad(set_to_none=True)
        out = model(inputs, "train")
        F.cross_entropy(out.logits, labels).backward()
        optimiser.step()

    step()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def test_simulated_sample_vs_seranet3_step(benchmark: pytest.FixtureRequest) -> None:
    mask = create_mask("gaussian-lines", fraction=0.3, center_lines=8)
    source = SimulatedSlices(HeadPool(procedural=1), SimulationConfig(1000), mask, seed=0)
    source.heads()  # loading the pool is a one-off per worker, not per sample
    counter = iter(range(10**6))
    benchmark.group = "simulated source vs training step (108 x 90, one thread)"
    benchmark.pedantic(lambda: source[next(counter) % 1000], rounds=30, warmup_rounds=2)
    sample = float(benchmark.stats.stats.median)
    step = _step_seconds(collate([source[i] for i in range(4)]))
    benchmark.extra_info.update(
        sample_seconds=sample, seranet3_step_seconds=step, ratio=sample / step
    )
    print(
        f"\nsimulated sample {sample * 1e3:.1f} ms, SERANet-3 step (batch 4) {step * 1e3:.0f} ms:"
        f" a sample costs {100 * sample / step:.1f} % of a step"
    )
