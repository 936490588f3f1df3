"""File helpers of every bench module: atomic writes (a temporary file in the destination's
folder, then ``os.replace``), JSON / JSON-lines reading with one-line errors, one writer per
output folder, and :class:`BenchError`."""

from __future__ import annotations

import functools
import inspect
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from kspace.guard import folder_lock

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "BenchError",
    "atomic_write",
    "atomic_write_json",
    "atomic_write_text",
    "read_json",
    "read_jsonl",
    "writes_folder",
]


class BenchError(ValueError):
    """A user-facing problem (bad input, missing data, inconsistent outputs); one line."""


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it into place.

    The temporary file keeps ``path``'s suffix so writers that choose a format from the file
    name (matplotlib, PIL) still do. Nothing is left behind when ``write`` raises.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    mask = os.umask(0o022)
    os.umask(mask)
    os.fchmod(fd, 0o666 & ~mask)  # mkstemp's 0600 would ignore the user's umask
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write indented JSON atomically (NaN is refused: use None for missing values)."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; a one-line :class:`BenchError` when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{str(path)!r} does not exist") from None
    except (OSError, ValueError) as error:
        raise BenchError(f"cannot read {str(path)!r}: {error}") from None


def read_jsonl(path: str | os.PathLike[str]) -> list[Any]:
    """The records of a JSON-lines file (``metrics.jsonl``), blank lines skipped."""
    text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def writes_folder(parameter: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function that writes the folder passed as ``parameter``: the call holds
    :func:`kspace.guard.folder_lock` on it (one writer per folder; a second gets a one-line
    error naming the first's PID)."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            folder = signature.bind(*args, **kwargs).arguments[parameter]
            if Path(folder).exists() and not Path(folder).is_dir():
                raise BenchError(f"output {str(folder)!r} exists and is not a directory")
            with folder_lock(folder):
                return fn(*args, **kwargs)

        return wrapper

    return decorate
