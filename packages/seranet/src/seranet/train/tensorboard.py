"""Optional TensorBoard logging of a training run (``seranet train --tensorboard``).

Per epoch: the losses, the validation Dice per class and its mean, the learning rate and the
CPU seconds as scalars (tag ``<stage>/<name>``, step = epoch counted across stages), and the
segmentation of the first :data:`OVERLAY_SLICES` validation slices coloured over their input
image (:func:`seranet.predict.overlay`). Uses ``torch.utils.tensorboard``, which needs the
``tensorboard`` package; without it asking for TensorBoard is a one-line error.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seranet.data import SliceDataset, collate

__all__ = ["OVERLAY_SLICES", "TensorBoardLog"]

OVERLAY_SLICES = 2
"""Validation slices shown as overlays each epoch."""


class TensorBoardLog:
    """Event files in ``folder`` (created on the first epoch)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._writer: Any = None

    @staticmethod
    def check_available() -> None:
        """A one-line ``ValueError`` when the tensorboard package is missing."""
        if importlib.util.find_spec("tensorboard") is None:
            raise ValueError(
                "--tensorboard needs the tensorboard package (pip install tensorboard)"
            )

    def log(
        self,
        record: Any,
        *,
        step: int,
        model: torch.nn.Module,
        val_ds: SliceDataset,
        device: torch.device,
    ) -> None:
        """Scalars of ``record`` (an :class:`~seranet.train.EpochRecord`) and overlays."""
        from torch.utils.tensorboard import SummaryWriter

        if self._writer is None:
            self._writer = SummaryWriter(str(self.folder))
        w = self._writer
        tag = record.stage
        w.add_scalar(f"{tag}/train_loss", record.train_loss, step)
        w.add_scalar(f"{tag}/val_loss", record.val_loss, step)
        w.add_scalar(f"{tag}/lr", record.lr, step)
        if record.cpu_seconds is not None:
            w.add_scalar(f"{tag}/cpu_seconds", record.cpu_seconds, step)
        if record.val_mse is not None:
            w.add_scalar(f"{tag}/val_mse", record.val_mse, step)
        for name, value in (record.val_dice or {}).items():
            if value is not None and np.isfinite(value):
                w.add_scalar(f"{tag}/val_dice_{name}", value, step)
        if record.val_dice is not None:
            self._overlays(tag, step=step, model=model, val_ds=val_ds, device=device)
        w.flush()

    def _overlays(
        self,
        tag: str,
        *,
        step: int,
        model: torch.nn.Module,
        val_ds: SliceDataset,
        device: torch.device,
    ) -> None:
        from seranet.predict import overlay

        batch = collate([val_ds[i] for i in range(min(OVERLAY_SLICES, len(val_ds)))])
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = model(batch.to(device).inputs, tag)
        model.train(was_training)
        if out.logits is None:
            return
        seg = out.logits.argmax(dim=1).cpu().numpy()
        image = out.image if out.image is not None else batch.inputs.zero_filled
        magnitude = torch.linalg.vector_norm(image.float().cpu(), dim=1).numpy()
        for i in range(seg.shape[0]):
            picture = overlay(magnitude[i], seg[i])
            self._writer.add_image(f"{tag}/segmentation_{i}", picture, step, dataformats="HWC")

    def close(self) -> None:
        """Flush and close the event file."""
        if self._writer is not None:
            self._writer.close()
