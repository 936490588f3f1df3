"""bench follows the shared command-line conventions (tested in kspace): one line and exit 2
for bad input, --version, -h on every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from kspace.cli_conventions import invoke

COMMANDS = ("compare", "ablate-blocks", "convergence", "robustness", "anchor", "attention", "figures",
            "simulate", "reproduce", "demo", "presets")  # fmt: skip
CASES = [
    (("compare", "--no-such-option"), 2, "error: No such option: --no-such-option"),
    (("compare",), 2, "error: Missing option"),
    (("presets", "no-such-preset"), 2, "error: "),
    (("--version",), 0, "bench "),
    (("-h",), 0, "Usage"),
    *(((c, "-h"), 0, "Usage") for c in COMMANDS),
]


@pytest.mark.parametrize(("argv", "code", "text"), CASES)
def test_usage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: tuple[str, ...], code: int, text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRAINWEB_DIR", raising=False)
    result = invoke(main, ["bench", *argv])
    assert result.follows_conventions(code, text), result
