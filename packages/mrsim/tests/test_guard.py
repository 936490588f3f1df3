"""One writer per output folder, and no orphaned workers, tested with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only (/proc, prctl)"),
]

# Procedural heads are rendered at 0.5 mm (~5 s CPU each): long enough to act mid-run.
SIMULATE = [
    "simulate", "--phantom", "procedural", "--subjects", "4", "--resolution", "4", "--slices", "3",
    "--slice-thickness", "4", "--jobs", "2",
]  # fmt: skip


def _mrsim(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mrsim", *SIMULATE, "--out", str(out), *extra]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"{what} within {seconds} s")
        time.sleep(0.05)


def _start_with_workers(out: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    parent = subprocess.Popen(_mrsim(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()

    def two_workers() -> bool:
        # the pool's workers, and the resource tracker spawn starts beside them
        workers.update(_children(parent.pid))
        return len(workers) >= 2

    _wait(two_workers, 60, "the pool's workers did not start")
    return parent, workers


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_parent_and_write_nothing_after(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "data"
    parent, workers = _start_with_workers(out)
    parent.send_signal(sig)
    code = parent.wait(timeout=60)
    assert code == (-9 if sig == signal.SIGKILL else 143)
    _wait(lambda: not any(_alive(w) for w in workers), 30, "workers outlived their parent")

    def listing() -> list[str]:  # a clean stop that finished nothing removes the folder
        return sorted(p.name for p in out.iterdir()) if out.exists() else []

    files = listing()
    time.sleep(3)  # an orphan would go on and write its subject file
    assert listing() == files
    if sig == signal.SIGTERM:  # a clean stop also removes the half-written files
        assert not [f for f in files if f.endswith(".tmp")], files
    # the folder is not left locked, and the run resumes to completion
    done = subprocess.run(_mrsim(out), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(list(out.glob("procedural*.h5"))) == 4
    assert not list(out.glob(".*.tmp"))


def test_a_second_writer_of_a_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "data"
    first, _ = _start_with_workers(out)
    try:
        second = subprocess.run(
            _mrsim(out, "--noise", "0.2"), capture_output=True, text=True, timeout=120
        )
        assert first.poll() is None, "the first run ended before the second started"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert second.returncode == 1  # a run that failed: the folder is in use
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert "error:" in lines[0]
    assert f"PID {first.pid}" in lines[0]
    assert os.path.isdir(out)
