"""Typed records shared by every model: inputs, outputs, configuration, training stages.

Every registered model is a :class:`SegmentationModel`: it takes a :class:`ModelInput`
(zero-filled image, measured k-space, mask, fully-sampled image), returns a
:class:`ModelOutput`, and says which training stages it needs (:meth:`~SegmentationModel.stages`)
and which parameters each stage trains (:meth:`~SegmentationModel.stage_parameters`).
Training logic lives in :mod:`seranet.train`; models only compute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from torch import Tensor, nn

__all__ = [
    "STAGE_NAMES",
    "ModelConfig",
    "ModelInput",
    "ModelOutput",
    "SegmentationModel",
    "Stage",
]

STAGE_NAMES: tuple[str, ...] = ("recon-pretrain", "seg-pretrain", "train", "finetune")
"""All stage names a model may use, in the order they run when a model has several."""


class ModelInput(NamedTuple):
    """One batch of network inputs, all with the same intensity normalisation."""

    zero_filled: Tensor
    """``(B, 2, H, W)`` float32: zero-filled image (real, imaginary channels)."""
    measured: Tensor
    """``(B, H, W)`` complex64: under-sampled k-space (zeros off the mask)."""
    mask: Tensor
    """Boolean, broadcastable to ``(B, H, W)``: ``(B, 1, W)`` for line masks, ``(B, H, W)`` for 2D masks."""
    fully_sampled: Tensor | None = None
    """``(B, 2, H, W)`` float32: image of the fully-sampled k-space, the reconstruction target
    of training (and the Fully-sampled baseline's input); None for an under-sampled
    acquisition, where no fully-sampled data exist."""


class ModelOutput(NamedTuple):
    """What a model returns from one forward pass."""

    logits: Tensor | None
    """``(B, num_classes, H, W)`` final segmentation logits; None in a stage without segmentation."""
    image: Tensor | None
    """``(B, 2, H, W)``: the image the final segmentation saw (the recovered image), for figures."""
    probabilities: list[Tensor]
    """Softmax maps: SERANet-N gives the initial one and one per recurrence (N + 1); others [final]."""
    recon_images: list[Tensor]
    """Images a reconstruction loss (MSE to ``fully_sampled``) acts on in this stage; [] if none."""


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a segmentation model (everything a checkpoint needs to rebuild it)."""

    name: str
    """Registry name: ``fully-sampled``, ``zero-filling``, ``two-step``, ``joint``, ``segnetmri``,
    ``seranet-N`` or ``seranet-N++`` (N >= 1 recurrences)."""
    recon_type: str = "A"
    """Reg block type: ``"A"`` cascaded CNN (5 conv layers, residual; Schlemper et al.) or
    ``"B"`` small encoder-decoder (UNet-like, residual). SegNetMRI always uses encoder-decoders."""
    recon_blocks: int = 3
    """K, the number of (Reg -> DC) cascades in the reconstruction module."""
    width: int = 16
    """Channels of the segmentation UNet's first level (doubling per level; the paper uses 64).
    SegNetMRI has no UNet: its segmentation decoders mirror its encoders (``recon_width``)."""
    depth: int = 4
    """Number of UNet levels including the bottleneck (the paper's UNet has 5: 64..1024).
    Inputs are padded internally to a multiple of ``2**(depth - 1)``. Unused by SegNetMRI."""
    recon_width: int = 16
    """Channels inside the Reg / AttReg blocks (the paper uses 64, like its UNet's first level;
    the default matches ``width``'s default the same way)."""
    soft_dc: bool = True
    """Soft data consistency with a learnable weight (for noisy data); False gives hard DC."""
    num_classes: int = 4
    """Segmentation classes: background, CSF, GM, WM."""

    def __post_init__(self) -> None:
        if self.recon_type not in ("A", "B"):
            raise ValueError(f"recon_type must be 'A' or 'B'; got {self.recon_type!r}")
        for field in ("recon_blocks", "width", "depth", "recon_width"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{field} must be a positive integer; got {value!r}")
        if self.depth < 2:
            raise ValueError(f"depth must be >= 2 (at least one down-sampling); got {self.depth}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2; got {self.num_classes}")


@dataclass(frozen=True)
class Stage:
    """One training stage: which loss terms are active (the parameters come from the model)."""

    name: str
    """``recon-pretrain``, ``seg-pretrain``, ``train`` or ``finetune``."""
    seg_weight: float
    """Weight of the cross-entropy between ``ModelOutput.logits`` and the labels."""
    recon_weight: float
    """Weight of the mean MSE between each of ``ModelOutput.recon_images`` and ``fully_sampled``."""


def unique_parameters(modules: Iterable[nn.Module | None]) -> list[nn.Parameter]:
    """Parameters of several modules, each once, in module order."""
    seen: set[int] = set()
    params: list[nn.Parameter] = []
    for module in modules:
        if module is None:
            continue
        for p in module.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    return params


def _require_model_input(module: nn.Module, args: tuple[Any, ...]) -> None:
    """A clear error for ``model(tensor)`` (the models take a :class:`ModelInput`)."""
    if args and not isinstance(args[0], ModelInput):
        raise TypeError(
            f"{type(module).__name__} takes a ModelInput(zero_filled, measured, mask), not "
            f"{type(args[0]).__name__}; for plain tensors wrap it in seranet.export.TensorModel"
        )


class SegmentationModel(nn.Module):
    """Base of all registered models.

    Subclasses set ``recon`` (or None) and ``seg``, and implement :meth:`stages`,
    :meth:`_stage_modules` and :meth:`forward`.
    """

    config: ModelConfig
    recon: nn.Module | None
    seg: nn.Module

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.register_forward_pre_hook(_require_model_input)

    def stages(self) -> tuple[Stage, ...]:
        """The training stages this model needs, in the order they run."""
        raise NotImplementedError

    def _stage_modules(self, stage: str) -> list[nn.Module | None]:
        """Modules whose parameters the optimiser trains in ``stage`` (already validated).

        The pre-training convention: ``recon-pretrain`` trains the reconstruction,
        ``seg-pretrain`` the segmentation network, every other stage the whole model.
        """
        if stage == "recon-pretrain":
            return [self.recon]
        if stage == "seg-pretrain":
            return [self.seg]
        return [self]

    def stage_names(self) -> tuple[str, ...]:
        """Names of :meth:`stages`."""
        return tuple(s.name for s in self.stages())

    def resolve_stage(self, stage: str | None) -> str:
        """``stage`` checked against :meth:`stages`; None means the last (inference) stage."""
        names = self.stage_names()
        if stage is None:
            return names[-1]
        if stage not in names:
            raise ValueError(
                f"model '{self.config.name}' has no stage {stage!r}; expected one of {', '.join(names)}"
            )
        return stage

    def stage_parameters(self, stage: str) -> list[nn.Parameter]:
        """What the optimiser trains in ``stage``; everything else stays frozen."""
        return unique_parameters(self._stage_modules(self.resolve_stage(stage)))

    def forward(self, inp: ModelInput, stage: str | None = None) -> ModelOutput:  # pragma: no cover
        """Run the model as in ``stage`` (None: inference, i.e. the final stage's forward)."""
        raise NotImplementedError
