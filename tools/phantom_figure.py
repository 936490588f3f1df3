"""Axial label maps of procedural phantoms next to BrainWeb subject 04 -> docs/images/phantoms.png.

Usage::

    BRAINWEB_DIR=../shared/data/brainweb python tools/phantom_figure.py
    python tools/phantom_figure.py --brainweb-dir DIR --procedural 0,1,2 --out docs/images/phantoms.png

Every head goes through the simulator's own path: fractions at 1 mm, the paper's
180 x 216 x 180 mm crop, 57 axial slices of 3 mm (Gaussian profile); a pixel shows the tissue
with the largest fraction. Slices are seen from above with anterior up and the subject's
left on the left.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from mrsim.phantoms import (
    TISSUE_NAMES,
    Phantom,
    PhantomError,
    axial_slices,
    crop_or_pad,
    find_brainweb,
    load_brainweb,
    procedural_phantom,
)

COLOURS = (
    "#000000",  # background
    "#3d8fe0",  # csf
    "#8c8c8c",  # gm
    "#ececec",  # wm
    "#f2d129",  # fat
    "#a52a2a",  # muscle
    "#e4938b",  # muscle / skin
    "#fdf5d0",  # skull
    "#e03cd8",  # vessels
    "#f08a24",  # around fat
    "#2fa84f",  # dura
    "#7b4a1e",  # marrow
)
LEGEND = (
    "background",
    "CSF",
    "grey matter",
    "white matter",
    "fat",
    "muscle",
    "muscle / skin",
    "skull",
    "vessels",
    "around fat",
    "dura",
    "marrow",
)
SLICES = (10, 18, 26, 34, 42)


def _rows(args: argparse.Namespace) -> list[tuple[str, Phantom]]:
    rows: list[tuple[str, Phantom]] = []
    for index in args.procedural:
        rows.append(
            (f"procedural{index:02d} (seed {args.seed})", procedural_phantom(index, seed=args.seed))
        )
    (path,) = find_brainweb(args.brainweb_dir, ["04"])
    rows.append(("BrainWeb subject04", load_brainweb(path)))
    return rows


def make_figure(args: argparse.Namespace) -> None:
    rows = _rows(args)
    cmap = ListedColormap(COLOURS)
    fig, axes = plt.subplots(
        len(rows), len(SLICES), figsize=(2.3 * len(SLICES), 2.75 * len(rows) + 0.9)
    )
    for r, (title, phantom) in enumerate(rows):
        stack = axial_slices(crop_or_pad(phantom), 57, 3.0)
        labels = stack.fractions.argmax(axis=1)
        for c, s in enumerate(SLICES):
            ax = axes[r, c]
            ax.imshow(
                labels[s], cmap=cmap, vmin=-0.5, vmax=11.5, origin="lower", interpolation="nearest"
            )
            ax.set_xticks([])
            ax.set_yticks([])
            z_rel = stack.z_mm[s] - stack.z_mm[28]
            ax.set_title(f"slice {s}  ({z_rel:+.0f} mm)", fontsize=8)
            if c == 0:
                ax.set_ylabel(title, fontsize=9)
    handles = [
        Patch(facecolor=COLOURS[t], edgecolor="0.4", label=LEGEND[t])
        for t in range(len(TISSUE_NAMES))
    ]
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=8, frameon=False)
    fig.suptitle(
        "Axial tissue maps, 57 x 3 mm slices of the 180 x 216 x 180 mm crop (anterior up)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=out.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=args.dpi)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    plt.close(fig)
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--brainweb-dir",
        default=os.environ.get("BRAINWEB_DIR"),
        help="BrainWeb files (default: $BRAINWEB_DIR)",
    )
    parser.add_argument(
        "--procedural", default="0,1,2", help="procedural subject indices, comma separated"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dpi", type=int, default=110)
    parser.add_argument("--out", default="docs/images/phantoms.png")
    args = parser.parse_args(argv)
    if not args.brainweb_dir:
        print("error: pass --brainweb-dir DIR or set BRAINWEB_DIR", file=sys.stderr)
        return 2
    try:
        args.procedural = [int(v) for v in args.procedural.split(",") if v.strip()]
    except ValueError:
        print(
            f"error: --procedural must be comma-separated integers, got {args.procedural!r}",
            file=sys.stderr,
        )
        return 2
    try:
        make_figure(args)
    except PhantomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
