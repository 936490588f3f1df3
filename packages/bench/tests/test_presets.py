"""Presets: frozen, valid, with the paper's settings where they claim them."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bench.presets import CPU, PAPER, PRESETS, RECON_FREE, SMOKE, TABLE_METHODS, get_preset


def test_presets_are_frozen_and_json_able() -> None:
    for preset in PRESETS.values():
        with pytest.raises(dataclasses.FrozenInstanceError):
            preset.epochs = 3  # type: ignore[misc]
        assert json.loads(json.dumps(preset.to_dict()))["name"] == preset.name


def test_paper_preset_is_the_papers_protocol() -> None:
    assert (PAPER.width, PAPER.depth, PAPER.epochs, PAPER.batch_size) == (64, 5, 50, 12)
    assert (PAPER.lr, PAPER.lr_step, PAPER.sampling, PAPER.center_lines) == (1e-4, 20, 0.3, 16)
    assert (PAPER.resolution_mm, PAPER.slices, PAPER.subjects) == (1.0, 57, 20)
    assert PAPER.noise_levels == (0.10, 0.20)
    assert PAPER.methods == TABLE_METHODS


def test_cpu_preset_uses_brainweb_at_2mm_with_three_seeds_for_key_methods() -> None:
    assert (CPU.phantom, CPU.resolution_mm, CPU.seeds) == ("brainweb", 2.0, 3)
    assert set(CPU.seeded_methods) == {"joint", "seranet-3", "seranet-3++"}
    assert CPU.seeds_for("joint") == (0, 1, 2)
    assert CPU.seeds_for("two-step") == (0,)
    assert SMOKE.phantom == "procedural"


def test_model_config_uses_type_a_for_recon_free_methods() -> None:
    cfg = PAPER.model_config("zero-filling", None)
    assert (cfg.recon_type, cfg.width, cfg.depth) == ("A", 64, 5)
    assert PAPER.model_config("joint", "B", 5).recon_blocks == 5
    assert set(TABLE_METHODS) >= RECON_FREE


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(
        ValueError,
        match="unknown preset 'cpuu'; expected one of smoke, demo, cpu, cpu-converged, cpu-randomised, paper",
    ):
        get_preset("cpuu")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"phantom": "mri"}, "phantom must be"),
        ({"methods": ("joint", "unet")}, "unknown model 'unet'"),
        ({"recon_types": ("C",)}, "recon_types must hold"),
        ({"split": (3, 0, 1)}, "split must be"),
    ],
)
def test_invalid_presets_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SMOKE.replace(**change)


def test_overrides_apply_validate_and_rename() -> None:
    assert SMOKE.with_overrides(epochs=None, pretrain_epochs=None) is SMOKE
    longer = CPU.with_overrides(epochs=16, pretrain_epochs=None)
    assert (longer.name, longer.epochs, longer.pretrain_epochs) == ("cpu+epochs=16", 16, 4)
    assert longer.replace(name="cpu", epochs=8) == CPU
    both = SMOKE.with_overrides(epochs=3, pretrain_epochs=2)
    assert both.name == "smoke+epochs=3,pretrain_epochs=2"
    assert (both.epochs, both.pretrain_epochs) == (3, 2)
    with pytest.raises(ValueError, match="epochs must be a positive integer; got 0"):
        SMOKE.with_overrides(epochs=0)
