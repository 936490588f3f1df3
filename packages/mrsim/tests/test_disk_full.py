"""A full disk: one line naming the path, finished subjects kept, no temporary files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mrsim.dataset import read_dataset

SMALL = ["--resolution", "2", "--slices", "3", "--slice-thickness", "2", "--jobs", "1"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, object]]:
    """A folder on which a tmpfs of a chosen size can be mounted (root on Linux only)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = []

    def mount(size_bytes: int) -> None:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(mount_point)

    yield mount_point, mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=False)


def _simulate(brainweb: Path, out: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mrsim", "simulate", "--brainweb-dir", str(brainweb),
           "--subjects", "04,05", "--out", str(out), *SMALL]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_full_disk_is_one_line_and_keeps_finished_subjects(
    synthetic_brainweb: Path, tmp_path: Path, small_disk: tuple[Path, object]
) -> None:
    reference = tmp_path / "reference"
    assert _simulate(synthetic_brainweb, reference).returncode == 0
    first = (reference / "subject04.h5").stat().st_size
    second = (reference / "subject05.h5").stat().st_size
    disk, mount = small_disk
    mount(first + second // 2)  # room for subject04, not for subject05 as well
    out = disk / "data"
    done = _simulate(synthetic_brainweb, out)
    assert done.returncode == 1  # a run that failed: the disk is full
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "no space left on device" in lines[0]
    assert "subject05.h5" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["subject04.h5"]  # no temporary file
    assert (out / "subject04.h5").read_bytes() == (reference / "subject04.h5").read_bytes()
    read_dataset(out / "subject04.h5")
