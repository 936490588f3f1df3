"""Command-line interface of ``bench``: parses options, calls the library, renders with rich."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bench import __version__
from bench._io import BenchError
from bench.presets import PRESETS, Preset, get_preset
from kspace.cli_conventions import fail_with, make_app, run
from seranet.vocabulary import DISPLAY_NAMES, MEAN, TISSUES

if TYPE_CHECKING:
    from bench.tables import TableRow

__all__ = ["app", "main"]

app = make_app("bench", __version__, "Run the SERANet paper's comparisons, ablations and figures.")
console = Console(stderr=True)
out_console = Console()
if not out_console.is_terminal:  # logs and pipes: keep the tables' numbers whole
    out_console = Console(width=120)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the library's one-line errors into ``error: ...`` on stderr (exit 2 for bad input,
    1 for a folder in use or a full disk: :mod:`kspace.cli_conventions`)."""
    try:
        yield
    except typer.Exit:
        raise
    except (BenchError, ValueError, OSError, RuntimeError) as error:
        raise fail_with(error) from None
    except KeyboardInterrupt:
        console.print("interrupted: finished runs and epoch checkpoints are kept; re-run to resume")
        raise typer.Exit(130) from None


def _preset(
    name: str,
    epochs: int | None = None,
    pretrain_epochs: int | None = None,
    recipe: str | None = None,
) -> Preset:
    preset = get_preset(name)
    if recipe is not None:
        from bench.convergence import parse_recipes

        (chosen,) = parse_recipes(recipe) if "," not in recipe else (None,)
        if chosen is None:
            raise BenchError(f"--recipe takes one recipe; got {recipe!r}")
        preset = chosen.apply(preset)
    return preset.with_overrides(epochs=epochs, pretrain_epochs=pretrain_epochs)


RecipeOpt = Annotated[
    str | None,
    typer.Option(
        "--recipe",
        help="Train under a recipe of 'bench convergence' (preset, hold-step, cosine): the "
        "preset is renamed PRESET@RECIPE.",
    ),
]


PresetOpt = Annotated[str, typer.Option("--preset", help=f"One of {', '.join(PRESETS)}.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto (CUDA when present), cpu or cuda.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]
EpochsOpt = Annotated[
    int | None,
    typer.Option("--epochs", help="Epochs of the train / finetune stages (default: the preset's)."),
]
PretrainEpochsOpt = Annotated[
    int | None,
    typer.Option(
        "--pretrain-epochs", help="Epochs of pre-training stages (default: the preset's)."
    ),
]
JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        help="Runs trained at once, one process and torch thread each "
        "(0: one per CPU core, 1 with CUDA).",
    ),
]


def _jobs(jobs: int, device: str) -> int:
    from bench.compare import auto_jobs

    if jobs < 0:
        raise BenchError(f"--jobs must be >= 0; got {jobs}")
    return jobs or auto_jobs(device)


DataOpt = Annotated[Path, typer.Option("--data", help="Dataset directory (mrsim simulate output).")]
SourceBrainWebOpt = Annotated[
    Path | None,
    typer.Option(
        "--brainweb-dir",
        help="BrainWeb folder: the training anatomies of a preset trained on the simulated "
        "source (cpu-randomised).",
    ),
]
RunsOpt = Annotated[Path | None, typer.Option("--runs", help="Run folders (default OUT/runs).")]


def _names(text: str | None) -> list[str] | None:
    """A comma-separated option as a list (None when not given); the library checks the names."""
    return text.split(",") if text is not None else None


@app.command("compare")
def compare_cmd(
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Output directory (tables, preset, runs).")],
    preset: PresetOpt,
    recon_types: Annotated[
        str | None,
        typer.Option("--recon-types", help="Reg block types, e.g. A,B (default: the preset's)."),
    ] = None,
    methods: Annotated[
        str | None,
        typer.Option("--methods", help="Comma-separated registry names (default: Table 1's)."),
    ] = None,
    seeds: Annotated[
        int | None,
        typer.Option("--seeds", help="Seeds of the key methods (joint, seranet-3, seranet-3++)."),
    ] = None,
    runs: RunsOpt = None,
    epochs: EpochsOpt = None,
    pretrain_epochs: PretrainEpochsOpt = None,
    recipe: RecipeOpt = None,
    brainweb_dir: SourceBrainWebOpt = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
    jobs: JobsOpt = 0,
) -> None:
    """Train and score every method x Reg type x seed; write table.json / .csv / .md."""
    from bench.compare import compare, describe

    with _user_errors():
        result = compare(
            data,
            out,
            _preset(preset, epochs, pretrain_epochs, recipe),
            methods=_names(methods),
            recon_types=_names(recon_types),
            seeds=seeds,
            runs_dir=runs,
            device=device,
            progress=not quiet,
            console=console,
            jobs=_jobs(jobs, device),
            brainweb_dir=brainweb_dir,
        )
    out_console.print(_rich_table(result.rows))
    console.print(f"{describe(result.outcomes)}; wrote {out / 'table.md'}")


def _rich_table(rows: list[TableRow]) -> Table:
    from bench.tables import cell

    table = Table(title="Test Dice (mean over slices; ± std over seeds) and HD (mm)")
    mean = DISPLAY_NAMES[MEAN]
    names = ("method", "type", "seeds", *(DISPLAY_NAMES[t] for t in TISSUES))
    for name in (*names, f"{mean} Dice", f"{mean} HD", "gap"):
        table.add_column(
            name,
            justify="left" if name in ("method", "type") else "right",
            no_wrap=name == "method",
        )
    for row in rows:
        gap = row.gap_recovered
        table.add_row(
            row.method,
            row.recon_type or "-",
            str(row.seeds),
            *(cell(row, t) for t in TISSUES),
            cell(row, MEAN),
            cell(row, MEAN, metric="hd", digits=2),
            "n/a" if gap is None else f"{100 * gap:.0f} %",
        )
    return table


OutOpt = Annotated[Path, typer.Option("--out", help="Output directory.")]
SubjectOpt = Annotated[
    str | None, typer.Option("--subject", help="Subject to show (default: first test subject).")
]
SliceOpt = Annotated[
    int | None, typer.Option("--slice", help="Slice to show (default: the one with most brain).")
]


@app.command("ablate-blocks")
def ablate_cmd(
    data: DataOpt,
    out: OutOpt,
    preset: PresetOpt,
    blocks: Annotated[
        str | None, typer.Option("--blocks", help="Numbers of blocks K, e.g. 1,2,3,4,5.")
    ] = None,
    methods: Annotated[
        str | None, typer.Option("--methods", help="e.g. two-step,joint,seranet-3.")
    ] = None,
    recon_types: Annotated[
        str | None, typer.Option("--recon-types", help="Reg block types, e.g. A,B.")
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per point.")] = 1,
    runs: RunsOpt = None,
    epochs: EpochsOpt = None,
    pretrain_epochs: PretrainEpochsOpt = None,
    recipe: RecipeOpt = None,
    brainweb_dir: SourceBrainWebOpt = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
    jobs: JobsOpt = 0,
) -> None:
    """Dice vs the number of reconstruction blocks per class (Fig. 6): JSON, Markdown, PNG."""
    from bench.ablation import ablate_blocks, parse_blocks

    with _user_errors():
        result = ablate_blocks(
            data,
            out,
            _preset(preset, epochs, pretrain_epochs, recipe),
            blocks=parse_blocks(blocks) if blocks is not None else None,
            methods=_names(methods),
            recon_types=_names(recon_types),
            seeds=seeds,
            runs_dir=runs,
            device=device,
            progress=not quiet,
            console=console,
            jobs=_jobs(jobs, device),
            brainweb_dir=brainweb_dir,
        )
    out_console.print(result.markdown)
    console.print(f"wrote {result.json_path} and {result.png_path}")


@app.command("convergence")
def convergence_cmd(
    data: DataOpt,
    out: OutOpt,
    preset: PresetOpt = "cpu",
    recipes: Annotated[
        str | None,
        typer.Option(
            "--recipes", help="Training recipes, e.g. preset,hold-step,cosine (default: all)."
        ),
    ] = None,
    methods: Annotated[
        str | None,
        typer.Option(
            "--methods", help="Comma-separated registry names (default: the study's six)."
        ),
    ] = None,
    recon_type: Annotated[
        str, typer.Option("--recon-type", help="Reg block type of the methods that have one.")
    ] = "B",
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
    jobs: JobsOpt = 0,
) -> None:
    """Validation Dice against CPU time per method and recipe (no test scoring): JSON, MD, PNG."""
    from bench.compare import parse_methods, parse_recon_types
    from bench.convergence import RECIPES, STUDY_METHODS, convergence_study, parse_recipes

    with _user_errors():
        chosen = parse_recipes(recipes) if recipes is not None else tuple(RECIPES.values())
        names = parse_methods(methods) if methods is not None else STUDY_METHODS
        (kind,) = parse_recon_types(recon_type)
        convergence_study(
            data,
            out,
            get_preset(preset),
            recipes=chosen,
            methods=names,
            recon_type=kind,
            device=device,
            jobs=_jobs(jobs, device),
            progress=not quiet,
            console=console,
        )
    out_console.print((out / "convergence.md").read_text(encoding="utf-8"))
    console.print(f"wrote {out / 'convergence.json'} and {out / 'convergence.png'}")


@app.command("robustness")
def robustness_cmd(
    data: DataOpt,
    out: OutOpt,
    preset: PresetOpt = "cpu",
    brainweb_dir: Annotated[
        Path | None,
        typer.Option(
            "--brainweb-dir",
            help="BrainWeb models: the randomised source's training heads and the shifted "
            "test sets of a BrainWeb dataset.",
        ),
    ] = None,
    procedural_heads: Annotated[
        int,
        typer.Option("--procedural-heads", help="Procedural heads added to the randomised pool."),
    ] = 20,
    methods: Annotated[
        str | None,
        typer.Option("--methods", help="Comma-separated registry names (default: the five)."),
    ] = None,
    recon_type: Annotated[
        str, typer.Option("--recon-type", help="Reg block type of the methods that have one.")
    ] = "B",
    seeds: Annotated[int, typer.Option("--seeds", help="Training seeds per method and arm.")] = 1,
    sets: Annotated[
        str | None,
        typer.Option("--sets", help="Test sets, e.g. standard,3t,noise20 (default: all)."),
    ] = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
    jobs: JobsOpt = 0,
) -> None:
    """Trained on the files or on randomised simulation, scored on shifted test sets: JSON,
    MD, PNG."""
    from bench.compare import parse_methods, parse_recon_types
    from bench.robustness import ROBUSTNESS_METHODS, TEST_SETS, parse_test_sets, robustness_study

    with _user_errors():
        names = parse_methods(methods) if methods is not None else ROBUSTNESS_METHODS
        (kind,) = parse_recon_types(recon_type)
        robustness_study(
            data,
            out,
            get_preset(preset),
            brainweb_dir=brainweb_dir,
            procedural_heads=procedural_heads,
            methods=names,
            recon_type=kind,
            seeds=seeds,
            sets=parse_test_sets(sets) if sets is not None else TEST_SETS,
            device=device,
            jobs=_jobs(jobs, device),
            progress=not quiet,
            console=console,
        )
    out_console.print((out / "robustness.md").read_text(encoding="utf-8"))
    console.print(f"wrote {out / 'robustness.json'} and {out / 'robustness.png'}")


@app.command("anchor")
def anchor_cmd(
    out: OutOpt,
    brainweb_dir: Annotated[
        Path, typer.Option("--brainweb-dir", help="Folder of the BrainWeb subjectNN_crisp_v files.")
    ],
    conditions: Annotated[
        str | None,
        typer.Option(
            "--conditions", help="Conditions to run, e.g. fs-base,zf-base (default: all)."
        ),
    ] = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
    jobs: JobsOpt = 0,
) -> None:
    """The paper's 1 mm data: Fully-sampled under one factor changed at a time (noise, labels,
    capacity, length), Zero-filling, and the k-space methods with type-B blocks: JSON, Markdown."""
    from bench.anchor import CONDITIONS, anchor_study, parse_conditions

    with _user_errors():
        chosen = parse_conditions(conditions) if conditions else tuple(CONDITIONS.values())
        anchor_study(
            out,
            brainweb_dir,
            conditions=chosen,
            device=device,
            jobs=_jobs(jobs, device),
            progress=not quiet,
            console=console,
        )
    out_console.print((out / "anchor.md").read_text(encoding="utf-8"))


@app.command("attention")
def attention_cmd(
    run: Annotated[Path, typer.Option("--run", help="A finished seranet-N run.")],
    data: DataOpt,
    out: OutOpt,
    subject: SubjectOpt = None,
    slice_index: SliceOpt = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
) -> None:
    """Probability maps of CSF, GM, WM per recurrence (Fig. 5) and a GIF through all slices."""
    from bench.attention import attention

    with _user_errors():
        result = attention(run, data, out, subject=subject, slice_index=slice_index, device=device)
    if quiet:
        return
    ambiguity = ", ".join(f"{v:.3f}" for v in result.mean_ambiguity)
    out_console.print(
        f"{result.subject} slice {result.slice_index}: ambiguity of the true class per map "
        f"(initial, recurrences 1..{result.recurrences}): {ambiguity}"
    )
    console.print(f"wrote {result.png} and {result.gif}")


@app.command("figures")
def figures_cmd(
    runs: Annotated[
        list[Path],
        typer.Option(
            "--runs", help="Run folders, compare outputs or folders of runs (repeatable)."
        ),
    ],
    data: DataOpt,
    out: OutOpt,
    subject: SubjectOpt = None,
    slice_index: SliceOpt = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
) -> None:
    """Panels like Figs. 3 and 4: recovered images on top, segmentations below, per Reg type."""
    from bench.figures import figures

    with _user_errors():
        panels = figures(runs, data, out, subject=subject, slice_index=slice_index, device=device)
    for p in [] if quiet else panels:
        console.print(f"wrote {p.path} ({p.subject} slice {p.slice_index}: {', '.join(p.methods)})")


@app.command("simulate")
def simulate_cmd(
    out: OutOpt,
    preset: PresetOpt,
    noise: Annotated[float, typer.Option("--noise", help="Noise level (0.10 = 10 %).")] = 0.10,
    brainweb_dir: Annotated[
        Path | None, typer.Option("--brainweb-dir", help="BrainWeb folder (BrainWeb presets).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Simulate a preset's dataset with mrsim (finished subject files are kept)."""
    from bench.data import simulate

    with _user_errors():
        files = simulate(
            _preset(preset), out, noise, brainweb_dir=brainweb_dir, progress=not quiet,
            console=console,
        )  # fmt: skip
    console.print(f"{len(files)} subject files in {out}")


@app.command("reproduce")
def reproduce_cmd(
    out: OutOpt,
    preset: PresetOpt = "cpu",
    brainweb_dir: Annotated[
        Path | None, typer.Option("--brainweb-dir", help="BrainWeb folder (cpu / paper presets).")
    ] = None,
    steps: Annotated[
        str | None,
        typer.Option("--steps", help="Subset of data,table1,table2,ablation,figures,attention."),
    ] = None,
    recipe: RecipeOpt = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
    jobs: JobsOpt = 0,
) -> None:
    """Simulate the 10 % / 20 % datasets; Table 1, Table 2, the ablation and the figures."""
    from bench.reproduce import reproduce

    with _user_errors():
        result = reproduce(
            _preset(preset, recipe=recipe),
            out,
            brainweb_dir=brainweb_dir,
            steps=[s.strip() for s in steps.split(",") if s.strip()] if steps else None,
            device=device,
            progress=not quiet,
            console=console,
            jobs=_jobs(jobs, device),
        )
    times = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    console.print(f"wrote {result.out_dir / 'summary.md'} ({times})")


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("demo-output"),
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
    jobs: JobsOpt = 0,
) -> None:
    """Simulate procedural subjects, train Zero-filling / Joint / SERANet-2 briefly, compare, draw."""
    from bench.demo import demo

    with _user_errors():
        result = demo(
            out, device=device, progress=not quiet, console=console, jobs=_jobs(jobs, device)
        )
    out_console.print(_rich_table(result.comparison.rows))
    written = [p.path for p in result.panels]
    if result.attention is not None:
        written += [result.attention.png, result.attention.gif]
    times = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    console.print(f"{times}; wrote {out / 'compare' / 'table.md'}, " + ", ".join(map(str, written)))


@app.command("presets")
def presets_cmd(
    name: Annotated[str | None, typer.Argument(help="Show one preset in full.")] = None,
) -> None:
    """List the presets (or show one's settings)."""
    with _user_errors():
        if name is not None:
            import json

            out_console.print_json(json.dumps(get_preset(name).to_dict()))
            return
    table = Table(title="Presets")
    for col in ("name", "data", "network", "training", "description"):
        table.add_column(col)
    for p in PRESETS.values():
        table.add_row(
            p.name,
            f"{p.phantom}, {p.subjects} x {p.slices} slices, {p.resolution_mm:g} mm",
            f"width {p.width}, depth {p.depth}, K={p.recon_blocks}",
            f"{p.epochs} epochs, batch {p.batch_size}, {p.seeds} seed(s)",
            p.description,
        )
    out_console.print(table)


def main() -> None:
    """Entry point of the ``bench`` console script (conventions: :mod:`kspace.cli_conventions`)."""
    from kspace.guard import exit_on_sigterm

    exit_on_sigterm()  # SIGTERM stops the training workers as Ctrl-C does
    run(app, "bench")
