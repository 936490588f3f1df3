"""A PNG of one slice of a subject file: k-space log-magnitude, image, tissue labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mrsim.dataset import read_dataset

__all__ = ["preview"]


def preview(path: str | Path, slice_index: int, out: str | Path) -> Path:
    """Write a three-panel PNG of slice ``slice_index`` of the subject file ``path``.

    Panels: ``log(1 + |k|)`` (root-sum-of-squares over coils), ``reconstruction_rss`` and the
    CSF/GM/WM labels. Rows run posterior -> anterior, so the images are drawn with the
    anterior side up. The PNG is written atomically.

    Raises
    ------
    ValueError
        Unreadable file or a slice index out of range.
    """
    import h5py
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.colors import ListedColormap

    if not Path(path).is_file():
        raise ValueError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as h5:
            missing = [k for k in ("kspace", "labels") if k not in h5]
            n = int(h5["labels"].shape[0]) if not missing else 0
    except OSError:
        raise ValueError(f"{path}: not an HDF5 file") from None
    if missing:
        raise ValueError(f"{path}: not an mrsim subject file (no {' or '.join(missing)})")
    if not 0 <= slice_index < n:
        raise ValueError(f"slice {slice_index} is out of range: {path} has {n} slices (0..{n - 1})")
    data = read_dataset(path, slice(slice_index, slice_index + 1))
    k = data.kspace[0]
    kmag = np.sqrt(np.sum(np.abs(k) ** 2, axis=0)) if k.ndim == 3 else np.abs(k)
    image = data.reconstruction_rss[0]
    labels = data.labels[0]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.8), constrained_layout=True)
    panels = [
        (np.log1p(kmag / kmag.max() * 1e4), "gray", "k-space log magnitude (readout vertical)"),
        (image, "gray", "fully-sampled RSS image"),
        (
            labels,
            ListedColormap(["black", "#3b82f6", "#9ca3af", "#f5f5f4"]),
            "labels (CSF, GM, WM)",
        ),
    ]
    for ax, (arr, cmap, title) in zip(axes, panels, strict=True):
        vmax = np.percentile(arr, 99.5) if arr is image else None
        ax.imshow(
            arr,
            cmap=cmap,
            origin="lower",
            interpolation="nearest",
            vmin=0 if arr is image else None,
            vmax=vmax,
        )
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    attrs = data.attrs
    fig.suptitle(
        f"{attrs.get('subject', '?')} slice {slice_index}: TE {float(attrs['te_ms'][slice_index]):.1f} ms, "
        f"TR {float(attrs['tr_ms'][slice_index]):.0f} ms, noise {float(attrs['noise_level']):.0%}, "
        f"{attrs.get('engine', '?')} engine",
        fontsize=11,
    )
    target = Path(out)
    tmp = target.with_name(f".{target.name}.tmp.png")
    try:
        fig.savefig(tmp, dpi=100)
        tmp.replace(target)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return target
