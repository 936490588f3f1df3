"""Command-line interface of ``mrsim``: parses options, calls the library, renders with rich."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

# Numba's OpenMP workers spin while they wait by default; on a shared or busy machine that
# steals the core the other worker needs (measured: 10x slower kernels). Must be set
# before the OpenMP runtime starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kspace.cli_conventions import fail_with, make_app, run
from kspace.guard import FolderLockedError, exit_on_sigterm
from mrsim import __version__

__all__ = ["app", "main"]

app = make_app(
    "mrsim",
    __version__,
    "Simulate spin-echo k-space datasets from BrainWeb and procedural brain phantoms.",
)
console = Console(stderr=True)


@app.command()
def simulate(
    out: Annotated[
        Path,
        typer.Option("--out", help="Output folder of the subjectNN.h5 / proceduralNN.h5 files."),
    ],
    phantom: str | None = typer.Option(
        None,
        help="procedural (built in; the default) or brainweb (the default with --brainweb-dir).",
    ),
    brainweb_dir: Annotated[
        Path | None, typer.Option(help="Folder with BrainWeb subjectNN_crisp_v.mnc(.gz) files.")
    ] = None,
    subjects: str | None = typer.Option(
        None, help="procedural: N, 0,3,7 or 3-7 (default 20); brainweb: 04,05 or all (default)."
    ),
    slices: int = typer.Option(57, help="Axial slices per subject."),
    slice_thickness: float = typer.Option(3.0, help="Slice thickness, mm."),
    labels: str = typer.Option(
        "slab",
        help="Labels of a slice: slab (largest tissue fraction through the slice as imaged) "
        "or centre (the phantom's label at the slice centre plane).",
    ),
    resolution: float = typer.Option(1.0, help="Voxel size, mm (BrainWeb: a multiple of 0.5)."),
    te: float = typer.Option(80.0, help="Echo time, ms."),
    tr: float = typer.Option(3000.0, help="Repetition time, ms."),
    jitter: float = typer.Option(0.05, help="Per-slice relative TE/TR jitter (uniform)."),
    noise: float = typer.Option(
        0.10, help="Noise std relative to the 99th-percentile image magnitude."
    ),
    field: float = typer.Option(1.5, help="Field strength, T (1.5 or 3)."),
    coils: int = typer.Option(1, help="Receive coils."),
    bandwidth: float = typer.Option(32000.0, help="Receiver bandwidth, Hz (1/dwell)."),
    b0_ppm: float = typer.Option(1.0, help="Peak B0 inhomogeneity, ppm (0: none)."),
    engine: str = typer.Option("fast", help="fast or bloch (small phantoms only)."),
    seed: int = typer.Option(0, help="Base seed of all random streams."),
    shard: str = typer.Option(
        "0/1", help="I/N: simulate every N-th subject starting at I (0-based)."
    ),
    jobs: int = typer.Option(
        0, "--jobs", help="Subjects simulated at once, one process each (0: one per CPU)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing files."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Simulate a dataset: one HDF5 file per subject with k-space, images and labels."""
    from mrsim.phantoms import PhantomError
    from mrsim.sequence import SpinEcho
    from mrsim.simulate import DatasetConfig, ProgressEvent, parse_shard, simulate_dataset
    from mrsim.tissues import tissue_table

    try:
        if (
            brainweb_dir is None
            and phantom in (None, "brainweb")
            and os.environ.get("BRAINWEB_DIR")
        ):
            brainweb_dir = Path(os.environ["BRAINWEB_DIR"])
            if not quiet:
                console.print(
                    f"BrainWeb phantoms from BRAINWEB_DIR ({brainweb_dir})", highlight=False
                )
        if phantom is None:
            phantom = "brainweb" if brainweb_dir is not None else "procedural"
        elif phantom == "procedural" and brainweb_dir is not None:
            raise ValueError("--brainweb-dir is only used with --phantom brainweb")
        protocol = SpinEcho(
            te_ms=te,
            tr_ms=tr,
            jitter=jitter,
            bandwidth_hz=bandwidth,
            field_t=field,
            b0_ppm=b0_ppm,
            coils=coils,
            noise_level=noise,
        )
        tissue_table(field)
        config = DatasetConfig(
            out_dir=out,
            phantom=phantom,  # type: ignore[arg-type]
            brainweb_dir=brainweb_dir,
            subjects=subjects,
            n_slices=slices,
            slice_thickness_mm=slice_thickness,
            labels=labels,
            resolution_mm=resolution,
            protocol=protocol,
            engine=engine,
            seed=seed,
            shard=parse_shard(shard),
            overwrite=overwrite,
            workers=jobs,
        )
        start = time.perf_counter()
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("slices"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=quiet,
        ) as progress:
            task = progress.add_task("simulating", total=None)

            def show(event: ProgressEvent) -> None:
                progress.update(task, completed=event.done, total=event.total)
                if event.subject:
                    progress.update(task, description=f"simulating (last: {event.subject})")

            outcomes = simulate_dataset(config, show)
    except (PhantomError, ValueError, FileExistsError, OSError, FolderLockedError) as exc:
        raise fail_with(exc) from None
    written = sum(not o.skipped for o in outcomes)
    if quiet:
        return
    console.print(
        f"{written} subject file(s) written, {len(outcomes) - written} already complete, "
        f"in {out} ({time.perf_counter() - start:.1f} s)",
        highlight=False,
    )


@app.command()
def preview(
    file: Annotated[Path, typer.Argument(help="A subject file written by mrsim simulate.")],
    slice_index: Annotated[int, typer.Option("--slice", help="Slice index (0-based).")],
    out: Annotated[Path, typer.Option("--out", help="PNG to write.")],
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing on success."),
) -> None:
    """Save a PNG of one slice: k-space log magnitude, fully-sampled image, labels."""
    from mrsim.preview import preview as make_preview

    try:
        make_preview(file, slice_index, out)
    except (ValueError, OSError, KeyError) as exc:
        raise fail_with(exc) from None
    if not quiet:
        console.print(f"wrote {out}", highlight=False)


def main() -> None:
    """Entry point of the ``mrsim`` console script (conventions: :mod:`kspace.cli_conventions`)."""
    exit_on_sigterm()  # SIGTERM stops the worker pool as Ctrl-C does
    run(app, "mrsim")
