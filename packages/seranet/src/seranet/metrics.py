"""Segmentation metrics on 2D label maps: Dice, Hausdorff distance (max) and HD95, per class.

Definitions
-----------
* **Dice** of class ``c``: ``2 |P ∩ T| / (|P| + |T|)`` with ``P = (pred == c)``, ``T = (target == c)``.
* **Boundary** of a class mask: its pixels that have a 4-neighbour outside the mask; pixels
  on the image border count as having an outside neighbour (the mask is padded with
  background), as MONAI's ``get_mask_edges`` does with ``binary_erosion``.
* **Directed distances** ``d(P -> T)``: for every boundary pixel of ``P`` the Euclidean
  distance (in the given pixel ``spacing``) to the nearest boundary pixel of ``T``.
* **Hausdorff distance**: ``max(max d(P -> T), max d(T -> P))`` (symmetric).
* **HD95**: ``max(perc95 d(P -> T), perc95 d(T -> P))``, the maximum of the two directed 95th
  percentiles (linear interpolation, ``numpy.percentile``'s default), which is MONAI's
  ``compute_hausdorff_distance(percentile=95, directed=False)``.

Empty-mask policy
-----------------
* Class absent from both ``pred`` and ``target``: Dice and HD are **NaN**; averages skip NaN
  and report how many slices counted (:class:`ScoreSummary.counts`).
* Class present in exactly one of them: Dice is **0** and HD / HD95 are the **image diagonal**
  ``sqrt((H dy)^2 + (W dx)^2)`` in the given spacing, the worst case. Such slices are never
  dropped from averages.

Distances use ``scipy.ndimage.distance_transform_edt`` of the complement of the other
boundary, so a 216 x 180 slice with three classes takes about a millisecond per class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from seranet.vocabulary import LABELS

__all__ = [
    "ScoreSummary",
    "SegmentationScores",
    "SliceScores",
    "boundary",
    "dice",
    "hausdorff",
    "score_slice",
    "summarize",
]

_TISSUE_OF_LABEL: dict[int, str] = {label: tissue for tissue, label in LABELS.items()}

_CROSS = ndimage.generate_binary_structure(2, 1)


def _check_maps(pred: ArrayLike, target: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    p, t = np.asarray(pred), np.asarray(target)
    for name, a in (("pred", p), ("target", t)):
        if a.ndim != 2 or not (np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
            raise ValueError(
                f"{name} must be a 2D integer label map; got {a.dtype} array of shape {a.shape}"
            )
    if p.shape != t.shape:
        raise ValueError(f"pred and target shapes differ: {p.shape} vs {t.shape}")
    return p, t


def _check_labels(labels: Iterable[int]) -> tuple[int, ...]:
    out = tuple(int(c) for c in labels)
    if not out:
        raise ValueError("labels must name at least one class")
    return out


def _check_spacing(spacing: Sequence[float]) -> tuple[float, float]:
    s = tuple(float(v) for v in spacing)
    if len(s) != 2 or not all(np.isfinite(v) and v > 0 for v in s):
        raise ValueError(f"spacing must be two positive numbers (dy, dx); got {tuple(spacing)}")
    return s[0], s[1]


def boundary(mask: ArrayLike) -> NDArray[np.bool_]:
    """Pixels of a 2D boolean mask with a 4-neighbour outside it (image border = outside)."""
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2D; got shape {m.shape}")
    eroded = ndimage.binary_erosion(m, structure=_CROSS, border_value=0)
    return m & ~eroded


def dice(
    pred: ArrayLike, target: ArrayLike, labels: Iterable[int] = (1, 2, 3)
) -> NDArray[np.float64]:
    """Dice coefficient per class (NaN where the class is absent from both maps).

    Parameters
    ----------
    pred, target
        2D integer label maps of the same shape.
    labels
        Classes to score.

    Returns
    -------
    ``(len(labels),)`` float64.
    """
    p, t = _check_maps(pred, target)
    out = np.empty(len(_check_labels(labels)))
    for i, c in enumerate(_check_labels(labels)):
        pc, tc = p == c, t == c
        total = int(pc.sum()) + int(tc.sum())
        out[i] = np.nan if total == 0 else 2.0 * int(np.logical_and(pc, tc).sum()) / total
    return out


def _directed(
    from_edge: NDArray[np.bool_], to_edge: NDArray[np.bool_], spacing: tuple[float, float]
) -> NDArray[np.float64]:
    dist = ndimage.distance_transform_edt(~to_edge, sampling=spacing)
    return np.asarray(dist[from_edge], dtype=np.float64)


class _Edges(NamedTuple):
    """Boundaries of one class in both maps, cropped to their joint bounding box."""

    pred: NDArray[np.bool_]
    target: NDArray[np.bool_]


def _class_edges(p: NDArray[Any], t: NDArray[Any], c: int) -> _Edges | bool | None:
    """Cropped boundaries; None if the class is in neither map, False if in only one."""
    pc, tc = p == c, t == c
    has_p, has_t = bool(pc.any()), bool(tc.any())
    if not has_p and not has_t:
        return None
    if has_p != has_t:
        return False
    ep, et = boundary(pc), boundary(tc)
    # The exact EDT of the cropped array still sees every target boundary pixel, so the
    # distances are unchanged; the crop only saves work.
    rows = np.flatnonzero((ep | et).any(axis=1))
    cols = np.flatnonzero((ep | et).any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    return _Edges(ep[box], et[box])


def _distances(
    p: NDArray[Any],
    t: NDArray[Any],
    classes: tuple[int, ...],
    *,
    spacings: Sequence[tuple[float, float]],
    percentiles: Sequence[float | None],
) -> dict[tuple[tuple[float, float], float | None], NDArray[np.float64]]:
    """HD per class for every (spacing, percentile) pair, reusing boundaries and distances."""
    out = {(sp, q): np.empty(len(classes)) for sp in spacings for q in percentiles}
    for i, c in enumerate(classes):
        edges = _class_edges(p, t, c)
        for sp in spacings:
            if edges is None or edges is False:
                value = (
                    np.nan
                    if edges is None
                    else float(np.hypot(p.shape[0] * sp[0], p.shape[1] * sp[1]))
                )
                for q in percentiles:
                    out[(sp, q)][i] = value
                continue
            assert isinstance(edges, _Edges)
            d_pt, d_tp = (
                _directed(edges.pred, edges.target, sp),
                _directed(edges.target, edges.pred, sp),
            )
            for q in percentiles:
                if q is None:
                    out[(sp, q)][i] = max(d_pt.max(), d_tp.max())
                else:
                    out[(sp, q)][i] = max(np.percentile(d_pt, q), np.percentile(d_tp, q))
    return out


def hausdorff(
    pred: ArrayLike,
    target: ArrayLike,
    labels: Iterable[int] = (1, 2, 3),
    *,
    percentile: float | None = None,
    spacing: Sequence[float] = (1.0, 1.0),
) -> NDArray[np.float64]:
    """Symmetric Hausdorff distance per class on boundary pixels, or HD95 with ``percentile=95``.

    Parameters
    ----------
    pred, target
        2D integer label maps of the same shape.
    labels
        Classes to score.
    percentile
        None for the maximum (classical Hausdorff distance); a value in (0, 100] for the
        maximum of the two directed percentiles (MONAI's definition; 95 gives HD95).
    spacing
        Pixel size ``(dy, dx)`` along rows and columns; (1, 1) gives pixels, the voxel size in
        mm gives millimetres.

    Returns
    -------
    ``(len(labels),)`` float64: NaN where the class is absent from both maps, the image
    diagonal where it is absent from exactly one (see the module docstring).

    References
    ----------
    Huttenlocher et al., "Comparing images using the Hausdorff distance", IEEE TPAMI 1993;
    MONAI ``monai.metrics.compute_hausdorff_distance``.
    """
    p, t = _check_maps(pred, target)
    sp = _check_spacing(spacing)
    _check_percentile(percentile)
    return _distances(p, t, _check_labels(labels), spacings=[sp], percentiles=[percentile])[
        (sp, percentile)
    ]


def _check_percentile(percentile: float | None) -> None:
    if percentile is not None and not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100] or None; got {percentile}")


class SliceScores(NamedTuple):
    """Scores of one slice, each ``(n_classes,)`` float64 (NaN = class absent from both maps)."""

    dice: NDArray[np.float64]
    hd: NDArray[np.float64]
    """Hausdorff distance in pixels."""
    hd95: NDArray[np.float64]
    """HD95 in pixels."""
    hd_mm: NDArray[np.float64]
    """Hausdorff distance in millimetres (``spacing``)."""
    hd95_mm: NDArray[np.float64]
    """HD95 in millimetres."""


def score_slice(
    pred: ArrayLike,
    target: ArrayLike,
    labels: Iterable[int] = (1, 2, 3),
    *,
    spacing: Sequence[float] = (1.0, 1.0),
) -> SliceScores:
    """Dice, HD and HD95 (pixels and mm) of one slice for each class.

    Equal to calling :func:`dice` and :func:`hausdorff` four times, but each class's
    boundaries and distance transforms are computed once per spacing.
    """
    p, t = _check_maps(pred, target)
    classes = _check_labels(labels)
    mm = _check_spacing(spacing)
    px = (1.0, 1.0)
    d = _distances(p, t, classes, spacings=[px] if mm == px else [px, mm], percentiles=[None, 95])
    return SliceScores(
        dice=dice(p, t, classes),
        hd=d[(px, None)],
        hd95=d[(px, 95)],
        hd_mm=d[(mm, None)].copy(),
        hd95_mm=d[(mm, 95)].copy(),
    )


_METRICS = SliceScores._fields


@dataclass(frozen=True)
class ScoreSummary:
    """Per-class means over slices (NaN entries skipped) and their averages over classes."""

    labels: tuple[int, ...]
    """Scored classes."""
    class_names: tuple[str, ...]
    """Their names."""
    means: dict[str, NDArray[np.float64]]
    """Metric name (``dice``, ``hd``, ``hd95``, ``hd_mm``, ``hd95_mm``) -> per-class mean."""
    counts: NDArray[np.int64]
    """Per class, the slices that counted (the class present in the prediction or the target)."""
    n_slices: int
    """Slices scored in total."""

    def average(self, metric: str) -> float:
        """Mean over classes of the per-class means of ``metric`` (NaN classes skipped)."""
        values = self.means[metric]
        return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per-class values by class name, class averages, counts, slices."""

        def num(v: float) -> float | None:
            return None if not np.isfinite(v) else float(v)

        per_class = {
            name: {m: num(self.means[m][i]) for m in _METRICS} | {"count": int(self.counts[i])}
            for i, name in enumerate(self.class_names)
        }
        return {
            "per_class": per_class,
            "average": {m: num(self.average(m)) for m in _METRICS},
            "n_slices": self.n_slices,
        }


def summarize(
    scores: Sequence[SliceScores],
    labels: Iterable[int] = (1, 2, 3),
    class_names: Sequence[str] | None = None,
) -> ScoreSummary:
    """Average per-slice scores per class, skipping NaN (class absent from both maps).

    The average over classes (:meth:`ScoreSummary.average`) is the mean of the per-class means,
    as the paper's "Average" column.
    """
    classes = _check_labels(labels)
    names = (
        tuple(class_names)
        if class_names is not None
        else tuple(_TISSUE_OF_LABEL.get(c, str(c)) for c in classes)
    )
    if len(names) != len(classes):
        raise ValueError(f"{len(names)} class names for {len(classes)} labels")
    means: dict[str, NDArray[np.float64]] = {}
    if scores:
        for m in _METRICS:
            stacked = np.stack([getattr(s, m) for s in scores])
            if stacked.shape[1] != len(classes):
                raise ValueError(f"scores have {stacked.shape[1]} classes; expected {len(classes)}")
            valid = np.isfinite(stacked)
            total = np.where(valid, stacked, 0.0).sum(axis=0)
            n = valid.sum(axis=0)
            means[m] = np.divide(total, n, out=np.full(len(classes), np.nan), where=n > 0)
        counts = np.isfinite(np.stack([s.dice for s in scores])).sum(axis=0).astype(np.int64)
    else:
        means = {m: np.full(len(classes), np.nan) for m in _METRICS}
        counts = np.zeros(len(classes), dtype=np.int64)
    return ScoreSummary(classes, names, means, counts, len(scores))


@dataclass
class SegmentationScores:
    """Accumulate per-slice scores, then :meth:`summary`.

    Example
    -------
    >>> acc = SegmentationScores(spacing=(1.0, 1.0))
    >>> for pred, target in slices:  # doctest: +SKIP
    ...     acc.add(pred, target)
    >>> acc.summary().to_dict()  # doctest: +SKIP
    """

    labels: tuple[int, ...] = (1, 2, 3)
    """Classes to score."""
    spacing: tuple[float, float] = (1.0, 1.0)
    """Pixel size ``(dy, dx)`` in mm for the ``*_mm`` distances."""
    slices: list[SliceScores] = field(default_factory=list)
    """Scores added so far."""

    def add(self, pred: ArrayLike, target: ArrayLike) -> SliceScores:
        """Score one slice (or each slice of a ``(S, H, W)`` stack) and keep the scores."""
        p = np.asarray(pred)
        t = np.asarray(target)
        if p.ndim == 3 and t.shape == p.shape:
            last = None
            for ps, ts in zip(p, t, strict=True):
                last = self.add(ps, ts)
            if last is None:
                raise ValueError("empty stack of slices")
            return last
        s = score_slice(p, t, self.labels, spacing=self.spacing)
        self.slices.append(s)
        return s

    def summary(self, class_names: Sequence[str] | None = None) -> ScoreSummary:
        """Per-class means over the slices added so far."""
        return summarize(self.slices, self.labels, class_names)
