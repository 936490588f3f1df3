"""Command-line interface of ``seranet``: parses options, calls the library, renders with rich."""

from __future__ import annotations

import typer
from rich.console import Console

from seranet import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="seranet",
    help="Train, evaluate and apply segmentation networks that start from under-sampled k-space.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"seranet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Train, evaluate and apply segmentation networks that start from under-sampled k-space."""


def main() -> None:
    """Entry point of the ``seranet`` console script."""
    app()
