"""Process guards: one writer per output folder, and worker processes that die with their parent.

Shared by the toolkit's command-line programs (``mrsim``, ``seranet``, ``bench``), which all
depend on this leaf package; standard library only.

``folder_lock(folder)`` takes an exclusive advisory lock (``flock``) on ``folder/.lock`` for
as long as the ``with`` block runs, and removes the file when it lets go. The operating system
releases the lock when the process ends in any way, kill -9 included, so a lock is never
stale (a killed holder leaves only the file, which the next writer takes over); a second
writer gets :class:`FolderLockedError` naming the holder's PID (written into the lock file).

``stop_pool(pool)`` cancels a process pool's pending work and kills its workers at once (an
interrupted parent does not wait for running jobs), and ``exit_on_sigterm()`` turns SIGTERM
into ``SystemExit(143)`` so that the same clean-up runs for it as for Ctrl-C.

``die_with_parent(parent_pid)`` is a process-pool initializer: on Linux it asks the kernel to
send the worker SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and exits at once
when the parent is already gone, so no worker trains or writes on as an orphan.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import FrameType

__all__ = [
    "LOCK_NAME",
    "FolderLockedError",
    "die_with_parent",
    "exit_on_sigterm",
    "folder_lock",
    "stop_pool",
]

LOCK_NAME = ".lock"
"""The lock file inside a locked folder."""

_PR_SET_PDEATHSIG = 1


class FolderLockedError(RuntimeError):
    """Another process is writing the folder."""


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if missing) while the block runs.

    A folder the lock created is removed again if it is still empty when the block ends (a
    call that failed on bad input leaves nothing behind).

    Raises
    ------
    FolderLockedError
        When another live process holds it; the message names that process's PID.
    """
    import fcntl

    root = Path(folder)
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderLockedError(
                f"{str(root)!r} is being written by another process (PID {holder}); "
                "wait for it or stop it first"
            ) from None
        # The previous holder unlinks the file as it lets go: lock the file the path names now.
        held, now = os.fstat(fd), _stat(path)
        if now is not None and (held.st_ino, held.st_dev) == (now.st_ino, now.st_dev):
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield root
    finally:
        path.unlink(missing_ok=True)  # while still holding the lock, then release it
        os.close(fd)
        if created and not any(root.iterdir()):
            root.rmdir()  # nothing was written: leave no empty folder behind


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: SIGKILL this worker when ``parent_pid`` dies (Linux; a no-op check
    elsewhere), and exit now if it already has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the pool's pending work and kill its workers now (their running jobs are lost)."""
    # ProcessPoolExecutor keeps its workers in ``_processes`` (CPython 3.2+); shutdown alone
    # would wait for the running jobs.
    workers = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.join(timeout=10)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def exit_on_sigterm() -> None:
    """Make SIGTERM raise ``SystemExit(143)`` in the main thread (clean-up code then runs)."""
    signal.signal(signal.SIGTERM, _terminate)
