"""The ``bench`` command line answers --version and --help."""

from __future__ import annotations

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
