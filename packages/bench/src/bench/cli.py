"""Command-line interface of ``bench``: parses options, calls the library, renders with rich."""

from __future__ import annotations

import typer
from rich.console import Console

from bench import __version__

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


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"bench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Run the SERANet paper's comparisons, ablations and figures."""


def main() -> None:
    """Entry point of the ``bench`` console script."""
    app()
