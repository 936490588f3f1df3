"""Subject simulation and the dataset files: layout, determinism, streams, resume, shards."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import numpy as np
import pytest
from numpy.testing import assert_allclose

import kspace
from mrsim.dataset import read_dataset
from mrsim.sequence import SpinEcho
from mrsim.simulate import DatasetConfig, SubjectJob, plan_jobs, simulate_dataset, simulate_subject

SMALL = {"resolution_mm": 2.0, "n_slices": 3, "slice_thickness_mm": 2.0}


def _config(out: Path, brainweb: Path, **kw: object) -> DatasetConfig:
    base: dict[str, object] = {
        "out_dir": out,
        "phantom": "brainweb",
        "brainweb_dir": brainweb,
        **SMALL,
    }
    base.update(kw)
    return DatasetConfig(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def run_a(tmp_path_factory: pytest.TempPathFactory, synthetic_brainweb: Path) -> DatasetConfig:
    config = _config(tmp_path_factory.mktemp("a"), synthetic_brainweb, subjects="all")
    simulate_dataset(config)
    return config


def test_file_layout_and_attributes(run_a: DatasetConfig) -> None:
    path = run_a.out_dir / "subject04.h5"
    with h5py.File(path, "r") as h5:
        assert set(h5) == {
            "kspace", "labels", "tissue", "reconstruction_rss",
            "ismrmrd_header", "reconstruction_esc",  # read by fastMRI's loaders
        }  # fmt: skip
        s, h, w = 3, 108, 90
        assert (h5["kspace"].shape, h5["kspace"].dtype) == ((s, h, w), np.complex64)
        for name, dtype in (
            ("labels", np.uint8),
            ("tissue", np.uint8),
            ("reconstruction_rss", np.float32),
        ):
            assert (h5[name].shape, h5[name].dtype) == ((s, h, w), dtype)
        attrs = dict(h5.attrs)
    for key in (
        "subject",
        "phantom",
        "field_t",
        "te_ms",
        "tr_ms",
        "noise_level",
        "noise_sigma",
        "resolution_mm",
        "slice_thickness_mm",
        "engine",
        "seed",
        "mrsim_version",
        "coils",
    ):
        assert key in attrs, key
    assert attrs["subject"] == "subject04"
    assert attrs["phantom"] == "brainweb"
    assert attrs["te_ms"].shape == (3,)
    assert np.all(np.abs(attrs["tr_ms"] / 3000 - 1) <= 0.05)
    data = read_dataset(path)
    assert set(np.unique(data.labels)) <= {0, 1, 2, 3}
    assert {1, 2, 3} <= set(np.unique(data.labels))
    keep = data.tissue <= 3
    assert np.array_equal(data.labels[keep], data.tissue[keep])
    assert np.all(data.labels[~keep] == 0)
    # reconstruction_rss is the magnitude of the (noisy) fully-sampled k-space
    assert_allclose(
        data.reconstruction_rss, np.abs(kspace.ifft2c(data.kspace)), rtol=1e-5, atol=1e-6
    )


def test_same_seed_same_bytes(run_a: DatasetConfig, tmp_path: Path) -> None:
    again = dataclasses.replace(run_a, out_dir=tmp_path)
    simulate_dataset(again)
    for name in ("subject04.h5", "subject05.h5"):
        assert (tmp_path / name).read_bytes() == (run_a.out_dir / name).read_bytes()


def test_noise_stream_is_independent(synthetic_brainweb: Path, tmp_path: Path) -> None:
    job = plan_jobs(_config(tmp_path, synthetic_brainweb, subjects="04"))[0]
    runs = {}
    for level in (0.0, 0.1, 0.2):
        protocol = SpinEcho(noise_level=level)
        runs[level] = simulate_subject(
            job, _config(tmp_path, synthetic_brainweb, protocol=protocol)
        )
    clean = runs[0.0].kspace.astype(np.complex128)
    n1 = runs[0.1].kspace - clean
    n2 = runs[0.2].kspace - clean
    # Same noise draw, scaled by sigma; jitter and field map untouched.
    assert_allclose(n2, 2 * n1, atol=2e-6 * np.abs(clean).max())
    assert np.array_equal(runs[0.1].attrs["te_ms"], runs[0.2].attrs["te_ms"])
    ref = kspace.rss(kspace.ifft2c(clean[:, None]))
    assert runs[0.1].attrs["noise_sigma"] == pytest.approx(0.1 * np.percentile(ref, 99), rel=1e-5)
    assert np.std(n1.real) == pytest.approx(runs[0.1].attrs["noise_sigma"], rel=0.05)
    other_seed = simulate_subject(job, _config(tmp_path, synthetic_brainweb, seed=1))
    assert not np.array_equal(other_seed.attrs["te_ms"], runs[0.1].attrs["te_ms"])


def test_field_map_changes_only_with_b0_settings(synthetic_brainweb: Path, tmp_path: Path) -> None:
    job = plan_jobs(_config(tmp_path, synthetic_brainweb, subjects="04"))[0]
    quiet = SpinEcho(noise_level=0.0)
    a = simulate_subject(job, _config(tmp_path, synthetic_brainweb, protocol=quiet))
    b = simulate_subject(
        job, _config(tmp_path, synthetic_brainweb, protocol=dataclasses.replace(quiet, b0_ppm=0.0))
    )
    assert np.array_equal(a.attrs["te_ms"], b.attrs["te_ms"])
    assert not np.allclose(a.kspace, b.kspace)
    assert_allclose(
        np.abs(a.kspace[:, a.kspace.shape[1] // 2, a.kspace.shape[2] // 2]),
        np.abs(b.kspace[:, b.kspace.shape[1] // 2, b.kspace.shape[2] // 2]),
        rtol=1e-4,
    )


def test_resume_skips_finished_files_and_refuses_other_settings(run_a: DatasetConfig) -> None:
    path = run_a.out_dir / "subject04.h5"
    before = path.stat().st_mtime_ns
    outcomes = simulate_dataset(run_a)
    assert [o.skipped for o in outcomes] == [True, True]
    assert path.stat().st_mtime_ns == before
    with pytest.raises(FileExistsError, match="--overwrite"):
        simulate_dataset(dataclasses.replace(run_a, seed=3))
    assert path.stat().st_mtime_ns == before
    assert not list(run_a.out_dir.glob(".*tmp"))


def test_stale_temporary_files_are_removed(synthetic_brainweb: Path, tmp_path: Path) -> None:
    stale = tmp_path / ".subject04.h5.12345.tmp"
    stale.write_bytes(b"half a file from a killed run")
    simulate_dataset(_config(tmp_path, synthetic_brainweb, subjects="04"))
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["subject04.h5"]


def test_shards_partition_the_subjects(synthetic_brainweb: Path, tmp_path: Path) -> None:
    names = [
        [
            j.name
            for j in plan_jobs(_config(tmp_path, synthetic_brainweb, subjects="all", shard=(i, 2)))
        ]
        for i in range(2)
    ]
    assert names == [["subject04"], ["subject05"]]
    proc = [j.name for j in plan_jobs(DatasetConfig(tmp_path, subjects="5", shard=(1, 3)))]
    assert proc == ["procedural01", "procedural04"]
    assert [j.source for j in plan_jobs(DatasetConfig(tmp_path, subjects="3-5"))] == ["3", "4", "5"]


def test_multi_coil_file(synthetic_brainweb: Path, tmp_path: Path) -> None:
    job = SubjectJob("subject04", "brainweb", str(synthetic_brainweb / "subject04_crisp_v.mnc.gz"))
    data = simulate_subject(job, _config(tmp_path, synthetic_brainweb, protocol=SpinEcho(coils=4)))
    assert data.kspace.shape == (3, 4, 108, 90)
    assert_allclose(
        data.reconstruction_rss, kspace.rss(kspace.ifft2c(data.kspace)), rtol=1e-5, atol=1e-6
    )


def test_bloch_engine_agrees_with_fast_on_a_small_phantom(
    synthetic_brainweb: Path, tmp_path: Path
) -> None:
    job = plan_jobs(_config(tmp_path, synthetic_brainweb, subjects="04"))[0]
    small = {"resolution_mm": 4.0, "n_slices": 1, "extent_mm": (4.0, 48.0, 40.0)}
    quiet = SpinEcho(noise_level=0.0, bandwidth_hz=4000.0)
    fast = simulate_subject(job, _config(tmp_path, synthetic_brainweb, protocol=quiet, **small))
    bloch = simulate_subject(
        job, _config(tmp_path, synthetic_brainweb, protocol=quiet, engine="bloch", **small)
    )
    assert fast.kspace.shape == (1, 12, 10)
    err = np.linalg.norm(bloch.kspace - fast.kspace) / np.linalg.norm(fast.kspace)
    assert err < 5e-3  # the Cauchy-isochromat quadrature of T2' (see test_engines)


def test_reader_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "x.h5"
    with h5py.File(other, "w") as h5:
        h5["data"] = np.zeros(3)
    with pytest.raises(ValueError, match="not an mrsim dataset"):
        read_dataset(other)
    (tmp_path / "y.h5").write_bytes(b"nope")
    with pytest.raises(ValueError, match="cannot read"):
        read_dataset(tmp_path / "y.h5")


def test_labels_are_the_argmax_of_the_slice_fractions(
    run_a: DatasetConfig, synthetic_brainweb: Path
) -> None:
    from mrsim import phantoms

    ph = phantoms.load_brainweb(synthetic_brainweb / "subject05_crisp_v.mnc", resolution_mm=2.0)
    stack = phantoms.axial_slices(phantoms.crop_or_pad(ph), 3, 2.0)
    tissue = np.argmax(stack.fractions, axis=1)
    data = read_dataset(run_a.out_dir / "subject05.h5")
    assert np.array_equal(data.tissue, tissue)
    assert np.array_equal(data.labels, np.where(tissue <= 3, tissue, 0))
    assert_allclose(data.attrs["slice_z_mm"], stack.z_mm)


def test_centre_labels_are_the_phantom_plane_nearest_each_slice_centre(
    run_a: DatasetConfig, synthetic_brainweb: Path, tmp_path: Path
) -> None:
    from mrsim import phantoms

    config = dataclasses.replace(run_a, out_dir=tmp_path, subjects="05", labels="centre")
    simulate_dataset(config)
    centre = read_dataset(tmp_path / "subject05.h5")
    slab = read_dataset(run_a.out_dir / "subject05.h5")
    assert np.array_equal(centre.kspace, slab.kspace)  # the same acquisition, other labels
    assert centre.attrs["labels_from"] == "centre"
    ph = phantoms.crop_or_pad(
        phantoms.load_brainweb(synthetic_brainweb / "subject05_crisp_v.mnc", resolution_mm=2.0)
    )
    z = ph.world_z_mm()
    for s, z_centre in enumerate(centre.attrs["slice_z_mm"]):
        plane = int(np.argmin(np.abs(z - z_centre)))
        tissue = np.argmax(ph.fractions[:, plane], axis=0)
        assert np.array_equal(centre.tissue[s], tissue)
        assert np.array_equal(centre.labels[s], np.where(tissue <= 3, tissue, 0))
    assert not np.array_equal(centre.labels, slab.labels)
    with pytest.raises(ValueError, match="unknown labels 'mid'"):
        dataclasses.replace(run_a, labels="mid")
