"""Orchestration: phantom -> slices -> k-space, labels and images -> one HDF5 file per subject.

:func:`simulate_subject` turns one phantom into a :class:`~mrsim.dataset.SubjectData`;
:func:`simulate_dataset` plans the subjects of a :class:`DatasetConfig` (with sharding),
skips the files a previous run finished, runs the rest in worker processes when there are
several, and writes each file atomically.

Randomness: every subject draws from three independent streams,
``SeedSequence([seed, crc32(subject name), stream])`` with stream 0 = TE/TR jitter,
1 = B0 field map, 2 = noise, so changing the noise level changes only the noise, and the
same seed gives the same bytes.
"""

from __future__ import annotations

import json
import math
import os
import re
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

import numpy as np

import kspace
from kspace.guard import die_with_parent, folder_lock, stop_pool
from mrsim import phantoms
from mrsim.dataset import SubjectData, write_dataset
from mrsim.engines import get_engine
from mrsim.phantoms.brainweb import BRAINWEB_SHAPE
from mrsim.sequence import SpinEcho, b0_field_map, coil_sensitivities, slice_timings
from mrsim.tissues import tissue_table

__all__ = [
    "DatasetConfig",
    "ProgressEvent",
    "SubjectJob",
    "SubjectOutcome",
    "parse_shard",
    "plan_jobs",
    "simulate_dataset",
    "simulate_subject",
    "subject_streams",
]

PhantomKind = Literal["procedural", "brainweb"]
STREAM_JITTER, STREAM_FIELD, STREAM_NOISE = 0, 1, 2
#: Largest matrix the ``bloch`` engine accepts (it scales with isochromats x H x W).
BLOCH_MAX_PIXELS = 64 * 64


@dataclass(frozen=True)
class DatasetConfig:
    """Everything that defines a simulated dataset."""

    out_dir: Path
    """Folder of the ``subjectNN.h5`` / ``proceduralNN.h5`` files (created if needed)."""
    phantom: PhantomKind = "procedural"
    """``"procedural"`` (built-in generator) or ``"brainweb"`` (files in ``brainweb_dir``)."""
    brainweb_dir: Path | None = None
    """Folder with ``subjectNN_crisp_v.*`` files (``phantom="brainweb"``)."""
    subjects: str | None = None
    """Procedural: ``"N"`` (indices 0..N-1), ``"0,3,7"`` or ``"3-7"``; default 20.
    BrainWeb: ``"04,05"`` or ``"all"``; default all 20 normal models."""
    n_slices: int = 57
    """Axial slices per subject."""
    slice_thickness_mm: float = 3.0
    """Slice thickness (and spacing), mm."""
    resolution_mm: float = 1.0
    """In-plane and through-plane voxel size of the resampled phantom, mm."""
    slice_profile: str = "gaussian"
    """Through-plane slice profile, ``"gaussian"`` or ``"rect"``."""
    labels: str = "slab"
    """What a slice's labels are: ``"slab"``, the tissue with the largest fraction in the
    slice as imaged (through-plane integrated with the slice profile), or ``"centre"``, the
    phantom's own label at the grid plane nearest the slice centre (one BrainWeb mask slice,
    a reading of the paper's "each slice has the corresponding tissue segmentation mask from
    BrainWeb")."""
    extent_mm: tuple[float, float, float] = (180.0, 216.0, 180.0)
    """Field of view ``(z, y, x)`` the phantom is cropped or padded to, mm."""
    protocol: SpinEcho = field(default_factory=SpinEcho)
    """Acquisition protocol."""
    engine: str = "fast"
    """Simulation engine, ``"fast"`` or ``"bloch"``."""
    seed: int = 0
    """Base seed of every random stream (and of the procedural anatomy)."""
    shard: tuple[int, int] = (0, 1)
    """``(i, n)``: simulate only subjects ``i, i + n, i + 2n, ...`` of the sorted plan."""
    overwrite: bool = False
    """Replace existing files; otherwise finished files with the same settings are skipped
    and files with different settings are an error."""
    workers: int = 0
    """Worker processes (0: one per CPU, at most one per subject)."""

    def __post_init__(self) -> None:
        if self.labels not in LABEL_DEFINITIONS:
            raise ValueError(
                f"unknown labels {self.labels!r}; use {' or '.join(LABEL_DEFINITIONS)}"
            )
        if self.phantom not in ("procedural", "brainweb"):
            raise ValueError(f"unknown phantom {self.phantom!r}; use procedural or brainweb")
        if self.phantom == "brainweb" and self.brainweb_dir is None:
            raise ValueError("--phantom brainweb needs --brainweb-dir")
        if int(self.n_slices) != self.n_slices or self.n_slices < 1:
            raise ValueError(f"slices must be a positive integer; got {self.n_slices}")
        for name in ("slice_thickness_mm", "resolution_mm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"{name.removesuffix('_mm').replace('_', ' ')} must be > 0 mm; got {value}"
                )
        smallest = min(round(e / self.resolution_mm) for e in self.extent_mm[1:])
        if smallest < MIN_PIXELS:
            raise ValueError(
                f"resolution {self.resolution_mm} mm leaves {smallest} pixels across the "
                f"{min(self.extent_mm[1:]):g} mm field of view; at least {MIN_PIXELS} are needed"
            )
        i, n = self.shard
        if not (n >= 1 and 0 <= i < n):
            raise ValueError(f"shard must be I/N with 0 <= I < N; got {i}/{n}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0; got {self.workers}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0; got {self.seed}")
        get_engine(self.engine)
        tissue_table(self.protocol.field_t)


LABEL_DEFINITIONS = ("slab", "centre")
"""Accepted values of :attr:`DatasetConfig.labels`."""

MIN_PIXELS = 8
"""Fewest pixels an image side may have (coarser resolutions are refused)."""


@dataclass(frozen=True)
class SubjectJob:
    """One subject to simulate."""

    name: str
    """``"subject04"`` or ``"procedural07"`` (also the file stem)."""
    phantom: PhantomKind
    """Phantom kind."""
    source: str
    """BrainWeb file path, or the procedural index as text."""


@dataclass(frozen=True)
class SubjectOutcome:
    """What happened to one subject."""

    name: str
    """Subject name."""
    path: Path
    """Output file."""
    skipped: bool
    """True when a finished file with the same settings was kept."""


@dataclass(frozen=True)
class ProgressEvent:
    """A progress report: ``done`` of ``total`` slices, optionally naming a finished subject."""

    done: int
    """Slices finished (including skipped subjects)."""
    total: int
    """Slices planned."""
    subject: str | None = None
    """The subject that just finished, if any."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)``; raises ValueError with a one-line message."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m:
        raise ValueError(f"shard must look like I/N (e.g. 0/4); got {text!r}")
    return int(m.group(1)), int(m.group(2))


def _procedural_indices(spec: str | None) -> list[int]:
    text = (spec or "20").strip()
    tokens = [t.strip() for t in text.replace("-", ",").split(",") if t.strip()]
    if any(len(t) > 1 and t.startswith("0") for t in tokens) or text == "all":
        raise ValueError(
            f"subjects {spec!r} look like BrainWeb subject ids; the procedural phantom takes "
            "N, a list like 0,3,7 or a range like 3-7 (for BrainWeb give --brainweb-dir or "
            "set BRAINWEB_DIR)"
        )
    try:
        if "," in text:
            out = [int(t) for t in text.split(",") if t.strip()]
        elif "-" in text:
            lo, hi = (int(t) for t in text.split("-", 1))
            out = list(range(lo, hi + 1))
        else:
            out = list(range(int(text)))
    except ValueError:
        raise ValueError(
            f"subjects must be N, a list like 0,3,7 or a range like 3-7; got {spec!r}"
        ) from None
    if not out or min(out) < 0:
        raise ValueError(f"subjects must select at least one index >= 0; got {spec!r}")
    return sorted(set(out))


def plan_jobs(config: DatasetConfig) -> list[SubjectJob]:
    """The subjects of ``config`` (sorted by name), restricted to its shard.

    Raises
    ------
    ValueError
        Malformed subject list, unknown BrainWeb subject, missing file or directory.
    """
    jobs: list[SubjectJob]
    if config.phantom == "procedural":
        jobs = [
            SubjectJob(f"procedural{i:02d}", "procedural", str(i))
            for i in _procedural_indices(config.subjects)
        ]
    else:
        spec = (config.subjects or "all").strip()
        assert config.brainweb_dir is not None
        if spec.lower() == "all":
            names = _brainweb_present(config.brainweb_dir)
            if not names:
                raise ValueError(
                    f"{config.brainweb_dir}: no subjectNN_crisp_v.* BrainWeb files found"
                )
        else:
            names = [t for t in spec.split(",") if t.strip()]
        if not names:
            raise ValueError(
                f"subjects must be 'all' or a list like 04,05; got {config.subjects!r}"
            )
        paths = phantoms.find_brainweb(config.brainweb_dir, names)
        found = {re.match(r"subject\d+", p.name).group(0): p for p in paths}  # type: ignore[union-attr]
        jobs = [SubjectJob(n, "brainweb", str(p)) for n, p in sorted(found.items())]
    i, n = config.shard
    return jobs[i::n]


def _brainweb_present(directory: Path) -> list[str]:
    d = Path(directory)
    if not d.is_dir():
        raise ValueError(f"{d}: BrainWeb directory does not exist")
    found = {
        m.group(1)
        for p in d.iterdir()
        if (m := re.fullmatch(r"(subject\d+)_crisp_v\.(mnc|mnc\.gz|rawb|rawb\.gz)", p.name))
    }
    return sorted(found)


def subject_streams(seed: int, name: str) -> dict[str, np.random.SeedSequence]:
    """The independent seed sequences of one subject: ``jitter``, ``field`` and ``noise``."""
    key = zlib.crc32(name.encode())
    return {
        label: np.random.SeedSequence([seed, key, stream])
        for label, stream in (
            ("jitter", STREAM_JITTER),
            ("field", STREAM_FIELD),
            ("noise", STREAM_NOISE),
        )
    }


def _load_slices(
    job: SubjectJob, config: DatasetConfig
) -> tuple[phantoms.Phantom, phantoms.SliceStack]:
    if job.phantom == "brainweb":
        # BrainWeb's raw downloads carry no header: they are always 362 x 434 x 362 bytes.
        raw = BRAINWEB_SHAPE if ".rawb" in Path(job.source).name else None
        ph = phantoms.load_brainweb(job.source, resolution_mm=config.resolution_mm, raw_shape=raw)
    else:
        ph = phantoms.procedural_phantom(
            int(job.source), seed=config.seed, resolution_mm=config.resolution_mm
        )
    ph = phantoms.crop_or_pad(ph, config.extent_mm)
    return ph, phantoms.axial_slices(
        ph, config.n_slices, config.slice_thickness_mm, config.slice_profile
    )


def settings_fingerprint(config: DatasetConfig, job: SubjectJob) -> str:
    """JSON of every setting that determines a subject file's content (for resuming)."""
    from mrsim import __version__

    return json.dumps(
        {
            "subject": job.name,
            "phantom": job.phantom,
            "n_slices": config.n_slices,
            "slice_thickness_mm": config.slice_thickness_mm,
            "resolution_mm": config.resolution_mm,
            "slice_profile": config.slice_profile,
            "extent_mm": list(config.extent_mm),
            "protocol": asdict(config.protocol),
            "engine": config.engine,
            "seed": config.seed,
            "mrsim_version": __version__,
            # only when not the default, so files simulated before the option still resume
            **({"labels": config.labels} if config.labels != "slab" else {}),
        },
        sort_keys=True,
    )


def simulate_subject(
    job: SubjectJob,
    config: DatasetConfig,
    on_slice: Callable[[int], None] | None = None,
) -> SubjectData:
    """Simulate one subject: per-slice noise-free k-space, then noise, images and labels.

    ``noise_sigma = noise_level * percentile(|noise-free fully-sampled RSS image|, 99)`` over
    the subject's whole volume (:func:`kspace.noise_sigma`); ``reconstruction_rss`` is the RSS
    magnitude of the noisy fully-sampled k-space.
    """
    from mrsim import __version__

    ph, stack = _load_slices(job, config)
    frac = stack.fractions
    n_slices, _, height, width = frac.shape
    if config.engine == "bloch" and height * width > BLOCH_MAX_PIXELS:
        raise ValueError(
            f"the bloch engine is for small phantoms (<= {BLOCH_MAX_PIXELS} pixels per slice); "
            f"this one is {height}x{width}: raise --resolution"
        )
    p = config.protocol
    streams = subject_streams(config.seed, job.name)
    te, tr = slice_timings(p, n_slices, np.random.default_rng(streams["jitter"]))
    b0 = b0_field_map((n_slices, height, width), p.b0_ppm, np.random.default_rng(streams["field"]))
    sens = coil_sensitivities(p.coils, height, width)
    engine = get_engine(config.engine)
    clean = np.empty((n_slices, p.coils, height, width), dtype=np.complex64)
    for s in range(n_slices):
        clean[s] = engine(frac[s], float(te[s]), float(tr[s]), p, b0_ppm=b0[s], sensitivities=sens)
        if on_slice is not None:
            on_slice(s)
    clean_rss = kspace.rss(kspace.ifft2c(clean))
    sigma = kspace.noise_sigma(p.noise_level, clean_rss)
    noisy = kspace.add_noise(clean, p.noise_level, clean_rss, seed=streams["noise"])
    recon = kspace.rss(kspace.ifft2c(noisy)).astype(np.float32)
    if config.labels == "centre":
        nearest = np.abs(ph.world_z_mm()[None, :] - stack.z_mm[:, None]).argmin(axis=1)
        tissue = np.argmax(ph.fractions[:, nearest], axis=0).astype(np.uint8)
    else:
        tissue = np.argmax(frac, axis=1).astype(np.uint8)
    labels = np.where(tissue <= 3, tissue, 0).astype(np.uint8)
    attrs: dict[str, Any] = {
        "subject": job.name,
        "phantom": job.phantom,
        "field_t": p.field_t,
        "te_ms": te,
        "tr_ms": tr,
        "te_nominal_ms": p.te_ms,
        "tr_nominal_ms": p.tr_ms,
        "jitter": p.jitter,
        "noise_level": p.noise_level,
        "noise_sigma": sigma,
        "resolution_mm": config.resolution_mm,
        "slice_thickness_mm": config.slice_thickness_mm,
        "slice_profile": config.slice_profile,
        "labels_from": config.labels,
        "slice_z_mm": np.asarray(stack.z_mm, dtype=np.float64),
        "engine": config.engine,
        "seed": config.seed,
        "mrsim_version": __version__,
        "coils": p.coils,
        "readout_bandwidth_hz": p.bandwidth_hz,
        "dwell_us": p.dwell_s * 1e6,
        "b0_ppm": p.b0_ppm,
        "readout_axis": "H (rows, posterior -> anterior); phase encoding along W",
        "label_names": "background,csf,gm,wm",
        "tissue_names": ",".join(phantoms.TISSUE_NAMES),
        "settings": settings_fingerprint(config, job),
    }
    kspace_out = noisy[:, 0] if p.coils == 1 else noisy
    return SubjectData(kspace_out.astype(np.complex64), recon, labels, tissue, attrs)


def _out_path(config: DatasetConfig, job: SubjectJob) -> Path:
    return Path(config.out_dir) / f"{job.name}.h5"


def _is_finished(path: Path, config: DatasetConfig, job: SubjectJob) -> bool:
    """True for an existing file with the same settings; raises for one with others."""
    if not path.exists():
        return False
    if config.overwrite:
        return False
    try:
        import h5py

        with h5py.File(path, "r") as h5:
            settings = h5.attrs.get("settings", "")
    except OSError:
        settings = ""
    settings = settings.decode() if isinstance(settings, bytes) else str(settings)
    if settings == settings_fingerprint(config, job):
        return True
    raise FileExistsError(f"{path} exists with other settings; use --overwrite to replace it")


def _run_job(job: SubjectJob, config: DatasetConfig) -> str:
    write_dataset(_out_path(config, job), simulate_subject(job, config))
    return job.name


def _auto_workers(config: DatasetConfig) -> int:
    """One process per CPU when there is enough work per subject to amortise starting them
    (~1.5 s CPU each): full-size BrainWeb subjects, any procedural head (rendered at 0.5 mm
    whatever the output resolution, ~5 s each), any Bloch run."""
    _, ny, nx = (round(e / config.resolution_mm) for e in config.extent_mm)
    small = config.n_slices * ny * nx < 57 * 216 * 180
    if config.engine == "fast" and config.phantom == "brainweb" and small:
        return 1
    return os.cpu_count() or 1


def _init_worker(parent_pid: int) -> None:
    # Die with the parent (kill -9 or SIGTERM of ``mrsim simulate`` leaves no orphan that
    # writes files later), and one numba thread per process: the processes fill the cores.
    die_with_parent(parent_pid)
    import numba

    numba.set_num_threads(1)


def simulate_dataset(
    config: DatasetConfig, on_progress: Callable[[ProgressEvent], None] | None = None
) -> list[SubjectOutcome]:
    """Simulate and write every planned subject of ``config``; return what was done.

    Finished files (same settings) are kept, so an interrupted run resumes. All inputs are
    checked before anything is written. Worker processes are used when more than one
    subject remains and ``config.workers`` allows; they die with this process.

    Raises
    ------
    FolderLockedError
        When another process is writing ``config.out_dir`` (one writer per folder).
    """
    jobs = plan_jobs(config)
    out_dir = Path(config.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory")
    with folder_lock(out_dir):
        return _simulate_locked(config, jobs, out_dir, on_progress)


def _remove_temporaries(out_dir: Path, jobs: list[SubjectJob]) -> None:
    for job in jobs:
        for stale in out_dir.glob(f".{job.name}.h5.*.tmp"):
            stale.unlink(missing_ok=True)


def _simulate_locked(
    config: DatasetConfig,
    jobs: list[SubjectJob],
    out_dir: Path,
    on_progress: Callable[[ProgressEvent], None] | None,
) -> list[SubjectOutcome]:
    todo: list[SubjectJob] = []
    outcomes: dict[str, SubjectOutcome] = {}
    for job in jobs:
        path = _out_path(config, job)
        if _is_finished(path, config, job):
            outcomes[job.name] = SubjectOutcome(job.name, path, skipped=True)
        else:
            todo.append(job)
    _remove_temporaries(out_dir, todo)  # of a run killed before it could clean up
    total = len(jobs) * config.n_slices
    done = (len(jobs) - len(todo)) * config.n_slices

    def report(subject: str | None = None) -> None:
        if on_progress is not None:
            on_progress(ProgressEvent(done, total, subject))

    report()
    workers = min(config.workers or _auto_workers(config), len(todo))
    if workers <= 1:
        for job in todo:

            def tick(_: int) -> None:
                nonlocal done
                done += 1
                report()

            write_dataset(_out_path(config, job), simulate_subject(job, config, tick))
            outcomes[job.name] = SubjectOutcome(job.name, _out_path(config, job), skipped=False)
            report(job.name)
    else:
        ctx = get_context("spawn")
        pool = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),)
        )
        futures = [pool.submit(_run_job, job, config) for job in todo]
        try:
            for fut in as_completed(futures):
                name = fut.result()
                done += config.n_slices
                outcomes[name] = SubjectOutcome(name, out_dir / f"{name}.h5", skipped=False)
                report(name)
        except BaseException:
            stop_pool(pool)  # interrupted: stop the workers now, not after their subjects
            _remove_temporaries(out_dir, todo)  # of the subjects the workers were writing
            raise
        pool.shutdown()
    return [outcomes[j.name] for j in jobs]
