"""Benchmark fixtures: one realistic 216 x 180 slice and the reference implementations."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see mrsim.cli

import numpy as np
import pytest

from mrsim.engines._common import compartments, echo_magnetisation, off_resonance_rad_s
from mrsim.sequence import SpinEcho, b0_field_map
from mrsim.tissues import tissue_table

PROTOCOL = SpinEcho()
TE, TR = 80.0, 3000.0


def _torch_threads() -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def bench_slice() -> tuple[np.ndarray, np.ndarray, str]:
    """``(fractions (12, 216, 180) float32, B0 map (216, 180) ppm, source)``: the middle
    slice of BrainWeb subject 04 when ``BRAINWEB_DIR`` is set, else a procedural head."""
    _torch_threads()
    from mrsim import phantoms

    directory = os.environ.get("BRAINWEB_DIR")
    if directory and Path(directory).is_dir():
        path = phantoms.find_brainweb(directory, ["04"])[0]
        ph = phantoms.load_brainweb(path)
        source = "BrainWeb subject04, slice 28 of 57"
    else:
        ph = phantoms.procedural_phantom(0)
        source = "procedural00, slice 28 of 57"
    stack = phantoms.axial_slices(phantoms.crop_or_pad(ph), 57, 3.0)
    b0 = b0_field_map((57, 216, 180), PROTOCOL.b0_ppm, np.random.default_rng(0))
    return np.ascontiguousarray(stack.fractions[28]), b0[28], source


def numpy_separable(
    fractions: np.ndarray, b0: np.ndarray, protocol: SpinEcho = PROTOCOL
) -> np.ndarray:
    """The exact separable method in plain numpy: per readout sample, the readout-time
    factor of every voxel-compartment, a DFT row, then an FFT along the phase axis."""
    comp = compartments(tissue_table(protocol.field_t), protocol)
    amp_k = comp.weight * echo_magnetisation(comp.pd, comp.t1_s, comp.t2_s, TE, TR)
    amp = fractions[comp.label].astype(np.float64) * amp_k[:, None, None]
    height, width = fractions.shape[1:]
    c = height // 2
    tau = (np.arange(height) - c) * protocol.dwell_s
    rows = np.arange(height) - c
    dw_b0 = off_resonance_rad_s(b0, protocol.field_t)
    dw_cs = off_resonance_rad_s(comp.shift_ppm, protocol.field_t)
    r2, r2p = 1.0 / comp.t2_s, comp.r2prime
    hybrid = np.empty((height, width), dtype=np.complex128)
    for n, t in enumerate(tau):
        per_comp = np.exp(-t * r2 - abs(t) * r2p - 1j * t * dw_cs)
        voxel = np.tensordot(per_comp, amp, axes=1) * np.exp(-1j * t * dw_b0)
        kernel = np.exp(-2j * math.pi * (n - c) * rows / height)
        hybrid[n] = kernel @ voxel
    hybrid /= math.sqrt(height)
    return np.fft.fftshift(
        np.fft.fft(np.fft.ifftshift(hybrid, axes=-1), axis=-1, norm="ortho"), axes=-1
    )


def brute_force(fractions: np.ndarray, b0: np.ndarray, protocol: SpinEcho = PROTOCOL) -> np.ndarray:
    """Voxel-by-voxel sum of the signal equation over the whole k-space (a Python loop)."""
    comp = compartments(tissue_table(protocol.field_t), protocol)
    amp_k = comp.weight * echo_magnetisation(comp.pd, comp.t1_s, comp.t2_s, TE, TR)
    height, width = fractions.shape[1:]
    ch, cw = height // 2, width // 2
    tau = (np.arange(height) - ch) * protocol.dwell_s
    kh = np.arange(height) - ch
    kw = np.arange(width) - cw
    out = np.zeros((height, width), dtype=np.complex128)
    for k in range(comp.label.size):
        dw_cs = off_resonance_rad_s(comp.shift_ppm[k], protocol.field_t)
        for y, x in zip(*np.nonzero(fractions[comp.label[k]]), strict=True):
            a = fractions[comp.label[k], y, x] * amp_k[k]
            dw = off_resonance_rad_s(b0[y, x], protocol.field_t) + dw_cs
            read = np.exp(-tau / comp.t2_s[k] - np.abs(tau) * comp.r2prime[k] - 1j * dw * tau)
            enc_h = read * np.exp(-2j * math.pi * kh * (y - ch) / height)
            enc_w = np.exp(-2j * math.pi * kw * (x - cw) / width)
            out += a * np.outer(enc_h, enc_w)
    return out / math.sqrt(height * width)


def mrzero_kspace(labels: np.ndarray, b0: np.ndarray, protocol: SpinEcho = PROTOCOL) -> np.ndarray:
    """The same 2D spin echo simulated by MRzeroCore (its phase-distribution graph), ``(H, W)``.

    One tissue per voxel (``labels``), point voxels, the readout along MRzero's x axis.
    Conventions matched to ours: MRzero records an ADC sample at the end of its event (so the
    readout starts one dwell and one k-step early), and its refocusing pulse inverts the
    phase-encode moment applied before it.
    MRzero's signal scale differs from ours; compare after a least-squares complex scale.
    """
    import MRzeroCore as mr0
    import torch

    table = tissue_table(protocol.field_t)
    h, w = labels.shape

    def vol(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(np.asarray(a, dtype=np.float64)[:, :, None], dtype=torch.float32)

    r2p = table.array("r2prime_per_s")[labels]
    phantom = mr0.VoxelGridPhantom(
        vol(table.array("pd")[labels]),
        vol(table.array("t1_ms")[labels] * 1e-3),
        vol(table.array("t2_ms")[labels] * 1e-3),
        vol(1.0 / np.maximum(r2p, 1e-9) if protocol.t2prime else np.full((h, w), 1e9)),
        vol(np.zeros((h, w))),
        vol(b0 * off_resonance_rad_s(1.0, protocol.field_t) / (2 * math.pi)),
        torch.ones(1, h, w, 1),
        torch.ones(1, h, w, 1, dtype=torch.complex64),
        torch.eye(4),
    )
    phantom.size = torch.tensor([h / 1000, w / 1000, 1 / 1000])
    data = phantom.build(voxel_shape="point")
    dt, te, tr = protocol.dwell_s, TE * 1e-3, TR * 1e-3
    seq = mr0.Sequence()
    for line in range(-2, w):  # two dummy repetitions reach the steady state
        rep = seq.new_rep(2)
        rep.pulse.usage = mr0.PulseUsage.EXCIT
        rep.pulse.angle = torch.tensor(math.pi / 2)
        rep.pulse.phase = torch.tensor(math.pi / 2)
        rep.event_time[0] = te / 2 - 1e-4
        rep.gradm[0, 0] = h // 2 + 1  # prewinder, inverted by the 180
        rep.gradm[0, 1] = -(line - w // 2) if line >= 0 else 0  # inverted by the 180
        rep.event_time[1] = 1e-4
        rep = seq.new_rep(h + 2)
        rep.pulse.usage = mr0.PulseUsage.REFOC
        rep.pulse.angle = torch.tensor(math.pi)
        rep.event_time[0] = te / 2 - (h // 2 + 1) * dt
        rep.event_time[1:-1] = dt
        rep.gradm[1:-1, 0] = 1.0
        if line >= 0:
            rep.adc_usage[1:-1] = 1
        rep.event_time[-1] = tr - te - (h - h // 2 - 1) * dt
        rep.gradm[-1, 0] = 8 * h  # spoilers
        rep.gradm[-1, 1] = 8 * w
    graph = mr0.compute_graph(seq, data, 200, 1e-3)
    signal = mr0.execute_graph(graph, seq, data, print_progress=False)
    return np.asarray(signal[:, 0].numpy().reshape(w, h).T)


@pytest.fixture(scope="session")
def references() -> dict[str, Callable[..., np.ndarray]]:
    """The reference implementations, by name."""
    return {"numpy_separable": numpy_separable, "brute_force": brute_force, "mrzero": mrzero_kspace}
