"""Models by name: ``fully-sampled``, ``zero-filling``, ``two-step``, ``joint``, ``segnetmri``,
``seranet-N`` and ``seranet-N++`` (any N >= 1)."""

from __future__ import annotations

import re
from typing import NamedTuple

from seranet.models.base import ModelConfig, SegmentationModel
from seranet.models.baselines import FullySampled, Joint, TwoStep, ZeroFilling
from seranet.models.segnetmri import SegNetMRI
from seranet.models.seranet import SERANet

__all__ = ["MODEL_NAMES", "ModelSpec", "build_model", "parse_model_name"]

_BASELINES = {
    "fully-sampled": FullySampled,
    "zero-filling": ZeroFilling,
    "two-step": TwoStep,
    "joint": Joint,
    "segnetmri": SegNetMRI,
}

MODEL_NAMES: tuple[str, ...] = (
    *_BASELINES,
    "seranet-1",
    "seranet-2",
    "seranet-3",
    "seranet-1++",
    "seranet-2++",
    "seranet-3++",
)
"""The usual names; any ``seranet-N`` / ``seranet-N++`` with N >= 1 is valid too."""

_SERANET = re.compile(r"seranet-([1-9][0-9]*)(\+\+)?")


class ModelSpec(NamedTuple):
    """A parsed model name."""

    family: str
    """``fully-sampled``, ``zero-filling``, ``two-step``, ``joint``, ``segnetmri`` or ``seranet``."""
    recurrences: int
    """SERANet's N (0 for the other families)."""
    pretrained: bool
    """SERANet's ``++`` schedule (pre-trained reconstruction and segmentation, then fine-tuned)."""


def parse_model_name(name: str) -> ModelSpec:
    """Parse a registry name; ``ValueError`` naming the valid choices for anything else."""
    if name in _BASELINES:
        return ModelSpec(name, 0, False)
    match = _SERANET.fullmatch(name)
    if match is None:
        raise ValueError(
            f"unknown model {name!r}; expected one of {', '.join(MODEL_NAMES)} (or seranet-N / seranet-N++ for any N >= 1)"
        )
    return ModelSpec("seranet", int(match.group(1)), match.group(2) is not None)


def build_model(config: ModelConfig) -> SegmentationModel:
    """Build the model ``config.name`` with fresh weights (seeded by torch's global generator)."""
    spec = parse_model_name(config.name)
    if spec.family == "seranet":
        return SERANet(config, spec.recurrences, spec.pretrained)
    return _BASELINES[spec.family](config)
