"""The data loaders of training and validation.

The training order of a stage's epoch comes from a seed of its own (the run's seed, the stage
and the epoch), so it does not depend on the worker count, and a resumed run sees the same
batches; under DDP each rank takes its share of the same permutation. Validation visits every
slice once, sharded across ranks.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, Sampler

from kspace import mask_seed
from seranet.data import SliceDataset, collate
from seranet.simulated import SimulatedSlices
from seranet.train import distributed as ddp
from seranet.train.config import TrainConfig

__all__ = ["eval_loader", "train_loader"]


def _epoch_seed(config: TrainConfig, stage_index: int, epoch: int) -> int:
    return int(mask_seed(config.seed, 2, stage_index, epoch).generate_state(1)[0])


def _worker_init(worker_id: int) -> None:
    # Libraries that use the global numpy / Python RNGs in a worker get a per-worker seed
    # derived from torch's (itself seeded from the loader's generator).
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)  # noqa: NPY002
    random.seed(seed)


def train_loader(
    ds: SliceDataset | SimulatedSlices,
    config: TrainConfig,
    info: ddp.DistInfo,
    *,
    stage_index: int,
    epoch: int,
) -> DataLoader[Any]:
    """Shuffled batches of one epoch of one stage (workers started as the dataset asks)."""
    seed = _epoch_seed(config, stage_index, epoch)
    sampler: Sampler[int]
    if info.distributed:
        dsampler: DistributedSampler[Any] = DistributedSampler(
            ds, num_replicas=info.world_size, rank=info.rank, shuffle=True, seed=seed
        )
        dsampler.set_epoch(0)  # the seed already encodes stage and epoch
        sampler = dsampler
    else:
        # A sampler generator of its own: the order does not depend on the worker count.
        sampler = RandomSampler(ds, generator=torch.Generator().manual_seed(seed))
    return DataLoader(
        ds,
        batch_size=config.batch_size,
        sampler=sampler,
        num_workers=config.workers,
        collate_fn=collate,
        worker_init_fn=_worker_init,
        generator=torch.Generator().manual_seed(seed ^ 0x5EED),
        persistent_workers=False,
        multiprocessing_context=getattr(ds, "worker_context", None) if config.workers else None,
    )


def eval_loader(ds: SliceDataset, config: TrainConfig, info: ddp.DistInfo) -> DataLoader[Any]:
    """Every slice once, in order, this rank's shard."""
    return DataLoader(
        ds,
        batch_size=config.batch_size,
        sampler=ddp.ShardSampler(len(ds), info.rank, info.world_size),
        num_workers=config.workers,
        collate_fn=collate,
        worker_init_fn=_worker_init,
        generator=torch.Generator().manual_seed(config.seed),
    )
