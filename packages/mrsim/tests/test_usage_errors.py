"""mrsim follows the shared command-line conventions (tested in kspace): one line and exit 2
for bad input, --version, -h on every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from kspace.cli_conventions import invoke
from mrsim.cli import main

CASES = [
    (("simulate", "--no-such-option"), 2, "error: No such option: --no-such-option"),
    (("simulate",), 2, "error: Missing option"),
    (("simulate", "--out", "x", "--te", "5000"), 2, "error: "),
    (("--version",), 0, "mrsim "),
    *((("-h",) if c is None else (c, "-h"), 0, "Usage") for c in (None, "simulate", "preview")),
]


@pytest.mark.parametrize(("argv", "code", "text"), CASES)
def test_usage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: tuple[str, ...], code: int, text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRAINWEB_DIR", raising=False)
    result = invoke(main, ["mrsim", *argv])
    assert result.follows_conventions(code, text), result
