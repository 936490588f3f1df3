"""Our masks through fastMRI's MaskFunc convention, and fastMRI's real layout refused by fft2c."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from kspace import FastMRIMaskFunc, GaussianLines, PoissonDisc2D, fft2c, ifft2c  # noqa: E402


def test_line_mask_shape_dtype_and_centre_follow_fastmri() -> None:
    func = FastMRIMaskFunc(GaussianLines(fraction=0.3, center_lines=16))
    mask, low = func((1, 640, 368, 2), seed=(1, 2, 3))
    assert mask.dtype == torch.float32
    assert tuple(mask.shape) == (1, 1, 368, 1)
    assert low == 16
    assert int(mask.sum()) == round(0.3 * 368)  # exact, unlike fastMRI's own random masks
    assert set(torch.unique(mask).tolist()) == {0.0, 1.0}
    again, _ = func((1, 640, 368, 2), seed=(1, 2, 3))
    assert torch.equal(mask, again)  # a tuple seed is reproducible, like fastMRI's file seeds
    other, _ = func((1, 640, 368, 2), seed=(1, 2, 4))
    assert not torch.equal(mask, other)
    # fastMRI's apply_mask: data * mask broadcasts over rows and the real/imaginary axis
    data = torch.randn(15, 640, 368, 2)
    masked = data * mask + 0.0
    kept = mask[0, 0, :, 0].bool()
    assert torch.equal(masked[..., kept, :], data[..., kept, :])
    assert torch.all(masked[..., ~kept, :] == 0)


def test_2d_mask_varies_along_rows_and_columns() -> None:
    func = FastMRIMaskFunc(PoissonDisc2D(acceleration=4, calib=8))
    mask, low = func((64, 48, 2), seed=0)
    assert tuple(mask.shape) == (64, 48, 1)
    assert low == 8


def test_bad_calls_are_refused() -> None:
    func = FastMRIMaskFunc(GaussianLines(fraction=0.3, center_lines=4))
    with pytest.raises(ValueError, match=r"\(\.\.\., H, W, 2\)"):
        func((64, 48))
    with pytest.raises(ValueError, match="offset is not supported"):
        func((1, 64, 48, 2), offset=1)
    with pytest.raises(TypeError, match="kspace MaskFunc"):
        FastMRIMaskFunc(lambda shape, seed: None)  # type: ignore[arg-type]


@pytest.mark.interop
def test_fastmri_apply_mask_accepts_it() -> None:
    transforms = pytest.importorskip(
        "fastmri.data.transforms", reason="fastMRI is installed by the 'interop' nox session"
    )
    func = FastMRIMaskFunc(GaussianLines(fraction=0.25, center_lines=8))
    data = torch.randn(2, 32, 40, 2)
    masked, mask, low = transforms.apply_mask(data, func, seed=(7,))
    assert low == 8
    assert tuple(mask.shape) == (1, 1, 40, 1)
    assert int(mask.sum()) == 10
    expected, _ = func((1, 32, 40, 2), seed=(7,))
    assert torch.equal(masked, data * expected + 0.0)


@pytest.mark.parametrize("transform", [fft2c, ifft2c])
def test_fastmri_real_layout_is_refused_not_transformed_wrongly(transform) -> None:  # type: ignore[no-untyped-def]
    real = torch.randn(3, 16, 12, 2)
    with pytest.raises(
        ValueError, match="fastMRI's \\(\\.\\.\\., H, W, 2\\) real/imaginary layout"
    ):
        transform(real)
    with pytest.raises(ValueError, match="last dimension of 2"):
        transform(np.ones((3, 16, 2)))
    # the complex view of the same data is what the transforms take
    out = transform(torch.view_as_complex(real.contiguous()))
    assert tuple(out.shape) == (3, 16, 12)
