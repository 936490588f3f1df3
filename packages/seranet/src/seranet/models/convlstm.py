"""Convolutional LSTM cell (Shi et al. 2015) with an explicit, caller-carried state."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

__all__ = ["ConvLSTMCell", "LSTMState"]


class LSTMState(NamedTuple):
    """Hidden and cell state of a :class:`ConvLSTMCell`, each ``(B, hidden, H, W)``."""

    h: Tensor
    c: Tensor


class ConvLSTMCell(nn.Module):
    """One ConvLSTM step: gates from a convolution over ``[x, h]``.

    ``i, f, o = sigmoid(.)``, ``g = tanh(.)``, ``c' = f c + i g``, ``h' = o tanh(c')``.
    The state is returned to the caller and passed back in on the next call; a None state
    starts from zeros. Nothing is stored on the module, so the recurrence is explicit and
    the cell is safe to reuse across batches.

    Parameters
    ----------
    in_channels, hidden_channels
        Input and state channels.
    kernel_size
        Odd convolution size (same padding).

    References
    ----------
    Shi et al., "Convolutional LSTM network: a machine learning approach for precipitation
    nowcasting", NeurIPS 2015, eq. (3) without the peephole terms.
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}")
        self.hidden_channels = hidden_channels
        self.gates = nn.Conv2d(
            in_channels + hidden_channels,
            4 * hidden_channels,
            kernel_size,
            padding=kernel_size // 2,
        )
        with torch.no_grad():
            # Forget-gate bias 1 (Jozefowicz et al. 2015): the state is kept by default.
            self.gates.bias[hidden_channels : 2 * hidden_channels].fill_(1.0)  # type: ignore[index]

    def initial_state(self, x: Tensor) -> LSTMState:
        """Zero state matching ``x``'s batch, size, dtype and device."""
        b, _, h, w = x.shape
        zeros = x.new_zeros(b, self.hidden_channels, h, w)
        return LSTMState(zeros, zeros)

    def forward(self, x: Tensor, state: LSTMState | None = None) -> LSTMState:
        """One step; returns the new state (its ``h`` is the cell's output)."""
        if state is None:
            state = self.initial_state(x)
        gates = self.gates(torch.cat((x, state.h), dim=1))
        i, f, o, g = torch.chunk(gates, 4, dim=1)
        c = torch.sigmoid(f) * state.c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return LSTMState(h, c)
