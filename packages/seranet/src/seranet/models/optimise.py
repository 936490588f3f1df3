"""Execution options that make the models faster on CPU without changing their results.

Measured on a 2-core AVX2 CPU (see ``packages/seranet/benchmarks/RESULTS.md``): storing the
weights in the channels-last memory format lets oneDNN pick its blocked convolution kernels
and avoid layout conversions, which made the full-resolution 32-channel Reg blocks and the
UNet markedly faster. ``torch.compile`` was tried and not kept: inductor does not generate
code for the complex FFTs of the data-consistency layers (graph breaks), compiling a
SERANet-1 training step took about three minutes, and the compiled step was only about 6 %
faster than channels-last eager (108 x 90, width 16, one thread, on a CPU shared with other
jobs, so within the noise). That gain would repay the compilation only over long runs, while
every short run, test and evaluation would pay minutes, so it is not offered.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

__all__ = ["optimise_for_inference", "optimise_for_training"]

ModuleT = TypeVar("ModuleT", bound=nn.Module)


def optimise_for_training(model: ModuleT) -> ModuleT:
    """Convert ``model`` (in place) to channels-last weights; returns it for chaining.

    Inputs may stay in the default (contiguous) layout: convolutions with channels-last
    weights produce channels-last outputs. Optimiser state created afterwards follows the
    parameters' layout; checkpoints load into a model of either layout.
    """
    # ``memory_format`` is a documented keyword of Module.to that its type stubs omit.
    model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return model


def optimise_for_inference(model: ModuleT) -> ModuleT:
    """Evaluation mode and channels-last weights (in place); returns ``model``.

    Run the model under ``torch.inference_mode()`` as well: it skips autograd bookkeeping.
    The outputs equal those of the plain model up to float round-off.
    """
    model.eval()
    return optimise_for_training(model)
