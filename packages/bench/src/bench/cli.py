"""Command-line interface of ``bench``: parses options, calls the library, renders with rich."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bench import __version__
from bench._io import BenchError
from bench.presets import PRESETS, Preset, get_preset

__all__ = ["app", "main"]

app = typer.Typer(
    name="bench",
    help="Run the SERANet paper's comparisons, ablations and figures.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out_console = Console()


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"bench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Run the SERANet paper's comparisons, ablations and figures."""


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the library's one-line errors into ``error: ...`` on stderr and exit code 2."""
    try:
        yield
    except typer.Exit:
        raise
    except (BenchError, ValueError, FileNotFoundError, RuntimeError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        console.print(f"[red]error:[/red] {message}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print("interrupted: finished runs and epoch checkpoints are kept; re-run to resume")
        raise typer.Exit(130) from None


def _preset(name: str) -> Preset:
    return get_preset(name)


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise BenchError(
            f"{what} must be comma-separated positive integers; got {text!r}"
        ) from None
    if not values or any(v < 1 for v in values):
        raise BenchError(f"{what} must be comma-separated positive integers; got {text!r}")
    return tuple(dict.fromkeys(values))


PresetOpt = Annotated[str, typer.Option("--preset", help=f"One of {', '.join(PRESETS)}.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto (CUDA when present), cpu or cuda.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]
DataOpt = Annotated[Path, typer.Option("--data", help="Dataset directory (mrsim simulate output).")]


@app.command("compare")
def compare_cmd(
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Output directory (tables, preset, runs).")],
    preset: PresetOpt = "smoke",
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
    runs: Annotated[
        Path | None, typer.Option("--runs", help="Run folders (default OUT/runs).")
    ] = None,
    device: DeviceOpt = "auto",
    quiet: QuietOpt = False,
) -> None:
    """Train and score every method x Reg type x seed; write table.json / .csv / .md."""
    from bench.compare import compare, describe

    with _user_errors():
        result = compare(
            data,
            out,
            _preset(preset),
            methods=methods.split(",") if methods is not None else None,
            recon_types=recon_types.split(",") if recon_types is not None else None,
            seeds=seeds,
            runs_dir=runs,
            device=device,
            progress=not quiet,
            console=console,
        )
    out_console.print(_rich_table(result.rows))
    console.print(f"{describe(result.outcomes)}; wrote {out / 'table.md'}")


def _rich_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Test Dice (mean over slices; ± std over seeds) and HD (mm)")
    for name in ("method", "type", "seeds", "CSF", "GM", "WM", "avg Dice", "avg HD", "gap"):
        table.add_column(
            name,
            justify="left" if name in ("method", "type") else "right",
            no_wrap=name == "method",
        )

    def cell(row: dict[str, Any], key: str, metric: str = "dice", digits: int = 4) -> str:
        mean = row[metric][key]
        std = (row.get(f"{metric}_std") or {}).get(key)
        if mean is None:
            return "-"
        return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")

    for row in rows:
        gap = row["gap_recovered"]
        table.add_row(
            row["method"],
            row["recon_type"] or "-",
            str(row["seeds"]),
            cell(row, "csf"),
            cell(row, "gm"),
            cell(row, "wm"),
            cell(row, "avg"),
            cell(row, "avg", "hd", 2),
            "-" if gap is None else f"{100 * gap:.0f} %",
        )
    return table


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
    """Entry point of the ``bench`` console script."""
    app()
