"""Command-line interface of ``seranet``: parses options, calls the library, renders with rich.

``seranet train`` -> :func:`seranet.train.train`, ``seranet evaluate`` ->
:func:`seranet.evaluate.evaluate`, ``seranet predict`` -> :func:`seranet.predict.predict`.
Every expected failure ends with a one-line ``error: ...`` on stderr: exit 2 for bad input
(data, model name, checkpoint mismatch, existing run), 1 for a run that failed (NaN loss,
folder in use, full disk); see :mod:`kspace.cli_conventions`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from kspace.cli_conventions import RUN_FAILED, fail, fail_with, make_app, run
from seranet import __version__

if TYPE_CHECKING:
    from seranet.train.config import SimulatedSource

__all__ = ["app", "main"]

app = make_app(
    "seranet",
    __version__,
    "Train, evaluate and apply segmentation networks that start from under-sampled k-space.",
)
console = Console(stderr=True)
stdout = Console()

T = TypeVar("T")


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the library's expected errors into one-line messages: exit 2 for bad input, 1 for
    a run that failed (NaN loss, folder in use, full disk)."""
    from kspace.guard import FolderLockedError
    from seranet.train import NonFiniteLossError

    try:
        yield
    except NonFiniteLossError as error:
        raise fail(error, RUN_FAILED) from None
    except (ValueError, OSError, FolderLockedError) as error:
        raise fail_with(error) from None


def _call(fn: Callable[[], T]) -> T:
    with _errors():
        return fn()


def _is_main_rank() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _simulated_source(
    source: str,
    brainweb_dir: Path | None,
    procedural_heads: int,
    samples_per_epoch: int | None,
    randomise: list[str],
) -> SimulatedSource | None:
    """--source and its options as a TrainConfig.simulated (None for the files)."""
    from seranet.simulated import Randomisation
    from seranet.train.config import SimulatedSource

    if source not in ("files", "simulated"):
        raise ValueError(f"--source must be files or simulated; got {source!r}")
    if source == "files":
        if procedural_heads or samples_per_epoch is not None or randomise:
            raise ValueError("--procedural-heads, --samples-per-epoch and --randomise need "
                             "--source simulated")  # fmt: skip
        return None
    ranges: dict[str, object] = {}
    fields = {f.name: f.default for f in dataclasses.fields(Randomisation)}
    for item in randomise:
        name, _, value = item.partition("=")
        if name not in fields or not value:
            raise ValueError(
                f"--randomise takes NAME=VALUE with NAME one of {', '.join(fields)}; got {item!r}"
            )
        try:
            if name == "fields_t":
                ranges[name] = tuple(float(v) for v in value.split(","))
            elif isinstance(fields[name], tuple):
                low, _, high = value.partition(":")
                ranges[name] = (float(low), float(high or low))
            else:
                ranges[name] = float(value)
        except ValueError:
            raise ValueError(f"--randomise {item!r}: not a number or LOW:HIGH range") from None
    return SimulatedSource(
        brainweb_dir=None if brainweb_dir is None else str(brainweb_dir),
        procedural_heads=procedural_heads,
        samples_per_epoch=samples_per_epoch,
        randomisation=Randomisation(**ranges),  # type: ignore[arg-type]
    )


def _parse_split(text: str) -> tuple[int, int, int]:
    parts = text.replace(",", "/").split("/")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 3:
        raise ValueError(
            f"--split must be three integers TRAIN/VAL/TEST (e.g. 15/2/3); got {text!r}"
        )
    return values


@app.command()
def train(
    data: Annotated[Path, typer.Option("--data", help="Directory of per-subject HDF5 files.")],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="fully-sampled, zero-filling, two-step, joint, segnetmri, seranet-N, seranet-N++.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Run directory to create (or resume).")],
    recon_type: Annotated[
        str,
        typer.Option("--recon-type", help="Reg block: A (cascaded CNN) or B (encoder-decoder)."),
    ] = "A",
    recon_blocks: Annotated[
        int, typer.Option("--recon-blocks", help="Reconstruction cascades K.")
    ] = 3,
    width: Annotated[int, typer.Option("--width", help="UNet channels at the first level.")] = 16,
    depth: Annotated[
        int, typer.Option("--depth", help="UNet levels including the bottleneck.")
    ] = 4,
    recon_width: Annotated[
        int, typer.Option("--recon-width", help="Channels inside Reg / AttReg blocks.")
    ] = 16,
    hard_dc: Annotated[
        bool,
        typer.Option("--hard-dc", help="Hard data consistency instead of the learnable soft one."),
    ] = False,
    epochs: Annotated[
        int, typer.Option("--epochs", help="Epochs of the train / finetune stages.")
    ] = 50,
    pretrain_epochs: Annotated[
        int | None,
        typer.Option(
            "--pretrain-epochs", help="Epochs of the pre-training stages (default: --epochs)."
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Slices per step (per process).")
    ] = 12,
    lr: Annotated[float, typer.Option("--lr", help="Adam learning rate.")] = 1e-4,
    lr_step: Annotated[
        int, typer.Option("--lr-step", help="Epochs between decays of the learning rate (step).")
    ] = 20,
    lr_gamma: Annotated[
        float, typer.Option("--lr-gamma", help="Decay factor of the step schedule.")
    ] = 0.5,
    lr_schedule: Annotated[
        str, typer.Option("--lr-schedule", help="step or cosine (per stage).")
    ] = "step",
    lr_hold: Annotated[
        int, typer.Option("--lr-hold", help="Epochs by which step decays are delayed.")
    ] = 0,
    warmup_epochs: Annotated[
        int, typer.Option("--warmup-epochs", help="Epochs of linear warm-up per stage.")
    ] = 0,
    sampling: Annotated[
        float, typer.Option("--sampling", help="Fraction of phase-encode lines kept.")
    ] = 0.3,
    center_lines: Annotated[
        int, typer.Option("--center-lines", help="Fully sampled centre lines.")
    ] = 16,
    mask: Annotated[
        str, typer.Option("--mask", help="Mask name (kspace.masks.MASKS).")
    ] = "gaussian-lines",
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of weights, data order and training masks.")
    ] = 0,
    eval_seed: Annotated[
        int, typer.Option("--eval-seed", help="Seed of the validation and test masks.")
    ] = 0,
    split: Annotated[
        str, typer.Option("--split", help="Subjects TRAIN/VAL/TEST (scaled to the directory).")
    ] = "15/2/3",
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    workers: Annotated[int, typer.Option("--workers", help="DataLoader worker processes.")] = 0,
    no_amp: Annotated[
        bool, typer.Option("--no-amp", help="Disable mixed precision on CUDA.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an unfinished run (a finished one is reported)."),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Delete an existing run in --out first.")
    ] = False,
    init_from: Annotated[
        Path | None,
        typer.Option(
            "--init-from", help="Finished run whose weights initialise matching parameters."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress output.")] = False,
    tensorboard: Annotated[
        bool,
        typer.Option(
            "--tensorboard", help="Log scalars and overlays to RUN/tensorboard (needs tensorboard)."
        ),
    ] = False,
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="files (the training split's files) or simulated (samples simulated afresh "
            "from randomised anatomy and protocol; needs seranet[simulate]).",
        ),
    ] = "files",
    brainweb_dir: Annotated[
        Path | None,
        typer.Option(
            "--brainweb-dir",
            envvar="BRAINWEB_DIR",
            help="--source simulated: BrainWeb models of the training split's subjects.",
        ),
    ] = None,
    procedural_heads: Annotated[
        int, typer.Option("--procedural-heads", help="--source simulated: procedural heads added.")
    ] = 0,
    samples_per_epoch: Annotated[
        int | None,
        typer.Option(
            "--samples-per-epoch",
            help="--source simulated: samples per epoch (default: the training files' slices).",
        ),
    ] = None,
    randomise: Annotated[
        list[str] | None,
        typer.Option(
            "--randomise",
            help="--source simulated: a range as NAME=VALUE, repeatable: rotation_deg=10, "
            "tilt_deg, shift_mm, scale, elastic_mm, elastic_spacing_mm, fields_t=1.5,3, "
            "te_ms=60:120, tr_ms, bandwidth_hz, b0_ppm, noise (seranet.simulated.Randomisation).",
        ),
    ] = None,
) -> None:
    """Train a model through all its stages; writes RUN/model.pt when done (and, as it goes,
    RUN/curves.png and RUN/metrics.csv)."""
    from seranet.data import SplitConfig
    from seranet.models import ModelConfig
    from seranet.train import TrainConfig
    from seranet.train import train as run_training

    def build() -> TrainConfig:
        n_train, n_val, n_test = _parse_split(split)
        return TrainConfig(
            data_dir=str(data),
            model=ModelConfig(
                model,
                recon_type=recon_type,
                recon_blocks=recon_blocks,
                width=width,
                depth=depth,
                recon_width=recon_width,
                soft_dc=not hard_dc,
            ),
            epochs=epochs,
            pretrain_epochs=pretrain_epochs,
            batch_size=batch_size,
            lr=lr,
            lr_step=lr_step,
            lr_gamma=lr_gamma,
            lr_schedule=lr_schedule,
            lr_hold=lr_hold,
            warmup_epochs=warmup_epochs,
            sampling=sampling,
            center_lines=center_lines,
            mask=mask,
            seed=seed,
            eval_seed=eval_seed,
            device=device,
            workers=workers,
            split=SplitConfig(n_train, n_val, n_test),
            amp=not no_amp,
            simulated=_simulated_source(
                source, brainweb_dir, procedural_heads, samples_per_epoch, randomise or []
            ),
        )

    config = _call(build)
    try:
        summary = _call(
            lambda: run_training(
                config,
                out,
                resume=resume,
                overwrite=overwrite,
                init_from=init_from,
                progress=not quiet,
                console=console,
                tensorboard=tensorboard,
            )
        )
    except KeyboardInterrupt:
        typer.echo(f"interrupted; continue with the same command and --resume ({out})", err=True)
        raise typer.Exit(code=130) from None
    if not _is_main_rank():
        return
    if summary.skipped:
        console.print(f"run {out} is already complete; nothing to do")
        return
    table = Table(title=f"{summary.model}: {out}")
    for column in ("stage", "epochs", "best epoch", "selected by", "best value"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for s in summary.stages:
        table.add_row(
            s.name, str(s.epochs), str(s.best_epoch), f"val {s.metric}", f"{s.best_value:.4f}"
        )
    if not quiet:
        stdout.print(table)
        if summary.init_matched is not None:
            stdout.print(f"initialised {summary.init_matched} tensors from {init_from}")
        stdout.print(f"final weights: {out / 'model.pt'} ({summary.seconds:.1f} s)")


@app.command()
def evaluate(
    run: Annotated[Path, typer.Option("--run", help="A finished run directory.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Dataset directory (default: the run's); with --split all any number of "
            "subjects, or one subject file.",
        ),
    ] = None,
    split: Annotated[str, typer.Option("--split", help="train, val, test or all.")] = "test",
    out: Annotated[Path | None, typer.Option("--out", help="JSON file for the metrics.")] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Slices per batch (default: the run's).")
    ] = None,
    eval_seed: Annotated[
        int | None,
        typer.Option("--eval-seed", help="Seed of the test masks (default: the run's)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Dice, HD and HD95 (pixels and mm) per class on a split, on the run's evaluation masks."""
    from seranet.evaluate import evaluate as run_evaluation
    from seranet.evaluate import render_table

    if out is not None and not out.parent.is_dir():
        raise fail(f"output directory {str(out.parent)!r} does not exist")
    if batch_size is not None and batch_size < 1:
        raise fail(f"--batch-size must be >= 1; got {batch_size}")
    if eval_seed is not None and eval_seed < 0:
        raise fail(f"--eval-seed must be >= 0; got {eval_seed}")
    result = _call(
        lambda: run_evaluation(
            run,
            data,
            split=split,
            out=out,
            device=device,
            batch_size=batch_size,
            eval_seed=eval_seed,
            progress=not quiet,
            console=console,
        )
    )
    stdout.print(render_table(result))
    if out is not None:
        stdout.print(f"metrics written to {out}")


@app.command()
def predict(
    run: Annotated[Path, typer.Option("--run", help="A finished run directory.")],
    input: Annotated[
        Path,
        typer.Option(
            "--input", help="Subject HDF5 file, or a directory holding one (labels optional)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output HDF5 file.")],
    mask: Annotated[
        Path | None,
        typer.Option(
            "--mask",
            help="The acquisition's mask (.npy, or HDF5 with 'mask'), (W,) or (H, W): the input "
            "is under-sampled k-space, segmented as it is (a 'mask' dataset in the input "
            "file does the same).",
        ),
    ] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Directory for PNG overlays.")] = None,
    probabilities: Annotated[
        str, typer.Option("--probabilities", help="float16 or float32.")
    ] = "float16",
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Slices per batch (default: the run's).")
    ] = None,
    eval_seed: Annotated[
        int | None,
        typer.Option("--eval-seed", help="Seed of the test masks (default: the run's)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Segmentation, class probabilities and recovered image of every slice of one file."""
    from seranet.predict import predict as run_prediction

    if batch_size is not None and batch_size < 1:
        raise fail(f"--batch-size must be >= 1; got {batch_size}")
    if eval_seed is not None and eval_seed < 0:
        raise fail(f"--eval-seed must be >= 0; got {eval_seed}")
    result = _call(
        lambda: run_prediction(
            run,
            input,
            out,
            png_dir=png,
            probabilities_dtype=probabilities,
            device=device,
            batch_size=batch_size,
            eval_seed=eval_seed,
            mask=mask,
            progress=not quiet,
            console=console,
        )
    )
    stdout.print(f"{result.slices} slices -> {result.out}")
    if result.pngs:
        stdout.print(f"{len(result.pngs)} overlays in {png}")


@app.command()
def export(
    run: Annotated[Path, typer.Option("--run", help="A finished run directory.")],
    out: Annotated[Path, typer.Option("--out", help="File to write (.onnx, .pt, .pt2).")],
    format: Annotated[
        str, typer.Option("--format", help="onnx, torchscript or exported-program.")
    ] = "onnx",
    batch: Annotated[int, typer.Option("--batch", help="Batch size of the exported graph.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print nothing on success.")] = False,
) -> None:
    """Export a finished run's model for other runtimes, checked against the eager model."""
    from seranet.export import export as run_export

    result = _call(lambda: run_export(run, out, format=format, batch=batch))
    if quiet:
        return
    check = (
        "not checked (install onnxruntime to check it)"
        if result.same_segmentation is None
        else f"same segmentation as the eager model: {'yes' if result.same_segmentation else 'NO'}"
        f" (max |logit difference| {result.max_logit_difference:.2g})"
    )
    stdout.print(f"{result.format} -> {result.path}; inputs {', '.join(result.inputs)}; {check}")


def main() -> None:
    """Entry point of the ``seranet`` console script (conventions: :mod:`kspace.cli_conventions`)."""
    run(app, "seranet")
