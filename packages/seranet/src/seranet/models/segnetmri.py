"""SegNetMRI (Sun et al. 2019): cascaded encoder-decoders whose encoders also feed segmentation."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seranet.models.base import ModelConfig, ModelInput, ModelOutput, SegmentationModel, Stage
from seranet.models.blocks import RegB
from seranet.models.reconstruction import Cascade, ReconstructionModule
from seranet.models.unet import UNetDecoder

__all__ = ["SegNetMRI", "SegNetMRIHead"]


def _reg_b(cascade: nn.Module) -> RegB:
    reg = cascade.reg
    assert isinstance(reg, RegB)
    return reg


class SegNetMRIHead(nn.Module):
    """One segmentation decoder per cascade plus a 1x1-convolution fusion of their logits."""

    def __init__(self, feature_channels: tuple[int, ...], cascades: int, num_classes: int) -> None:
        super().__init__()
        self.decoders = nn.ModuleList(
            UNetDecoder(feature_channels, num_classes) for _ in range(cascades)
        )
        self.fusion = nn.Conv2d(cascades * num_classes, num_classes, 1)

    def forward(self, features: list[list[Tensor]], size: tuple[int, int]) -> Tensor:
        """Fused logits ``(B, num_classes, *size)`` from each cascade's encoder features."""
        h, w = size
        logits = [dec(f)[..., :h, :w] for dec, f in zip(self.decoders, features, strict=True)]
        out: Tensor = self.fusion(torch.cat(logits, dim=1))
        return out


class SegNetMRI(SegmentationModel):
    """K cascades of (encoder -> reconstruction decoder -> DC) with a segmentation decoder each.

    Each cascade's Reg block is an encoder-decoder (:class:`~seranet.models.blocks.RegB`,
    regardless of ``config.recon_type``, as in the original network) whose encoder is shared by
    the reconstruction decoder and that cascade's segmentation decoder. The K segmentation
    outputs are fused by a 1x1 convolution over their concatenated logits.

    Stages: ``recon-pretrain`` (MSE on every cascade's reconstruction; reconstruction
    parameters), ``seg-pretrain`` (cross-entropy; segmentation decoders and fusion, encoders
    frozen), ``finetune`` (cross-entropy + MSE; everything). ``recon`` holds the encoders and
    reconstruction decoders (``recon.cascades[k].reg.encode / decode``), ``seg`` the
    segmentation decoders and the fusion.

    References
    ----------
    Sun, Fan, Huang, Ding, Paisley, "Joint CS-MRI reconstruction and segmentation with a unified
    deep network", IPMI 2019.
    """

    recon: ReconstructionModule

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        self.recon = ReconstructionModule(
            c.recon_blocks, "B", width=c.recon_width, soft_dc=c.soft_dc
        )
        first = _reg_b(self.recon.cascades[0])
        self.seg = SegNetMRIHead(first.feature_channels, c.recon_blocks, c.num_classes)

    def stages(self) -> tuple[Stage, ...]:
        """[recon-pretrain, seg-pretrain, finetune]."""
        return (
            Stage("recon-pretrain", seg_weight=0.0, recon_weight=1.0),
            Stage("seg-pretrain", seg_weight=1.0, recon_weight=0.0),
            Stage("finetune", seg_weight=1.0, recon_weight=1.0),
        )

    def _cascade(self, inp: ModelInput) -> tuple[list[Tensor], list[list[Tensor]]]:
        x = inp.zero_filled
        images, features = [], []
        for cascade in self.recon.cascades:
            assert isinstance(cascade, Cascade)
            reg = _reg_b(cascade)
            feats = reg.encode(x)
            x = cascade.dc(reg.decode(feats, x), inp.measured, inp.mask)
            images.append(x)
            features.append(feats)
        return images, features

    def forward(self, inp: ModelInput, stage: str | None = None) -> ModelOutput:
        """Run as in ``stage`` (None: inference)."""
        stage = self.resolve_stage(stage)
        size = (inp.zero_filled.shape[-2], inp.zero_filled.shape[-1])
        if stage == "recon-pretrain":
            images, _ = self._cascade(inp)
            return ModelOutput(None, images[-1], [], images)
        if stage == "seg-pretrain":
            with torch.no_grad():
                images, features = self._cascade(inp)
            logits = self.seg(features, size)
            return ModelOutput(logits, images[-1], [torch.softmax(logits, dim=1)], [])
        images, features = self._cascade(inp)
        logits = self.seg(features, size)
        return ModelOutput(logits, images[-1], [torch.softmax(logits, dim=1)], images)
