"""The ``bench`` command line answers --version and --help."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import bench
from bench.cli import app


def test_version_matches_the_installed_distribution() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"bench {bench.__version__}"
    assert bench.__version__ != "0.0.0+unknown"


def test_help_lists_the_program() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "comparisons" in result.stdout


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    for command in ("compare", "ablate-blocks", "attention", "figures", "reproduce", "simulate",
                    "demo", "presets"):  # fmt: skip
        assert command in result.stdout


def test_presets_lists_and_shows_settings() -> None:
    listing = CliRunner().invoke(app, ["presets"])
    assert listing.exit_code == 0
    for name in ("smoke", "demo", "cpu", "paper"):
        assert name in listing.stdout
    shown = CliRunner().invoke(app, ["presets", "paper"])
    assert shown.exit_code == 0
    assert '"width": 64' in shown.stdout
    bad = CliRunner().invoke(app, ["presets", "papr"])
    assert bad.exit_code == 2
    assert "unknown preset 'papr'" in bad.stderr


@pytest.mark.parametrize(
    "args", [["-h"], ["compare", "-h"], ["convergence", "-h"], ["anchor", "-h"]]
)
def test_help_is_h_too(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    assert "Usage" in result.output
