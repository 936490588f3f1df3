"""SERANet-N: reconstruction, segmentation and N recurrences of segmentation-aware attention."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from kspace import DataConsistency
from seranet.models.attention import segmentation_attention
from seranet.models.base import ModelConfig, ModelInput, ModelOutput, SegmentationModel, Stage
from seranet.models.blocks import make_reg
from seranet.models.convlstm import LSTMState
from seranet.models.reconstruction import ReconstructionModule
from seranet.models.unet import UNetConvLSTM

__all__ = ["SERANet"]


class SERANet(SegmentationModel):
    """SERANet-N (``pretrained=False``) or SERANet-N++ (``pretrained=True``).

    Forward pass::

        x_0 = Recon(zero-filled)                      # K (Reg -> DC) cascades
        s_0, state = Seg(x_0, None)                   # UNet + ConvLSTM
        for t in 0 .. N-1:
            x_hat = concat_i(softmax(s_t)_i * x_t)    # 4 classes x 2 channels = 8
            x_{t+1} = DC_t(AttReg_t(x_hat))           # distinct AttReg / DC per recurrence
            s_{t+1}, state = Seg(x_{t+1}, state)      # the same Seg, ConvLSTM state carried

    The loss is the cross-entropy on ``s_N`` only. SERANet-N trains everything end to end in one
    stage. SERANet-N++ pre-trains the reconstruction (MSE to the fully-sampled image), then the
    segmentation network on the frozen reconstruction without recurrence, then fine-tunes
    everything (including the fresh AttReg blocks) with the cross-entropy only.

    Parameters
    ----------
    config
        Architecture; ``config.name`` is ``seranet-N`` or ``seranet-N++``.
    recurrences
        N >= 1.
    pretrained
        The ``++`` training schedule.

    References
    ----------
    Huang, Chen, Nadar, "End-to-end segmentation with recurrent attention neural network"
    (SERANet), arXiv:1812.02068v1, 2018, sections 3.1-3.3, eq. (2)-(6); published as Huang,
    Chen, Metaxas, Nadar, "Brain segmentation from k-space with end-to-end recurrent attention
    network", MICCAI 2019.
    """

    recon: ReconstructionModule

    def __init__(self, config: ModelConfig, recurrences: int, pretrained: bool = False) -> None:
        super().__init__(config)
        if recurrences < 1:
            raise ValueError(f"recurrences must be >= 1; got {recurrences}")
        self.recurrences = recurrences
        self.pretrained = pretrained
        c = config
        self.recon = ReconstructionModule(
            c.recon_blocks, c.recon_type, width=c.recon_width, soft_dc=c.soft_dc
        )
        self.seg = UNetConvLSTM(2, c.num_classes, width=c.width, depth=c.depth)
        self.att_regs = nn.ModuleList(
            make_reg(c.recon_type, in_channels=2 * c.num_classes, width=c.recon_width)
            for _ in range(recurrences)
        )
        self.att_dcs = nn.ModuleList(DataConsistency(soft=c.soft_dc) for _ in range(recurrences))

    def stages(self) -> tuple[Stage, ...]:
        """SERANet-N: [train]; SERANet-N++: [recon-pretrain, seg-pretrain, finetune]."""
        if self.pretrained:
            return (
                Stage("recon-pretrain", seg_weight=0.0, recon_weight=1.0),
                Stage("seg-pretrain", seg_weight=1.0, recon_weight=0.0),
                Stage("finetune", seg_weight=1.0, recon_weight=0.0),
            )
        return (Stage("train", seg_weight=1.0, recon_weight=0.0),)

    def forward(self, inp: ModelInput, stage: str | None = None) -> ModelOutput:
        """Run as in ``stage`` (None: inference, the full recurrent pass)."""
        stage = self.resolve_stage(stage)
        if stage == "recon-pretrain":
            x = self.recon(inp)
            return ModelOutput(None, x, [], [x])
        if stage == "seg-pretrain":
            with torch.no_grad():
                x = self.recon(inp)
            logits, _ = self.seg(x, None)
            return ModelOutput(logits, x, [torch.softmax(logits, dim=1)], [])
        return self._recurrent(inp)

    def _recurrent(self, inp: ModelInput) -> ModelOutput:
        x: Tensor = self.recon(inp)
        state: LSTMState | None = None
        logits, state = self.seg(x, state)
        probs = [torch.softmax(logits, dim=1)]
        for att_reg, att_dc in zip(self.att_regs, self.att_dcs, strict=True):
            x = att_dc(att_reg(segmentation_attention(probs[-1], x)), inp.measured, inp.mask)
            logits, state = self.seg(x, state)
            probs.append(torch.softmax(logits, dim=1))
        return ModelOutput(logits, x, probs, [])
