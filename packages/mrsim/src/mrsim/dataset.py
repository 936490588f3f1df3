"""One HDF5 file per subject, fastMRI-like, written atomically; and a small reader.

Layout (``S`` slices, ``C`` coils, images ``H x W`` with the readout along ``H``)::

    kspace              complex64 (S, H, W), or (S, C, H, W) when C > 1   noisy k-space
    reconstruction_rss  float32   (S, H, W)   RSS magnitude of ifft2c(kspace), noise included
    labels              uint8     (S, H, W)   0 background, 1 CSF, 2 GM, 3 WM
    tissue              uint8     (S, H, W)   BrainWeb label 0..11 with the largest fraction
    attrs: subject, phantom, field_t, te_ms[S], tr_ms[S], noise_level, noise_sigma,
           resolution_mm, slice_thickness_mm, engine, seed, mrsim_version, coils, ...

and what fastMRI's own loaders read (``fastmri.data.SliceDataset`` and its transforms)::

    ismrmrd_header      bytes: a minimal ISMRMRD XML header (encoded and recon matrix and
                        field of view, encoding limits with the centre phase-encode line)
    reconstruction_esc  single-coil files: a link to reconstruction_rss (fastMRI's target)
    attrs: acquisition ("AXT2"), max and norm of the target volume, patient_id (the subject)

Writes go to a hidden temporary file in the target folder, which is renamed over the final
name only once complete; no timestamps are stored, so the same inputs give the same bytes.
"""

from __future__ import annotations

import errno
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

__all__ = ["DATASETS", "SubjectData", "ismrmrd_header", "read_dataset", "write_dataset"]

#: The datasets of a subject file, in writing order.
DATASETS = ("kspace", "reconstruction_rss", "labels", "tissue")


@dataclass(frozen=True)
class SubjectData:
    """The content of one subject file."""

    kspace: np.ndarray
    """complex64 ``(S, H, W)`` or ``(S, C, H, W)``."""
    reconstruction_rss: np.ndarray
    """float32 ``(S, H, W)``."""
    labels: np.ndarray
    """uint8 ``(S, H, W)``, 0..3."""
    tissue: np.ndarray
    """uint8 ``(S, H, W)``, 0..11."""
    attrs: Mapping[str, Any]
    """File attributes (numpy scalars/arrays or str)."""

    def __post_init__(self) -> None:
        s, h, w = self.labels.shape
        expect = {
            "reconstruction_rss": ((s, h, w), np.float32),
            "labels": ((s, h, w), np.uint8),
            "tissue": ((s, h, w), np.uint8),
        }
        for name, (shape, dtype) in expect.items():
            arr = getattr(self, name)
            if arr.shape != shape or arr.dtype != dtype:
                raise ValueError(
                    f"{name} must be {np.dtype(dtype)} {shape}; got {arr.dtype} {arr.shape}"
                )
        k = self.kspace
        if (
            k.dtype != np.complex64
            or k.ndim not in (3, 4)
            or (k.shape[0], *k.shape[-2:]) != (s, h, w)
        ):
            raise ValueError(
                f"kspace must be complex64 (S, [C,] H, W) = ({s}, [C,] {h}, {w}); got {k.dtype} {k.shape}"
            )


def _chunks(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1, *shape[1:])  # one slice per chunk: training loaders read slice by slice


def write_dataset(path: str | Path, data: SubjectData) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    The HDF5 file is built in memory and written with plain file I/O, so a full disk is one
    ``OSError`` (errno ENOSPC, "no space left on device", naming ``path``) rather than HDF5
    failing inside its own buffers. On any error the temporary file is removed and ``path``
    is left as it was.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    image = _hdf5_image(data)
    try:
        try:
            with tmp.open("wb") as fh:
                fh.write(image)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise OSError(errno.ENOSPC, "no space left on device", str(target)) from None
            raise
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _hdf5_image(data: SubjectData) -> bytes:
    """The bytes of the subject's HDF5 file."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", libver="v110", track_order=False) as h5:
        for name in DATASETS:
            arr = np.ascontiguousarray(getattr(data, name))
            small = arr.dtype == np.uint8
            h5.create_dataset(
                name,
                data=arr,
                chunks=_chunks(arr.shape),
                compression="gzip" if small else None,
                compression_opts=4 if small else None,
                shuffle=False,
                track_times=False,
            )
        for key in sorted(data.attrs):
            value = data.attrs[key]
            h5.attrs[key] = json.dumps(value) if isinstance(value, dict) else value
        _fastmri_fields(h5, data)
    return buffer.getvalue()


ISMRMRD_NS = "http://www.ismrm.org/ISMRMRD"


def ismrmrd_header(
    shape: tuple[int, int, int], resolution_mm: float, slice_thickness_mm: float
) -> bytes:
    """A minimal ISMRMRD header for ``(S, H, W)`` k-space (readout along ``H`` = x, phase
    encoding along ``W`` = y): what fastMRI's ``SliceDataset`` reads (matrix sizes, field of
    view and the phase-encode encoding limits with their centre)."""
    s, h, w = shape

    def xyz(x: float, y: float, z: float) -> str:
        return f"<x>{x:g}</x><y>{y:g}</y><z>{z:g}</z>"

    space = (
        f"<matrixSize>{xyz(h, w, 1)}</matrixSize>"
        f"<fieldOfView_mm>{xyz(h * resolution_mm, w * resolution_mm, slice_thickness_mm)}"
        "</fieldOfView_mm>"
    )

    def limit(count: int) -> str:
        return f"<minimum>0</minimum><maximum>{count - 1}</maximum><center>{count // 2}</center>"

    return (
        f'<?xml version="1.0" encoding="utf-8"?><ismrmrdHeader xmlns="{ISMRMRD_NS}">'
        f"<encoding><encodedSpace>{space}</encodedSpace><reconSpace>{space}</reconSpace>"
        f"<encodingLimits><kspace_encoding_step_1>{limit(w)}</kspace_encoding_step_1>"
        f"<kspace_encoding_step_2>{limit(1)}</kspace_encoding_step_2>"
        f"<slice>{limit(s)}</slice></encodingLimits>"
        "<trajectory>cartesian</trajectory></encoding></ismrmrdHeader>"
    ).encode()


def _fastmri_fields(h5: h5py.File, data: SubjectData) -> None:
    """The header, target and attributes fastMRI's loaders expect (module docstring)."""
    s, h, w = data.labels.shape
    header = ismrmrd_header(
        (s, h, w),
        float(data.attrs.get("resolution_mm", 1.0)),
        float(data.attrs.get("slice_thickness_mm", 1.0)),
    )
    h5.create_dataset("ismrmrd_header", data=np.void(header))  # a bytes scalar, as fastMRI's
    if data.kspace.ndim == 3:  # single coil: the RSS image is the emulated single-coil target
        h5["reconstruction_esc"] = h5py.SoftLink("/reconstruction_rss")
    target = data.reconstruction_rss
    h5.attrs["acquisition"] = "AXT2"
    h5.attrs["max"] = float(target.max())
    h5.attrs["norm"] = float(np.linalg.norm(target))
    h5.attrs["patient_id"] = str(data.attrs.get("subject", ""))


def read_dataset(path: str | Path, slices: slice | None = None) -> SubjectData:
    """Read a subject file (optionally a range of slices) and check its layout.

    Raises
    ------
    ValueError
        When the file is not an ``mrsim`` subject file.
    """
    sel = slices if slices is not None else slice(None)
    try:
        with h5py.File(path, "r") as h5:
            missing = [n for n in DATASETS if n not in h5]
            if missing:
                raise ValueError(f"{path}: not an mrsim dataset (missing {', '.join(missing)})")
            arrays = {n: h5[n][sel] for n in DATASETS}
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in h5.attrs.items()}
    except OSError as exc:
        raise ValueError(f"{path}: cannot read HDF5 file ({exc})") from None
    return SubjectData(attrs=attrs, **arrays)
