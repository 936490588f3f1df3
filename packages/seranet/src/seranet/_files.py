"""Writing files so that a reader never sees half of one, and reading JSON with one-line errors.

Every file seranet writes goes through :func:`atomic_path` (the writers take the target first,
then the content, as ``bench._io``'s and ``mrsim.write_dataset`` do): the content is written to a
temporary file beside the target (named ``.<name>.<random>.tmp``, mode as the umask gives an
ordinary new file) and renamed into place; on any error the temporary file is removed, and a
full disk is one ``OSError`` "no space left on device" naming the target.
"""

from __future__ import annotations

import errno
import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "FileError",
    "atomic_path",
    "atomic_save",
    "atomic_write_bytes",
    "atomic_write_text",
    "disk_full",
    "honour_umask",
    "read_json",
]


class FileError(ValueError):
    """A file that cannot be read as what it should be (one-line message)."""


def honour_umask(fd: int) -> None:
    """Give a ``mkstemp`` file the mode an ordinary new file gets (mkstemp's 0600 would
    ignore the user's umask)."""
    mask = os.umask(0o022)
    os.umask(mask)
    os.fchmod(fd, 0o666 & ~mask)


def disk_full(error: OSError, path: str | os.PathLike[str]) -> OSError:
    """``error``, or for ENOSPC an ``OSError`` saying "no space left on device" and naming
    ``path`` (what the command-line tools print)."""
    if error.errno == errno.ENOSPC:
        return OSError(errno.ENOSPC, "no space left on device", str(path))
    return error


@contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; rename it to ``path`` when the block
    ends normally, delete it otherwise. ``suffix`` is for writers that choose a format by the
    file name (matplotlib, exporters)."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    except OSError as error:
        raise disk_full(error, target) from None
    tmp = Path(name)
    try:
        honour_umask(fd)
        os.close(fd)
        yield tmp
        os.replace(tmp, target)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise disk_full(error, target) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | memoryview) -> None:
    """Write bytes to ``path`` atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save(path: str | os.PathLike[str], obj: Any) -> None:
    """``torch.save`` to memory, then atomically to ``path`` (torch's own file writer reports a
    full disk as an opaque iostream error)."""
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getbuffer())


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; a one-line :class:`FileError` when it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FileError(f"cannot read {str(path)!r}: {error}") from None
