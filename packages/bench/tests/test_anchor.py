"""The paper-resolution anchor: conditions, datasets and the table."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bench.anchor import ANCHOR, CONDITIONS, anchor_study, markdown, parse_conditions
from bench.presets import SMOKE


def test_conditions_change_one_factor_from_the_base() -> None:
    base = CONDITIONS["fs-base"]
    fields = ("method", "noise", "labels", "width", "depth", "length")
    for c in CONDITIONS.values():
        changed = [f for f in fields if getattr(c, f) != getattr(base, f)]
        assert len(changed) <= 1, c
    preset = CONDITIONS["fs-long"].preset(ANCHOR)
    assert (preset.resolution_mm, preset.center_lines) == (1.0, 16)
    assert (preset.lr_schedule, preset.epochs) == ("cosine", 48)
    assert CONDITIONS["fs-base"].preset(ANCHOR).epochs == 24
    assert CONDITIONS["fs-width32"].preset(ANCHOR).width == 32
    assert CONDITIONS["fs-noise2.5"].dataset == "noise02p5-slab"
    with pytest.raises(ValueError, match="unknown condition 'fs-huge'"):
        parse_conditions("fs-huge")


def test_the_study_end_to_end_on_tiny_procedural_heads(tmp_path: Path) -> None:
    tiny = SMOKE.replace(
        subjects=3, slices=2, resolution_mm=4.0, epochs=1, pretrain_epochs=1, center_lines=4,
        split=(1, 1, 1), width=4, depth=3,
    )  # fmt: skip
    conditions = parse_conditions("fs-base,zf-base,fs-noise0")
    small = [dataclasses.replace(c, width=4, depth=3) for c in conditions]
    result = anchor_study(
        tmp_path / "anchor", None, conditions=small, base=tiny, device="cpu", progress=False
    )
    rows = {r["condition"]: r for r in result["rows"]}
    assert list(rows) == ["fs-base", "zf-base", "fs-noise0"]
    assert rows["fs-base"]["paper"] == 0.9261
    assert rows["zf-base"]["paper"] == 0.7970
    assert rows["fs-noise0"]["noise"] == 0.0
    assert sorted(p.name for p in (tmp_path / "anchor" / "data").iterdir()) == [
        "noise00p0-slab",
        "noise10p0-slab",
    ]
    saved = json.loads((tmp_path / "anchor" / "anchor.json").read_text())
    assert saved["rows"] == result["rows"]
    assert "| zf-base | zero-filling | 10 % | slab | 4 | 3 | 3 |" in markdown(result["rows"])
