"""Validation after every epoch: loss, reconstruction MSE and Dice per tissue.

The Dice follows :mod:`seranet.metrics` (a slice where prediction and truth are both empty for
a tissue is excluded, one empty gives 0) and is averaged over slices; :data:`~seranet.vocabulary.MEAN`
is the mean over the tissues with a finite Dice. It is counted here on batched tensors, on the
device, so that validation costs little next to an epoch; ``seranet evaluate`` scores with
:mod:`seranet.metrics` itself (the two agree: see the tests).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from seranet.data import Batch
from seranet.models import SegmentationModel, Stage
from seranet.train import distributed as ddp
from seranet.train.losses import stage_loss
from seranet.vocabulary import MEAN, TISSUES

__all__ = ["Validation", "dice_sums", "validate"]


@dataclass(frozen=True)
class Validation:
    """One validation pass."""

    loss: float
    """Mean loss per slice."""
    mse: float | None
    """Mean reconstruction MSE per slice (None when the stage reconstructs nothing)."""
    dice: dict[str, float] | None
    """Dice per tissue and their mean (None when the stage segments nothing)."""


def dice_sums(logits: Tensor, labels: Tensor, num_classes: int = 4) -> Tensor:
    """Per class 1..C-1: (sum of per-slice Dice, number of slices counted), shape ``(2, C-1)``."""
    pred = logits.argmax(dim=1)
    out = torch.zeros(2, num_classes - 1, dtype=torch.float64)
    for c in range(1, num_classes):
        p = (pred == c).flatten(1)
        t = (labels == c).flatten(1)
        inter = (p & t).sum(1).double()
        total = (p.sum(1) + t.sum(1)).double()
        valid = total > 0
        out[0, c - 1] = (2 * inter[valid] / total[valid]).sum().cpu()
        out[1, c - 1] = valid.sum().cpu()
    return out


@torch.no_grad()
def validate(
    model: SegmentationModel,
    batches: Iterable[Batch],
    stage: Stage,
    *,
    device: torch.device,
    info: ddp.DistInfo,
    autocast: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> Validation:
    """Score ``model`` on ``batches`` (this rank's share; sums are reduced over ranks) with
    ``stage``'s loss; the model is left in training mode."""
    model.eval()
    sums = torch.zeros(3, dtype=torch.float64)  # loss*n, mse*n, n
    dice = torch.zeros(2, len(TISSUES), dtype=torch.float64)
    has_mse = has_seg = False
    for batch in batches:
        batch = batch.to(device)
        with autocast():
            output = model(batch.inputs, stage.name)
        loss, mse = stage_loss(output, batch, stage)
        n = batch.labels.shape[0]
        sums[0] += float(loss) * n
        sums[2] += n
        if mse is not None:
            has_mse = True
            sums[1] += float(mse) * n
        if output.logits is not None:
            has_seg = True
            dice += dice_sums(output.logits.float(), batch.labels, model.config.num_classes)
    flags = torch.tensor([float(has_mse), float(has_seg)], dtype=torch.float64)
    ddp.all_reduce_sum(sums, info)
    ddp.all_reduce_sum(dice, info)
    ddp.all_reduce_sum(flags, info)
    model.train()
    slices = max(float(sums[2]), 1.0)
    scores: dict[str, float] | None = None
    if flags[1] > 0:
        per = [
            float(dice[0, c] / dice[1, c]) if dice[1, c] > 0 else math.nan
            for c in range(len(TISSUES))
        ]
        scores = dict(zip(TISSUES, per, strict=True))
        finite = [v for v in per if not math.isnan(v)]
        scores[MEAN] = float(np.mean(finite)) if finite else math.nan
    return Validation(
        loss=float(sums[0]) / slices,
        mse=float(sums[1]) / slices if flags[0] > 0 else None,
        dice=scores,
    )
