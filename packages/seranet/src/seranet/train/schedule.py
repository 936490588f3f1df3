"""Learning-rate schedules, as a factor of the initial rate per epoch of a stage.

Every stage of a run gets its own Adam optimiser and a schedule over the stage's epochs
(:meth:`TrainConfig.stage_epochs`); the learning rate of epoch ``e`` (from 0) is
``lr * lr_factor(e, epochs, ...)``:

``step``
    ``lr_gamma ** ((e - hold) // lr_step)`` for ``e >= hold``, 1 before: StepLR delayed by
    ``hold`` epochs, so the first decay comes at epoch ``hold + lr_step``. ``hold = 0`` is
    ``torch.optim.lr_scheduler.StepLR`` (the paper: halved every 20 epochs).
``cosine``
    Cosine annealing from the initial rate to 0 over the epochs after the warm-up
    (Loshchilov & Hutter, SGDR, ICLR 2017, without restarts).

Both start with ``warmup`` epochs of linear warm-up, ``(e + 1) / (warmup + 1)`` (Goyal et al.,
*Accurate, large minibatch SGD*, 2017), that ends one step below the initial rate.
"""

from __future__ import annotations

import math

__all__ = ["LR_SCHEDULES", "lr_factor"]

LR_SCHEDULES = ("step", "cosine")
"""Accepted values of :attr:`seranet.train.TrainConfig.lr_schedule`."""


def lr_factor(
    epoch: int,
    epochs: int,
    *,
    schedule: str = "step",
    step: int = 20,
    gamma: float = 0.5,
    hold: int = 0,
    warmup: int = 0,
) -> float:
    """The learning-rate factor of ``epoch`` (from 0) of a stage of ``epochs`` epochs.

    Parameters
    ----------
    epoch, epochs
        The epoch and the stage's length.
    schedule
        ``step`` or ``cosine`` (module docstring).
    step, gamma
        Epochs between decays and the decay factor of ``step``.
    hold
        Epochs by which the ``step`` decays are delayed (counted from the stage's start).
    warmup
        Epochs of linear warm-up at the start of the stage.
    """
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr schedule {schedule!r}; expected {' or '.join(LR_SCHEDULES)}")
    if epoch < warmup:
        return (epoch + 1) / (warmup + 1)
    if schedule == "cosine":
        span = max(1, epochs - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * (epoch - warmup) / span))
    start = max(warmup, hold)
    if epoch < start:
        return 1.0
    return float(gamma ** ((epoch - start) // step))
