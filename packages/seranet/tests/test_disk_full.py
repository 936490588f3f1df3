"""A full disk during training: one line naming the path, no temporary files left."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from seranet._files import atomic_save, atomic_write_text

TRAIN = [
    "--model", "joint", "--recon-type", "B", "--epochs", "3", "--pretrain-epochs", "1",
    "--width", "8", "--depth", "3", "--recon-width", "16", "--center-lines", "4",
    "--batch-size", "4", "--device", "cpu", "--quiet",
]  # fmt: skip


def test_training_on_a_full_disk_stops_with_one_line(tmp_path: Path, dataset_dir: Path) -> None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        run = disk / "run"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "seranet",
                "train",
                "--data",
                str(dataset_dir),
                "--out",
                str(run),
                *TRAIN,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode != 0
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: no space left on device: ")
        assert str(run) in lines[0]
        assert not list(run.rglob("*.tmp"))
        assert (run / "config.json").is_file()  # what was written before is kept
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_enospc_is_reported_with_the_path_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = Path.open

    class Full:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    def full_open(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(path, mode, *args, **kwargs)
        return Full(fh) if "w" in mode else fh

    monkeypatch.setattr(Path, "open", full_open)
    with pytest.raises(OSError, match="no space left on device") as info:
        atomic_save(tmp_path / "x.pt", {"model": {}})
    assert info.value.filename == str(tmp_path / "x.pt")
    with pytest.raises(OSError, match="no space left on device"):
        atomic_write_text(tmp_path / "config.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_written_files_honour_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "config.json", "{}")
        atomic_save(tmp_path / "model.pt", {"model": {}})
    finally:
        os.umask(old)
    for name in ("config.json", "model.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
