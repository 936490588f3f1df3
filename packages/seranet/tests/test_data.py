"""The slice dataset: lazy reads, subject splits, per-slice masks, normalisation, validation."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from torch.utils.data import DataLoader

from kspace import create_mask, fft2c, ifft2c
from seranet.data import (
    DataError,
    SliceDataset,
    SplitConfig,
    collate,
    inspect_subject,
    normalisation_scale,
    split_subjects,
)
from seranet.models import ModelConfig, ModelInput, build_model

MASK = create_mask("gaussian-lines", fraction=0.3, center_lines=4)


def _files(root: Path) -> list[Path]:
    return sorted(root.glob("*.h5"))


def test_reads_lazily_and_drops_handles_when_pickled(dataset_dir: Path) -> None:
    ds = SliceDataset(_files(dataset_dir), MASK)
    assert len(ds) == 15
    assert ds._handles == {}  # construction validates files but keeps none open
    ds[4]
    assert list(ds._handles) == [1]  # slice 4 = subject01, slice 1: only that file opened
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._handles == {}
    assert_array_equal(clone[4].labels, ds[4].labels)
    ds.close()


def test_worker_processes_give_the_same_samples(dataset_dir: Path) -> None:
    ds = SliceDataset(_files(dataset_dir)[:2], MASK, seed=3)
    serial = list(DataLoader(ds, batch_size=2, collate_fn=collate))
    parallel = list(DataLoader(ds, batch_size=2, collate_fn=collate, num_workers=2))
    for a, b in zip(serial, parallel, strict=True):
        assert_array_equal(a.inputs.zero_filled, b.inputs.zero_filled)
        assert_array_equal(a.labels, b.labels)
        assert a.subjects == b.subjects


def test_sample_matches_file_and_normalisation(dataset_dir: Path) -> None:
    path = _files(dataset_dir)[2]
    ds = SliceDataset([path], MASK, seed=5)
    s = ds[1]
    with h5py.File(path) as f:
        kspace = f["kspace"][1]
        labels = f["labels"][1]
    mask = np.asarray(s.mask)
    assert mask.shape == (1, kspace.shape[1])
    assert mask.sum() == round(0.3 * kspace.shape[1])
    zf = ifft2c(np.where(mask, kspace, 0))
    # independent reference: 99th percentile of the zero-filled magnitude
    scale = np.percentile(np.abs(zf), 99)
    assert s.scale == pytest.approx(scale, rel=1e-5)
    assert_allclose(s.zero_filled[0] + 1j * s.zero_filled[1], zf / scale, atol=1e-5)
    assert_allclose(s.measured, np.where(mask, kspace, 0) / scale, atol=1e-5)
    assert_allclose(s.fully_sampled[0] + 1j * s.fully_sampled[1], ifft2c(kspace) / scale, atol=1e-5)
    assert_array_equal(s.labels, labels)
    assert np.percentile(
        np.hypot(s.zero_filled[0].numpy(), s.zero_filled[1].numpy()), 99
    ) == pytest.approx(1.0, rel=1e-4)
    # the zero-filled image is the inverse FFT of the measured k-space after scaling too
    assert_allclose(
        fft2c(s.zero_filled[0].numpy() + 1j * s.zero_filled[1].numpy()), s.measured, atol=1e-5
    )
    assert s.subject == path.stem
    assert s.slice_index == 1
    ds.close()


def test_normalisation_scale_of_empty_slice_is_one() -> None:
    assert normalisation_scale(np.zeros((4, 4), np.complex64)) == 1.0


def test_validation_masks_fixed_training_masks_fresh_per_epoch_and_rank(dataset_dir: Path) -> None:
    files = _files(dataset_dir)
    val = SliceDataset(files, MASK, seed=1)
    first = [val[i].mask.clone() for i in range(len(val))]
    val.set_epoch(7)
    assert all(torch.equal(a, val[i].mask) for i, a in enumerate(first))
    # fixed per slice, not one mask for all slices
    assert len({tuple(m.flatten().tolist()) for m in first}) > 1
    again = SliceDataset(files, MASK, seed=1)
    assert all(torch.equal(a, again[i].mask) for i, a in enumerate(first))

    train0 = SliceDataset(files, MASK, seed=1, train=True, rank=0)
    train1 = SliceDataset(files, MASK, seed=1, train=True, rank=1)
    epoch0 = [train0[i].mask.clone() for i in range(len(train0))]
    train0.set_epoch(0)
    assert all(torch.equal(a, train0[i].mask) for i, a in enumerate(epoch0))  # reproducible
    rank1 = [train1[i].mask for i in range(len(train1))]
    assert sum(not torch.equal(a, b) for a, b in zip(epoch0, rank1, strict=True)) >= len(epoch0) - 1
    train0.set_epoch(1)
    epoch1 = [train0[i].mask for i in range(len(train0))]
    assert (
        sum(not torch.equal(a, b) for a, b in zip(epoch0, epoch1, strict=True)) >= len(epoch0) - 1
    )
    # every mask keeps exactly the requested number of lines
    assert {int(m.sum()) for m in epoch0 + epoch1 + rank1} == {round(0.3 * 32)}


def test_split_by_subject_is_deterministic_and_disjoint(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"subject{i:02d}.h5").touch()  # splitting only lists names
    a = split_subjects(tmp_path)
    b = split_subjects(tmp_path)
    assert a == b
    assert [len(a[k]) for k in ("train", "val", "test")] == [15, 2, 3]
    names = [p.name for k in a for p in a[k]]
    assert sorted(names) == sorted(p.name for p in tmp_path.iterdir())
    assert len(set(names)) == 20
    other = split_subjects(tmp_path, SplitConfig(seed=1))
    assert other != a
    custom = split_subjects(tmp_path, SplitConfig(12, 4, 4))
    assert [len(custom[k]) for k in ("train", "val", "test")] == [12, 4, 4]


@pytest.mark.parametrize(
    ("n", "expected"), [(3, (1, 1, 1)), (5, (3, 1, 1)), (10, (7, 1, 2)), (40, (30, 4, 6))]
)
def test_split_counts_scale_with_the_number_of_subjects(
    tmp_path: Path, n: int, expected: tuple[int, int, int]
) -> None:
    for i in range(n):
        (tmp_path / f"s{i:02d}.h5").touch()
    split = split_subjects(tmp_path)
    assert tuple(len(split[k]) for k in ("train", "val", "test")) == expected


def test_too_few_subjects_or_no_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        split_subjects(tmp_path / "missing")
    with pytest.raises(DataError, match=r"no subject files"):
        split_subjects(tmp_path)
    for i in range(2):
        (tmp_path / f"s{i}.h5").touch()
    with pytest.raises(DataError, match="at least 3"):
        split_subjects(tmp_path)


def test_collate_gives_model_input(dataset_dir: Path) -> None:
    ds = SliceDataset(_files(dataset_dir)[:1], MASK)
    batch = collate([ds[0], ds[1], ds[2]])
    assert isinstance(batch.inputs, ModelInput)
    assert batch.inputs.zero_filled.shape == (3, 2, 32, 32)
    assert batch.inputs.zero_filled.dtype == torch.float32
    assert batch.inputs.measured.shape == (3, 32, 32)
    assert batch.inputs.measured.dtype == torch.complex64
    assert batch.inputs.mask.shape == (3, 1, 32)
    assert batch.inputs.mask.dtype == torch.bool
    assert batch.labels.dtype == torch.int64
    assert batch.slice_indices == (0, 1, 2)
    model = build_model(ModelConfig("seranet-1", recon_blocks=1, width=4, depth=3, recon_width=4))
    with torch.no_grad():
        out = model(batch.inputs)
    assert out.logits is not None
    assert out.logits.shape == (3, 4, 32, 32)


def test_poisson_disc_masks_collate_as_2d(dataset_dir: Path) -> None:
    ds = SliceDataset(
        _files(dataset_dir)[:1], create_mask("poisson-disc-2d", acceleration=3, calib=4)
    )
    batch = collate([ds[0], ds[1]])
    assert batch.inputs.mask.shape == (2, 32, 32)


def test_spacing_from_resolution(dataset_dir: Path) -> None:
    assert inspect_subject(_files(dataset_dir)[0]).spacing_mm == (2.0, 2.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"drop": ("labels",)}, "missing dataset 'labels'"),
        ({"drop": ("kspace",)}, "missing dataset 'kspace'"),
        ({"multicoil": True}, "multi-coil"),
        ({"kspace_override": np.full((3, 32, 32), np.nan, np.complex64)}, "NaN"),
        ({"kspace_override": np.zeros((3, 32, 30), np.complex64)}, "does not match"),
        ({"kspace_override": np.zeros((3, 32, 32), np.float32)}, "must be complex"),
    ],
)
def test_bad_files_give_one_line_errors_naming_the_file(
    tmp_path: Path, make_subject, options: dict, message: str
) -> None:
    path = make_subject(tmp_path / "bad07.h5", seed=1, **options)
    with pytest.raises(DataError, match=message) as info:
        SliceDataset([path], MASK)
    assert str(info.value).startswith("bad07.h5: ")
    assert "\n" not in str(info.value)


def test_labels_outside_classes_and_non_hdf5(tmp_path: Path, make_subject) -> None:
    path = make_subject(tmp_path / "lab.h5", seed=1)
    with h5py.File(path, "a") as f:
        f["labels"][0, 0, 0] = 9
    with pytest.raises(DataError, match=r"lab.h5: 'labels' must hold 0..3"):
        inspect_subject(path)
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    with pytest.raises(DataError, match=r"junk\.h5: not a readable HDF5 file"):
        inspect_subject(junk)


def test_subjects_of_different_sizes_are_refused(tmp_path: Path, make_subject) -> None:
    a = make_subject(tmp_path / "a.h5", seed=1)
    b = make_subject(tmp_path / "b.h5", seed=2, shape=(32, 24))
    with pytest.raises(DataError, match="differs"):
        SliceDataset([a, b], MASK)


def test_prediction_input_without_labels(tmp_path: Path, make_subject) -> None:
    path = make_subject(tmp_path / "nolab.h5", seed=1, drop=("labels",))
    info = inspect_subject(path, require_labels=False)
    assert not info.has_labels
    s = SliceDataset([path], MASK, require_labels=False)[0]
    assert int(s.labels.abs().sum()) == 0
