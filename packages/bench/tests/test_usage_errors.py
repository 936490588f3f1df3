"""bench follows the shared command-line conventions (tested in kspace): one line and exit 2
for bad input, --version, -h on every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main

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
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: tuple[str, ...],
    code: int,
    text: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRAINWEB_DIR", raising=False)
    monkeypatch.setattr("sys.argv", ["bench", *argv])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    assert info.value.code == code
    shown = captured.err if code else captured.out
    assert shown.startswith(text) or (text == "Usage" and "Usage" in shown)
    if code:
        assert len(captured.err.splitlines()) == 1
