"""`seranet train`'s option defaults are the library's dataclass defaults (no silent drift)."""

from __future__ import annotations

import dataclasses

import pytest
import typer.main

from seranet.cli import app
from seranet.data import SplitConfig
from seranet.models import ModelConfig
from seranet.train import TrainConfig


def _train_defaults() -> dict[str, object]:
    command = typer.main.get_command(app)
    train = command.commands["train"]  # type: ignore[attr-defined]
    return {param.name: param.default for param in train.params}


def _field_default(cls: type, name: str) -> object:
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


@pytest.mark.parametrize("name", ["recon_type", "recon_blocks", "width", "depth", "recon_width"])
def test_model_options_default_to_model_config(name: str) -> None:
    assert _train_defaults()[name] == _field_default(ModelConfig, name)


@pytest.mark.parametrize(
    "name",
    ["epochs", "pretrain_epochs", "batch_size", "lr", "lr_step", "sampling", "center_lines",
     "mask", "seed", "device", "workers"],
)  # fmt: skip
def test_training_options_default_to_train_config(name: str) -> None:
    assert _train_defaults()[name] == _field_default(TrainConfig, name)


def test_flag_and_split_defaults_match() -> None:
    defaults = _train_defaults()
    assert defaults["hard_dc"] is not _field_default(ModelConfig, "soft_dc")
    assert defaults["no_amp"] is not _field_default(TrainConfig, "amp")
    split = SplitConfig()
    assert defaults["split"] == f"{split.train}/{split.val}/{split.test}"
