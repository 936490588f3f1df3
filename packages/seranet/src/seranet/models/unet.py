"""Segmentation networks: a UNet and a UNet with a ConvLSTM at the bottleneck.

Levels have ``width * 2**l`` channels (``l = 0 .. depth - 1``; the paper's UNet, Fig. 9 c,
is width 64, depth 5: 64..1024). Each level is two 3x3 convolutions with GroupNorm and ReLU;
down-sampling by max pooling, up-sampling by 2x2 transposed convolutions, skip connections by
concatenation. Any ``H x W`` works: the input is zero-padded (bottom / right) to a multiple of
``2**(depth - 1)`` and the logits are cropped back.

GroupNorm rather than BatchNorm: it does not depend on the batch, so the networks behave the
same for batch size 1, in evaluation mode and across DDP ranks (no SyncBatchNorm needed).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seranet.models.blocks import pad_to_multiple
from seranet.models.convlstm import ConvLSTMCell, LSTMState

__all__ = ["UNet", "UNetConvLSTM", "UNetDecoder", "UNetEncoder", "conv_block"]


def _groups(channels: int) -> int:
    return math.gcd(8, channels)


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """Two (3x3 conv -> GroupNorm -> ReLU) layers."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.GroupNorm(_groups(c_out), c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.GroupNorm(_groups(c_out), c_out),
        nn.ReLU(inplace=True),
    )


def _level_channels(width: int, depth: int) -> list[int]:
    if width < 1 or depth < 2:
        raise ValueError(f"need width >= 1 and depth >= 2; got width={width}, depth={depth}")
    return [width * 2**level for level in range(depth)]


class UNetEncoder(nn.Module):
    """Contracting path: features of every level, fine to coarse (the last is the bottleneck)."""

    def __init__(self, in_channels: int, width: int, depth: int) -> None:
        super().__init__()
        chans = _level_channels(width, depth)
        self.channels = tuple(chans)
        self.levels = nn.ModuleList(
            conv_block(c_in, c_out)
            for c_in, c_out in zip([in_channels, *chans[:-1]], chans, strict=True)
        )

    def forward(self, x: Tensor) -> list[Tensor]:
        """Features per level; ``x`` must already be padded to a multiple of ``2**(depth-1)``."""
        feats = []
        for i, level in enumerate(self.levels):
            if i:
                x = F.max_pool2d(x, 2)
            x = level(x)
            feats.append(x)
        return feats


class UNetDecoder(nn.Module):
    """Expanding path from encoder features (fine to coarse) to ``out_channels`` logits."""

    def __init__(self, channels: tuple[int, ...] | list[int], out_channels: int) -> None:
        super().__init__()
        chans = list(channels)
        pairs = list(zip(reversed(chans[1:]), reversed(chans[:-1]), strict=True))  # (coarse, fine)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(c, f, 2, stride=2) for c, f in pairs)
        self.levels = nn.ModuleList(conv_block(2 * f, f) for _, f in pairs)
        self.head = nn.Conv2d(chans[0], out_channels, 1)

    def forward(self, feats: list[Tensor]) -> Tensor:
        """Logits at the (padded) resolution of ``feats[0]``."""
        y = feats[-1]
        for up, level, skip in zip(self.ups, self.levels, reversed(feats[:-1]), strict=True):
            y = level(torch.cat((up(y), skip), dim=1))
        out: Tensor = self.head(y)
        return out


class UNet(nn.Module):
    """UNet for segmentation of a 2-channel (real, imaginary) image.

    Parameters
    ----------
    in_channels
        Input channels (2: real and imaginary parts).
    num_classes
        Output logit channels.
    width, depth
        First-level channels and number of levels (including the bottleneck).

    References
    ----------
    Ronneberger et al., "U-Net", MICCAI 2015; Huang et al., SERANet (arXiv:1812.02068v1), supplement Fig. 9 (c).
    """

    def __init__(
        self, in_channels: int = 2, num_classes: int = 4, *, width: int = 16, depth: int = 4
    ) -> None:
        super().__init__()
        self.depth = depth
        self.encoder = UNetEncoder(in_channels, width, depth)
        self.decoder = UNetDecoder(self.encoder.channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C, H, W)`` -> logits ``(B, num_classes, H, W)``."""
        padded, (h, w) = pad_to_multiple(x, 2 ** (self.depth - 1))
        return self.decoder(self.encoder(padded))[..., :h, :w]


class UNetConvLSTM(nn.Module):
    """UNet with a ConvLSTM cell at the bottleneck whose state is carried across calls.

    ``forward(x, state)`` returns ``(logits, new_state)``; the caller feeds ``new_state`` into
    the next recurrence (SERANet), so the bottleneck remembers earlier segmentations. A None
    state starts from zeros (the first recurrence). The decoder sees the ConvLSTM's hidden
    state in place of the bottleneck features.

    References
    ----------
    Huang et al., SERANet (arXiv:1812.02068v1), section 3.3; Shi et al., NeurIPS 2015.
    """

    def __init__(
        self, in_channels: int = 2, num_classes: int = 4, *, width: int = 16, depth: int = 4
    ) -> None:
        super().__init__()
        self.depth = depth
        self.encoder = UNetEncoder(in_channels, width, depth)
        bottleneck = self.encoder.channels[-1]
        self.lstm = ConvLSTMCell(bottleneck, bottleneck)
        self.decoder = UNetDecoder(self.encoder.channels, num_classes)

    def forward(self, x: Tensor, state: LSTMState | None = None) -> tuple[Tensor, LSTMState]:
        """``(B, C, H, W)`` and the previous state -> logits ``(B, num_classes, H, W)``, new state."""
        padded, (h, w) = pad_to_multiple(x, 2 ** (self.depth - 1))
        feats = self.encoder(padded)
        state = self.lstm(feats[-1], state)
        logits = self.decoder([*feats[:-1], state.h])[..., :h, :w]
        return logits, state
