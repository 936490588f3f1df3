"""Regularisation (Reg) blocks of the reconstruction module: type A (cascaded CNN) and type B.

Both map a ``(B, C_in, H, W)`` image (``C_in`` a multiple of 2: real/imaginary pairs) to a
``(B, 2, H, W)`` image and are residual. For ``C_in = 2`` the residual is the input itself;
for the attention input of AttReg (``C_in = 8``: ``s_i * x`` for the four classes) it is the
sum of the channel pairs, which equals ``x`` because the class probabilities sum to one. So an
AttReg block also starts from the image it refines.

No normalisation layers: reconstruction CNNs of this kind (Schlemper et al.) use none, the
blocks then behave identically in training and evaluation and for any batch size, and the
intensity scale (which DC relies on) is not renormalised away.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["RegA", "RegB", "make_reg", "pad_to_multiple"]


def pad_to_multiple(x: Tensor, multiple: int) -> tuple[Tensor, tuple[int, int]]:
    """Zero-pad the last two axes (bottom / right) up to a multiple; returns the original (H, W).

    Zero padding matches the air background of MR images and keeps the padded region inert.
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph))
    return x, (h, w)


def _residual_base(x: Tensor, out_channels: int) -> Tensor:
    if x.shape[1] == out_channels:
        return x
    b, c, h, w = x.shape
    return x.reshape(b, c // out_channels, out_channels, h, w).sum(dim=1)


def _check_channels(in_channels: int, out_channels: int) -> None:
    if in_channels < 1 or out_channels < 1 or in_channels % out_channels:
        raise ValueError(
            f"in_channels ({in_channels}) must be a positive multiple of out_channels ({out_channels})"
        )


class RegA(nn.Module):
    """Type A: cascaded CNN, 5 conv layers (3x3, ReLU) with a residual connection.

    ``in -> width -> width -> width -> width -> out`` (Fig. 9 a of the paper, width 64).

    References
    ----------
    Schlemper et al., "A deep cascade of convolutional neural networks for dynamic MR image
    reconstruction", IEEE TMI 2017. Huang et al., SERANet (arXiv:1812.02068v1), supplement A.2, Fig. 9 (a).
    """

    def __init__(
        self, in_channels: int = 2, width: int = 32, out_channels: int = 2, *, layers: int = 5
    ) -> None:
        super().__init__()
        _check_channels(in_channels, out_channels)
        if layers < 2:
            raise ValueError(f"layers must be >= 2; got {layers}")
        self.out_channels = out_channels
        mods: list[nn.Module] = []
        chans = [in_channels] + [width] * (layers - 1)
        for c_in, c_out in itertools.pairwise(chans):
            mods += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]
        mods.append(nn.Conv2d(width, out_channels, 3, padding=1))
        self.body = nn.Sequential(*mods)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, H, W)`` -> ``(B, 2, H, W)``."""
        return _residual_base(x, self.out_channels) + self.body(x)


def _double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1),
        nn.ReLU(inplace=True),
    )


class RegB(nn.Module):
    """Type B: small encoder-decoder with skip connections and a residual connection.

    Three levels, ``width, 2 width, 4 width`` channels (Fig. 9 b: 64, 128, 256, 128, 64), max
    pooling down, transposed convolutions up. Any ``H x W``: padded internally to a multiple
    of 4 and cropped back. :meth:`encode` and :meth:`decode` are public so that SegNetMRI can
    attach a segmentation decoder to the same encoder.

    References
    ----------
    Sun et al., "Joint CS-MRI reconstruction and segmentation with a unified deep network"
    (SegNetMRI), IPMI 2019. Huang et al., SERANet (arXiv:1812.02068v1), supplement A.2, Fig. 9 (b).
    """

    levels = 3

    def __init__(self, in_channels: int = 2, width: int = 32, out_channels: int = 2) -> None:
        super().__init__()
        _check_channels(in_channels, out_channels)
        self.out_channels = out_channels
        w = width
        self.enc = nn.ModuleList(
            [_double_conv(in_channels, w), _double_conv(w, 2 * w), _double_conv(2 * w, 4 * w)]
        )
        self.up = nn.ModuleList(
            [
                nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2),
                nn.ConvTranspose2d(2 * w, w, 2, stride=2),
            ]
        )
        self.dec = nn.ModuleList([_double_conv(4 * w, 2 * w), _double_conv(2 * w, w)])
        self.head = nn.Conv2d(w, out_channels, 1)

    @property
    def feature_channels(self) -> tuple[int, ...]:
        """Channels of the encoder features returned by :meth:`encode` (fine to coarse)."""
        return tuple(int(level[0].out_channels) for level in self.enc)  # type: ignore[index]

    def encode(self, x: Tensor) -> list[Tensor]:
        """Encoder features, fine to coarse, of the input padded to a multiple of 4."""
        x, _ = pad_to_multiple(x, 2 ** (self.levels - 1))
        feats = []
        for i, level in enumerate(self.enc):
            if i:
                x = F.max_pool2d(x, 2)
            x = level(x)
            feats.append(x)
        return feats

    def decode(self, feats: list[Tensor], x: Tensor) -> Tensor:
        """Decode ``encode(x)`` into the residual output for the (unpadded) input ``x``."""
        y = feats[-1]
        for up, dec, skip in zip(self.up, self.dec, reversed(feats[:-1]), strict=True):
            y = dec(torch.cat((up(y), skip), dim=1))
        y = self.head(y)[..., : x.shape[-2], : x.shape[-1]]
        return _residual_base(x, self.out_channels) + y

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, H, W)`` -> ``(B, 2, H, W)``."""
        return self.decode(self.encode(x), x)


def make_reg(
    kind: str, *, in_channels: int = 2, width: int = 32, out_channels: int = 2
) -> nn.Module:
    """A Reg block of type ``"A"`` or ``"B"``."""
    if kind == "A":
        return RegA(in_channels, width, out_channels)
    if kind == "B":
        return RegB(in_channels, width, out_channels)
    raise ValueError(f"unknown Reg block type {kind!r}; expected 'A' or 'B'")
