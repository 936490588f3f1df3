"""Wall time and peak memory of a whole ``mrsim simulate`` run (the paper's 20 subjects).

Usage::

    python packages/mrsim/benchmarks/measure_dataset.py [--brainweb-dir DIR] --out /tmp/bw20 [-- extra args]

Runs the CLI once (a fresh output folder, so nothing is resumed) and prints the wall time,
the CPU time, the peak resident memory of the whole process tree (the sum over the parent
and its worker processes, sampled every 50 ms from /proc) and the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def _tree_rss_kb(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brainweb-dir", help="BrainWeb folder (default: procedural heads)")
    parser.add_argument("--out", required=True)
    parser.add_argument("extra", nargs="*", help="more mrsim simulate options")
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    source = ["--brainweb-dir", args.brainweb_dir] if args.brainweb_dir else []
    cmd = [sys.executable, "-m", "mrsim", "simulate", *source, "--out", str(out), *args.extra]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    files = sorted(out.glob("*.h5"))
    slices = 0
    if files:
        import h5py

        for f in files:
            with h5py.File(f, "r") as h5:
                slices += h5["kspace"].shape[0]
    print(stderr.strip().splitlines()[-1] if stderr.strip() else "")
    print(f"exit code {proc.returncode}; {len(files)} files, {slices} slices")
    print(
        f"wall {wall:.1f} s, CPU {ru.ru_utime + ru.ru_stime:.1f} s, peak tree RSS {peak / 1024**2:.2f} GiB"
    )
    print(
        f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} (2 cores, shared)"
    )


if __name__ == "__main__":
    main()
