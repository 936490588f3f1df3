"""Train, evaluate and apply segmentation networks that start from under-sampled k-space.

Grouped public API (each group's module has the full set):

* data: :class:`SliceDataset`, :class:`SplitConfig`, :func:`split_subjects`, :class:`DataError`
* models: :func:`build_model`, :class:`ModelConfig`, :data:`MODEL_NAMES`
* training: :class:`TrainConfig`, :func:`train`, :class:`RunSummary`, :func:`load_run`
* evaluation: :func:`evaluate`, :func:`predict`, :func:`dice`, :func:`hausdorff`
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seranet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

# The version is defined first: the submodules below import it.
from seranet.data import DataError, SliceDataset, SplitConfig, split_subjects
from seranet.evaluate import EvaluationResult, evaluate
from seranet.metrics import dice, hausdorff
from seranet.models import MODEL_NAMES, ModelConfig, build_model
from seranet.predict import Prediction, predict
from seranet.train import RunSummary, TrainConfig, load_run, train

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
    "dice",
    "evaluate",
    "hausdorff",
    "load_run",
    "predict",
    "split_subjects",
    "train",
]
