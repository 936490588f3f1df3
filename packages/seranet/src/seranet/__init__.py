"""Train, evaluate and apply segmentation networks that start from under-sampled k-space.

Grouped public API (each group's module has the full set):

* data (:mod:`seranet.data`): :class:`SliceDataset`, :class:`SplitConfig`,
  :func:`split_subjects`, :class:`DataError`
* models (:mod:`seranet.models`): :func:`build_model`, :class:`ModelConfig`, :data:`MODEL_NAMES`
* training (:mod:`seranet.train`): :class:`TrainConfig`, ``seranet.train.train(config, out_dir)``,
  :class:`RunSummary`, :func:`load_run`
* evaluation: ``seranet.evaluate.evaluate(run, data)`` -> :class:`EvaluationResult`,
  ``seranet.predict.predict(run, input, out)`` -> :class:`Prediction`, and the metrics
  :func:`dice`, :func:`hausdorff` (:mod:`seranet.metrics`)

The functions ``train``, ``evaluate`` and ``predict`` are reached through their modules so
that the module names stay importable (``import seranet.train.loop``).
"""

from importlib.metadata import PackageNotFoundError, version

__version__: str
try:
    __version__ = version("seranet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

# The version is defined first: the submodules below import it.
from seranet import data, evaluate, metrics, models, predict, train
from seranet.data import DataError, SliceDataset, SplitConfig, split_subjects
from seranet.evaluate import EvaluationResult
from seranet.metrics import dice, hausdorff
from seranet.models import MODEL_NAMES, ModelConfig, build_model
from seranet.predict import Prediction
from seranet.train import RunSummary, TrainConfig, load_run

__all__ = [
    "MODEL_NAMES",
    # data
    "DataError",
    # evaluation
    "EvaluationResult",
    # models
    "ModelConfig",
    "Prediction",
    # training
    "RunSummary",
    "SliceDataset",
    "SplitConfig",
    "TrainConfig",
    "__version__",
    "build_model",
    "data",
    "dice",
    "evaluate",
    "hausdorff",
    "load_run",
    "metrics",
    "models",
    "predict",
    "split_subjects",
    "train",
]
