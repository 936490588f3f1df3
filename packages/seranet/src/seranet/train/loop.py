"""The training loop: every stage of a model, resume, DDP, AMP.

``train(config, out_dir)`` runs the model's :meth:`~seranet.models.SegmentationModel.stages`
in order. Each stage gets its own Adam optimiser and learning-rate schedule
(:mod:`seranet.train.schedule`) over ``model.stage_parameters(stage)`` (all other parameters
frozen) and minimises :func:`~seranet.train.losses.stage_loss`.

After every epoch the validation split is evaluated (:mod:`seranet.train.validation`) on the
evaluation inputs of :mod:`seranet.inputs` (masks from ``config.eval_seed``, the same for every
run); a stage with segmentation output (``seg_weight > 0``) keeps the epoch of highest mean Dice
over CSF, GM and WM, a reconstruction-only stage the epoch of lowest MSE. The next stage starts
from those best weights, and the final weights (``model.pt``) are the best of the last stage.

The other concerns live beside this module: the data loaders (:mod:`~seranet.train.loaders`),
the checkpoint format (:mod:`~seranet.train.checkpoint`), the run directory
(:mod:`~seranet.train.run`), what the console shows (:mod:`~seranet.train.display`) and the
curves (:mod:`~seranet.train.curves`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from kspace.guard import folder_lock
from seranet._files import atomic_write_text, disk_full, read_json
from seranet.data import SliceDataset, split_subjects
from seranet.inputs import evaluation_dataset, inputs_digest
from seranet.models import (
    SegmentationModel,
    Stage,
    build_model,
    optimise_for_training,
    parse_model_name,
)
from seranet.simulated import (
    HeadPool,
    SimulatedSlices,
    SimulationConfig,
    file_geometry,
    heads_of_split,
)
from seranet.train import distributed as ddp
from seranet.train.checkpoint import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    CheckpointError,
    TrainingState,
    describe_model,
    get_rng_state,
    load_matching,
    load_weights,
    set_rng_state,
)
from seranet.train.config import (
    SIMULATED_SOURCE_VERSION,
    EpochRecord,
    RunSummary,
    SimulatedSource,
    StageSummary,
    TrainConfig,
)
from seranet.train.curves import write_csv, write_curves
from seranet.train.display import epoch_bar, epoch_line
from seranet.train.distributed import resolve_device
from seranet.train.loaders import eval_loader, train_loader
from seranet.train.losses import stage_loss
from seranet.train.resources import check_model_fits
from seranet.train.run import RunExistsError, RunPaths
from seranet.train.tensorboard import TensorBoardLog
from seranet.train.validation import validate
from seranet.vocabulary import MEAN

__all__ = ["NonFiniteLossError", "train"]

CURVES_EVERY_S = 30.0
"""Least time between two rewrites of ``curves.png`` within a stage."""


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass(frozen=True)
class _Setup:
    """What every stage of one call to :func:`train` shares."""

    config: TrainConfig
    paths: RunPaths
    info: ddp.DistInfo
    device: torch.device
    console: Console
    progress: bool
    on_epoch_end: Callable[[EpochRecord], None] | None
    tensorboard: bool


@dataclass
class _StageProgress:
    """How far a stage is: epochs finished and its best epoch so far."""

    epoch: int = 0
    best_value: float = math.nan
    best_epoch: int = 0

    def update(self, metric: str, value: float, epoch: int) -> bool:
        """Record epoch ``epoch`` (1-based) with validation ``value``; True when it is the best."""
        better = (
            self.best_epoch == 0
            or (metric == "dice" and value > self.best_value)
            or (metric == "mse" and value < self.best_value)
            or (math.isnan(self.best_value) and not math.isnan(value))
        )
        if better:
            self.best_value, self.best_epoch = value, epoch
        return better


@dataclass
class _Optimisation:
    """A stage's optimiser and learning-rate schedule."""

    optimiser: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler


class _Runner:
    """Runs the stages of one call to :func:`train` on one process."""

    def __init__(
        self,
        setup: _Setup,
        *,
        model: SegmentationModel,
        train_ds: SliceDataset | SimulatedSlices,
        val_ds: SliceDataset,
    ) -> None:
        self.setup, self.config, self.paths = setup, setup.config, setup.paths
        self.info, self.device = setup.info, setup.device
        self.model, self.train_ds, self.val_ds = model, train_ds, val_ds
        self.show_progress = setup.progress and self.info.is_main
        self.history: list[dict[str, Any]] = []
        self._plotted = -math.inf
        self.tensorboard = (
            TensorBoardLog(self.paths.tensorboard)
            if setup.tensorboard and self.info.is_main
            else None
        )
        use_amp = self.config.amp and self.device.type == "cuda"
        bf16 = use_amp and torch.cuda.is_bf16_supported()
        self.amp_dtype: torch.dtype | None = (
            (torch.bfloat16 if bf16 else torch.float16) if use_amp else None
        )
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_amp and not bf16)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.amp_dtype)

    # -- resume ---------------------------------------------------------------------------------
    def _last_checkpoint(self, stage: Stage) -> Checkpoint | None:
        """The stage's resumable checkpoint, checked against the run; None when there is none."""
        path = self.paths.last(stage.name)
        if not path.is_file():
            return None
        ck = Checkpoint.load(path)
        stored = ck.config_dict.get("model", {})
        wanted = json.loads(json.dumps(self.config.to_dict()["model"]))
        if stored != wanted:
            raise CheckpointError(
                f"checkpoint {str(path)!r} was written for {describe_model(stored)}, "
                f"not the requested {describe_model(wanted)}"
            )
        if ck.format != CHECKPOINT_FORMAT:
            raise CheckpointError(
                f"checkpoint {str(path)!r} has format {ck.format!r}, not "
                f"{CHECKPOINT_FORMAT} (written by another seranet version); start the run again"
            )
        if ck.stage != stage.name:
            raise CheckpointError(f"checkpoint {str(path)!r} belongs to stage {ck.stage!r}")
        if ck.training is None or ck.epoch is None:
            raise CheckpointError(f"checkpoint {str(path)!r} holds no training state")
        return ck

    def _restore(self, ck: Checkpoint) -> TrainingState:
        """Random state and history as they were when ``ck`` was written."""
        assert ck.training is not None  # checked by _last_checkpoint
        set_rng_state(ck.training.rng)
        self.history = list(ck.training.history)
        return ck.training

    def skip_stage(self, stage: Stage) -> StageSummary | None:
        """A stage already finished before a resume: load its best weights and RNG state."""
        ck = self._last_checkpoint(stage)
        if ck is None or ck.epoch is None or ck.epoch < self.config.stage_epochs(stage.name):
            return None
        best = self.paths.best(stage.name)
        load_weights(self.model, Checkpoint.load(best).weights, repr(str(best)))
        state = self._restore(ck)
        return StageSummary(stage.name, ck.epoch, state.best_epoch, state.metric, state.best_value)

    # -- one stage ------------------------------------------------------------------------------
    def run_stage(self, stage_index: int, stage: Stage, *, resume: bool) -> StageSummary:
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
        opt = _Optimisation(
            optimiser,
            torch.optim.lr_scheduler.LambdaLR(optimiser, lambda e: config.lr_factor(stage.name, e)),
        )
        progress = _StageProgress()
        best_weights: dict[str, Tensor] | None = None
        ck = self._last_checkpoint(stage) if resume else None
        if ck is not None:
            load_weights(model, ck.weights, repr(str(paths.last(stage.name))))
            state = self._restore(ck)
            opt.optimiser.load_state_dict(state.optimizer)
            opt.scheduler.load_state_dict(state.scheduler)
            if state.scaler is not None and self.scaler.is_enabled():
                self.scaler.load_state_dict(state.scaler)
            progress = _StageProgress(ck.epoch or 0, state.best_value, state.best_epoch)
            best_weights = Checkpoint.load(paths.best(stage.name)).weights
        if resume and self.info.is_main:
            self._rewrite_metrics()  # drop lines written after the checkpoint we resume from
        net: nn.Module = model
        if self.info.distributed:
            net = DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )
        for epoch in range(progress.epoch, epochs):
            record = self._epoch(
                net, stage, stage_index=stage_index, epoch=epoch, opt=opt, progress=progress,
                metric=metric,
            )  # fmt: skip
            if record.best:
                best_weights = {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}
                if self.info.is_main:
                    Checkpoint.of(config, best_weights, stage=stage.name, epoch=epoch + 1).save(
                        paths.best(stage.name)
                    )
            progress.epoch = epoch + 1
            self.history.append({"stage_index": stage_index, **record.to_dict()})
            if self.info.is_main:
                self._save_last(stage, stage_index=stage_index, progress=progress, opt=opt,
                                metric=metric)  # fmt: skip
                self._append_metrics(record)
                self._report(record, stage_done=epoch + 1 == epochs)
            ddp.barrier(self.info)
            if self.setup.on_epoch_end is not None:
                self.setup.on_epoch_end(record)
        if best_weights is None:  # pragma: no cover - epochs >= 1 always produces a best epoch
            raise RuntimeError(f"stage {stage.name!r} ended without a best epoch")
        model.load_state_dict(best_weights)
        return StageSummary(
            stage.name, progress.epoch, progress.best_epoch, metric, progress.best_value
        )

    # -- one epoch ------------------------------------------------------------------------------
    def _epoch(
        self,
        net: nn.Module,
        stage: Stage,
        *,
        stage_index: int,
        epoch: int,
        opt: _Optimisation,
        progress: _StageProgress,
        metric: str,
    ) -> EpochRecord:
        start, cpu_start = time.perf_counter(), time.process_time()
        lr = float(opt.optimiser.param_groups[0]["lr"])
        self.train_ds.set_epoch(epoch)
        loader = train_loader(
            self.train_ds, self.config, self.info, stage_index=stage_index, epoch=epoch
        )
        net.train()
        total = torch.zeros(2, dtype=torch.float64)
        label = f"{stage.name} {epoch + 1}/{self.config.stage_epochs(stage.name)}"
        with epoch_bar(
            self.setup.console, label, len(loader), enabled=self.show_progress
        ) as advance:
            for i, batch in enumerate(loader):
                batch = batch.to(self.device)
                opt.optimiser.zero_grad(set_to_none=True)
                with self.autocast():
                    output = net(batch.inputs, stage.name)
                loss, _ = stage_loss(output, batch, stage)
                self._check_finite(loss, stage, epoch=epoch, batch=i)
                self.scaler.scale(loss).backward()
                self.scaler.step(opt.optimiser)
                self.scaler.update()
                n = batch.labels.shape[0]
                total += torch.tensor([float(loss.detach()) * n, n], dtype=torch.float64)
                advance(float(loss.detach()))
        ddp.all_reduce_sum(total, self.info)
        train_loss = float(total[0] / total[1])
        opt.scheduler.step()
        val = validate(
            self.model,
            eval_loader(self.val_ds, self.config, self.info),
            stage,
            device=self.device,
            info=self.info,
            autocast=self.autocast,
        )
        value = (val.dice or {}).get(MEAN, math.nan) if metric == "dice" else val.mse
        value = math.nan if value is None else float(value)
        record = EpochRecord(
            stage=stage.name,
            epoch=epoch + 1,
            train_loss=train_loss,
            val_loss=val.loss,
            val_mse=val.mse,
            val_dice=val.dice,
            lr=lr,
            seconds=time.perf_counter() - start,
            best=progress.update(metric, value, epoch + 1),
            cpu_seconds=time.process_time() - cpu_start,
        )
        if self.show_progress:
            self.setup.console.print(epoch_line(record), soft_wrap=True)
        return record

    def _check_finite(self, loss: Tensor, stage: Stage, *, epoch: int, batch: int) -> None:
        bad = torch.tensor([0.0 if bool(torch.isfinite(loss.detach())) else 1.0])
        ddp.all_reduce_sum(bad, self.info)  # every rank stops together
        if bad.item() > 0:
            kept = self.paths.last(stage.name)
            where = f"kept {str(kept)!r}" if kept.is_file() else "no checkpoint of this stage yet"
            raise NonFiniteLossError(
                f"loss became {float(loss.detach())} in stage {stage.name!r}, epoch {epoch + 1}, "
                f"batch {batch + 1}; stopped ({where}); try a lower --lr"
            )

    # -- files ----------------------------------------------------------------------------------
    def _save_last(
        self,
        stage: Stage,
        *,
        stage_index: int,
        progress: _StageProgress,
        opt: _Optimisation,
        metric: str,
    ) -> None:
        training = TrainingState(
            stage_index=stage_index,
            epochs=self.config.stage_epochs(stage.name),
            metric=metric,
            best_value=progress.best_value,
            best_epoch=progress.best_epoch,
            optimizer=opt.optimiser.state_dict(),
            scheduler=opt.scheduler.state_dict(),
            rng=get_rng_state(),
            history=self.history,
            scaler=self.scaler.state_dict() if self.scaler.is_enabled() else None,
        )
        Checkpoint.of(
            self.config,
            self.model.state_dict(),
            stage=stage.name,
            epoch=progress.epoch,
            training=training,
        ).save(self.paths.last(stage.name))

    def _append_metrics(self, record: EpochRecord) -> None:
        try:
            with self.paths.metrics.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record.to_dict()) + "\n")
        except OSError as error:
            raise disk_full(error, self.paths.metrics) from None

    def _report(self, record: EpochRecord, *, stage_done: bool) -> None:
        """metrics.csv every epoch; curves.png at most every 30 s and at each stage's end;
        TensorBoard scalars and overlays when asked."""
        write_csv(self.history, self.paths.metrics_csv)
        now = time.monotonic()
        if stage_done or now - self._plotted >= CURVES_EVERY_S:
            write_curves(self.history, self.paths.curves, self.config.model.name)
            self._plotted = now
        if self.tensorboard is not None:
            self.tensorboard.log(
                record,
                step=len(self.history),
                model=self.model,
                val_ds=self.val_ds,
                device=self.device,
            )

    def _rewrite_metrics(self) -> None:
        lines = [
            json.dumps({k: v for k, v in rec.items() if k != "stage_index"}) for rec in self.history
        ]
        atomic_write_text(self.paths.metrics, "".join(line + "\n" for line in lines))

    def final_checkpoint(self, stages: list[StageSummary]) -> Checkpoint:
        """``model.pt``: the final weights, the image size and the stages that made them."""
        weights = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        return Checkpoint.of(
            self.config,
            weights,
            image_shape=self.train_ds.shape,
            stages=tuple(s.name for s in stages),
        )

    def final_dice(self, last_stage: StageSummary) -> dict[str, float] | None:
        """Validation Dice of the final weights (the best epoch of the last stage)."""
        best = [
            r
            for r in self.history
            if r["stage"] == last_stage.name and r["epoch"] == last_stage.best_epoch
        ]
        if best:
            dice: dict[str, float] | None = best[-1]["val_dice"]
            return dice
        return self.history[-1]["val_dice"] if self.history else None


def _load_init(init_from: str | Path, model: SegmentationModel) -> int:
    init = RunPaths(Path(init_from))
    if not init.complete:
        raise CheckpointError(f"--init-from run {str(init.root)!r} is not complete (no model.pt)")
    matched = load_matching(model, Checkpoint.load(init.model).weights)
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
    parse_model_name(config.model.name)
    use_cuda = resolve_device(config.device).type == "cuda"
    info = ddp.setup(use_cuda)
    try:
        setup = _Setup(
            config=config,
            paths=RunPaths(Path(out_dir)),
            info=info,
            device=resolve_device(config.device, info.local_rank),
            console=console or Console(stderr=True),
            progress=progress,
            on_epoch_end=on_epoch_end,
            tensorboard=tensorboard,
        )
        if setup.paths.root.exists() and not setup.paths.root.is_dir():
            raise RunExistsError(f"output {str(setup.paths.root)!r} exists and is not a directory")
        with contextlib.ExitStack() as stack:
            train_ds, val_ds = _open_data(config, info, stack)
            return _train(
                setup, train_ds=train_ds, val_ds=val_ds, stack=stack, resume=resume,
                overwrite=overwrite, init_from=init_from,
            )  # fmt: skip
    finally:
        ddp.teardown(info)


def _open_data(
    config: TrainConfig, info: ddp.DistInfo, stack: contextlib.ExitStack
) -> tuple[SliceDataset | SimulatedSlices, SliceDataset]:
    """The training and validation sets (closed by ``stack``), checked against each other, the
    mask and the model."""
    splits = split_subjects(config.data_dir, config.split)
    val_ds = stack.enter_context(contextlib.closing(evaluation_dataset(splits["val"], config)))
    mask = val_ds.mask
    files = stack.enter_context(
        contextlib.closing(
            SliceDataset(splits["train"], mask, seed=config.seed, train=True, rank=info.rank)
        )
    )
    train_ds: SliceDataset | SimulatedSlices = files
    if config.simulated is not None:
        train_ds = _simulated_source(config, config.simulated, files, splits["train"])
    if train_ds.shape != val_ds.shape:
        raise ValueError(
            f"training images {train_ds.shape} and validation images {val_ds.shape} differ"
        )
    mask(train_ds.shape)  # fail early on a mask that does not fit the image size
    check_model_fits(config.model, train_ds.shape)
    return train_ds, val_ds


def _simulated_source(
    config: TrainConfig, settings: SimulatedSource, files: SliceDataset, paths: list[Path]
) -> SimulatedSlices:
    """The simulated training source in place of the training files: the same image geometry,
    the training split's BrainWeb subjects (and procedural heads), as many samples per epoch
    as the files hold slices unless told otherwise."""
    if settings.version != SIMULATED_SOURCE_VERSION:
        raise ValueError(
            f"this run's simulated source is version {settings.version}; this seranet makes "
            f"version {SIMULATED_SOURCE_VERSION} samples (see SimulatedSource.version)"
        )
    resolution, thickness, profile = file_geometry(paths[0])
    subjects = heads_of_split(paths) if settings.brainweb_dir is not None else ()
    pool = HeadPool(
        Path(settings.brainweb_dir) if settings.brainweb_dir is not None else None,
        subjects,
        procedural=settings.procedural_heads,
    )
    simulation = SimulationConfig(
        samples_per_epoch=settings.samples_per_epoch or len(files),
        resolution_mm=resolution,
        slice_thickness_mm=thickness,
        supersample=settings.supersample,
        randomisation=settings.randomisation,
        slice_profile=profile,
    )
    return SimulatedSlices(pool, simulation, files.mask, seed=config.seed)


def _train(
    setup: _Setup,
    *,
    train_ds: SliceDataset | SimulatedSlices,
    val_ds: SliceDataset,
    stack: contextlib.ExitStack,
    resume: bool,
    overwrite: bool,
    init_from: str | Path | None,
) -> RunSummary:
    start = time.perf_counter()
    config, paths, info, device = setup.config, setup.paths, setup.info, setup.device
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
            paths.remove_temporaries()
        if paths.check_start(config, resume=resume, overwrite=overwrite):
            summary = RunSummary.from_dict(read_json(paths.summary))
            return dataclasses.replace(summary, run_dir=paths.root, seconds=0.0, skipped=True)
        if config.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
            if device.type == "cuda":
                torch.backends.cudnn.benchmark = False
        runner: _Runner | None = None
        try:
            if info.is_main:
                if overwrite:
                    paths.clear()
                paths.root.mkdir(parents=True, exist_ok=True)
                if not (resume and paths.config.is_file()):
                    atomic_write_text(paths.config, json.dumps(config.to_dict(), indent=2) + "\n")
                    paths.metrics.unlink(missing_ok=True)
            ddp.barrier(info)
            runner = _Runner(setup, model=model, train_ds=train_ds, val_ds=val_ds)
            if info.is_main and setup.progress:
                setup.console.print(
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
                summaries.append(runner.run_stage(index, stage, resume=resuming))
                resuming = False
            summary = RunSummary(
                run_dir=paths.root,
                model=config.model.name,
                stages=tuple(summaries),
                val_dice=runner.final_dice(summaries[-1]),
                seconds=time.perf_counter() - start,
                skipped=False,
                init_matched=matched,
                val_inputs=inputs_digest(val_ds),
            )
            if info.is_main:
                atomic_write_text(paths.summary, json.dumps(summary.to_dict(), indent=2) + "\n")
                runner.final_checkpoint(summaries).save(paths.model)
            ddp.barrier(info)
            return summary
        finally:
            if runner is not None and runner.tensorboard is not None:
                runner.tensorboard.close()
            torch.use_deterministic_algorithms(deterministic_before)
            for p in model.parameters():
                p.requires_grad_(True)
