"""Segmentation-aware attention: class probability maps times the image."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["SegmentationAttention", "segmentation_attention"]


def segmentation_attention(probabilities: Tensor, image: Tensor) -> Tensor:
    """``x_hat = concat_i(s_i * x)``: each class map times every image channel.

    Parameters
    ----------
    probabilities
        ``(B, C, H, W)`` class probabilities (softmax of the segmentation logits).
    image
        ``(B, 2, H, W)`` image (real, imaginary).

    Returns
    -------
    ``(B, 2 C, H, W)``; channels ``2 i, 2 i + 1`` are ``s_i * x`` (class-major order).

    References
    ----------
    Huang et al., SERANet (arXiv:1812.02068v1), eq. (3)-(4).
    """
    if probabilities.ndim != 4 or image.ndim != 4:
        raise ValueError(
            f"probabilities and image must be (B, C, H, W); got {tuple(probabilities.shape)} and {tuple(image.shape)}"
        )
    b, c, h, w = probabilities.shape
    if image.shape[0] != b or image.shape[2:] != probabilities.shape[2:]:
        raise ValueError(
            f"shapes differ: probabilities {tuple(probabilities.shape)}, image {tuple(image.shape)}"
        )
    return (probabilities.unsqueeze(2) * image.unsqueeze(1)).reshape(b, c * image.shape[1], h, w)


class SegmentationAttention(nn.Module):
    """Module form of :func:`segmentation_attention` (no parameters)."""

    def forward(self, probabilities: Tensor, image: Tensor) -> Tensor:
        """See :func:`segmentation_attention`."""
        return segmentation_attention(probabilities, image)
