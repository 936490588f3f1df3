"""Multiply-accumulates of one forward pass per slice, by model, size and width (no timing).

A contention-free measure of cost: counts the MACs of every convolution (``Conv2d`` and
``ConvTranspose2d``) with forward hooks; FFTs, norms and activations are not counted (they
are a few percent). Usage: ``python macs.py > macs.md``.
"""

from __future__ import annotations

import torch
from torch import nn

from kspace import complex_to_channels, fft2c, ifft2c
from seranet.models import ModelConfig, ModelInput, build_model

__all__ = ["forward_macs"]

MODELS = ("unet", "two-step", "joint", "segnetmri", "seranet-1", "seranet-2", "seranet-3")


def forward_macs(model: nn.Module, inp: ModelInput) -> int:
    """Convolution MACs of ``model(inp)`` (batch as given)."""
    total = 0

    def hook(module: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(module, nn.Conv2d | nn.ConvTranspose2d)
        k = module.kernel_size[0] * module.kernel_size[1]
        if isinstance(module, nn.Conv2d):
            total += out.numel() * k * module.in_channels // module.groups
        else:  # each input element scatters to k outputs per output channel
            total += args[0].numel() * k * module.out_channels // module.groups

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)
    ]
    with torch.inference_mode():
        model(inp)
    for h in handles:
        h.remove()
    return total


def _input(h: int, w: int) -> ModelInput:
    g = torch.Generator().manual_seed(0)
    image = torch.complex(torch.randn(1, h, w, generator=g), torch.randn(1, h, w, generator=g))
    k = fft2c(image)
    mask = torch.rand(1, 1, w, generator=g) < 0.3
    measured = torch.where(mask, k, torch.zeros((), dtype=k.dtype))
    return ModelInput(
        complex_to_channels(ifft2c(measured)), measured, mask, complex_to_channels(image)
    )


def main() -> None:
    """Print the Markdown table."""
    sizes = [(108, 90), (216, 180)]
    widths = [16, 64]
    header = " | ".join(f"{h}x{w} w{wd}" for h, w in sizes for wd in widths)
    print(f"| model | {header} |")
    print("|---|" + "---:|" * (len(sizes) * len(widths)))
    unet: dict[tuple[int, int, int], int] = {}
    for name in MODELS:
        cells = []
        for h, w in sizes:
            for width in widths:
                model = build_model(
                    ModelConfig(
                        "zero-filling" if name == "unet" else name, width=width, recon_width=width
                    )
                ).eval()
                macs = forward_macs(model, _input(h, w))
                unet.setdefault((h, w, width), macs)
                cells.append(f"{macs / 1e9:.2f} G ({macs / unet[(h, w, width)]:.1f}x)")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
