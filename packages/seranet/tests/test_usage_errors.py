"""seranet follows the shared command-line conventions (tested in kspace): one line and exit 2
for bad input, --version, -h on every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from kspace.cli_conventions import invoke
from seranet.cli import main

CASES = [
    (("train", "--no-such-option"), 2, "error: No such option: --no-such-option"),
    (("train",), 2, "error: Missing option"),
    (("evaluate", "--run", "RUNS/none"), 2, "error: run directory"),
    (("--version",), 0, "seranet "),
    *((("-h",) if c is None else (c, "-h"), 0, "Usage") for c in (None, "train", "evaluate",
                                                                   "predict", "export")),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "code", "text"), CASES)
def test_usage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: tuple[str, ...], code: int, text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRAINWEB_DIR", raising=False)
    result = invoke(main, ["seranet", *argv])
    assert result.follows_conventions(code, text), result
