"""Training: configuration, the multi-stage loop, checkpoints, run directories, DDP helpers.

``seranet.train.train(TrainConfig(...), "RUNS/x")`` is the library entry point the ``seranet
train`` command and the ``bench`` package both call.
"""

from seranet.train.checkpoint import CheckpointError
from seranet.train.config import (
    EpochRecord,
    RunSummary,
    StageSummary,
    TrainConfig,
    build_mask,
)
from seranet.train.distributed import resolve_device
from seranet.train.loop import NonFiniteLossError, train
from seranet.train.losses import stage_loss
from seranet.train.run import LoadedRun, RunExistsError, RunPaths, load_run

__all__ = [
    "CheckpointError",
    "EpochRecord",
    "LoadedRun",
    "NonFiniteLossError",
    "RunExistsError",
    "RunPaths",
    "RunSummary",
    "StageSummary",
    "TrainConfig",
    "build_mask",
    "load_run",
    "resolve_device",
    "stage_loss",
    "train",
]
