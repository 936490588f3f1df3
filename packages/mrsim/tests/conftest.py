"""Shared fixtures and independent references for the mrsim tests."""

from __future__ import annotations

import math
import os
from pathlib import Path

# Before numba loads its OpenMP runtime (see mrsim.cli): spinning OpenMP workers made the
# procedural generator's kernels ~20x slower on the shared 2-core CI machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

from mrsim.sequence import SpinEcho
from mrsim.tissues import FAT_SHIFT_PPM, GAMMA_HZ_PER_T, TissueTable


def random_fractions(
    rng: np.random.Generator, height: int, width: int, mixing: float = 0.5
) -> np.ndarray:
    """Random 12-label fractions ``(12, H, W)`` summing to 1: crisp labels with mixed voxels."""
    labels = rng.integers(0, 12, size=(height, width))
    crisp = np.stack([(labels == t).astype(np.float64) for t in range(12)])
    mixed = rng.dirichlet(np.full(12, 0.4), size=(height, width)).transpose(2, 0, 1)
    use_mix = rng.random((height, width)) < mixing
    f = np.where(use_mix[None], mixed, crisp)
    return f / f.sum(axis=0, keepdims=True)


def brute_force_kspace(
    fractions: np.ndarray,
    te_ms: float,
    tr_ms: float,
    protocol: SpinEcho,
    table: TissueTable,
    b0_ppm: np.ndarray | None = None,
    sensitivities: np.ndarray | None = None,
) -> np.ndarray:
    """Direct evaluation of the spin-echo signal equation, sample by sample (float64).

    Written from the formula, independently of the engines: for every voxel, tissue and
    species, ``a exp(-tau R2 - |tau| R2' - i dw tau)`` times the 2D Fourier kernel.
    """
    _, h, w = fractions.shape
    ch, cw = h // 2, w // 2
    tau = (np.arange(h) - ch) / protocol.bandwidth_hz
    kh = (np.arange(h) - ch)[:, None]
    kw = (np.arange(w) - cw)[:, None]
    b0 = np.zeros((h, w)) if b0_ppm is None else b0_ppm
    sens = np.ones((1, h, w), complex) if sensitivities is None else sensitivities
    te, tr = te_ms * 1e-3, tr_ms * 1e-3
    out = np.zeros((sens.shape[0], h, w), dtype=np.complex128)
    for label in range(12):
        t = table[label]
        species = [(1.0 - t.fat_fraction, 0.0), (t.fat_fraction, FAT_SHIFT_PPM)]
        t1, t2 = t.t1_ms * 1e-3, t.t2_ms * 1e-3
        m_echo = (
            t.pd * (1 - 2 * math.exp(-(tr - te / 2) / t1) + math.exp(-tr / t1)) * math.exp(-te / t2)
        )
        r2 = 1 / t2 if protocol.readout_relaxation else 0.0
        r2p = (1 / (t.t2star_ms * 1e-3) - 1 / t2) if protocol.t2prime else 0.0
        for share, shift in species:
            if share == 0 or t.pd == 0:
                continue
            shift = shift if protocol.chemical_shift else 0.0
            for y in range(h):
                for x in range(w):
                    a = fractions[label, y, x] * share * m_echo
                    if a == 0:
                        continue
                    dw = 2 * math.pi * GAMMA_HZ_PER_T * protocol.field_t * 1e-6 * (b0[y, x] + shift)
                    readout = np.exp(-tau * r2 - np.abs(tau) * r2p - 1j * dw * tau)
                    enc_h = np.exp(-2j * math.pi * kh[:, 0] * (y - ch) / h) * readout
                    enc_w = np.exp(-2j * math.pi * kw[:, 0] * (x - cw) / w)
                    for c in range(sens.shape[0]):
                        out[c] += a * sens[c, y, x] * np.outer(enc_h, enc_w)
    return out / math.sqrt(h * w)


@pytest.fixture(scope="session")
def brainweb_dir() -> Path:
    """The BrainWeb directory from ``BRAINWEB_DIR``; skips when it is not set."""
    value = os.environ.get("BRAINWEB_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("BRAINWEB_DIR is not set to a directory with the BrainWeb models")
    return Path(value)


@pytest.fixture(scope="session")
def brute_force() -> object:
    """:func:`brute_force_kspace`, as a fixture (test modules cannot import conftest)."""
    return brute_force_kspace


@pytest.fixture(scope="session")
def make_fractions() -> object:
    """:func:`random_fractions`, as a fixture."""
    return random_fractions


def synthetic_head(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """A crisp int8 label volume of nested ellipsoids in BrainWeb's 12-label scheme."""
    rng = np.random.default_rng(seed)
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, n) for n in shape), indexing="ij")
    r = np.sqrt((z / 0.9) ** 2 + (y / rng.uniform(0.85, 0.95)) ** 2 + (x / 0.9) ** 2)
    labels = np.zeros(shape, dtype=np.int8)
    # outside -> in: skin, fat, skull, marrow, skull, dura, CSF, GM, WM
    for radius, label in [
        (1.0, 6),
        (0.93, 4),
        (0.88, 7),
        (0.85, 11),
        (0.82, 7),
        (0.79, 10),
        (0.76, 1),
        (0.72, 2),
        (0.6, 3),
    ]:
        labels[r < radius] = label
    labels[(np.abs(x) < 0.12) & (r < 0.35)] = 1  # ventricle
    labels[(r < 0.5) & (np.abs(x - 0.3) < 0.06)] = 9  # a sliver of another tissue
    return labels


def write_minc1(path: Path, labels: np.ndarray, compress: bool) -> None:
    """Write ``labels`` as a BrainWeb-like MINC1 file (0.5 mm), gzip'd when ``compress``."""
    import gzip
    import io

    from scipy.io import netcdf_file

    buf = io.BytesIO()
    with netcdf_file(buf, "w") as nc:
        for dim, n in zip(("zspace", "yspace", "xspace"), labels.shape, strict=True):
            nc.createDimension(dim, n)
        for dim, start in (("zspace", -72.25), ("yspace", -126.25), ("xspace", -90.25)):
            v = nc.createVariable(dim, "d", ())
            v.start = start
            v.step = 0.5
        img = nc.createVariable("image", "b", ("zspace", "yspace", "xspace"))
        img[:] = labels
        nc.flush()
        raw = buf.getvalue()
    path.write_bytes(gzip.compress(raw, mtime=0) if compress else raw)


@pytest.fixture(scope="session")
def synthetic_brainweb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with two small BrainWeb-like subjects (04: .mnc.gz, 05: .mnc)."""
    d = tmp_path_factory.mktemp("brainweb")
    write_minc1(d / "subject04_crisp_v.mnc.gz", synthetic_head((60, 144, 120), 4), compress=True)
    write_minc1(d / "subject05_crisp_v.mnc", synthetic_head((60, 128, 112), 5), compress=False)
    return d
