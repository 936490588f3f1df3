"""Per-slice k-space time: fast engine vs references vs the plain FFT floor (vs MRzeroCore).

Run: ``BRAINWEB_DIR=... pytest packages/mrsim/benchmarks --benchmark-only``. MRzeroCore runs
only when importable (``pip install mrzerocore`` in a separate environment).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import kspace
from mrsim.engines import bloch, fast
from mrsim.sequence import SpinEcho

PROTOCOL = SpinEcho()
TE, TR = 80.0, 3000.0


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _downsample(
    fractions: np.ndarray, b0: np.ndarray, factor: int
) -> tuple[np.ndarray, np.ndarray]:
    _, h, w = fractions.shape
    f = fractions[:, : h - h % factor, : w - w % factor].reshape(
        12, h // factor, factor, w // factor, factor
    )
    return np.ascontiguousarray(f.mean(axis=(2, 4))), b0[::factor, ::factor][
        : h // factor, : w // factor
    ]


@pytest.mark.benchmark(group="slice 216x180, all compartments and effects")
def test_fast_engine(benchmark: Any, bench_slice: tuple[np.ndarray, np.ndarray, str]) -> None:
    f, b0, source = bench_slice
    k = benchmark(fast.simulate_slice, f, TE, TR, PROTOCOL, b0_ppm=b0)
    image = fast.magnetisation_image(f, TE, TR, PROTOCOL)
    benchmark.extra_info["source"] = source
    benchmark.extra_info["rel_diff_vs_plain_fft2"] = _rel(kspace.fft2c(image), k[0])


@pytest.mark.benchmark(group="slice 216x180, all compartments and effects")
def test_numpy_separable_reference(
    benchmark: Any,
    bench_slice: tuple[np.ndarray, np.ndarray, str],
    references: dict[str, Callable[..., np.ndarray]],
) -> None:
    f, b0, _ = bench_slice
    ref = benchmark.pedantic(references["numpy_separable"], args=(f, b0), rounds=3, iterations=1)
    benchmark.extra_info["rel_diff_fast_vs_this"] = _rel(
        fast.simulate_slice(f, TE, TR, PROTOCOL, b0_ppm=b0)[0], ref
    )


@pytest.mark.benchmark(group="slice 216x180, all compartments and effects")
def test_plain_fft2_floor(benchmark: Any, bench_slice: tuple[np.ndarray, np.ndarray, str]) -> None:
    image = fast.magnetisation_image(bench_slice[0], TE, TR, PROTOCOL).astype(np.complex64)
    benchmark(kspace.fft2c, image)


@pytest.mark.benchmark(group="slice 216x180, all compartments and effects")
def test_mrzerocore(benchmark: Any, bench_slice: tuple[np.ndarray, np.ndarray, str]) -> None:
    mr0 = pytest.importorskip("MRzeroCore")
    import torch

    from mrsim.tissues import GAMMA_HZ_PER_T, tissue_table

    f, b0, _ = bench_slice
    table = tissue_table(PROTOCOL.field_t)
    dominant = np.argmax(f, axis=0)  # MRzero voxels carry one T1/T2: the dominant tissue
    pd = np.where(table.array("pd")[dominant] > 0, f.max(axis=0) * table.array("pd")[dominant], 0.0)
    h, w = dominant.shape

    def vol(a: np.ndarray) -> torch.Tensor:
        # MRzero axes (x, y, z): readout along x = our H
        return torch.tensor(a[:, :, None], dtype=torch.float32)

    t2 = table.array("t2_ms")[dominant] * 1e-3
    t2dash = 1.0 / np.maximum(table.array("r2prime_per_s")[dominant], 1e-3)
    phantom = mr0.VoxelGridPhantom(
        vol(pd),
        vol(table.array("t1_ms")[dominant] * 1e-3),
        vol(t2),
        vol(t2dash),
        vol(np.zeros((h, w))),
        vol(b0 * GAMMA_HZ_PER_T * PROTOCOL.field_t * 1e-6),
        torch.ones(1, h, w, 1),
        torch.ones(1, h, w, 1, dtype=torch.complex64),
        torch.eye(4),
    )
    phantom.size = torch.tensor([h / 1000, w / 1000, 1 / 1000])
    data = phantom.build(voxel_shape="point")
    dt = PROTOCOL.dwell_s
    seq = mr0.Sequence()
    for line in range(w):
        rep = seq.new_rep(2)
        rep.pulse.usage = mr0.PulseUsage.EXCIT
        rep.pulse.angle = torch.tensor(np.pi / 2)
        rep.pulse.phase = torch.tensor(np.pi / 2)
        rep.event_time[0] = TE * 1e-3 / 2 - 1e-3
        rep.gradm[0, 0] = h // 2  # readout prewinder (inverted by the 180)
        rep.gradm[0, 1] = line - w // 2
        rep.event_time[1] = 1e-3
        rep = seq.new_rep(h + 2)
        rep.pulse.usage = mr0.PulseUsage.REFOC
        rep.pulse.angle = torch.tensor(np.pi)
        rep.event_time[0] = TE * 1e-3 / 2 - (h // 2) * dt
        rep.event_time[1:-1] = dt
        rep.gradm[1:-1, 0] = 1.0
        rep.adc_usage[1:-1] = 1
        rep.event_time[-1] = TR * 1e-3 - TE * 1e-3
        rep.gradm[-1, 0] = 4 * h  # spoiler

    def run() -> torch.Tensor:
        graph = mr0.compute_graph(seq, data, 200, 1e-3)
        return mr0.execute_graph(graph, seq, data, print_progress=False)

    signal = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["samples"] = int(signal.shape[0])
    benchmark.extra_info["note"] = "one tissue per voxel (dominant), default PDG thresholds"


@pytest.mark.benchmark(group="small slice 54x45")
def test_fast_engine_small(benchmark: Any, bench_slice: tuple[np.ndarray, np.ndarray, str]) -> None:
    f, b0 = _downsample(*bench_slice[:2], 4)
    benchmark(fast.simulate_slice, f, TE, TR, PROTOCOL, b0_ppm=b0)


@pytest.mark.benchmark(group="small slice 54x45")
def test_brute_force_small(
    benchmark: Any,
    bench_slice: tuple[np.ndarray, np.ndarray, str],
    references: dict[str, Callable[..., np.ndarray]],
) -> None:
    f, b0 = _downsample(*bench_slice[:2], 4)
    ref = benchmark.pedantic(references["brute_force"], args=(f, b0), rounds=1, iterations=1)
    benchmark.extra_info["rel_diff_fast_vs_this"] = _rel(
        fast.simulate_slice(f, TE, TR, PROTOCOL, b0_ppm=b0)[0], ref
    )


@pytest.mark.benchmark(group="small slice 54x45")
def test_numpy_separable_small(
    benchmark: Any,
    bench_slice: tuple[np.ndarray, np.ndarray, str],
    references: dict[str, Callable[..., np.ndarray]],
) -> None:
    f, b0 = _downsample(*bench_slice[:2], 4)
    benchmark(references["numpy_separable"], f, b0)


@pytest.mark.benchmark(group="small slice 54x45")
def test_bloch_engine_small(
    benchmark: Any, bench_slice: tuple[np.ndarray, np.ndarray, str]
) -> None:
    f, b0 = _downsample(*bench_slice[:2], 4)
    k = benchmark.pedantic(
        bloch.simulate_slice,
        args=(f, TE, TR, PROTOCOL),
        kwargs={"b0_ppm": b0, "isochromats": 32},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info["rel_diff_fast_vs_this"] = _rel(
        fast.simulate_slice(f, TE, TR, PROTOCOL, b0_ppm=b0), k
    )
