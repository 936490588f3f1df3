"""Experiment presets: data, model and training settings of a whole comparison, frozen.

Four presets ship with the package (their wall times are in the package README):

* ``smoke``: a tiny procedural dataset, tiny networks, one epoch; used by the test-suite and
  to check an installation. Its numbers mean nothing.
* ``demo``: what ``nox -s demo`` runs: a few procedural subjects, Fully-sampled, Zero-filling,
  Joint and a small SERANet trained briefly.
* ``cpu``: the paper's protocol on real BrainWeb anatomy at 2 mm (108 x 90 images), narrow
  networks and few epochs, sized for 2 CPU cores.
* ``cpu-converged``: ``cpu`` trained to convergence (3x the epochs under the recipe the
  time-to-accuracy study chose on validation data, ``docs/results/convergence/``).
* ``cpu-randomised``: ``cpu-converged`` trained on samples simulated afresh from randomised
  anatomy and protocol instead of the training files.
* ``paper``: the paper's settings (1 mm, 216 x 180 images, UNet width 64 and 5 levels,
  50 epochs, batch 12), for a GPU.

Every output directory gets the preset it was made with (``preset.json``), so a table can
always be traced back to its settings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from seranet.models import ModelConfig, parse_model_name

__all__ = [
    "CPU",
    "CPU_CONVERGED",
    "CPU_RANDOMISED",
    "CPU_TRAINING",
    "DEMO",
    "PAPER",
    "PRESETS",
    "RECON_FREE",
    "RECON_TYPES",
    "REFERENCES",
    "SMOKE",
    "SOURCES",
    "TABLE_METHODS",
    "Preset",
    "get_preset",
]

REFERENCES: tuple[str, str] = ("fully-sampled", "zero-filling")
"""The reference methods, in this order: a UNet on the fully-sampled and on the zero-filled
image. They have no reconstruction module, so no Reg block type and no K; the share of the gap
between them a method recovers is :func:`bench.tables.gap_recovered`."""

TABLE_METHODS: tuple[str, ...] = (
    *REFERENCES,
    "segnetmri",
    "two-step",
    "joint",
    "seranet-1",
    "seranet-2",
    "seranet-3",
    "seranet-3++",
)
"""The rows of the paper's Tables 1 and 2, in its order (registry names of :mod:`seranet.models`)."""

RECON_FREE: frozenset[str] = frozenset({*REFERENCES, "segnetmri"})
"""Methods whose network does not depend on the Reg block type: trained once, ``recon_type`` null.

The :data:`REFERENCES` have no reconstruction module; SegNetMRI always uses its own
encoder-decoders (the paper reports the same numbers for it under type A and type B).
"""

RECON_TYPES: tuple[str, ...] = ("A", "B")
"""Reg block types: A cascaded CNN, B encoder-decoder."""


SOURCES: tuple[str, ...] = ("files", "simulated")
"""Where a preset's training samples come from (:attr:`Preset.source`)."""


@dataclass(frozen=True)
class Preset:
    """Settings of one comparison: dataset to simulate, networks, training, what to run."""

    name: str
    """Preset name (``smoke``, ``demo``, ``cpu``, ``cpu-converged``, ``cpu-randomised``, ``paper``)."""
    description: str
    """One line for humans."""
    phantom: str
    """Phantom source for simulated datasets: ``procedural`` (built in) or ``brainweb``."""
    subjects: int
    """Subjects to simulate (BrainWeb has 20 normal models)."""
    slices: int
    """Axial slices per subject (the paper: 57 of 3 mm)."""
    resolution_mm: float
    """In-plane resolution of the simulated images (1 mm gives 216 x 180, 2 mm 108 x 90)."""
    noise_levels: tuple[float, ...]
    """Noise levels of the datasets ``reproduce`` simulates (Table 1: 0.10, Table 2: 0.20)."""
    width: int
    """Channels of the segmentation UNet's first level (the paper: 64)."""
    depth: int
    """UNet levels including the bottleneck (the paper: 5, i.e. 64..1024)."""
    recon_width: int
    """Channels inside the Reg / AttReg blocks (the paper: 64)."""
    recon_blocks: int
    """K, the (Reg -> DC) cascades of the reconstruction module."""
    epochs: int
    """Epochs of the ``train`` / ``finetune`` stages."""
    pretrain_epochs: int | None
    """Epochs of the pre-training stages (None: same as ``epochs``)."""
    batch_size: int
    """Slices per optimiser step."""
    lr: float = 1e-4
    """Initial Adam learning rate."""
    lr_step: int = 20
    """Epochs between halvings of the learning rate."""
    lr_schedule: str = "step"
    """``step`` or ``cosine`` (see :mod:`seranet.train.schedule`)."""
    lr_hold: int = 0
    """Epochs by which the step decays are delayed."""
    warmup_epochs: int = 0
    """Epochs of linear learning-rate warm-up per stage."""
    sampling: float = 0.3
    """Fraction of phase-encode lines kept."""
    center_lines: int = 16
    """Fully sampled centre lines (16 at 180 phase-encode lines; scaled with the matrix)."""
    split: tuple[int, int, int] = (15, 2, 3)
    """Subjects for training, validation (checkpoint selection) and testing."""
    methods: tuple[str, ...] = TABLE_METHODS
    """Methods of Tables 1 and 2."""
    recon_types: tuple[str, ...] = RECON_TYPES
    """Reg block types of Table 1."""
    seeds: int = 1
    """Seeds of each method in :attr:`seeded_methods` (the others run with seed 0 only)."""
    seeded_methods: tuple[str, ...] = ("joint", "seranet-3", "seranet-3++")
    """The key comparisons, repeated over :attr:`seeds` seeds so gaps can be set against spread."""
    table2_recon_types: tuple[str, ...] = RECON_TYPES
    """Reg block types of Table 2 (the 20 % noise dataset); one seed there."""
    ablation_blocks: tuple[int, ...] = (1, 2, 3, 4, 5)
    """Numbers of reconstruction blocks in the Fig. 6 ablation."""
    ablation_methods: tuple[str, ...] = ("two-step", "joint", "seranet-3")
    """Methods of the Fig. 6 ablation."""
    ablation_recon_types: tuple[str, ...] = RECON_TYPES
    """Reg block types of the Fig. 6 ablation."""
    eval_seed: int = 0
    """Seed of the validation and test masks (``TrainConfig.eval_seed``): every method and
    seed is validated and scored on the same inputs."""
    source: str = "files"
    """Training samples: ``files`` (the dataset's training split, the paper's way) or
    ``simulated`` (each sample simulated afresh from randomised anatomy and protocol,
    :mod:`seranet.simulated`; validation and test stay on the dataset's files)."""
    procedural_heads: int = 0
    """``simulated``: procedural heads in the pool of anatomies, beside the BrainWeb training
    subjects of a ``brainweb`` preset (a ``procedural`` preset draws from these alone)."""

    def __post_init__(self) -> None:
        if self.phantom not in ("procedural", "brainweb"):
            raise ValueError(f"phantom must be 'procedural' or 'brainweb'; got {self.phantom!r}")
        for name in ("subjects", "slices", "width", "depth", "recon_width", "recon_blocks"):
            _positive(name, getattr(self, name))
        for name in ("epochs", "batch_size", "lr_step", "seeds"):
            _positive(name, getattr(self, name))
        if self.pretrain_epochs is not None:
            _positive("pretrain_epochs", self.pretrain_epochs)
        if not self.resolution_mm > 0:
            raise ValueError(f"resolution_mm must be > 0; got {self.resolution_mm}")
        if not self.noise_levels or any(not 0 <= n < 10 for n in self.noise_levels):
            raise ValueError(f"noise_levels must be fractions >= 0; got {self.noise_levels}")
        if len(self.split) != 3 or any(int(v) != v or v < 1 for v in self.split):
            raise ValueError(f"split must be three positive integers; got {self.split}")
        for group in ("methods", "seeded_methods", "ablation_methods"):
            for method in getattr(self, group):
                parse_model_name(method)
        for group in ("recon_types", "table2_recon_types", "ablation_recon_types"):
            for t in getattr(self, group):
                if t not in RECON_TYPES:
                    raise ValueError(f"{group} must hold 'A' or 'B'; got {t!r}")
        for k in self.ablation_blocks:
            _positive("ablation_blocks", k)
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {self.source!r}")
        if self.procedural_heads < 0:
            raise ValueError(f"procedural_heads must be >= 0; got {self.procedural_heads}")
        if (
            self.source == "simulated"
            and self.phantom == "procedural"
            and not self.procedural_heads
        ):
            raise ValueError(
                "a procedural preset trained on the simulated source needs procedural heads (procedural_heads > 0)"
            )

    def model_config(
        self, method: str, recon_type: str | None, recon_blocks: int | None = None
    ) -> ModelConfig:
        """The architecture of ``method`` under this preset (``recon_type`` None: type A, unused)."""
        return ModelConfig(
            name=method,
            recon_type=recon_type or "A",
            recon_blocks=recon_blocks or self.recon_blocks,
            width=self.width,
            depth=self.depth,
            recon_width=self.recon_width,
        )

    def seeds_for(self, method: str, seeds: int | None = None) -> tuple[int, ...]:
        """Seeds ``method`` runs with: ``seeds`` (default :attr:`seeds`) for the key methods, else (0,)."""
        n = self.seeds if seeds is None else seeds
        return tuple(range(n)) if method in self.seeded_methods else (0,)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (tuples become lists)."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Preset:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def with_overrides(self, **changes: Any) -> Preset:
        """A copy with the non-None ``changes`` applied and named after them (``cpu+epochs=16``),
        so every table and ``preset.json`` made with it says it is not the preset as shipped."""
        given = {k: v for k, v in changes.items() if v is not None}
        if not given:
            return self
        suffix = ",".join(f"{k}={v}" for k, v in given.items())
        return self.replace(name=f"{self.name}+{suffix}", **given)


def _positive(name: str, value: Any) -> None:
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}")


SMOKE = Preset(
    name="smoke",
    description="tiny procedural dataset and networks, 1 epoch: checks the pipeline, not the method",
    phantom="procedural",
    subjects=5,
    slices=4,
    resolution_mm=4.0,
    noise_levels=(0.10, 0.20),
    width=4,
    depth=3,
    recon_width=8,
    recon_blocks=2,
    epochs=1,
    pretrain_epochs=1,
    batch_size=4,
    center_lines=4,
    split=(3, 1, 1),
    seeds=1,
    ablation_blocks=(1, 2),
)
"""Smoke test: 5 procedural subjects (3 train / 1 val / 1 test) of 4 slices at 4 mm
(54 x 45 images), UNet width 4 with 3 levels, 2 reconstruction blocks, one epoch per stage."""

PAPER = Preset(
    name="paper",
    description="the paper's settings (1 mm, width 64, depth 5, 50 epochs, batch 12), for a GPU",
    phantom="brainweb",
    subjects=20,
    slices=57,
    resolution_mm=1.0,
    noise_levels=(0.10, 0.20),
    width=64,
    depth=5,
    recon_width=64,
    recon_blocks=3,
    epochs=50,
    pretrain_epochs=None,
    batch_size=12,
    lr=1e-4,
    lr_step=20,
    center_lines=16,
    split=(15, 2, 3),
    seeds=3,
)
"""The paper's settings (section 4.2): Adam, lr 1e-4 halved every 20 epochs, 50 epochs, batch
12, 30 % of the lines with 16 centre lines, 1 mm BrainWeb (216 x 180), 15 / 2 / 3 subjects.
The paper does not state K; 3 blocks is the middle of its Fig. 6 range."""

CPU_TRAINING: dict[str, Any] = {
    "epochs": 8,
    "pretrain_epochs": 4,
    "batch_size": 4,
    "lr": 1e-3,
    "lr_step": 3,
}
"""The ``cpu`` preset's training: 8 epochs (4 for pre-training stages), batch 4, Adam lr 1e-3
halved every 3 epochs (also the base of :data:`bench.anchor.ANCHOR`)."""

CPU = PAPER.replace(
    name="cpu",
    description="BrainWeb at 2 mm (108 x 90), narrow networks, 8 epochs: the paper's protocol on 2 CPU cores",
    resolution_mm=2.0,
    width=8,
    depth=4,
    recon_width=16,
    center_lines=8,
    table2_recon_types=("B",),
    ablation_blocks=(1, 3, 5),
    **CPU_TRAINING,
)
"""CPU preset: the paper's protocol (20 BrainWeb subjects x 57 slices, 15 / 2 / 3, 30 % of the
lines) at 2 mm (108 x 90 images, 8 of 90 centre lines = the paper's 16 of 180), UNet width 8
with 4 levels, Reg width 16, K = 3, 8 epochs (4 for pre-training stages), Adam lr 1e-3 halved
every 3 epochs, batch 4. Why batch 4 and what it costs: the package README."""

CPU_CONVERGED = CPU.replace(
    name="cpu-converged",
    description="the cpu preset trained to convergence: 24 epochs (pre-training 12), lr 1e-3 "
    "held 8 epochs, then halved every 4",
    epochs=24,
    pretrain_epochs=12,
    lr_step=4,
    lr_hold=4,
)
"""The ``cpu`` preset trained until every method of the time-to-accuracy study converged
(``bench convergence``; its ``hold-step`` recipe, chosen on validation data only by
:func:`bench.convergence.choose_recipe`): 24 epochs (12 for pre-training stages), Adam lr 1e-3
for epochs 1-8, then halved at epochs 9, 13, 17 and 21 (pre-training stages: at epoch 9).
Measured cost of one run (seed 0, type B, one thread): Fully-sampled / Zero-filling 0.11 CPU h,
Two-step 0.42, Joint 0.44, SERANet-3 1.25, SERANet-3++ 1.59."""

CPU_RANDOMISED = CPU_CONVERGED.replace(
    name="cpu-randomised",
    description="cpu-converged trained on samples simulated afresh (randomised anatomy and "
    "protocol; BrainWeb training subjects and 20 procedural heads)",
    source="simulated",
    procedural_heads=20,
)
"""``cpu-converged`` with every training sample simulated afresh (:mod:`seranet.simulated`):
the anatomy is a BrainWeb training subject or one of 20 procedural heads, rigidly moved and
elastically deformed, imaged under a random protocol (ranges:
:class:`seranet.simulated.Randomisation`); as many samples per epoch as the training files
hold slices, so the same optimiser steps. Validation and test stay on the dataset's files.
Needs the BrainWeb folder at training time (``--brainweb-dir``). The robustness study
(``bench robustness``) trains its ``randomised`` arm this way."""

DEMO = Preset(
    name="demo",
    description="a few procedural subjects, Zero-filling / Joint / SERANet-2 briefly: the README's demo",
    phantom="procedural",
    subjects=8,
    slices=16,
    resolution_mm=3.0,
    noise_levels=(0.10,),
    width=8,
    depth=3,
    recon_width=16,
    recon_blocks=2,
    epochs=24,
    pretrain_epochs=4,
    batch_size=4,
    lr=1e-3,
    lr_step=12,
    center_lines=6,
    split=(6, 1, 1),
    methods=("fully-sampled", "zero-filling", "joint", "seranet-2"),
    recon_types=("B",),
    seeds=1,
    table2_recon_types=("B",),
    ablation_blocks=(1, 2),
    ablation_methods=("joint", "seranet-2"),
    ablation_recon_types=("B",),
)
"""The demo (``nox -s demo`` / ``bench demo``): 8 procedural subjects (6 / 1 / 1) of 16 slices at
3 mm (72 x 60 images), Fully-sampled and Zero-filling as the references, Joint and SERANet-2
with encoder-decoder (type B) blocks, 24 epochs of batch 4 at lr 1e-3 (halved after 12): enough
optimiser steps for every method to segment CSF (package README)."""

PRESETS: dict[str, Preset] = {
    p.name: p for p in (SMOKE, DEMO, CPU, CPU_CONVERGED, CPU_RANDOMISED, PAPER)
}
"""Presets by name."""


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}") from None
