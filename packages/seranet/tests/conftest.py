"""Shared fixtures: tiny seeded subject files in the layout ``mrsim simulate`` writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch
from scipy import ndimage

from kspace import fft2c

SHAPE = (32, 32)
INTENSITY = {0: 0.0, 1: 1.0, 2: 0.55, 3: 0.3}  # T2-weighted-like: CSF bright, WM dark

WriteSubject = Callable[..., Path]


def phantom_labels(
    rng: np.random.Generator, shape: tuple[int, int], slice_index: int
) -> np.ndarray:
    """Nested ellipses: CSF rim, GM ribbon, WM core, CSF ventricle; varied per subject/slice."""
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = h / 2 + rng.uniform(-1.5, 1.5), w / 2 + rng.uniform(-1.5, 1.5)
    ry, rx = h * rng.uniform(0.36, 0.42), w * rng.uniform(0.32, 0.4)
    shrink = 1.0 - 0.04 * slice_index
    r = np.hypot((y - cy) / (ry * shrink), (x - cx) / (rx * shrink))
    angle = np.arctan2(y - cy, x - cx)
    folds = 0.06 * np.sin(5 * angle + rng.uniform(0, 2 * np.pi))
    labels = np.zeros(shape, np.uint8)
    labels[r < 1.0] = 1
    labels[r < 0.85 + folds] = 2
    labels[r < 0.6 + folds] = 3
    vy, vx = cy + rng.uniform(-1, 1), cx + rng.uniform(-1, 1)
    labels[np.hypot((y - vy) / 3.0, (x - vx) / 2.0) < 1.0] = 1
    return labels


def write_subject(
    path: Path,
    *,
    seed: int,
    slices: int = 3,
    shape: tuple[int, int] = SHAPE,
    noise: float = 0.02,
    resolution_mm: float = 2.0,
    kspace_override: np.ndarray | None = None,
    drop: tuple[str, ...] = (),
    multicoil: bool = False,
) -> Path:
    """One subject file: k-space = fft2c of a smooth label-derived complex image + noise."""
    rng = np.random.default_rng(seed)
    labels = np.stack([phantom_labels(rng, shape, k) for k in range(slices)])
    lut = np.array([INTENSITY[c] for c in range(4)])
    images = np.stack([ndimage.gaussian_filter(lut[lab], 0.6) for lab in labels])
    yy = np.linspace(-1, 1, shape[0])[:, None]
    phase = np.exp(1j * (0.3 * yy + 0.1 * rng.standard_normal()))
    complex_images = (images * phase).astype(np.complex64)
    kspace = fft2c(complex_images)
    kspace = kspace + noise * (
        rng.standard_normal(kspace.shape) + 1j * rng.standard_normal(kspace.shape)
    )
    kspace = kspace.astype(np.complex64)
    if kspace_override is not None:
        kspace = kspace_override
    if multicoil:
        kspace = np.stack([kspace, kspace], axis=1)
    data: dict[str, Any] = {
        "kspace": kspace,
        "labels": labels,
        "tissue": labels.copy(),
        "reconstruction_rss": np.abs(complex_images).astype(np.float32),
    }
    with h5py.File(path, "w") as f:
        for key, value in data.items():
            if key not in drop:
                f.create_dataset(key, data=value)
        f.attrs.update(
            {
                "subject": path.stem,
                "phantom": "test-ellipses",
                "field_t": 1.5,
                "te_ms": np.full(slices, 80.0),
                "tr_ms": np.full(slices, 3000.0),
                "noise_level": noise,
                "noise_sigma": noise,
                "slice_thickness_mm": 3.0,
                "engine": "test",
                "seed": seed,
                "mrsim_version": "test",
            }
        )
        if "resolution_mm" not in drop:
            f.attrs["resolution_mm"] = resolution_mm
    return path


@pytest.fixture(scope="session")
def make_subject() -> WriteSubject:
    """The subject-file writer, for tests that need odd files."""
    return write_subject


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five subjects of three 32 x 32 slices (split 3 / 1 / 1 with the default 15/2/3)."""
    root = tmp_path_factory.mktemp("data")
    for i in range(5):
        write_subject(root / f"subject{i:02d}.h5", seed=100 + i)
    return root


@pytest.fixture(autouse=True)
def _torch_threads() -> Iterator[None]:
    # Tests share two cores with other jobs; keep torch from oversubscribing.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
