"""The ``mrsim`` command line: end-to-end runs and one-line errors for every bad input."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mrsim.cli import app
from mrsim.dataset import read_dataset

SMALL = ["--resolution", "2", "--slices", "3", "--slice-thickness", "2"]


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stderr


@pytest.mark.integration
def test_simulate_and_preview_end_to_end(synthetic_brainweb: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    cmd = [
        sys.executable,
        "-m",
        "mrsim",
        "simulate",
        "--brainweb-dir",
        str(synthetic_brainweb),
        "--subjects",
        "04,05",
        "--out",
        str(out),
        *SMALL,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "2 subject file(s) written" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["subject04.h5", "subject05.h5"]
    again = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert again.returncode == 0
    assert "2 already complete" in again.stderr
    png = tmp_path / "p.png"
    code, _ = _run(["preview", str(out / "subject04.h5"), "--slice", "1", "--out", str(png)])
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _bad_inputs(root: Path, good: Path) -> dict[str, tuple[list[str], str]]:
    bad = root / "bad"
    bad.mkdir()
    full = (good / "subject04_crisp_v.mnc.gz").read_bytes()
    (bad / "subject06_crisp_v.mnc.gz").write_bytes(full[: len(full) // 2])  # truncated gzip
    (bad / "subject18_crisp_v.rawb").write_bytes(bytes(1000))  # wrong raw size
    (bad / "subject20_crisp_v.mnc").write_bytes(b"not a minc file at all")
    (bad / "subject38_crisp_v.mnc.gz").write_bytes(gzip.compress(b"CDF\x01garbage", mtime=0))
    existing = root / "existing"
    existing.mkdir()
    (existing / "subject04.h5").write_bytes(b"a previous, different file")
    bw = ["--brainweb-dir", str(good)]
    return {
        "missing dir": (
            ["--brainweb-dir", str(root / "nope"), "--subjects", "04"],
            "does not exist",
        ),
        "unknown subject": ([*bw, "--subjects", "07"], "subject"),
        "malformed subject": ([*bw, "--subjects", "abc"], "subject"),
        "truncated gzip": (["--brainweb-dir", str(bad), "--subjects", "06"], "subject06"),
        "wrong raw size": (
            ["--brainweb-dir", str(bad), "--subjects", "18"],
            "subject18_crisp_v.rawb",
        ),
        "unreadable file": (["--brainweb-dir", str(bad), "--subjects", "20"], "subject20"),
        "corrupt minc": (["--brainweb-dir", str(bad), "--subjects", "38"], "subject38"),
        "te >= tr": ([*bw, "--te", "3000", "--tr", "3000"], "TE must be shorter than TR"),
        "negative te": ([*bw, "--te", "-5"], "te_ms must be a positive number"),
        "negative noise": ([*bw, "--noise", "-0.1"], "noise level"),
        "negative slices": ([*bw, "--slices", "-3"], "slices"),
        "zero thickness": ([*bw, "--slice-thickness", "0"], "slice thickness"),
        "bad resolution": ([*bw, "--resolution", "0.7"], "resolution"),
        "resolution too coarse": ([*bw, "--resolution", "500"], "0 pixels across the 180 mm"),
        "bad field": ([*bw, "--field", "7"], "no tissue table for 7"),
        "bad coils": ([*bw, "--coils", "0"], "coils"),
        "bad engine": ([*bw, "--engine", "quantum"], "unknown engine"),
        "bloch too big": ([*bw, "--engine", "bloch"], "bloch engine is for small phantoms"),
        "bad shard": ([*bw, "--shard", "3/2"], "shard"),
        "bad shard text": ([*bw, "--shard", "x"], "shard must look like I/N"),
        "bad phantom": (["--phantom", "cartoon"], "unknown phantom"),
        "brainweb without dir": (["--phantom", "brainweb"], "--brainweb-dir"),
        "bad procedural list": (["--subjects", "a-b"], "subjects must be"),
        "brainweb ids for procedural": (["--subjects", "04"], "look like BrainWeb subject ids"),
        "existing output": ([*bw, "--subjects", "04", "--out", str(existing)], "--overwrite"),
    }


def test_every_bad_input_is_a_one_line_error_without_output(
    synthetic_brainweb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRAINWEB_DIR", raising=False)
    for case, (args, message) in _bad_inputs(tmp_path, synthetic_brainweb).items():
        out = tmp_path / f"out-{case.replace(' ', '_')}"
        # Later options win, so each case's own values override SMALL.
        full = (
            ["simulate", *SMALL, *args]
            if "--out" in args
            else ["simulate", "--out", str(out), *SMALL, *args]
        )
        code, err = _run(full)
        assert code != 0, case
        assert "Traceback" not in err, case
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, (case, err)
        assert lines[0].startswith("error:"), (case, err)
        assert message in lines[0], (case, err)
        assert not any(out.glob("*.h5")) if out.exists() else True, case
    assert (tmp_path / "existing" / "subject04.h5").read_bytes() == b"a previous, different file"


def test_preview_bad_inputs(tmp_path: Path) -> None:
    (tmp_path / "junk.h5").write_bytes(b"junk")
    for args, message in [
        ([str(tmp_path / "none.h5"), "--slice", "0"], "no such file"),
        ([str(tmp_path / "junk.h5"), "--slice", "0"], "not an HDF5 file"),
    ]:
        code, err = _run(["preview", *args, "--out", str(tmp_path / "x.png")])
        assert code != 0
        assert err.startswith("error:")
        assert message in err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("mrsim ")


@pytest.mark.integration
def test_brainweb_subject_t2_contrast(brainweb_dir: Path, tmp_path: Path) -> None:
    code, err = _run(
        [
            "simulate",
            "--brainweb-dir",
            str(brainweb_dir),
            "--subjects",
            "04",
            "--slices",
            "5",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, err
    data = read_dataset(tmp_path / "subject04.h5")
    assert data.kspace.shape == (5, 216, 180)
    s = 2  # the middle slice, through the ventricles
    img, lab = data.reconstruction_rss[s], data.labels[s]
    csf, gm, wm = (float(np.median(img[lab == c])) for c in (1, 2, 3))
    assert csf > gm > wm  # T2 weighting (TE 80 ms)


@pytest.mark.integration
def test_procedural_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAINWEB_DIR", raising=False)
    code, err = _run(
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--subjects",
            "1",
            "--resolution",
            "4",
            "--slices",
            "3",
            "--slice-thickness",
            "4",
            "--jobs",
            "1",
        ]
    )
    assert code == 0, err
    data = read_dataset(tmp_path / "procedural00.h5")
    assert data.kspace.shape == (3, 54, 45)
    assert data.attrs["phantom"] == "procedural"
    assert {1, 2, 3} <= set(np.unique(data.labels))


def test_brainweb_dir_comes_from_the_environment_and_says_so(
    synthetic_brainweb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAINWEB_DIR", str(synthetic_brainweb))
    result = CliRunner().invoke(
        app, ["simulate", "--out", str(tmp_path / "d"), "--subjects", "04", *SMALL]
    )
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())  # the console wraps the long path onto a new line
    assert f"BrainWeb phantoms from BRAINWEB_DIR ({synthetic_brainweb})" in said
    assert read_dataset(tmp_path / "d" / "subject04.h5").attrs["phantom"] == "brainweb"
    quiet = CliRunner().invoke(
        app, ["simulate", "--out", str(tmp_path / "d"), "--subjects", "04", "--quiet", *SMALL]
    )
    assert quiet.exit_code == 0
    assert quiet.stderr == ""


def test_help_is_h_too() -> None:
    for args in (["-h"], ["simulate", "-h"], ["preview", "-h"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, args
        assert "Usage" in result.output
