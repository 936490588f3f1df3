"""Command-line interface of ``mrsim``: parses options, calls the library, renders with rich."""

from __future__ import annotations

import typer
from rich.console import Console

from mrsim import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="mrsim",
    help="Simulate spin-echo k-space datasets from BrainWeb and procedural brain phantoms.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mrsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Simulate spin-echo k-space datasets from BrainWeb and procedural brain phantoms."""


def main() -> None:
    """Entry point of the ``mrsim`` console script."""
    app()
