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


def _mrzero_case(
    benchmark: Any,
    fractions: np.ndarray,
    b0: np.ndarray,
    references: dict[str, Callable[..., np.ndarray]],
) -> None:
    pytest.importorskip("MRzeroCore")
    labels = np.argmax(fractions, axis=0)
    crisp = (labels[None] == np.arange(12)[:, None, None]).astype(np.float64)
    protocol = SpinEcho(chemical_shift=False)  # MRzero voxels are one tissue, one frequency
    k = benchmark.pedantic(
        references["mrzero"], args=(labels, b0, protocol), rounds=1, iterations=1
    )
    ours = fast.simulate_slice(crisp, TE, TR, protocol, b0_ppm=b0)[0]
    scale = np.vdot(k, ours) / np.vdot(k, k)
    benchmark.extra_info["rel_diff_fast_vs_this_after_scale"] = _rel(scale * k, ours)
    benchmark.extra_info["note"] = (
        "crisp labels, no chemical shift; PDG thresholds 200 states, 1e-3"
    )


@pytest.mark.benchmark(group="slice 216x180, all compartments and effects")
def test_mrzerocore(
    benchmark: Any,
    bench_slice: tuple[np.ndarray, np.ndarray, str],
    references: dict[str, Callable[..., np.ndarray]],
) -> None:
    _mrzero_case(benchmark, bench_slice[0], bench_slice[1], references)


@pytest.mark.benchmark(group="small slice 54x45")
def test_mrzerocore_small(
    benchmark: Any,
    bench_slice: tuple[np.ndarray, np.ndarray, str],
    references: dict[str, Callable[..., np.ndarray]],
) -> None:
    _mrzero_case(benchmark, *_downsample(*bench_slice[:2], 4), references)


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
