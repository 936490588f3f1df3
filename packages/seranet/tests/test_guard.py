"""One writer per run directory and workers that die with their parent, with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kspace.guard import FolderLockedError, folder_lock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

TRAIN = [
    "--model", "zero-filling", "--width", "4", "--depth", "3", "--batch-size", "4",
    "--center-lines", "4", "--device", "cpu", "--quiet",
]  # fmt: skip


def _seranet(*args: str) -> list[str]:
    return [sys.executable, "-m", "seranet", *args]


def _wait_for(path: Path, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > end:
            raise AssertionError(f"{path} did not appear in {seconds} s")
        time.sleep(0.05)


def test_a_second_train_on_one_folder_is_refused_until_the_first_dies(
    tmp_path: Path, dataset_dir: Path
) -> None:
    out = tmp_path / "run"
    first = subprocess.Popen(
        _seranet(
            "train", "--data", str(dataset_dir), "--out", str(out), "--epochs", "100000", *TRAIN
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(out / "metrics.jsonl")
        before = (out / "config.json").read_bytes()
        for extra in ([], ["--resume"], ["--overwrite"]):
            second = subprocess.run(
                _seranet(
                    "train",
                    "--data",
                    str(dataset_dir),
                    "--out",
                    str(out),
                    "--model",
                    "joint",
                    *TRAIN[2:],
                    *extra,
                ),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert second.returncode != 0
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1, second.stderr
            assert lines[0].startswith("error: ")
            assert f"PID {first.pid}" in lines[0]
        assert (out / "config.json").read_bytes() == before  # the first run's files untouched
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # kill -9 leaves no stale lock: the run resumes and trains on
    lines = len((out / "metrics.jsonl").read_text().splitlines())
    resumed = subprocess.Popen(
        _seranet(
            "train",
            "--data",
            str(dataset_dir),
            "--out",
            str(out),
            "--epochs",
            "100000",
            *TRAIN,
            "--resume",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        end = time.monotonic() + 60
        while len((out / "metrics.jsonl").read_text().splitlines()) <= lines:
            assert resumed.poll() is None, "the resumed run stopped"
            assert time.monotonic() < end, "the resumed run wrote no epoch"
            time.sleep(0.05)
    finally:
        resumed.kill()
        resumed.wait()
    with folder_lock(out):
        assert (out / ".lock").read_text().strip() == str(os.getpid())
    assert not (out / ".lock").exists()


def test_lock_names_the_holder_and_is_released_on_exit(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from kspace.guard import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(600)\n",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderLockedError, match=f"PID {holder.pid}"), folder_lock(folder):
            pass
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    with folder_lock(folder) as root:  # kill -9 released it
        assert root == folder
