"""Our subject files carry what fastMRI's loaders read; fastMRI's own SliceDataset reads them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

from mrsim.simulate import DatasetConfig, simulate_dataset

NS = {"m": "http://www.ismrm.org/ISMRMRD"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, synthetic_brainweb: Path) -> Path:
    out = tmp_path_factory.mktemp("fastmri")
    simulate_dataset(
        DatasetConfig(
            out,
            phantom="brainweb",
            brainweb_dir=synthetic_brainweb,
            subjects="all",
            resolution_mm=2.0,
            n_slices=3,
            slice_thickness_mm=2.0,
            workers=1,
        )
    )
    return out


def test_header_attributes_and_target(files: Path) -> None:
    with h5py.File(files / "subject04.h5", "r") as f:
        s, h, w = f["kspace"].shape
        root = ET.fromstring(bytes(f["ismrmrd_header"][()]))
        enc = root.find("m:encoding", NS)
        assert enc is not None

        def value(path: str) -> float:
            node = enc.find(path, NS)
            assert node is not None, path
            return float(node.text or "nan")

        assert value("m:encodedSpace/m:matrixSize/m:x") == h  # readout
        assert value("m:encodedSpace/m:matrixSize/m:y") == w  # phase encoding
        assert value("m:reconSpace/m:matrixSize/m:y") == w
        assert value("m:encodedSpace/m:fieldOfView_mm/m:x") == pytest.approx(2.0 * h)
        assert value("m:encodingLimits/m:kspace_encoding_step_1/m:center") == w // 2
        assert value("m:encodingLimits/m:kspace_encoding_step_1/m:maximum") == w - 1
        assert f.attrs["acquisition"] == "AXT2"
        assert f.attrs["patient_id"] == "subject04"
        target = np.asarray(f["reconstruction_esc"])
        assert np.array_equal(target, np.asarray(f["reconstruction_rss"]))
        assert f.attrs["max"] == pytest.approx(float(target.max()))
        assert f.attrs["norm"] == pytest.approx(float(np.linalg.norm(target)), rel=1e-6)
        assert target.shape == (s, h, w)


@pytest.mark.interop
def test_fastmri_slice_dataset_and_transforms_read_our_files(files: Path) -> None:
    pytest.importorskip("torch")
    mri_data = pytest.importorskip("fastmri.data", reason="installed by the 'interop' nox session")
    transforms = pytest.importorskip("fastmri.data.transforms")
    from kspace import FastMRIMaskFunc, GaussianLines

    mask_func = FastMRIMaskFunc(GaussianLines(fraction=0.3, center_lines=4))
    unet = mri_data.SliceDataset(
        files,
        challenge="singlecoil",
        transform=transforms.UnetDataTransform("singlecoil", mask_func),
    )
    assert len(unet) == 2 * 3
    sample = unet[0]
    with h5py.File(files / "subject04.h5", "r") as f:
        h, w = f["kspace"].shape[1:]
        peak = float(f.attrs["max"])
    assert tuple(sample.image.shape) == (h, w)
    assert tuple(sample.target.shape) == (h, w)
    assert sample.max_value == pytest.approx(peak)
    varnet = mri_data.SliceDataset(
        files, challenge="singlecoil", transform=transforms.VarNetDataTransform(mask_func)
    )
    sample = varnet[1]
    assert tuple(sample.masked_kspace.shape) == (h, w, 2)
    assert sample.num_low_frequencies == 4
    assert int(sample.mask.sum()) == round(0.3 * w)
