"""BrainWeb readers on small synthetic files in every format, and every bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import h5py
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.io import netcdf_file

from mrsim.phantoms import (
    TISSUE_NAMES,
    PhantomError,
    find_brainweb,
    fractions_from_labels,
    load_brainweb,
    load_brainweb_fuzzy,
)

SHAPE = (10, 14, 12)  # z, y, x
STARTS = {"zspace": -2.25, "yspace": 5.75, "xspace": -3.25}
STEP = 0.5


def _labels() -> np.ndarray:
    rng = np.random.default_rng(42)
    lab = rng.integers(0, len(TISSUE_NAMES), size=SHAPE, dtype=np.uint8)
    lab[0, 0, :12] = np.arange(12)  # every label present
    return lab


def _write_minc1(
    path: Path,
    image: np.ndarray,
    *,
    x_step: float = STEP,
    trailing_variable: bool = False,
    signtype: str | None = None,
) -> None:
    with netcdf_file(path, "w") as nc:
        for dim, n in zip(("zspace", "yspace", "xspace"), image.shape, strict=True):
            nc.createDimension(dim, n)
        for dim in ("zspace", "yspace", "xspace"):
            v = nc.createVariable(dim, "d", ())
            # a flipped axis starts at the world position of the last voxel of the other order
            flipped = dim == "xspace" and x_step < 0
            v.start = STARTS[dim] + (image.shape[2] - 1) * STEP if flipped else STARTS[dim]
            v.step = x_step if dim == "xspace" else STEP
            v.units = "mm"
        img = nc.createVariable("image", "b", ("zspace", "yspace", "xspace"))
        img[:] = image.view(np.int8)
        if signtype is not None:
            img.signtype = signtype
        if trailing_variable:
            nc.createVariable("rootvariable", "i", ())


def _write_minc2(path: Path, image: np.ndarray, *, order: str = "zspace,yspace,xspace") -> None:
    with h5py.File(path, "w") as h5:
        for dim in ("zspace", "yspace", "xspace"):
            ds = h5.create_dataset(f"minc-2.0/dimensions/{dim}", data=0, dtype="i4")
            ds.attrs["start"] = STARTS[dim]
            ds.attrs["step"] = STEP
        ds = h5.create_dataset("minc-2.0/image/0/image", data=image)
        ds.attrs["dimorder"] = order.encode()


def _gzip(src: Path, dst: Path) -> Path:
    dst.write_bytes(gzip.compress(src.read_bytes()))
    return dst


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("brainweb_synthetic")
    lab = _labels()
    out: dict[str, Path] = {}
    out["mnc"] = d / "subject04_crisp_v.mnc"
    _write_minc1(out["mnc"], lab)
    out["mnc.gz"] = _gzip(out["mnc"], d / "subject05_crisp_v.mnc.gz")
    out["minc2"] = d / "subject06_crisp_v.mnc"  # same suffix as MINC1: found by its bytes
    _write_minc2(out["minc2"], lab)
    out["minc2.gz"] = _gzip(out["minc2"], d / "minc2_labels.mnc.gz")
    out["minc2_xyz"] = d / "minc2_xyz.mnc"
    _write_minc2(
        out["minc2_xyz"], np.ascontiguousarray(lab.transpose(2, 1, 0)), order="xspace,yspace,zspace"
    )
    out["flipped"] = d / "flipped.mnc"
    _write_minc1(out["flipped"], np.ascontiguousarray(lab[:, :, ::-1]), x_step=-STEP)
    out["rawb"] = d / "subject18_crisp_v.rawb"
    out["rawb"].write_bytes(lab.tobytes())
    out["rawb.gz"] = _gzip(out["rawb"], d / "subject20_crisp_v.rawb.gz")
    out["truncated"] = d / "truncated.mnc.gz"
    out["truncated"].write_bytes(out["mnc.gz"].read_bytes()[:-200])
    out["corrupt_gzip"] = d / "corrupt.mnc.gz"
    blob = bytearray(out["mnc.gz"].read_bytes())
    blob[40:80] = b"\x00" * 40
    out["corrupt_gzip"].write_bytes(bytes(blob))
    out["text"] = d / "notes.mnc"
    out["text"].write_text("this is not a MINC file\n")
    out["bad_cdf"] = d / "bad_header.mnc"
    out["bad_cdf"].write_bytes(b"CDF\x01" + b"\xff" * 60)
    out["bad_labels"] = d / "bad_labels.mnc"
    bad = lab.copy()
    bad[3, 3, 3] = 200
    _write_minc1(out["bad_labels"], bad)
    out["h5_not_minc"] = d / "other.h5"
    with h5py.File(out["h5_not_minc"], "w") as h5:
        h5["x"] = np.zeros(3)
    return out


def _expected(resolution: float) -> np.ndarray:
    origin = (STARTS["zspace"], STARTS["yspace"], STARTS["xspace"])
    return fractions_from_labels(_labels(), (STEP,) * 3, origin, resolution, "ref").fractions


def _brute(labels: np.ndarray, tissue: int, f: int) -> np.ndarray:
    padded = np.zeros([-(-n // f) * f for n in labels.shape])
    padded[: labels.shape[0], : labels.shape[1], : labels.shape[2]] = labels == tissue
    z, y, x = (n // f for n in padded.shape)
    return padded.reshape(z, f, y, f, x, f).mean(axis=(1, 3, 5))


@pytest.mark.parametrize(
    "key", ["mnc", "mnc.gz", "minc2", "minc2.gz", "minc2_xyz", "flipped", "rawb", "rawb.gz"]
)
@pytest.mark.parametrize("resolution", [0.5, 1.0])
def test_every_format_loads_the_known_labels(
    files: dict[str, Path], key: str, resolution: float
) -> None:
    raw = key.startswith("rawb")
    ph = load_brainweb(files[key], resolution_mm=resolution, raw_shape=SHAPE if raw else None)
    f = round(resolution / STEP)
    assert ph.spacing_mm == (resolution,) * 3
    for tissue in (0, 2, 3, 11):
        assert_allclose(ph.fractions[tissue], _brute(_labels(), tissue, f), atol=1e-7)
    if resolution == 0.5:
        assert_array_equal(ph.labels, _labels())
    if raw:  # BrainWeb's grid is assumed for raw bytes
        assert ph.origin_mm == pytest.approx(
            (-72.25 + 0.25 * (f - 1), -126.25 + 0.25 * (f - 1), -90.25 + 0.25 * (f - 1))
        )
    else:
        first = np.array([STARTS["zspace"], STARTS["yspace"], STARTS["xspace"]])
        assert_allclose(ph.origin_mm, first + 0.25 * (f - 1))
    assert_allclose(ph.fractions, _expected(resolution), atol=1e-7)


def test_name_comes_from_the_file(files: dict[str, Path]) -> None:
    assert load_brainweb(files["mnc.gz"]).name == "subject05"
    assert load_brainweb(files["minc2.gz"]).name == "minc2_labels"


@pytest.mark.parametrize(
    ("key", "kwargs", "match"),
    [
        ("truncated", {}, "truncated or corrupt gzip"),
        ("corrupt_gzip", {}, "truncated or corrupt gzip"),
        ("text", {}, "not a MINC file"),
        ("bad_cdf", {}, "unreadable MINC1"),
        ("h5_not_minc", {}, "not MINC2"),
        ("bad_labels", {}, "label value 200"),
        ("rawb", {}, "raw_shape"),
        ("rawb", {"raw_shape": (10, 14, 11)}, "1680 bytes, expected 1540"),
        ("rawb.gz", {"raw_shape": (3, 3, 3)}, "expected 27"),
        ("mnc", {"resolution_mm": 0.75}, "resolution_mm=0.75"),
    ],
)
def test_bad_inputs_raise_phantom_error_naming_the_file(
    files: dict[str, Path], key: str, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(PhantomError, match=match) as info:
        load_brainweb(files[key], **kwargs)  # type: ignore[arg-type]
    assert str(files[key]) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(PhantomError, match="no such file") as info:
        load_brainweb(tmp_path / "subject04_crisp_v.mnc.gz")
    assert "subject04_crisp_v.mnc.gz" in str(info.value)
    with pytest.raises(PhantomError, match="is a directory"):
        load_brainweb(tmp_path)


def test_find_brainweb_accepts_every_spelling(files: dict[str, Path]) -> None:
    d = files["mnc"].parent
    found = find_brainweb(d, ["04", "5", "subject06", "18", "subject20"])
    assert found == [files["mnc"], files["mnc.gz"], files["minc2"], files["rawb"], files["rawb.gz"]]


@pytest.mark.parametrize(
    ("subjects", "match"),
    [
        (["38"], "subject '38': no subject38_crisp_v"),
        (["99"], "not a BrainWeb subject"),
        (["four"], "subject 'four': expected a number"),
        (["04x"], "expected a number"),
    ],
)
def test_find_brainweb_unknown_subject(
    files: dict[str, Path], subjects: list[str], match: str
) -> None:
    with pytest.raises(PhantomError, match=match):
        find_brainweb(files["mnc"].parent, subjects)


def test_find_brainweb_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PhantomError, match="does not exist"):
        find_brainweb(tmp_path / "nowhere", ["04"])


# --- fuzzy models ---------------------------------------------------------------------------


def _membership_bytes(m: np.ndarray) -> np.ndarray:
    """BrainWeb's signed-byte encoding of memberships in [0, 1]: value = 255 m - 128."""
    return (np.rint(m * 255.0) - 128).astype(np.int8)


@pytest.fixture(scope="module")
def fuzzy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("brainweb_fuzzy")
    rng = np.random.default_rng(7)
    raw = rng.random((3, *SHAPE)) ** 2
    raw /= raw.sum(axis=0) + rng.random(SHAPE) * 0.5  # sums <= 1: background gets the rest
    raw[:, 0, 0, 0] = [0.9, 0.9, 0.0]  # a voxel whose memberships sum above 1
    quantised = np.rint(raw * 255.0) / 255.0
    paths: dict[int, Path] = {}
    for tissue, name, m in zip((1, 2, 3), ("csf", "gm", "wm"), raw, strict=True):
        p = d / f"subject50_{name}_v.mnc"
        _write_minc1(p, _membership_bytes(m).view(np.uint8))
        paths[tissue] = p
    gz = _gzip(paths[1], d / "subject50_csf_v.mnc.gz")
    # like the real files: a trailing variable whose data lies beyond the end of the file
    broken = d / "subject51_csf_v.mnc.gz"
    tmp = d / "tmp.mnc"
    _write_minc1(tmp, _membership_bytes(raw[0]).view(np.uint8), trailing_variable=True)
    blob = tmp.read_bytes()
    broken.write_bytes(gzip.compress(blob[:-4]))
    # the same CSF memberships stored as unsigned bytes (MINC signtype "unsigned": u = 255 m)
    unsigned = d / "unsigned_csf.mnc"
    _write_minc1(unsigned, np.rint(raw[0] * 255.0).astype(np.uint8), signtype="unsigned")
    # and as MINC2 (HDF5) signed bytes
    minc2 = d / "minc2_csf.mnc"
    _write_minc2(minc2, _membership_bytes(raw[0]))
    return {
        "paths": paths,
        "gz": gz,
        "broken": broken,
        "unsigned": unsigned,
        "minc2": minc2,
        "m": quantised,
    }


def _fuzzy_reference(m: np.ndarray, tissues: list[int], f: int) -> np.ndarray:
    """Brute force: per fine voxel background = 1 - sum (scaled when sum > 1), then average."""
    fine = np.zeros((len(TISSUE_NAMES), *SHAPE))
    for k, t in enumerate(tissues):
        fine[t] = m[k]
    s = fine.sum(axis=0)
    over = s > 1
    fine[:, over] /= s[over]
    fine[0] = 1.0 - fine.sum(axis=0)
    padded = np.zeros((len(TISSUE_NAMES), *[-(-n // f) * f for n in SHAPE]))
    padded[0] = 1.0
    padded[:, : SHAPE[0], : SHAPE[1], : SHAPE[2]] = fine
    z, y, x = (n // f for n in padded.shape[1:])
    return padded.reshape(len(TISSUE_NAMES), z, f, y, f, x, f).mean(axis=(2, 4, 6))


@pytest.mark.parametrize("resolution", [0.5, 1.0])
def test_fuzzy_models_match_the_signed_byte_convention(
    fuzzy: dict[str, object], resolution: float
) -> None:
    paths = fuzzy["paths"]
    m = fuzzy["m"]
    assert isinstance(paths, dict)
    assert isinstance(m, np.ndarray)
    ph = load_brainweb_fuzzy(paths, resolution_mm=resolution)
    ref = _fuzzy_reference(m, [1, 2, 3], round(resolution / STEP))
    assert_allclose(ph.fractions, ref, atol=2e-6)
    assert_allclose(ph.fractions.sum(axis=0), 1.0, atol=2e-6)
    assert ph.name == "subject50"
    assert_allclose(
        ph.origin_mm, np.array(list(STARTS.values())) + 0.25 * (round(resolution / STEP) - 1)
    )


def test_fuzzy_gzip_and_unreadable_header_fallback(fuzzy: dict[str, object]) -> None:
    m = fuzzy["m"]
    assert isinstance(m, np.ndarray)
    ref = _fuzzy_reference(m[:1], [1], 1)
    for key in ("gz", "broken", "unsigned", "minc2"):
        p = fuzzy[key]
        assert isinstance(p, Path)
        ph = load_brainweb_fuzzy({1: p}, resolution_mm=0.5)
        assert_allclose(ph.fractions, ref, atol=2e-6)


def test_fuzzy_with_background_renormalises(fuzzy: dict[str, object]) -> None:
    paths = fuzzy["paths"]
    assert isinstance(paths, dict)
    ph = load_brainweb_fuzzy({0: paths[1], 3: paths[3]}, resolution_mm=0.5)
    m = fuzzy["m"]
    assert isinstance(m, np.ndarray)
    s = m[0] + m[2]
    expected_wm = np.where(s > 0, m[2] / np.where(s > 0, s, 1), 0.0)
    assert_allclose(ph.fractions[3], expected_wm, atol=2e-6)
    assert_allclose(ph.fractions.sum(axis=0), 1.0, atol=2e-6)


def test_fuzzy_bad_inputs(fuzzy: dict[str, object], files: dict[str, Path], tmp_path: Path) -> None:
    paths = fuzzy["paths"]
    assert isinstance(paths, dict)
    with pytest.raises(PhantomError, match="at least one"):
        load_brainweb_fuzzy({})
    with pytest.raises(PhantomError, match="label 12"):
        load_brainweb_fuzzy({12: paths[1]})
    with pytest.raises(PhantomError, match="no such file"):
        load_brainweb_fuzzy({1: tmp_path / "missing_csf.mnc.gz"})
    with pytest.raises(PhantomError, match="not a MINC file"):
        load_brainweb_fuzzy({1: files["text"]})
    small = tmp_path / "small.mnc"
    _write_minc1(small, np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(PhantomError, match="grid differs"):
        load_brainweb_fuzzy({1: paths[1], 2: small})
