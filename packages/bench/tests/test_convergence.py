"""The time-to-accuracy study: recipes, curves, and no test scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.cli import app
from bench.compare import TRAINING_FIELDS
from bench.convergence import RECIPES, convergence_study, curve_of, parse_recipes
from bench.presets import CPU, CPU_CONVERGED, SMOKE
from seranet.train.schedule import lr_factor


def test_recipes_on_the_cpu_preset() -> None:
    preset = RECIPES["preset"].apply(CPU)
    assert (preset.epochs, preset.lr_step, preset.lr_hold) == (8, 3, 0)
    hold = RECIPES["hold-step"].apply(CPU)
    assert (hold.name, hold.epochs, hold.pretrain_epochs) == ("cpu@hold-step", 24, 12)
    factors = [lr_factor(e, 24, step=hold.lr_step, hold=hold.lr_hold, gamma=0.5) for e in range(24)]
    assert factors[:8] == [1.0] * 8  # the first third at the initial rate
    assert factors[8] == 0.5
    assert factors[-1] == 1 / 16  # halved every sixth: epochs 9, 13, 17, 21
    cosine = RECIPES["cosine"].apply(CPU)
    assert (cosine.lr_schedule, cosine.warmup_epochs, cosine.epochs) == ("cosine", 1, 24)


STUDY = (
    Path(__file__).resolve().parents[3] / "docs" / "results" / "convergence" / "convergence.json"
)


@pytest.mark.skipif(not STUDY.is_file(), reason="the committed study is not beside this checkout")
def test_converged_preset_trains_as_the_recipe_the_study_chose() -> None:
    choice = json.loads(STUDY.read_text(encoding="utf-8"))["choice"]["recipe"]
    assert choice is not None, "the study has chosen no recipe"
    chosen = RECIPES[choice].apply(CPU)
    assert {f: getattr(CPU_CONVERGED, f) for f in TRAINING_FIELDS} == {
        f: getattr(chosen, f) for f in TRAINING_FIELDS
    }
    assert (
        CPU_CONVERGED.replace(
            name=CPU.name,
            description=CPU.description,
            **{f: getattr(CPU, f) for f in TRAINING_FIELDS},
        )
        == CPU
    )  # only the training differs from the cpu preset


def test_parse_recipes() -> None:
    assert [r.name for r in parse_recipes("cosine, preset,cosine")] == ["cosine", "preset"]
    with pytest.raises(ValueError, match="unknown recipe 'adam'"):
        parse_recipes("adam")


def test_curve_of_a_run(tmp_path: Path) -> None:
    lines = [
        {"stage": "recon-pretrain", "epoch": 1, "val_dice": None, "seconds": 5.0,
         "cpu_seconds": 9.0, "lr": 1e-3},
        *({"stage": "train", "epoch": e, "val_dice": {"mean": d}, "seconds": 2.0,
           "cpu_seconds": 3.0, "lr": 1e-3} for e, d in enumerate([0.5, 0.6, 0.7, 0.702], 1)),
    ]  # fmt: skip
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    curve = curve_of(tmp_path)
    assert [p["cpu_seconds"] for p in curve["points"]] == [12.0, 15.0, 18.0, 21.0]
    assert curve["best_dice"] == 0.702
    assert curve["quarter_gain"] == pytest.approx(0.002)
    assert curve["converged"] is True
    assert curve["complete"] is False
    assert curve_of(tmp_path / "none")["points"] == []


def test_study_trains_each_recipe_and_scores_nothing_on_test(
    dataset_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "study"
    result = convergence_study(
        dataset_dir, out, SMOKE, recipes=parse_recipes("preset,cosine"),
        methods=("zero-filling", "joint"), device="cpu", progress=False,
    )  # fmt: skip
    assert {(r["recipe"], r["method"]) for r in result["runs"]} == {
        ("preset", "zero-filling"), ("preset", "joint"),
        ("cosine", "zero-filling"), ("cosine", "joint"),
    }  # fmt: skip
    for r in result["runs"]:
        assert r["complete"]
        run = out / r["run"]
        assert not (run / "test-metrics.json").exists()
        assert r["epochs"] == (1 if r["recipe"] == "preset" else 3)
        if r["recipe"] == "preset":  # one epoch: too short to judge
            assert r["converged"] is None
    for name in ("convergence.json", "convergence.md", "convergence.png"):
        assert (out / name).is_file()
    config = json.loads((out / "runs/cosine/joint_B_k2_s0/config.json").read_text())
    assert (config["lr_schedule"], config["epochs"], config["warmup_epochs"]) == ("cosine", 3, 1)


def test_cli_errors_are_one_line(tmp_path: Path, dataset_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["convergence", "--data", str(dataset_dir), "--out", str(tmp_path / "o"),
              "--preset", "smoke", "--recipes", "nope"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "unknown recipe 'nope'" in result.output
    assert not (tmp_path / "o").exists()


def _run(recipe: str, method: str, dice: float, *, converged: bool = True,
         complete: bool = True, cpu: float = 3600.0) -> dict[str, object]:  # fmt: skip
    return {"recipe": recipe, "method": method, "best_dice": dice, "converged": converged,
            "complete": complete, "cpu_seconds": cpu}  # fmt: skip


def test_recipe_choice_uses_validation_only_and_prefers_the_cheaper_of_equals() -> None:
    from bench.convergence import choose_recipe

    recipes = {"preset": "", "hold-step": "", "cosine": ""}
    runs = [
        _run("preset", "joint", 0.70, converged=False, cpu=1200),
        _run("preset", "seranet-3", 0.69, converged=False, cpu=1200),
        _run("hold-step", "joint", 0.724, cpu=3600),
        _run("hold-step", "seranet-3", 0.716, cpu=9000),
        _run("cosine", "joint", 0.722, cpu=3700),
        _run("cosine", "seranet-3", 0.717, cpu=8000),
    ]
    choice = choose_recipe({"recipes": recipes, "runs": runs})
    # hold-step 0.720 and cosine 0.7195 are equal within the tolerance: the cheaper wins
    assert choice["recipe"] == "cosine"
    assert "cheapest of 2" in choice["reason"]
    assert [c["eligible"] for c in choice["candidates"]] == [False, True, True]
    runs[5] = _run("cosine", "seranet-3", 0.70, cpu=8000)  # now clearly worse
    assert choose_recipe({"recipes": recipes, "runs": runs})["recipe"] == "hold-step"
    runs[3] = _run("hold-step", "seranet-3", 0.716, complete=False)
    runs[4] = _run("cosine", "joint", 0.722, converged=False)
    none = choose_recipe({"recipes": recipes, "runs": runs})
    assert none["recipe"] is None
    assert "hold-step: unfinished seranet-3" in none["reason"]
    assert "cosine: not converged joint" in none["reason"]
