"""Shared fixtures: tiny seeded subject files in the layout ``mrsim simulate`` writes.

The images are smooth label-derived tissue contrasts with a phase ramp, Fourier transformed
with the centred orthonormal FFT, plus complex noise: enough for the networks to learn
something in one epoch, fast to write, and independent of the simulator's own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from scipy import ndimage

from kspace import fft2c

SHAPE = (40, 32)
INTENSITY = np.array([0.05, 1.0, 0.6, 0.35])  # background, CSF, GM, WM (T2-weighted order)


def _labels(rng: np.random.Generator, shape: tuple[int, int], k: int) -> np.ndarray:
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = h / 2 + rng.uniform(-1.5, 1.5), w / 2 + rng.uniform(-1.5, 1.5)
    ry, rx = h * rng.uniform(0.36, 0.42), w * rng.uniform(0.33, 0.4)
    r = np.hypot((y - cy) / (ry * (1 - 0.05 * k)), (x - cx) / (rx * (1 - 0.05 * k)))
    folds = 0.07 * np.sin(6 * np.arctan2(y - cy, x - cx) + rng.uniform(0, 2 * np.pi))
    labels = np.zeros(shape, np.uint8)
    labels[r < 1.0] = 1
    labels[r < 0.85 + folds] = 2
    labels[r < 0.55 + folds] = 3
    labels[np.hypot((y - cy) / 3.0, (x - cx) / 2.0) < 1.0] = 1
    return labels


def write_subject(path: Path, seed: int, slices: int = 4, shape: tuple[int, int] = SHAPE) -> Path:
    """One subject file with ``kspace``, ``labels``, ``tissue``, ``reconstruction_rss``."""
    rng = np.random.default_rng(seed)
    labels = np.stack([_labels(rng, shape, k) for k in range(slices)])
    images = np.stack([ndimage.gaussian_filter(INTENSITY[lab], 0.7) for lab in labels])
    phase = np.exp(1j * 0.4 * np.linspace(-1, 1, shape[0]))[:, None]
    kspace = fft2c((images * phase).astype(np.complex64))
    kspace = kspace + 0.03 * (
        rng.standard_normal(kspace.shape) + 1j * rng.standard_normal(kspace.shape)
    )
    with h5py.File(path, "w") as f:
        f.create_dataset("kspace", data=kspace.astype(np.complex64))
        f.create_dataset("labels", data=labels)
        f.create_dataset("tissue", data=labels.copy())
        f.create_dataset("reconstruction_rss", data=images.astype(np.float32))
        f.attrs.update(
            {
                "subject": path.stem,
                "phantom": "test-ellipses",
                "field_t": 1.5,
                "te_ms": np.full(slices, 80.0),
                "tr_ms": np.full(slices, 3000.0),
                "noise_level": 0.03,
                "noise_sigma": 0.03,
                "resolution_mm": 4.0,
                "slice_thickness_mm": 3.0,
                "engine": "test",
                "seed": seed,
                "mrsim_version": "test",
            }
        )
    return path


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five subjects of four 40 x 32 slices (split 3 / 1 / 1 by the smoke preset)."""
    root = tmp_path_factory.mktemp("data")
    for i in range(5):
        write_subject(root / f"subject{i:02d}.h5", seed=200 + i)
    return root


@pytest.fixture(scope="session")
def procedural_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke preset's dataset as mrsim simulates it (5 procedural heads of 4 slices)."""
    from bench.data import simulate
    from bench.presets import SMOKE

    out = tmp_path_factory.mktemp("procedural")
    simulate(SMOKE, out, 0.1, progress=False)
    return out


@pytest.fixture(scope="session")
def smoke(dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke preset's full comparison (every method, both Reg types) on ``dataset_dir``."""
    from bench.compare import compare
    from bench.presets import SMOKE

    out = tmp_path_factory.mktemp("smoke")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        compare(dataset_dir, out, SMOKE, device="cpu", progress=False)
    finally:
        torch.set_num_threads(before)
    return out


@pytest.fixture(autouse=True)
def _torch_threads() -> Iterator[None]:
    # The suite shares two cores with other jobs; keep torch from oversubscribing them.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
