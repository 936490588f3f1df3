"""The training loss of a stage.

``seg_weight * CE(logits, labels) + recon_weight * mean_r MSE(r, fully_sampled)``: cross
entropy on the final segmentation (the paper's loss) plus, for stages that reconstruct, the
mean squared error of every intermediate reconstruction against the fully-sampled image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from seranet.data import Batch
from seranet.models import ModelOutput, Stage

__all__ = ["stage_loss"]


def stage_loss(output: ModelOutput, batch: Batch, stage: Stage) -> tuple[Tensor, Tensor | None]:
    """The stage's loss and, when the stage reconstructs, the mean MSE term alone."""
    loss = torch.zeros((), device=batch.labels.device)
    mse: Tensor | None = None
    if stage.seg_weight:
        if output.logits is None:
            raise RuntimeError(f"stage {stage.name!r} has a segmentation loss but no logits")
        loss = loss + stage.seg_weight * F.cross_entropy(output.logits.float(), batch.labels)
    if output.recon_images:
        target = batch.inputs.fully_sampled
        if target is None:
            raise RuntimeError("a reconstruction loss needs the fully-sampled image")
        mse = torch.stack([F.mse_loss(r.float(), target) for r in output.recon_images]).mean()
        if stage.recon_weight:
            loss = loss + stage.recon_weight * mse
    return loss, mse
