"""What training shows on the console: a bar per epoch and one line per finished epoch."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console

from seranet._display import progress_bar
from seranet.train.config import EpochRecord
from seranet.vocabulary import DISPLAY_NAMES, MEAN, TISSUES

__all__ = ["epoch_bar", "epoch_line"]


@contextlib.contextmanager
def epoch_bar(
    console: Console, label: str, total: int, *, enabled: bool
) -> Iterator[Callable[[float], None]]:
    """A bar over an epoch's ``total`` batches; yields ``advance(loss)`` (a no-op when not
    ``enabled``)."""
    if not enabled:
        yield lambda loss: None
        return
    with progress_bar(console, "loss {task.fields[loss]}") as bar:
        task = bar.add_task(label, total=total, loss="-")

        def advance(loss: float) -> None:
            bar.update(task, advance=1, loss=f"{loss:.4f}")

        yield advance


def epoch_line(r: EpochRecord) -> str:
    """``train 3 | loss 0.41 | val loss 0.39 | val Dice 0.71 (CSF .. GM .. WM ..) | lr .. | 12 s *``."""
    parts = [f"{r.stage} {r.epoch:>3}", f"loss {r.train_loss:.4f}", f"val loss {r.val_loss:.4f}"]
    if r.val_mse is not None:
        parts.append(f"val MSE {r.val_mse:.5f}")
    if r.val_dice is not None:
        d = r.val_dice
        tissues = " ".join(f"{DISPLAY_NAMES[t]} {d[t]:.3f}" for t in TISSUES)
        parts.append(f"val Dice {d[MEAN]:.4f} ({tissues})")
    parts.append(f"lr {r.lr:.2e}")
    parts.append(f"{r.seconds:.1f} s")
    return " | ".join(parts) + (" [green]*[/green]" if r.best else "")
