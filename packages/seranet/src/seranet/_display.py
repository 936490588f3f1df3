"""Progress bars of the seranet commands (one layout: description, bar, count, extra fields,
elapsed time)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["progress_bar"]


def progress_bar(console: Console, *fields: str, disable: bool = False) -> Progress:
    """A transient rich progress bar on ``console``; each of ``fields`` is a ``TextColumn``
    template shown before the elapsed time (e.g. ``"loss {task.fields[loss]}"``)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *(TextColumn(f) for f in fields),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=disable,
    )
