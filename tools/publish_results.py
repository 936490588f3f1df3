"""Copy the committable part of a ``bench reproduce`` output folder into ``docs/results/``.

Usage::

    python tools/publish_results.py results-cpu docs/results

Copies the tables (Markdown, JSON, CSV), the figures (PNG, GIF), ``summary.md``,
``reproduce.json``, every ``preset.json`` and, per training run, its configuration, training
curve and test scores (``runs/NOISE/RUN/{config.json,metrics.jsonl,test-metrics.json,
summary.json}``, finished and scored runs only), so each number of a table can be traced to
the runs behind it. Never copied:
weights, checkpoints and the simulated data (derived from BrainWeb, which is not ours to
redistribute). Absolute paths inside text files under the source folder's parent are made
relative to that parent (``/home/me/results-cpu/data`` -> ``results-cpu/data``,
``/home/me/shared/data/brainweb`` -> ``shared/data/brainweb``), so the committed files do not
name the machine they were made on. Existing files of the destination are replaced one by one
(write to a temporary file, then rename); other files there are left alone.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from bench._io import atomic_write

PATTERNS = (
    "summary.md",
    "reproduce.json",
    "*/preset.json",
    "table*/table.md",
    "table*/table.json",
    "table*/table.csv",
    "table*/runs.json",
    "ablation/ablation.md",
    "ablation/ablation.json",
    "ablation/ablation.png",
    "figures/*.png",
    "attention/*.png",
    "attention/*.gif",
    "runs/*/*/config.json",
    "runs/*/*/metrics.jsonl",
    "runs/*/*/test-metrics.json",
    "runs/*/*/summary.json",
)
"""Files copied, as globs relative to the source folder."""

TEXT_SUFFIXES = frozenset({".md", ".json", ".jsonl", ".csv"})


def publish(source: Path, dest: Path) -> list[Path]:
    """Copy the files of :data:`PATTERNS` from ``source`` to ``dest``; the copied paths."""
    if not (source / "reproduce.json").is_file():
        raise SystemExit(f"error: {source} holds no reproduce.json: not a 'bench reproduce' output")
    parent = str(source.resolve().parent).rstrip("/") + "/"
    copied = []
    for pattern in PATTERNS:
        for path in sorted(source.glob(pattern)):
            if pattern.startswith("runs/") and not (path.parent / "test-metrics.json").is_file():
                continue  # a run still training (or not yet scored) is not a result
            data = path.read_bytes()
            if path.suffix in TEXT_SUFFIXES:
                text = data.decode("utf-8").replace(parent, "")
                data = text.encode("utf-8")
            target = dest / path.relative_to(source)
            atomic_write(target, partial(Path.write_bytes, data=data))
            copied.append(target)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="bench reproduce --out folder")
    parser.add_argument("dest", type=Path, help="destination, e.g. docs/results")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"error: {args.source} is not a directory", file=sys.stderr)
        return 1
    copied = publish(args.source, args.dest)
    print(f"copied {len(copied)} files to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
