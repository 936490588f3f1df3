"""Evaluation inputs: the same masked inputs for every method and training seed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from seranet.data import split_subjects
from seranet.evaluate import evaluate
from seranet.inputs import evaluation_dataset, inputs_digest
from seranet.predict import predict
from seranet.train import train

from .test_train import tiny


def test_runs_of_other_seeds_and_methods_are_scored_on_identical_inputs(
    tmp_path: Path, dataset_dir: Path
) -> None:
    a = tiny(dataset_dir, "zero-filling", seed=0, epochs=1)
    b = tiny(dataset_dir, "joint", seed=7, epochs=1)
    summary_a = train(a, tmp_path / "a", progress=False)
    summary_b = train(b, tmp_path / "b", progress=False)
    assert summary_a.val_inputs is not None
    assert summary_a.val_inputs == summary_b.val_inputs

    result_a = evaluate(tmp_path / "a", split="test", device="cpu", progress=False)
    result_b = evaluate(tmp_path / "b", split="test", device="cpu", progress=False)
    assert result_a.inputs_digest == result_b.inputs_digest
    assert result_a.eval_seed == result_b.eval_seed == 0

    # the tensors themselves, bit for bit
    files = split_subjects(dataset_dir, a.split)["test"]
    da, db = evaluation_dataset(files, a), evaluation_dataset(files, b)
    assert len(da) == len(db) > 0
    for i in range(len(da)):
        sa, sb = da[i], db[i]
        assert torch.equal(sa.mask, sb.mask)
        assert torch.equal(sa.measured, sb.measured)
        assert torch.equal(sa.zero_filled, sb.zero_filled)
    assert inputs_digest(da) == result_a.inputs_digest

    # the prediction of a slice is the one evaluate scored
    out = predict(tmp_path / "b", files[0], tmp_path / "pred.h5", device="cpu", progress=False)
    assert out.slices == da.subjects[0].slices


def test_another_eval_seed_gives_other_masks_and_the_training_seed_none(
    tmp_path: Path, dataset_dir: Path
) -> None:
    config = tiny(dataset_dir, "zero-filling")
    files = split_subjects(dataset_dir, config.split)["val"]
    base = inputs_digest(evaluation_dataset(files, config))
    assert inputs_digest(evaluation_dataset(files, dataclasses.replace(config, seed=5))) == base
    other = evaluation_dataset(files, config, eval_seed=1)
    assert inputs_digest(other) != base
    assert inputs_digest(evaluation_dataset(files, dataclasses.replace(config, eval_seed=1))) == (
        inputs_digest(other)
    )
