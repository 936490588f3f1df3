"""The reconstruction module: K cascades of (Reg block -> data consistency).

Each cascade has its own weights (a common re-implementation mistake is to reuse one module
K times). The module starts from the zero-filled image; it never sees the fully-sampled image
unless a training stage puts an MSE loss on its output.
"""

from __future__ import annotations

from torch import Tensor, nn

from kspace import DataConsistency
from seranet.models.base import ModelInput
from seranet.models.blocks import make_reg

__all__ = ["Cascade", "ReconstructionModule"]


class Cascade(nn.Module):
    """One unrolled iteration: ``x -> DC(Reg(x))``.

    Parameters
    ----------
    reg
        A Reg block mapping ``(B, C, H, W)`` to ``(B, 2, H, W)``.
    soft_dc
        Soft data consistency with a learnable weight instead of hard replacement.

    References
    ----------
    Huang et al., SERANet (arXiv:1812.02068v1), eq. (2); Schlemper et al., IEEE TMI 2017, eq. (8)-(9).
    """

    def __init__(self, reg: nn.Module, soft_dc: bool = True) -> None:
        super().__init__()
        self.reg = reg
        self.dc = DataConsistency(soft=soft_dc)

    def forward(self, x: Tensor, measured: Tensor, mask: Tensor) -> Tensor:
        """``(B, C, H, W)`` -> ``(B, 2, H, W)``."""
        out: Tensor = self.dc(self.reg(x), measured, mask)
        return out


class ReconstructionModule(nn.Module):
    """K (Reg -> DC) cascades with distinct weights, applied to the zero-filled image.

    Parameters
    ----------
    cascades
        K, the number of cascades.
    reg_type
        ``"A"`` (cascaded CNN) or ``"B"`` (encoder-decoder).
    width
        Channels inside each Reg block.
    soft_dc
        Soft (learnable) or hard data consistency.
    """

    def __init__(
        self, cascades: int = 3, reg_type: str = "A", *, width: int = 32, soft_dc: bool = True
    ) -> None:
        super().__init__()
        if cascades < 1:
            raise ValueError(f"cascades must be >= 1; got {cascades}")
        self.cascades = nn.ModuleList(
            Cascade(make_reg(reg_type, in_channels=2, width=width), soft_dc)
            for _ in range(cascades)
        )

    def intermediates(self, inp: ModelInput) -> list[Tensor]:
        """The image after each cascade (K entries, the last one is the module's output)."""
        x = inp.zero_filled
        out = []
        for cascade in self.cascades:
            x = cascade(x, inp.measured, inp.mask)
            out.append(x)
        return out

    def forward(self, inp: ModelInput) -> Tensor:
        """The recovered image ``(B, 2, H, W)`` after the last cascade."""
        return self.intermediates(inp)[-1]
