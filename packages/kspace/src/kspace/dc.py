"""Data-consistency layers (torch): put the measured k-space lines back into an image."""

from __future__ import annotations

import torch
from torch import nn

from kspace.fft import channels_to_complex, complex_to_channels, fft2c, ifft2c
from kspace.recon import check_mask

__all__ = ["DataConsistency"]


class DataConsistency(nn.Module):
    """Hard or soft data consistency for two-channel images.

    Hard (noise-free data):
    ``x_dc = F^-1( m y + (1 - m) F x )``.
    Soft (noisy data), with a learnable weight ``lam >= 0``:
    ``x_dc = F^-1( (1 - m) F x + m (F x + lam y) / (1 + lam) )``, which tends to the hard
    layer as ``lam -> inf`` and leaves ``x`` unchanged at ``lam = 0``.

    Parameters
    ----------
    soft
        Use the soft layer with a learnable ``lam``.
    lam
        Initial value of ``lam`` (soft layer only).

    References
    ----------
    Schlemper et al., "A deep cascade of convolutional neural networks for dynamic MR image
    reconstruction", IEEE TMI 2017, eq. (8)-(9).
    """

    def __init__(self, soft: bool = False, lam: float = 10.0) -> None:
        super().__init__()
        self.soft = soft
        if soft:
            if not lam >= 0:
                raise ValueError(f"lam must be >= 0; got {lam}")
            self.lam = nn.Parameter(torch.tensor(float(lam)))

    def forward(
        self, image: torch.Tensor, measured: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """Apply data consistency.

        Parameters
        ----------
        image
            ``(B, 2, H, W)`` real tensor (real and imaginary channels).
        measured
            ``(B, H, W)`` complex tensor: the measured k-space (values off the mask are ignored).
        mask
            Boolean tensor broadcastable to ``(B, H, W)``, True where a sample was measured.

        Returns
        -------
        ``(B, 2, H, W)`` real tensor.
        """
        if image.ndim != 4 or image.shape[1] != 2 or image.is_complex():
            raise ValueError(
                f"image must be real with shape (B, 2, H, W); got {tuple(image.shape)} {image.dtype}"
            )
        if not measured.is_complex() or tuple(measured.shape) != (image.shape[0], *image.shape[2:]):
            raise ValueError(
                f"measured must be complex with shape {(image.shape[0], *image.shape[2:])}; "
                f"got {tuple(measured.shape)} {measured.dtype}"
            )
        check_mask(mask, measured)
        k = fft2c(channels_to_complex(image))
        measured = measured.to(k.dtype)
        if self.soft:
            lam = self.lam.clamp_min(0.0)
            k_sampled = (k + lam * measured) / (1.0 + lam)
        else:
            k_sampled = measured
        # The selection on the real view: the same values, and ONNX exporters take it (a
        # complex `where` has no ONNX decomposition).
        chosen = torch.where(
            mask.unsqueeze(-1), torch.view_as_real(k_sampled), torch.view_as_real(k)
        )
        return complex_to_channels(ifft2c(torch.view_as_complex(chosen)))

    def extra_repr(self) -> str:
        return f"soft={self.soft}"
