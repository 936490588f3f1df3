"""Readers of BrainWeb's anatomical models (crisp and fuzzy) in MINC1, MINC2 and raw formats.

References
----------
.. [1] D. L. Collins et al., "Design and construction of a realistic digital brain phantom",
   IEEE Trans. Med. Imaging 17(3), 463-468, 1998.
.. [2] B. Aubert-Broche, A. C. Evans, D. L. Collins, "A new improved version of the realistic
   digital brain phantom", NeuroImage 32(1), 138-145, 2006.
.. [3] MINC file formats: MINC1 is netCDF classic (variable ``image``, dimension variables
   ``xspace/yspace/zspace`` with ``start`` and ``step``); MINC2 is HDF5 with the image at
   ``/minc-2.0/image/0/image`` and dimensions in ``/minc-2.0/dimensions``.
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mrsim.phantoms import _kernels
from mrsim.phantoms._phantom import N_TISSUES, Phantom, PhantomError
from mrsim.phantoms.resample import block_factors, fractions_from_labels

__all__ = [
    "BRAINWEB_ORIGIN_MM",
    "BRAINWEB_SHAPE",
    "BRAINWEB_SPACING_MM",
    "BRAINWEB_SUBJECTS",
    "find_brainweb",
    "load_brainweb",
    "load_brainweb_fuzzy",
    "subject_name",
]

BRAINWEB_SUBJECTS: tuple[str, ...] = tuple(
    f"subject{n:02d}" for n in (4, 5, 6, 18, 20, 38, *range(41, 55))
)
"""The 20 normal anatomical models of BrainWeb."""
BRAINWEB_SHAPE: tuple[int, int, int] = (362, 434, 362)
"""Grid ``(z, y, x)`` of the BrainWeb models."""
BRAINWEB_SPACING_MM: tuple[float, float, float] = (0.5, 0.5, 0.5)
"""Voxel size of the BrainWeb models."""
BRAINWEB_ORIGIN_MM: tuple[float, float, float] = (-72.25, -126.25, -90.25)
"""World position ``(z, y, x)`` of voxel (0, 0, 0) of the BrainWeb models (MINC ``start``)."""

_GZIP_MAGIC = b"\x1f\x8b"
_CDF_MAGICS = (b"CDF\x01", b"CDF\x02")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_CRISP_SUFFIXES = (".mnc", ".mnc.gz", ".rawb", ".rawb.gz")


class _Volume:
    """A decoded image with its grid (internal)."""

    def __init__(
        self,
        data: np.ndarray,
        spacing: tuple[float, float, float],
        origin: tuple[float, float, float],
        signed: bool = True,
    ) -> None:
        self.data = data
        self.spacing = spacing
        self.origin = origin
        self.signed = signed  # MINC "signtype": how bytes map to real values (fuzzy models)


def _is_signed(signtype: object, dtype: np.dtype) -> bool:
    """MINC's ``signtype`` attribute (``signed__`` / ``unsigned``), else the storage type."""
    if isinstance(signtype, bytes):
        signtype = signtype.decode("ascii", "replace")
    if isinstance(signtype, str) and signtype.strip("_ \x00"):
        return not signtype.strip().lower().startswith("unsigned")
    return bool(np.dtype(dtype).kind == "i")


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PhantomError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PhantomError(f"{path}: is a directory, not a phantom file") from None
    except OSError as exc:
        raise PhantomError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise PhantomError(f"{path}: truncated or corrupt gzip data ({exc})") from None
    return raw


def _is_hdf5(raw: bytes) -> bool:
    # HDF5 allows a user block of 512 * 2**k bytes before the superblock
    offsets = [0] + [512 * 2**k for k in range(12)]
    return any(raw[o : o + 8] == _HDF5_MAGIC for o in offsets if o + 8 <= len(raw))


def _orient(
    data: np.ndarray, dims: Sequence[str], starts: dict[str, float], steps: dict[str, float]
) -> _Volume:
    """Transpose to (z, y, x) and flip axes with negative steps so that steps are positive."""
    names = ("zspace", "yspace", "xspace")
    if sorted(dims) != sorted(names):
        raise PhantomError(f"image dimensions {tuple(dims)} are not (zspace, yspace, xspace)")
    data = np.transpose(data, [list(dims).index(n) for n in names])
    spacing, origin = [], []
    for axis, n in enumerate(names):
        step, start = float(steps.get(n, 1.0)), float(starts.get(n, 0.0))
        if step == 0.0:
            raise PhantomError(f"dimension {n} has step 0")
        if step < 0:
            data = np.flip(data, axis=axis)
            start += (data.shape[axis] - 1) * step
            step = -step
        spacing.append(step)
        origin.append(start)
    return _Volume(data, (spacing[0], spacing[1], spacing[2]), (origin[0], origin[1], origin[2]))


def _decode_minc1(raw: bytes, path: Path) -> _Volume:
    from scipy.io import netcdf_file

    try:
        with netcdf_file(io.BytesIO(raw), "r", mmap=False) as nc:
            if "image" not in nc.variables:
                raise PhantomError(f"{path}: MINC1 file without an 'image' variable")
            var = nc.variables["image"]
            dims = [d.decode() if isinstance(d, bytes) else d for d in var.dimensions]
            # with mmap=False the array owns its memory and outlives the file object
            data = np.asarray(var.data)
            signed = _is_signed(var._attributes.get("signtype"), data.dtype)
            starts: dict[str, float] = {}
            steps: dict[str, float] = {}
            for n in ("xspace", "yspace", "zspace"):
                if n in nc.variables:
                    attrs = nc.variables[n]._attributes
                    if "start" in attrs:
                        starts[n] = float(np.asarray(attrs["start"]).ravel()[0])
                    if "step" in attrs:
                        steps[n] = float(np.asarray(attrs["step"]).ravel()[0])
    except PhantomError:
        raise
    except Exception as exc:  # scipy raises many types on malformed headers
        raise PhantomError(f"{path}: unreadable MINC1 (netCDF) file ({exc})") from None
    if data.ndim != 3:
        raise PhantomError(f"{path}: image is {data.ndim}-D, expected 3-D")
    try:
        vol = _orient(data, dims, starts, steps)
    except PhantomError as exc:
        raise PhantomError(f"{path}: {exc}") from None
    vol.signed = signed
    return vol


def _decode_minc2(raw: bytes, path: Path) -> _Volume:
    import h5py

    try:
        with h5py.File(io.BytesIO(raw), "r") as h5:
            if "minc-2.0/image/0/image" not in h5:
                raise PhantomError(f"{path}: HDF5 file without /minc-2.0/image/0/image (not MINC2)")
            ds = h5["minc-2.0/image/0/image"]
            data = np.asarray(ds[()])
            signed = _is_signed(ds.attrs.get("signtype"), data.dtype)
            order = ds.attrs.get("dimorder", b"zspace,yspace,xspace")
            if isinstance(order, bytes):
                order = order.decode()
            dims = [d.strip() for d in str(order).split(",")]
            starts: dict[str, float] = {}
            steps: dict[str, float] = {}
            for n in ("xspace", "yspace", "zspace"):
                key = f"minc-2.0/dimensions/{n}"
                if key in h5:
                    attrs = h5[key].attrs
                    if "start" in attrs:
                        starts[n] = float(np.asarray(attrs["start"]).ravel()[0])
                    if "step" in attrs:
                        steps[n] = float(np.asarray(attrs["step"]).ravel()[0])
    except PhantomError:
        raise
    except Exception as exc:  # h5py raises OSError / KeyError / ValueError on damaged files
        raise PhantomError(f"{path}: unreadable MINC2 (HDF5) file ({exc})") from None
    if data.ndim != 3:
        raise PhantomError(f"{path}: image is {data.ndim}-D, expected 3-D")
    try:
        vol = _orient(data, dims, starts, steps)
    except PhantomError as exc:
        raise PhantomError(f"{path}: {exc}") from None
    vol.signed = signed
    return vol


def _decode_raw(raw: bytes, path: Path, raw_shape: tuple[int, int, int] | None) -> _Volume:
    if raw_shape is None:
        raise PhantomError(f"{path}: raw label file needs raw_shape=(Z, Y, X)")
    if len(raw_shape) != 3 or any(int(n) < 1 for n in raw_shape):
        raise PhantomError(f"raw_shape must be three positive integers, got {raw_shape}")
    shape = (int(raw_shape[0]), int(raw_shape[1]), int(raw_shape[2]))
    expected = shape[0] * shape[1] * shape[2]
    if len(raw) != expected:
        raise PhantomError(
            f"{path}: {len(raw)} bytes, expected {expected} for raw_shape {shape} (uint8 z, y, x)"
        )
    data = np.frombuffer(raw, dtype=np.uint8).reshape(shape)
    return _Volume(data, BRAINWEB_SPACING_MM, BRAINWEB_ORIGIN_MM)


def _decode(raw: bytes, path: Path, raw_shape: tuple[int, int, int] | None) -> _Volume:
    if raw[:4] in _CDF_MAGICS:
        return _decode_minc1(raw, path)
    if _is_hdf5(raw):
        return _decode_minc2(raw, path)
    name = path.name.lower()
    if raw_shape is not None or name.endswith((".rawb", ".rawb.gz", ".raw", ".raw.gz")):
        return _decode_raw(raw, path, raw_shape)
    raise PhantomError(
        f"{path}: not a MINC file (no netCDF or HDF5 signature); for raw bytes pass raw_shape"
    )


def _subject_from_path(path: Path) -> str:
    m = re.match(r"(subject\d+)", path.name)
    if m:
        return m.group(1)
    return path.name.split(".")[0]


def load_brainweb(
    path: str | Path,
    *,
    resolution_mm: float = 1.0,
    raw_shape: tuple[int, int, int] | None = None,
) -> Phantom:
    """Load a crisp BrainWeb model and box-average it to ``resolution_mm`` tissue fractions.

    The format is detected from the bytes, not the suffix: gzip (decompressed in memory),
    MINC1 (netCDF classic ``CDF`` signature, read with :class:`scipy.io.netcdf_file`), MINC2
    (HDF5 signature, read with h5py) or, failing both, raw uint8 labels ``(z, y, x)`` with x
    fastest (needs ``raw_shape``; BrainWeb's 0.5 mm spacing and origin are assumed). Voxel
    values are used as labels as stored (BrainWeb's crisp files store labels 0..11 directly;
    MINC's real-value rescaling does not apply to label volumes).

    Parameters
    ----------
    path
        ``subjectNN_crisp_v.mnc``, ``.mnc.gz``, ``.rawb`` or ``.rawb.gz`` (any name works).
    resolution_mm
        Target isotropic voxel size, an integer multiple of the file's spacing (0.5 mm for
        BrainWeb: 0.5, 1, 1.5, 2, ... mm). Partial volume = share of the source voxels of
        each label in a target voxel (exact).
    raw_shape
        ``(Z, Y, X)`` of a raw file, e.g. :data:`BRAINWEB_SHAPE`.

    Raises
    ------
    PhantomError
        Missing or unreadable file, truncated gzip, wrong raw size, labels outside 0..11,
        a resolution that is not a multiple of the spacing.

    References
    ----------
    See the module references [1]_, [2]_, [3]_.
    """
    p = Path(path)
    vol = _decode(_read_bytes(p), p, raw_shape)
    try:
        block_factors(vol.spacing, resolution_mm)
        return fractions_from_labels(
            vol.data, vol.spacing, vol.origin, resolution_mm, _subject_from_path(p)
        )
    except PhantomError as exc:
        raise PhantomError(f"{p}: {exc}") from None


_NC_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8}
_NC_FORMATS = {1: "b", 2: "c", 3: ">i2", 4: ">i4", 5: ">f4", 6: ">f8"}


class _NcVar:
    def __init__(self, dims: list[str], attrs: dict[str, object], nc_type: int, begin: int):
        self.dims = dims
        self.attrs = attrs
        self.nc_type = nc_type
        self.begin = begin


def _netcdf_header(raw: bytes) -> tuple[dict[str, int], dict[str, _NcVar]]:
    """Parse a netCDF classic header: dimension lengths and variables (dims, attributes, offset).

    Written for files whose data section scipy refuses (BrainWeb's fuzzy models declare a
    variable past the end of the file); raises ``struct.error`` / ``ValueError`` when malformed.
    """
    offset_size = 8 if raw[:4] == b"CDF\x02" else 4
    pos = 8  # magic + numrecs

    def u32() -> int:
        nonlocal pos
        (v,) = struct.unpack_from(">I", raw, pos)
        pos += 4
        return int(v)

    def name() -> str:
        nonlocal pos
        n = u32()
        text = raw[pos : pos + n].decode("ascii", "replace")
        pos += (n + 3) // 4 * 4
        return text

    def attributes() -> dict[str, object]:
        nonlocal pos
        tag, n = u32(), u32()
        if tag not in (0, 0x0C):
            raise ValueError("bad attribute list tag")
        attrs: dict[str, object] = {}
        for _ in range(n):
            key, nc_type, count = name(), u32(), u32()
            size = _NC_SIZES[nc_type] * count
            values = raw[pos : pos + size]
            pos += (size + 3) // 4 * 4
            if nc_type == 2:
                attrs[key] = values.rstrip(b"\x00").decode("ascii", "replace")
            else:
                attrs[key] = np.frombuffer(values, dtype=_NC_FORMATS[nc_type])
        return attrs

    tag, n = u32(), u32()
    if tag not in (0, 0x0A):
        raise ValueError("bad dimension list tag")
    dim_names: list[str] = []
    dims: dict[str, int] = {}
    for _ in range(n):
        dname = name()
        dim_names.append(dname)
        dims[dname] = u32()
    attributes()  # global attributes
    tag, n = u32(), u32()
    if tag not in (0, 0x0B):
        raise ValueError("bad variable list tag")
    variables: dict[str, _NcVar] = {}
    for _ in range(n):
        vname = name()
        ids = [u32() for _ in range(u32())]
        attrs = attributes()
        nc_type = u32()
        u32()  # vsize
        if offset_size == 8:
            (begin,) = struct.unpack_from(">Q", raw, pos)
            pos += 8
        else:
            begin = u32()
        variables[vname] = _NcVar([dim_names[i] for i in ids], attrs, nc_type, int(begin))
    return dims, variables


def _fuzzy_minc1_fallback(raw: bytes, path: Path) -> _Volume:
    """Read a MINC1 byte image from the parsed header, as the last bytes if it runs past EOF."""
    try:
        dims, variables = _netcdf_header(raw)
    except (struct.error, ValueError, KeyError, IndexError):
        raise PhantomError(f"{path}: unreadable MINC1 (netCDF) header") from None
    image = variables.get("image")
    if image is None or image.nc_type != 1 or len(image.dims) != 3:
        raise PhantomError(f"{path}: MINC1 file without a 3-D byte 'image' variable")
    shape = tuple(dims[d] for d in image.dims)
    size = int(np.prod(shape))
    if len(raw) < size:
        raise PhantomError(f"{path}: {len(raw)} bytes, shorter than its {shape} image")
    begin = image.begin if image.begin + size <= len(raw) else len(raw) - size
    data = np.frombuffer(raw, dtype=np.int8, count=size, offset=begin).reshape(shape)
    signed = _is_signed(image.attrs.get("signtype"), data.dtype)
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    for n in ("xspace", "yspace", "zspace"):
        var = variables.get(n)
        if var is not None:
            for key, table in (("start", starts), ("step", steps)):
                value = var.attrs.get(key)
                if isinstance(value, np.ndarray) and value.size:
                    table[n] = float(value[0])
    try:
        vol = _orient(data, image.dims, starts, steps)
    except PhantomError as exc:
        raise PhantomError(f"{path}: {exc}") from None
    vol.signed = signed
    return vol


def _fuzzy_volume(path: Path) -> _Volume:
    """Signed-byte membership volume (values as stored, int8) with its grid."""
    raw = _read_bytes(path)
    if raw[:4] in _CDF_MAGICS:
        try:
            vol = _decode_minc1(raw, path)
        except PhantomError:
            # BrainWeb's fuzzy files have a header scipy rejects (a variable beyond the end of
            # the file); their image is the last Z*Y*X bytes of the file
            return _fuzzy_minc1_fallback(raw, path)
    elif _is_hdf5(raw):
        vol = _decode_minc2(raw, path)
    else:
        raise PhantomError(f"{path}: not a MINC file (no netCDF or HDF5 signature)")
    if vol.data.dtype not in (np.int8, np.uint8):
        raise PhantomError(f"{path}: fuzzy model must hold bytes, got {vol.data.dtype}")
    return vol


def load_brainweb_fuzzy(paths: Mapping[int, str | Path], *, resolution_mm: float = 1.0) -> Phantom:
    """Load BrainWeb fuzzy (membership) models of some tissues into tissue fractions.

    Each file holds one tissue's membership as bytes: signed bytes (BrainWeb's files, MINC
    ``signtype`` "signed__") map as ``membership = (value + 128) / 255``, unsigned ones as
    ``value / 255``. MINC's per-slice ``image-max`` rescaling (within 0.4 % of 1 for
    BrainWeb's files) is not applied. Files whose header scipy cannot read (the real
    BrainWeb fuzzy files) are read with a small netCDF header parser; the image is taken as the
    last ``Z*Y*X`` bytes of the decompressed file when its declared offset runs past the end.

    Per 0.5 mm voxel the memberships are combined as follows, then box-averaged:

    * background (label 0) **not** given: it gets the remainder ``1 - sum``; where the
      memberships sum above 1 they are scaled down to sum to 1 (background 0);
    * background given: all memberships are renormalised to sum to 1 (all zero -> background).

    Tissues not given get 0 (their share ends up in the background remainder).

    Parameters
    ----------
    paths
        ``{label: file}``, labels in ``0..11`` (:data:`TISSUE_NAMES`), e.g.
        ``{1: "subject50_csf_v.mnc.gz", 2: "subject50_gm_v.mnc.gz"}``; all on one grid.
    resolution_mm
        Target voxel size, an integer multiple of the files' spacing.

    Raises
    ------
    PhantomError
        No files, bad labels, unreadable files, grids that differ.
    """
    if not paths:
        raise PhantomError("paths: at least one fuzzy tissue file is needed")
    for label in paths:
        if not isinstance(label, (int, np.integer)) or not 0 <= int(label) < N_TISSUES:
            raise PhantomError(f"paths: tissue label {label!r} outside 0..{N_TISSUES - 1}")
    labels = sorted(int(k) for k in paths)
    vols: list[_Volume] = []
    for label in labels:
        p = Path(paths[label])
        vol = _fuzzy_volume(p)
        if vols and (
            vol.data.shape != vols[0].data.shape
            or not np.allclose(vol.spacing, vols[0].spacing)
            or not np.allclose(vol.origin, vols[0].origin)
        ):
            raise PhantomError(f"{p}: grid differs from {Path(paths[labels[0]])}")
        vols.append(vol)
    ref = vols[0]
    factors = block_factors(ref.spacing, resolution_mm)
    # signed byte v -> 255 * membership = v + 128, i.e. the byte with its top bit flipped;
    # an unsigned byte u (MINC signtype "unsigned") is 255 * membership already
    memberships = np.empty((len(vols), *ref.data.shape), dtype=np.uint8)
    for k, vol in enumerate(vols):
        stored = np.ascontiguousarray(vol.data).view(np.uint8)
        if vol.signed:
            np.bitwise_xor(stored, 0x80, out=memberships[k])
        else:
            memberships[k] = stored
    nz, ny, nx = ref.data.shape
    fz, fy, fx = factors
    out = np.empty((N_TISSUES, -(-nz // fz), -(-ny // fy), -(-nx // fx)), dtype=np.float32)
    _kernels.fuzzy_blocks(
        memberships, np.asarray(labels, dtype=np.int64), 0 in labels, fz, fy, fx, out
    )
    spacing = tuple(s * f for s, f in zip(ref.spacing, factors, strict=True))
    origin = tuple(
        o + 0.5 * (f - 1) * s for o, s, f in zip(ref.origin, ref.spacing, factors, strict=True)
    )
    name = _subject_from_path(Path(paths[labels[0]]))
    return Phantom(out, spacing, origin, name)  # type: ignore[arg-type]


def subject_name(subject: str | int) -> str:
    """Normalise ``"04"``, ``"4"``, ``4`` or ``"subject04"`` to ``"subject04"``."""
    text = str(subject).strip().lower()
    m = re.fullmatch(r"(?:subject)?0*(\d{1,3})", text)
    if not m:
        raise PhantomError(
            f"subject {subject!r}: expected a number like 04 or a name like subject04"
        )
    return f"subject{int(m.group(1)):02d}"


def find_brainweb(directory: str | Path, subjects: Sequence[str | int]) -> list[Path]:
    """Find the crisp model ``subjectNN_crisp_v.{mnc,mnc.gz,rawb,rawb.gz}`` of each subject.

    Parameters
    ----------
    directory
        Folder holding the BrainWeb files.
    subjects
        ``"04"``, ``"4"`` or ``"subject04"`` each (see :data:`BRAINWEB_SUBJECTS`).

    Raises
    ------
    PhantomError
        Missing directory, malformed or unknown subject, or no file for a subject.
    """
    d = Path(directory)
    if not d.is_dir():
        raise PhantomError(f"{d}: BrainWeb directory does not exist")
    found: list[Path] = []
    for subject in subjects:
        name = subject_name(subject)
        for suffix in _CRISP_SUFFIXES:
            candidate = d / f"{name}_crisp_v{suffix}"
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            hint = (
                ""
                if name in BRAINWEB_SUBJECTS
                else " (not a BrainWeb subject: "
                + ", ".join(s.removeprefix("subject") for s in BRAINWEB_SUBJECTS)
                + ")"
            )
            raise PhantomError(
                f"subject {subject!r}: no {name}_crisp_v.{{mnc,mnc.gz,rawb,rawb.gz}} in {d}{hint}"
            )
    return found
