"""Usage errors from the console-script entry point end in one line and a non-zero exit."""

from __future__ import annotations

import pytest

from seranet.cli import main


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", ["seranet", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("train", "--no-such-option"), "No such option: --no-such-option"),
        (("no-such-command",), "No such command"),
        (("train",), "Missing option"),
    ],
)
def test_usage_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    expected: str,
) -> None:
    code, err = _run(monkeypatch, capsys, *argv)
    assert code == 2
    assert err.startswith("error: ")
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_version_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["seranet", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("seranet ")


def test_bad_input_exits_2_like_mrsim_and_bench(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    code, err = _run(monkeypatch, capsys, "evaluate", "--run", str(tmp_path / "none"))
    assert code == 2
    assert err.startswith("error: ")


@pytest.mark.parametrize("argv", [("-h",), ("train", "-h"), ("evaluate", "-h"), ("predict", "-h")])
def test_help_is_h_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    monkeypatch.setattr("sys.argv", ["seranet", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 0
    assert "Usage" in capsys.readouterr().out
