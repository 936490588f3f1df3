"""Simulate spin-echo k-space datasets from BrainWeb and procedural brain phantoms.

Phantoms (:mod:`mrsim.phantoms`) -> tissue properties (:mod:`mrsim.tissues`) -> spin-echo
acquisition (:class:`SpinEcho`, engines ``fast`` and ``bloch``) -> one HDF5 file per subject
(:func:`simulate_dataset`, :func:`read_dataset`). Typical use::

    from pathlib import Path
    import mrsim

    config = mrsim.DatasetConfig(Path("data"), phantom="brainweb", brainweb_dir=Path("bw"), subjects="04")
    mrsim.simulate_dataset(config)
    data = mrsim.read_dataset("data/subject04.h5")
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seranet-mrsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from mrsim.dataset import SubjectData, read_dataset, write_dataset
from mrsim.engines import ENGINES, get_engine
from mrsim.phantoms import (
    TISSUE_NAMES,
    Phantom,
    PhantomError,
    SliceStack,
    axial_slices,
    crop_or_pad,
    find_brainweb,
    load_brainweb,
    load_brainweb_fuzzy,
    procedural_phantom,
)
from mrsim.preview import preview
from mrsim.sequence import SpinEcho, b0_field_map, coil_sensitivities, slice_timings
from mrsim.simulate import (
    DatasetConfig,
    SubjectJob,
    plan_jobs,
    simulate_dataset,
    simulate_subject,
)
from mrsim.tissues import TissueProperties, TissueTable, tissue_table

__all__ = [
    "ENGINES",
    "TISSUE_NAMES",
    # simulation
    "DatasetConfig",
    # phantoms
    "Phantom",
    "PhantomError",
    "SliceStack",
    # acquisition
    "SpinEcho",
    # dataset files
    "SubjectData",
    "SubjectJob",
    # physics
    "TissueProperties",
    "TissueTable",
    "__version__",
    "axial_slices",
    "b0_field_map",
    "coil_sensitivities",
    "crop_or_pad",
    "find_brainweb",
    "get_engine",
    "load_brainweb",
    "load_brainweb_fuzzy",
    "plan_jobs",
    "preview",
    "procedural_phantom",
    "read_dataset",
    "simulate_dataset",
    "simulate_subject",
    "slice_timings",
    "tissue_table",
    "write_dataset",
]
