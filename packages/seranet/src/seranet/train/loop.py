"""The training loop: every stage of a model, checkpoints, resume, DDP, AMP, progress.

``train(config, out_dir)`` runs the model's :meth:`~seranet.models.SegmentationModel.stages`
in order. Each stage gets its own Adam optimiser and learning-rate schedule
(:mod:`seranet.train.schedule`) over ``model.stage_parameters(stage)`` (all other parameters
frozen) and minimises

``seg_weight * CE(logits, labels) + recon_weight * mean_r MSE(r, fully_sampled)``.

After every epoch the validation split is evaluated on the evaluation inputs of
:mod:`seranet.inputs` (masks from ``config.eval_seed``, the same for every run); a stage with
segmentation output (``seg_weight > 0``) keeps the epoch of highest mean Dice over CSF, GM and
WM, a reconstruction-only stage the epoch of lowest MSE. The next stage starts from those best
weights, and the final weights (``model.pt``) are the best of the last stage.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, Sampler

from kspace import mask_seed
from kspace.guard import folder_lock
from seranet import __version__
from seranet.data import Batch, SliceDataset, collate, split_subjects
from seranet.inputs import evaluation_dataset, inputs_digest
from seranet.models import (
    ModelConfig,
    ModelOutput,
    SegmentationModel,
    Stage,
    build_model,
    optimise_for_training,
    parse_model_name,
)
from seranet.train import distributed as ddp
from seranet.train.checkpoint import (
    CheckpointError,
    atomic_save,
    atomic_write_text,
    describe_model,
    disk_full,
    get_rng_state,
    load_checkpoint,
    load_matching,
    load_weights,
    read_json,
    set_rng_state,
)
from seranet.train.config import (
    RESUME_IGNORED,
    EpochRecord,
    RunSummary,
    StageSummary,
    TrainConfig,
)
from seranet.train.curves import write_csv, write_curves
from seranet.train.run import RunPaths
from seranet.train.tensorboard import TensorBoardLog

__all__ = [
    "CLASS_NAMES",
    "NonFiniteLossError",
    "RunExistsError",
    "resolve_device",
    "stage_loss",
    "train",
]

CLASS_NAMES = ("csf", "gm", "wm")
"""Foreground classes 1, 2, 3 as named in metrics."""

CURVES_EVERY_S = 30.0
"""Least time between two rewrites of ``curves.png`` within a stage."""

CHECKPOINT_FORMAT = 2
"""Version of the checkpoint layout (2: learning-rate schedules as LambdaLR state)."""


class RunExistsError(ValueError):
    """The output directory already holds a run and neither resume nor overwrite was asked."""


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when available else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' requested but no CUDA device is available")
        return torch.device("cuda", local_rank)
    if name != "cpu":
        raise ValueError(f"device must be auto, cpu or cuda; got {name!r}")
    return torch.device("cpu")


def stage_loss(output: ModelOutput, batch: Batch, stage: Stage) -> tuple[Tensor, Tensor | None]:
    """The stage's loss and, when the stage reconstructs, the mean MSE term alone."""
    loss = torch.zeros((), device=batch.labels.device)
    mse: Tensor | None = None
    if stage.seg_weight:
        if output.logits is None:
            raise RuntimeError(f"stage {stage.name!r} has a segmentation loss but no logits")
        loss = loss + stage.seg_weight * F.cross_entropy(output.logits.float(), batch.labels)
    if output.recon_images:
        target = batch.inputs.fully_sampled
        if target is None:
            raise RuntimeError("a reconstruction loss needs the fully-sampled image")
        mse = torch.stack([F.mse_loss(r.float(), target) for r in output.recon_images]).mean()
        if stage.recon_weight:
            loss = loss + stage.recon_weight * mse
    return loss, mse


def dice_counts(logits: Tensor, labels: Tensor, num_classes: int = 4) -> Tensor:
    """Per class 1..C-1: (sum of per-slice Dice, number of slices counted), shape ``(2, C-1)``.

    Same policy as :mod:`seranet.metrics`: a slice where prediction and truth are both empty
    for a class is excluded; one empty gives Dice 0.
    """
    pred = logits.argmax(dim=1)
    out = torch.zeros(2, num_classes - 1, dtype=torch.float64)
    for c in range(1, num_classes):
        p = (pred == c).flatten(1)
        t = (labels == c).flatten(1)
        inter = (p & t).sum(1).double()
        total = (p.sum(1) + t.sum(1)).double()
        valid = total > 0
        out[0, c - 1] = (2 * inter[valid] / total[valid]).sum().cpu()
        out[1, c - 1] = valid.sum().cpu()
    return out


@dataclass
class _StageState:
    """Progress of one stage, as stored in its last checkpoint."""

    epoch: int = 0
    best_value: float = math.nan
    best_epoch: int = 0


def _loader_seed(config: TrainConfig, stage_index: int, epoch: int) -> int:
    return int(mask_seed(config.seed, 2, stage_index, epoch).generate_state(1)[0])


def _worker_init(worker_id: int) -> None:
    # Libraries that use the global numpy / Python RNGs in a worker get a per-worker seed
    # derived from torch's (itself seeded from the loader's generator).
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)  # noqa: NPY002
    import random

    random.seed(seed)


def _train_loader(
    ds: SliceDataset, config: TrainConfig, info: ddp.DistInfo, stage_index: int, epoch: int
) -> DataLoader[Any]:
    seed = _loader_seed(config, stage_index, epoch)
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
    )


def _eval_loader(ds: SliceDataset, config: TrainConfig, info: ddp.DistInfo) -> DataLoader[Any]:
    return DataLoader(
        ds,
        batch_size=config.batch_size,
        sampler=ddp.ShardSampler(len(ds), info.rank, info.world_size),
        num_workers=config.workers,
        collate_fn=collate,
        worker_init_fn=_worker_init,
        generator=torch.Generator().manual_seed(config.seed),
    )


class _Runner:
    """State shared by the stages of one call to :func:`train`."""

    def __init__(
        self,
        config: TrainConfig,
        paths: RunPaths,
        model: SegmentationModel,
        train_ds: SliceDataset,
        val_ds: SliceDataset,
        info: ddp.DistInfo,
        device: torch.device,
        console: Console,
        progress: bool,
        on_epoch_end: Callable[[EpochRecord], None] | None,
        tensorboard: bool = False,
    ) -> None:
        self.config, self.paths, self.model = config, paths, model
        self.train_ds, self.val_ds = train_ds, val_ds
        self.info, self.device, self.console = info, device, console
        self.progress = progress and info.is_main
        self.on_epoch_end = on_epoch_end
        self.history: list[dict[str, Any]] = []
        self._plotted = -math.inf
        self.tensorboard = (
            TensorBoardLog(paths.tensorboard) if tensorboard and info.is_main else None
        )
        use_amp = config.amp and device.type == "cuda"
        bf16 = use_amp and torch.cuda.is_bf16_supported()
        self.amp_dtype: torch.dtype | None = (
            (torch.bfloat16 if bf16 else torch.float16) if use_amp else None
        )
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_amp and not bf16)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.amp_dtype)

    # -- one stage ----------------------------------------------------------------------------
    def run_stage(self, stage_index: int, stage: Stage, resume: bool) -> StageSummary:
        config, paths, model = self.config, self.paths, self.model
        epochs = config.stage_epochs(stage.name)
        metric = "dice" if stage.seg_weight > 0 else "mse"
        params = model.stage_parameters(stage.name)
        if not params:
            raise RuntimeError(f"stage {stage.name!r} of {config.model.name} trains no parameters")
        trainable = {id(p) for p in params}
        for p in model.parameters():
            p.requires_grad_(id(p) in trainable)
        optimiser = torch.optim.Adam(params, lr=config.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda e: config.lr_factor(stage.name, e)
        )
        state = _StageState()
        best_state: dict[str, Tensor] | None = None
        last = paths.last(stage.name)
        if resume and last.is_file():
            ck = load_checkpoint(last)
            self._check_checkpoint(ck, last, stage)
            load_weights(model, ck["model"], repr(str(last)))
            optimiser.load_state_dict(ck["optimizer"])
            scheduler.load_state_dict(ck["scheduler"])
            if "scaler" in ck and self.scaler.is_enabled():
                self.scaler.load_state_dict(ck["scaler"])
            set_rng_state(ck["rng"])
            state = _StageState(int(ck["epoch"]), float(ck["best_value"]), int(ck["best_epoch"]))
            self.history = list(ck["history"])
            best_state = load_checkpoint(paths.best(stage.name))["model"]
        if resume and self.info.is_main:
            self._rewrite_metrics()  # drop lines written after the checkpoint we resume from
        net: nn.Module = model
        if self.info.distributed:
            net = DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )
        for epoch in range(state.epoch, epochs):
            record = self._epoch(
                net, stage, stage_index, epoch, optimiser, scheduler, state, metric
            )
            if record.best:
                best_state = {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}
                if self.info.is_main:
                    atomic_save(
                        self._weights_payload(best_state, stage, epoch + 1), paths.best(stage.name)
                    )
            state.epoch = epoch + 1
            self.history.append({"stage_index": stage_index, **record.to_dict()})
            if self.info.is_main:
                atomic_save(
                    self._last_payload(stage, stage_index, state, optimiser, scheduler, metric),
                    last,
                )
                try:
                    with paths.metrics.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(record.to_dict()) + "\n")
                except OSError as error:
                    raise disk_full(error, paths.metrics) from None
                self._report(record, stage_done=epoch + 1 == epochs)
            ddp.barrier(self.info)
            if self.on_epoch_end is not None:
                self.on_epoch_end(record)
        if best_state is None:  # pragma: no cover - epochs >= 1 always produces a best epoch
            raise RuntimeError(f"stage {stage.name!r} ended without a best epoch")
        model.load_state_dict(best_state)
        return StageSummary(stage.name, state.epoch, state.best_epoch, metric, state.best_value)

    def skip_stage(self, stage: Stage) -> StageSummary | None:
        """A stage already finished before a resume: load its best weights and RNG state."""
        last = self.paths.last(stage.name)
        if not last.is_file():
            return None
        ck = load_checkpoint(last)
        self._check_checkpoint(ck, last, stage)
        if int(ck["epoch"]) < self.config.stage_epochs(stage.name):
            return None
        best = load_checkpoint(self.paths.best(stage.name))
        load_weights(self.model, best["model"], repr(str(self.paths.best(stage.name))))
        set_rng_state(ck["rng"])
        self.history = list(ck["history"])
        return StageSummary(
            stage.name,
            int(ck["epoch"]),
            int(ck["best_epoch"]),
            str(ck["metric"]),
            float(ck["best_value"]),
        )

    def _check_checkpoint(self, ck: dict[str, Any], path: Path, stage: Stage) -> None:
        stored = json.loads(ck.get("config_json", "{}")).get("model", {})
        wanted = json.loads(json.dumps(self.config.to_dict()["model"]))
        if stored != wanted:
            raise CheckpointError(
                f"checkpoint {str(path)!r} was written for {describe_model(stored)}, "
                f"not the requested {describe_model(wanted)}"
            )
        if ck.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(
                f"checkpoint {str(path)!r} has format {ck.get('format')!r}, not "
                f"{CHECKPOINT_FORMAT} (written by another seranet version); start the run again"
            )
        if ck.get("stage") != stage.name:
            raise CheckpointError(f"checkpoint {str(path)!r} belongs to stage {ck.get('stage')!r}")

    # -- one epoch ----------------------------------------------------------------------------
    def _epoch(
        self,
        net: nn.Module,
        stage: Stage,
        stage_index: int,
        epoch: int,
        optimiser: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        state: _StageState,
        metric: str,
    ) -> EpochRecord:
        start, cpu_start = time.perf_counter(), time.process_time()
        lr = float(optimiser.param_groups[0]["lr"])
        self.train_ds.set_epoch(epoch)
        loader = _train_loader(self.train_ds, self.config, self.info, stage_index, epoch)
        net.train()
        total = torch.zeros(2, dtype=torch.float64)
        label = f"{stage.name} {epoch + 1}/{self.config.stage_epochs(stage.name)}"
        with self._bar(label, len(loader)) as advance:
            for i, batch in enumerate(loader):
                batch = batch.to(self.device)
                optimiser.zero_grad(set_to_none=True)
                with self.autocast():
                    output = net(batch.inputs, stage.name)
                loss, _ = stage_loss(output, batch, stage)
                self._check_finite(loss, stage, epoch, i)
                self.scaler.scale(loss).backward()
                self.scaler.step(optimiser)
                self.scaler.update()
                n = batch.labels.shape[0]
                total += torch.tensor([float(loss.detach()) * n, n], dtype=torch.float64)
                advance(float(loss.detach()))
        ddp.all_reduce_sum(total, self.info)
        train_loss = float(total[0] / total[1])
        scheduler.step()
        val_loss, val_mse, val_dice = self._validate(stage)
        value = (val_dice or {}).get("mean", math.nan) if metric == "dice" else val_mse
        value = math.nan if value is None else float(value)
        better = (
            state.best_epoch == 0
            or (metric == "dice" and value > state.best_value)
            or (metric == "mse" and value < state.best_value)
            or (math.isnan(state.best_value) and not math.isnan(value))
        )
        if better:
            state.best_value, state.best_epoch = value, epoch + 1
        record = EpochRecord(
            stage.name,
            epoch + 1,
            train_loss,
            val_loss,
            val_mse,
            val_dice,
            lr,
            time.perf_counter() - start,
            better,
            time.process_time() - cpu_start,
        )
        if self.info.is_main and self.progress:
            self._print_epoch(record)
        return record

    def _check_finite(self, loss: Tensor, stage: Stage, epoch: int, batch: int) -> None:
        bad = torch.tensor([0.0 if bool(torch.isfinite(loss.detach())) else 1.0])
        ddp.all_reduce_sum(bad, self.info)  # every rank stops together
        if bad.item() > 0:
            kept = self.paths.last(stage.name)
            where = f"kept {str(kept)!r}" if kept.is_file() else "no checkpoint of this stage yet"
            raise NonFiniteLossError(
                f"loss became {float(loss.detach())} in stage {stage.name!r}, epoch {epoch + 1}, "
                f"batch {batch + 1}; stopped ({where}); try a lower --lr"
            )

    @torch.no_grad()
    def _validate(self, stage: Stage) -> tuple[float, float | None, dict[str, float] | None]:
        model = self.model
        model.eval()
        sums = torch.zeros(3, dtype=torch.float64)  # loss*n, mse*n, n
        dice = torch.zeros(2, len(CLASS_NAMES), dtype=torch.float64)
        has_mse = has_seg = False
        for batch in _eval_loader(self.val_ds, self.config, self.info):
            batch = batch.to(self.device)
            with self.autocast():
                output = model(batch.inputs, stage.name)
            loss, mse = stage_loss(output, batch, stage)
            n = batch.labels.shape[0]
            sums[0] += float(loss) * n
            sums[2] += n
            if mse is not None:
                has_mse = True
                sums[1] += float(mse) * n
            if output.logits is not None:
                has_seg = True
                dice += dice_counts(output.logits.float(), batch.labels, model.config.num_classes)
        flags = torch.tensor([float(has_mse), float(has_seg)], dtype=torch.float64)
        ddp.all_reduce_sum(sums, self.info)
        ddp.all_reduce_sum(dice, self.info)
        ddp.all_reduce_sum(flags, self.info)
        model.train()
        n = max(float(sums[2]), 1.0)
        val_mse = float(sums[1]) / n if flags[0] > 0 else None
        val_dice: dict[str, float] | None = None
        if flags[1] > 0:
            per = [
                float(dice[0, c] / dice[1, c]) if dice[1, c] > 0 else math.nan
                for c in range(len(CLASS_NAMES))
            ]
            val_dice = dict(zip(CLASS_NAMES, per, strict=True))
            finite = [v for v in per if not math.isnan(v)]
            val_dice["mean"] = float(np.mean(finite)) if finite else math.nan
        return float(sums[0]) / n, val_mse, val_dice

    # -- files ----------------------------------------------------------------------------------
    def _weights_payload(
        self, weights: dict[str, Tensor], stage: Stage, epoch: int
    ) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "model": weights,
            "stage": stage.name,
            "epoch": epoch,
            "config_json": json.dumps(self.config.to_dict()),
            "model_name": self.config.model.name,
            "config_sha256": self.config.fingerprint(),
            "seranet_version": __version__,
        }

    def _last_payload(
        self,
        stage: Stage,
        stage_index: int,
        state: _StageState,
        optimiser: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        metric: str,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT,
            "model": self.model.state_dict(),
            "optimizer": optimiser.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": get_rng_state(),
            "stage": stage.name,
            "stage_index": stage_index,
            "epoch": state.epoch,
            "epochs": self.config.stage_epochs(stage.name),
            "metric": metric,
            "best_value": state.best_value,
            "best_epoch": state.best_epoch,
            "history": self.history,
            "config_json": json.dumps(self.config.to_dict()),
            "model_name": self.config.model.name,
            "config_sha256": self.config.fingerprint(),
            "seranet_version": __version__,
        }
        if self.scaler.is_enabled():
            payload["scaler"] = self.scaler.state_dict()
        return payload

    def _report(self, record: EpochRecord, stage_done: bool) -> None:
        """metrics.csv every epoch; curves.png at most every 30 s and at each stage's end;
        TensorBoard scalars and overlays when asked."""
        write_csv(self.history, self.paths.metrics_csv)
        now = time.monotonic()
        if stage_done or now - self._plotted >= CURVES_EVERY_S:
            write_curves(self.history, self.paths.curves, self.config.model.name)
            self._plotted = now
        if self.tensorboard is not None:
            self.tensorboard.log(record, len(self.history), self.model, self.val_ds, self.device)

    def _rewrite_metrics(self) -> None:
        lines = [
            json.dumps({k: v for k, v in rec.items() if k != "stage_index"}) for rec in self.history
        ]
        atomic_write_text("".join(line + "\n" for line in lines), self.paths.metrics)

    # -- display --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _bar(self, label: str, total: int) -> Iterator[Callable[[float], None]]:
        if not self.progress:
            yield lambda loss: None
            return
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(label, total=total, loss="-")

            def advance(loss: float) -> None:
                bar.update(task, advance=1, loss=f"{loss:.4f}")

            yield advance

    def _print_epoch(self, r: EpochRecord) -> None:
        parts = [
            f"{r.stage} {r.epoch:>3}",
            f"loss {r.train_loss:.4f}",
            f"val loss {r.val_loss:.4f}",
        ]
        if r.val_mse is not None:
            parts.append(f"val MSE {r.val_mse:.5f}")
        if r.val_dice is not None:
            d = r.val_dice
            parts.append(
                f"val Dice {d['mean']:.4f} (CSF {d['csf']:.3f} GM {d['gm']:.3f} WM {d['wm']:.3f})"
            )
        parts.append(f"lr {r.lr:.2e}")
        parts.append(f"{r.seconds:.1f} s")
        self.console.print(
            " | ".join(parts) + (" [green]*[/green]" if r.best else ""), soft_wrap=True
        )


def _prepare_dir(paths: RunPaths, config: TrainConfig, resume: bool, overwrite: bool) -> bool:
    """Check the run directory against resume/overwrite; True when the run is already complete."""
    if paths.root.exists() and not paths.root.is_dir():
        raise RunExistsError(f"output {str(paths.root)!r} exists and is not a directory")
    if not paths.started:
        return False
    if overwrite:
        return False
    if not resume:
        state = "a complete run" if paths.complete else "an unfinished run"
        raise RunExistsError(
            f"output directory {str(paths.root)!r} already holds {state}; "
            "pass --resume to continue it or --overwrite to start again"
        )
    if paths.config.is_file():
        stored = read_json(paths.config)
        wanted = json.loads(json.dumps(config.to_dict()))
        if isinstance(stored, dict) and stored.get("model") != wanted["model"]:
            raise CheckpointError(
                f"run {str(paths.root)!r} was trained as {describe_model(stored.get('model', {}))}, "
                f"not the requested {describe_model(wanted['model'])}"
            )
        if isinstance(stored, dict):
            # fields added since the run started take their defaults; paths compare resolved
            with contextlib.suppress(ValueError, TypeError, KeyError):
                stored = json.loads(json.dumps(TrainConfig.from_dict(stored).to_dict()))
        differ = sorted(
            k
            for k in wanted
            if k not in RESUME_IGNORED and isinstance(stored, dict) and stored.get(k) != wanted[k]
        )
        if differ:
            raise CheckpointError(
                f"cannot resume {str(paths.root)!r}: its config differs in {', '.join(differ)}"
            )
    return paths.complete


def _clear_run(paths: RunPaths) -> None:
    """Delete the files of a run (and nothing else a user may keep in the directory)."""
    if paths.checkpoints.is_dir():
        shutil.rmtree(paths.checkpoints)
    for path in (
        paths.model, paths.summary, paths.metrics, paths.config, paths.metrics_csv, paths.curves,
    ):  # fmt: skip
        path.unlink(missing_ok=True)
    if paths.tensorboard.is_dir():
        shutil.rmtree(paths.tensorboard)
    if paths.root.is_dir():
        for path in paths.root.glob("*-best.pt"):
            path.unlink()


def check_model_fits(
    model: ModelConfig, shape: tuple[int, int], available: int | None = None
) -> None:
    """Refuse, before anything is allocated, a UNet deeper than the images allow (each level
    halves them; the bottleneck must keep at least 2 x 2 pixels) and a model whose weights,
    gradients and Adam state (16 bytes per parameter, counted on the meta device) exceed the
    memory available (``available`` bytes; default: the machine's MemAvailable)."""
    h, w = shape
    levels = model.depth - 1
    if min(h, w) < 2 * 2**levels:
        deepest = max(1, int(math.log2(min(h, w) / 2)) + 1)
        raise ValueError(
            f"depth {model.depth} halves the {h} x {w} images {levels} times, leaving "
            f"{h >> levels} x {w >> levels} pixels at the bottleneck; use --depth {deepest} or less"
        )
    with torch.device("meta"):
        parameters = sum(p.numel() for p in build_model(model).parameters())
    need = 16 * parameters
    available = _available_memory() if available is None else available
    if available is not None and need > available:
        raise ValueError(
            f"{model.name} with width {model.width} and depth {model.depth} has "
            f"{parameters / 1e6:.0f} M parameters: {need / 2**30:.1f} GiB for weights, gradients "
            f"and Adam state alone, more than the {available / 2**30:.1f} GiB of memory available"
        )


def _available_memory() -> int | None:
    """MemAvailable of /proc/meminfo in bytes (None where there is no such file)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _load_init(init_from: str | Path, model: SegmentationModel) -> int:
    init = RunPaths(Path(init_from))
    if not init.complete:
        raise CheckpointError(f"--init-from run {str(init.root)!r} is not complete (no model.pt)")
    data = load_checkpoint(init.model)
    matched = load_matching(model, data["model"])
    if matched == 0:
        raise CheckpointError(
            f"no tensor of {str(init.model)!r} matches the parameters of {model.config.name}"
        )
    return matched


def train(
    config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    init_from: str | Path | None = None,
    progress: bool = True,
    console: Console | None = None,
    on_epoch_end: Callable[[EpochRecord], None] | None = None,
    tensorboard: bool = False,
) -> RunSummary:
    """Train ``config.model`` through all its stages and write a run directory.

    Parameters
    ----------
    config
        What to train and how.
    out_dir
        The run directory (layout in :mod:`seranet.train.run`). Nothing is written there until
        the data, the model and ``init_from`` have been checked.
    resume
        Continue from the last checkpoint of an unfinished run (the weights then end exactly
        as in an uninterrupted run, on CPU); a complete run is returned as is
        (``RunSummary.skipped``). Starting fresh when the directory holds no run.
    overwrite
        Delete an existing run in ``out_dir`` and start again.
    init_from
        A finished run whose final weights are copied into every parameter of matching name
        and shape before the first stage; all stages then run as usual.
    progress
        Show rich progress bars and one line per epoch (rank 0 only).
    console
        Where progress goes (default: stderr).
    on_epoch_end
        Called on every rank with each epoch's record, after its checkpoint is written.
    tensorboard
        Also log every epoch's scalars and overlays of a few validation slices to
        ``RUN/tensorboard`` (needs the ``tensorboard`` package).

    Raises
    ------
    seranet.data.DataError, ValueError, CheckpointError, RunExistsError, NonFiniteLossError
        All with one-line messages.
    """
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other")
    if tensorboard:
        TensorBoardLog.check_available()
    console = console or Console(stderr=True)
    parse_model_name(config.model.name)
    use_cuda = resolve_device(config.device).type == "cuda"
    info = ddp.setup(use_cuda)
    try:
        device = resolve_device(config.device, info.local_rank)
        return _train(
            config,
            Path(out_dir),
            info,
            device,
            resume,
            overwrite,
            init_from,
            progress,
            console,
            on_epoch_end,
            tensorboard=tensorboard,
        )
    finally:
        ddp.teardown(info)


def _train(
    config: TrainConfig,
    out: Path,
    info: ddp.DistInfo,
    device: torch.device,
    resume: bool,
    overwrite: bool,
    init_from: str | Path | None,
    progress: bool,
    console: Console,
    on_epoch_end: Callable[[EpochRecord], None] | None,
    *,
    tensorboard: bool = False,
) -> RunSummary:
    start = time.perf_counter()
    paths = RunPaths(out)
    if paths.root.exists() and not paths.root.is_dir():
        raise RunExistsError(f"output {str(paths.root)!r} exists and is not a directory")
    with contextlib.ExitStack() as stack:
        splits = split_subjects(config.data_dir, config.split)
        val_ds = evaluation_dataset(splits["val"], config)
        stack.callback(val_ds.close)
        mask = val_ds.mask
        train_ds = SliceDataset(splits["train"], mask, seed=config.seed, train=True, rank=info.rank)
        stack.callback(train_ds.close)
        if train_ds.shape != val_ds.shape:
            raise ValueError(
                f"training images {train_ds.shape} and validation images {val_ds.shape} differ"
            )
        mask(train_ds.shape)  # fail early on a mask that does not fit the image size
        check_model_fits(config.model, train_ds.shape)
        return _train_checked(
            config, paths, info, device, resume, overwrite, init_from, progress, console,
            on_epoch_end, train_ds, val_ds, stack, start, tensorboard=tensorboard,
        )  # fmt: skip


def _train_checked(
    config: TrainConfig,
    paths: RunPaths,
    info: ddp.DistInfo,
    device: torch.device,
    resume: bool,
    overwrite: bool,
    init_from: str | Path | None,
    progress: bool,
    console: Console,
    on_epoch_end: Callable[[EpochRecord], None] | None,
    train_ds: SliceDataset,
    val_ds: SliceDataset,
    stack: contextlib.ExitStack,
    start: float,
    *,
    tensorboard: bool = False,
) -> RunSummary:
    out = paths.root
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
        torch.manual_seed(config.seed)
        model = build_model(config.model)
        matched = _load_init(init_from, model) if init_from is not None else None
        # Channels-last weights: 1.08x (Joint) to 1.15x (SERANet-3) faster training steps at
        # 108 x 90 on one CPU thread, the same arithmetic in another memory order.
        optimise_for_training(model.to(device))
        if info.is_main:  # the first write: one writer per run directory from here on
            stack.enter_context(folder_lock(paths.root))
            for stale in (*paths.root.glob(".*.tmp"), *paths.checkpoints.glob(".*.tmp")):
                stale.unlink()  # temporary files of a writer that was killed mid-write
        if _prepare_dir(paths, config, resume, overwrite):
            summary = RunSummary.from_dict(read_json(paths.summary))
            return dataclasses.replace(summary, run_dir=out, seconds=0.0, skipped=True)
        if config.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
            if device.type == "cuda":
                torch.backends.cudnn.benchmark = False
        runner: _Runner | None = None
        try:
            if info.is_main:
                if overwrite:
                    _clear_run(paths)
                paths.root.mkdir(parents=True, exist_ok=True)
                if not (resume and paths.config.is_file()):
                    atomic_write_text(json.dumps(config.to_dict(), indent=2) + "\n", paths.config)
                    paths.metrics.unlink(missing_ok=True)
            ddp.barrier(info)
            runner = _Runner(
                config,
                paths,
                model,
                train_ds,
                val_ds,
                info,
                device,
                console,
                progress,
                on_epoch_end,
                tensorboard=tensorboard,
            )
            if info.is_main and progress:
                console.print(
                    f"[bold]{config.model.name}[/bold]: {len(train_ds)} training / {len(val_ds)} "
                    f"validation slices, {info.world_size} process(es) on {device}"
                    + (f", {matched} tensors from {init_from}" if matched is not None else "")
                )
            summaries: list[StageSummary] = []
            resuming = resume
            for index, stage in enumerate(model.stages()):
                done = runner.skip_stage(stage) if resuming else None
                if done is not None:
                    summaries.append(done)
                    continue
                summaries.append(runner.run_stage(index, stage, resuming))
                resuming = False
            final_dice = runner.history[-1]["val_dice"] if runner.history else None
            last_stage = summaries[-1]
            best = [
                r
                for r in runner.history
                if r["stage"] == last_stage.name and r["epoch"] == last_stage.best_epoch
            ]
            if best:
                final_dice = best[-1]["val_dice"]
            summary = RunSummary(
                out,
                config.model.name,
                tuple(summaries),
                final_dice,
                time.perf_counter() - start,
                False,
                matched,
                inputs_digest(val_ds),
            )
            if info.is_main:
                atomic_write_text(json.dumps(summary.to_dict(), indent=2) + "\n", paths.summary)
                final = {
                    "format": CHECKPOINT_FORMAT,
                    "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                    "config_json": json.dumps(config.to_dict()),
                    "model_name": config.model.name,
                    "config_sha256": config.fingerprint(),
                    "image_shape": list(train_ds.shape),
                    "stages": [s.name for s in summaries],
                    "seranet_version": __version__,
                }
                atomic_save(final, paths.model)
            ddp.barrier(info)
            return summary
        finally:
            if runner is not None and runner.tensorboard is not None:
                runner.tensorboard.close()
            torch.use_deterministic_algorithms(deterministic_before)
            for p in model.parameters():
                p.requires_grad_(True)
