"""Baselines of the paper (section 4.2): Fully-sampled, Zero-filling, Two-step and Joint."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seranet.models.base import ModelConfig, ModelInput, ModelOutput, SegmentationModel, Stage
from seranet.models.reconstruction import ReconstructionModule
from seranet.models.unet import UNet

__all__ = ["FullySampled", "Joint", "TwoStep", "ZeroFilling"]


def _seg_output(logits: Tensor, image: Tensor) -> ModelOutput:
    return ModelOutput(logits, image, [torch.softmax(logits, dim=1)], [])


class _ImageUNet(SegmentationModel):
    """A UNet on an image the data already provide (no reconstruction module)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.recon = None
        self.seg = UNet(2, config.num_classes, width=config.width, depth=config.depth)

    def _image(self, inp: ModelInput) -> Tensor:
        raise NotImplementedError

    def stages(self) -> tuple[Stage, ...]:
        """[train]: cross-entropy, the UNet."""
        return (Stage("train", seg_weight=1.0, recon_weight=0.0),)

    def _stage_modules(self, stage: str) -> list[nn.Module | None]:
        return [self.seg]

    def forward(self, inp: ModelInput, stage: str | None = None) -> ModelOutput:
        """Segment the input image."""
        self.resolve_stage(stage)
        image = self._image(inp)
        return _seg_output(self.seg(image), image)


class FullySampled(_ImageUNet):
    """Upper bound: a UNet on the image of the fully-sampled k-space."""

    def _image(self, inp: ModelInput) -> Tensor:
        if inp.fully_sampled is None:
            raise ValueError(
                "the fully-sampled model segments fully-sampled images; this input is an "
                "under-sampled acquisition"
            )
        return inp.fully_sampled


class ZeroFilling(_ImageUNet):
    """Lower bound: a UNet on the zero-filled image of the under-sampled k-space."""

    def _image(self, inp: ModelInput) -> Tensor:
        return inp.zero_filled


class _ReconstructThenSegment(SegmentationModel):
    """The config's reconstruction module (``recon``) followed by its UNet (``seg``)."""

    recon: ReconstructionModule

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        self.recon = ReconstructionModule(
            c.recon_blocks, c.recon_type, width=c.recon_width, soft_dc=c.soft_dc
        )
        self.seg = UNet(2, c.num_classes, width=c.width, depth=c.depth)


class TwoStep(_ReconstructThenSegment):
    """Reconstruction trained with MSE to the fully-sampled image, frozen, then a UNet on its output.

    Stages: ``recon-pretrain`` (MSE, reconstruction parameters), ``train`` (cross-entropy,
    UNet parameters only; the reconstruction runs without gradients).
    """

    def stages(self) -> tuple[Stage, ...]:
        """[recon-pretrain, train]."""
        return (
            Stage("recon-pretrain", seg_weight=0.0, recon_weight=1.0),
            Stage("train", seg_weight=1.0, recon_weight=0.0),
        )

    def _stage_modules(self, stage: str) -> list[nn.Module | None]:
        return [self.recon] if stage == "recon-pretrain" else [self.seg]

    def forward(self, inp: ModelInput, stage: str | None = None) -> ModelOutput:
        """Reconstruct; segment the detached reconstruction unless pre-training it."""
        stage = self.resolve_stage(stage)
        if stage == "recon-pretrain":
            x = self.recon(inp)
            return ModelOutput(None, x, [], [x])
        with torch.no_grad():
            x = self.recon(inp)
        return _seg_output(self.seg(x), x)


class Joint(_ReconstructThenSegment):
    """Reconstruction followed by a UNet, trained end to end with the segmentation loss only."""

    def stages(self) -> tuple[Stage, ...]:
        """[train]: cross-entropy, everything."""
        return (Stage("train", seg_weight=1.0, recon_weight=0.0),)

    def forward(self, inp: ModelInput, stage: str | None = None) -> ModelOutput:
        """Reconstruct, then segment (gradients flow into the reconstruction)."""
        self.resolve_stage(stage)
        x = self.recon(inp)
        return _seg_output(self.seg(x), x)
