"""The conventions every command line of the toolkit follows (``mrsim``, ``seranet``, ``bench``).

- ``-h`` and ``--help`` on every command, ``--version`` on the program;
- a bad input ends with one line ``error: ...`` on stderr, never a traceback: exit code 2 for
  usage errors and bad input, 1 for a run that failed: its folder in use by another process,
  a full disk, a diverged training (:func:`fail`, :func:`fail_with`);
- usage errors from the parser (unknown or missing options, unparsable values) end the same
  way, pointing to ``--help``; Ctrl-C exits 130 (:func:`run`).

Needs ``typer`` (the ``cli`` extra); the numeric modules of kspace never import this one.
"""

from __future__ import annotations

import contextlib
import errno
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import typer

from kspace.guard import FolderLockedError

__all__ = [
    "RUN_FAILED",
    "USAGE_ERROR",
    "Invocation",
    "fail",
    "fail_with",
    "invoke",
    "make_app",
    "run",
]

USAGE_ERROR = 2
"""Exit code of bad input (options, files, values)."""

RUN_FAILED = 1
"""Exit code of a run that started and failed (NaN loss, folder in use, full disk)."""


def make_app(name: str, version: str, help: str) -> typer.Typer:
    """A typer application named ``name`` with the shared settings and ``--version``."""
    app = typer.Typer(
        name=name,
        help=help,
        rich_markup_mode="rich",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def print_version(value: bool) -> None:
        if value:
            typer.echo(f"{name} {version}")
            raise typer.Exit()

    @app.callback(help=help)
    def root(
        version: bool = typer.Option(
            False,
            "--version",
            callback=print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ) -> None:
        pass

    return app


def fail(message: object, code: int = USAGE_ERROR) -> typer.Exit:
    """Print ``error: <message>`` as one line on stderr; return the ``typer.Exit`` to raise."""
    line = " ".join(str(message).split()) or "unknown error"
    typer.echo(f"error: {line}", err=True)
    return typer.Exit(code=code)


def fail_with(error: BaseException) -> typer.Exit:
    """:func:`fail` for an expected exception: a folder another process writes or a full disk
    is a run that failed (:data:`RUN_FAILED`), anything else bad input; an ``OSError`` reads
    ``<reason>: <path>``, any other error its first line."""
    if isinstance(error, OSError) and error.strerror:
        message = f"{error.strerror}: {error.filename or ''}".strip(": ")
    else:
        text = str(error).strip()
        message = text.splitlines()[0] if text else type(error).__name__
    full = isinstance(error, OSError) and error.errno == errno.ENOSPC
    code = RUN_FAILED if full or isinstance(error, FolderLockedError) else USAGE_ERROR
    return fail(message, code)


def run(app: typer.Typer, name: str) -> None:
    """Run ``app`` as the ``name`` console script and exit with its code."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as error:  # click's usage errors, vendored by typer
        if message := error.format_message():  # empty after no_args_is_help printed the help
            typer.echo(f"error: {' '.join(message.split())} (see '{name} --help')", err=True)
        raise SystemExit(error.exit_code) from None
    except typer.Abort:
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)


@dataclass(frozen=True)
class Invocation:
    """What a program's ``main`` did for one command line (:func:`invoke`)."""

    code: int
    """Exit code."""
    out: str
    """Standard output."""
    err: str
    """Standard error."""

    def follows_conventions(self, code: int, text: str) -> bool:
        """Whether it exited with ``code`` and, on success, printed ``text`` first (help: the
        word ``Usage`` anywhere) or, on failure, printed one line starting with ``text``."""
        if self.code != code:
            return False
        if code == 0:
            return self.out.startswith(text) or (text == "Usage" and "Usage" in self.out)
        return self.err.startswith(text) and len(self.err.splitlines()) == 1


def invoke(main: Callable[[], object], argv: Sequence[str]) -> Invocation:
    """Run a console script's ``main`` on the command line ``argv`` (program name first) and
    capture its exit code and output (for the programs' tests of these conventions)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = list(argv)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as error:
        code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
    finally:
        sys.argv = saved
    return Invocation(code, out.getvalue(), err.getvalue())
