"""The paper-resolution anchor: conditions, datasets and the table."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bench.anchor import ANCHOR, CONDITIONS, anchor_study, markdown, parse_conditions
from bench.presets import CPU_CONVERGED, SMOKE


def test_conditions_change_one_factor_from_the_base() -> None:
    base = CONDITIONS["fs-base"]
    fields = ("method", "noise", "labels", "width", "depth", "length")
    for c in CONDITIONS.values():
        changed = [f for f in fields if getattr(c, f) != getattr(base, f)]
        assert len(changed) <= 1, c
        assert (c.recon_type is None) == (c.method in ("fully-sampled", "zero-filling")), c
    assert CONDITIONS["seranet-3++-B"].settings()["recon_type"] == "B"
    preset = CONDITIONS["fs-long"].preset(ANCHOR)
    assert (preset.resolution_mm, preset.center_lines) == (1.0, 16)
    # twice the length stretches the whole schedule: held 16 epochs, then halved every 8
    assert (preset.lr_schedule, preset.epochs, preset.lr_step, preset.lr_hold) == ("step", 48, 8, 8)
    assert CONDITIONS["fs-width32"].preset(ANCHOR).width == 32
    assert CONDITIONS["fs-noise2.5"].dataset == "noise02p5-slab"
    with pytest.raises(ValueError, match="unknown condition 'fs-huge'"):
        parse_conditions("fs-huge")


def test_the_base_condition_trains_as_the_converged_preset() -> None:
    trained = CONDITIONS["joint-B"].preset(ANCHOR)
    fields = ("epochs", "pretrain_epochs", "batch_size", "lr", "lr_step", "lr_hold",
              "lr_schedule", "warmup_epochs")  # fmt: skip
    assert {f: getattr(trained, f) for f in fields} == {
        f: getattr(CPU_CONVERGED, f) for f in fields
    }


def test_the_study_end_to_end_on_tiny_procedural_heads(tmp_path: Path) -> None:
    tiny = SMOKE.replace(
        subjects=3, slices=2, resolution_mm=4.0, epochs=1, pretrain_epochs=1, center_lines=4,
        split=(1, 1, 1), width=4, depth=3,
    )  # fmt: skip
    conditions = parse_conditions("fs-base,zf-base,fs-noise0,joint-B")
    small = [dataclasses.replace(c, width=4, depth=3) for c in conditions]
    result = anchor_study(
        tmp_path / "anchor", None, conditions=small, base=tiny, device="cpu", progress=False
    )
    rows = {r["condition"]: r for r in result["rows"]}
    assert list(rows) == ["fs-base", "zf-base", "fs-noise0", "joint-B"]
    assert rows["fs-base"]["paper"] == 0.9261
    assert rows["zf-base"]["paper"] == 0.7970
    assert rows["joint-B"]["paper"] == 0.8652
    assert (tmp_path / "anchor" / rows["joint-B"]["run"] / "model.pt").is_file()
    assert rows["fs-noise0"]["noise"] == 0.0
    assert sorted(p.name for p in (tmp_path / "anchor" / "data").iterdir()) == [
        "noise00p0-slab",
        "noise10p0-slab",
    ]
    saved = json.loads((tmp_path / "anchor" / "anchor.json").read_text())
    assert saved["rows"] == result["rows"]
    table = markdown(result["rows"])
    assert "| zf-base | zero-filling | 10 % | slab | 4 | 3 | 3 |" in table
    assert "| joint-B | joint-B | 10 % | slab | 4 | 3 | 3 |" in table
