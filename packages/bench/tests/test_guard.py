"""bench: one writer per output folder and training workers that die with the command."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _compare(data: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "bench", "compare", "--data", str(data), "--out", str(out),
        "--preset", "smoke", "--methods", "zero-filling,fully-sampled", "--epochs", "100000",
        "--device", "cpu", "--jobs", "2", "--quiet",
    ]  # fmt: skip


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_compare_workers_die_with_it_and_the_folder_is_locked(
    dataset_dir: Path, tmp_path: Path, sig: int
) -> None:
    out = tmp_path / "cmp"
    parent = subprocess.Popen(
        _compare(dataset_dir, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    workers: set[int] = set()
    curves = [
        out / "runs" / name / "metrics.jsonl" for name in ("zero-filling_s0", "fully-sampled_s0")
    ]

    def training() -> bool:
        workers.update(_children(parent.pid))
        return all(c.is_file() for c in curves)

    try:
        _until(training, 120, "both runs did not start training")
        second = subprocess.run(
            _compare(dataset_dir, out), capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 1  # a run that failed: the folder is in use
        assert second.stderr.count("\n") == 1, second.stderr
        assert f"PID {parent.pid}" in second.stderr
    finally:
        parent.send_signal(sig)
        code = parent.wait(timeout=60)
    assert code == (-9 if sig == signal.SIGKILL else 143)
    _until(lambda: not any(_alive(w) for w in workers), 30, "workers outlived bench compare")
    sizes = [c.stat().st_size for c in curves]
    time.sleep(2)  # an orphan would go on training and writing epochs
    assert [c.stat().st_size for c in curves] == sizes
    assert not (out / ".lock").exists() or sig == signal.SIGKILL  # kill -9 leaves the file
