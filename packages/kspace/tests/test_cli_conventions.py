"""The command-line conventions the three programs share, on a small application."""

from __future__ import annotations

import pytest
import typer

from kspace.cli_conventions import (
    RUN_FAILED,
    USAGE_ERROR,
    fail,
    fail_with,
    invoke,
    make_app,
    run,
)

app = make_app("demo", "1.2.3", "A program made with the shared conventions.")


@app.command()
def greet(
    name: str = typer.Option(..., "--name", help="Who."),
    crash: bool = typer.Option(False, "--crash", help="Fail as a run does."),
) -> None:
    """Greet, or fail in one line."""
    if not name:
        raise fail("--name must not be empty;\n  give one")
    if crash:
        raise fail("the run failed", RUN_FAILED)
    typer.echo(f"hello {name}")


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[object, str, str]:
    monkeypatch.setattr("sys.argv", ["demo", *argv])
    with pytest.raises(SystemExit) as info:
        run(app, "demo")
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "code", "err"),
    [
        (("greet", "--no-such-option"), USAGE_ERROR, "No such option: --no-such-option"),
        (("no-such-command",), USAGE_ERROR, "No such command"),
        (("greet",), USAGE_ERROR, "Missing option '--name'"),
        (("greet", "--name", ""), USAGE_ERROR, "--name must not be empty; give one"),
        (("greet", "--name", "x", "--crash"), RUN_FAILED, "the run failed"),
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    code: int,
    err: str,
) -> None:
    got_code, out, got_err = _run(monkeypatch, capsys, *argv)
    assert got_code == code
    assert got_err.startswith("error: ")
    assert err in got_err
    assert len(got_err.splitlines()) == 1
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "out"),
    [(("--version",), "demo 1.2.3\n"), (("-h",), "Usage"), (("greet", "-h"), "--name")],
)
def test_version_and_h_exit_zero(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    out: str,
) -> None:
    code, got, err = _run(monkeypatch, capsys, *argv)
    assert code == 0
    assert out in got
    assert err == ""


def test_success_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, capsys, "greet", "--name", "x")[:2] == (0, "hello x\n")


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (ValueError("bad value\nmore"), USAGE_ERROR, "error: bad value"),
        (OSError(2, "No such file or directory", "/x.h5"), USAGE_ERROR,
         "error: No such file or directory: /x.h5"),
        (OSError(28, "no space left on device", "/full/x.h5"), RUN_FAILED,
         "error: no space left on device: /full/x.h5"),
    ],
)  # fmt: skip
def test_fail_with_chooses_the_code_by_the_error(
    capsys: pytest.CaptureFixture[str], error: BaseException, code: int, line: str
) -> None:
    assert fail_with(error).exit_code == code
    assert capsys.readouterr().err == line + "\n"


def test_a_folder_in_use_is_a_run_that_failed(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    from kspace.guard import FolderLockedError

    assert fail_with(FolderLockedError("folder x is in use by PID 7")).exit_code == RUN_FAILED
    assert capsys.readouterr().err == "error: folder x is in use by PID 7\n"


def test_invoke_captures_what_a_program_did() -> None:
    def main() -> None:
        run(app, "demo")

    ok = invoke(main, ["demo", "greet", "--name", "ada"])
    assert (ok.code, ok.out, ok.err) == (0, "hello ada\n", "")
    assert ok.follows_conventions(0, "hello")
    assert not ok.follows_conventions(0, "bye")
    assert not ok.follows_conventions(USAGE_ERROR, "hello")
    bad = invoke(main, ["demo", "greet"])
    assert bad.code == USAGE_ERROR
    assert bad.follows_conventions(USAGE_ERROR, "error: Missing option")
    assert not bad.follows_conventions(RUN_FAILED, "error: Missing option")
    # more than one line on stderr breaks the convention
    assert not type(bad)(USAGE_ERROR, "", "error: a\ntraceback\n").follows_conventions(
        USAGE_ERROR, "error: a"
    )
    assert invoke(main, ["demo", "-h"]).follows_conventions(0, "Usage")
