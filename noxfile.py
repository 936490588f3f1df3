"""Developer sessions: tests, lint, typecheck (default), bench and demo (on request).

Torch: without a CUDA GPU the sessions install ``torch==2.13.0`` first (on the project's
machines pip takes a local CPU build of exactly that version); the packages themselves only
ask for a range. Set ``SERANET_TORCH`` to another requirement (e.g. ``torch>=2.1``) to change it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

# Numba's OpenMP workers spin while idle by default, which starves the other core on small
# machines; every session and the processes it starts inherit this.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

nox.options.sessions = ["tests", "interop", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PACKAGES = ("kspace", "mrsim", "seranet", "bench")
SIBLINGS = {
    "kspace": (),
    "mrsim": ("kspace",),
    "seranet": ("kspace",),
    "bench": ("kspace", "mrsim", "seranet"),
}
NEEDS_TORCH = {"kspace", "seranet", "bench"}


# Tests run on every core (pytest-xdist): most are single-threaded, and the slowest wait on
# the processes they start; `nox -s tests -- -n 0` runs them in one process.
PARALLEL = ("--numprocesses", "auto")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


def _install_torch(session: nox.Session) -> None:
    default = "torch>=2.1" if shutil.which("nvidia-smi") else "torch==2.13.0"
    session.install(os.environ.get("SERANET_TORCH", default))


def _editable(*packages: str, torch: bool = True) -> list[str]:
    args: list[str] = []
    for name in packages:
        extra = ("[torch,cli]" if torch else "[cli]") if name == "kspace" else ""
        args += ["-e", f"packages/{name}{extra}"]
    return args


@nox.session
@nox.parametrize("package", PACKAGES)
def tests(session: nox.Session, package: str) -> None:
    """Install one package with only its siblings and run its tests."""
    if package == "kspace":
        # kspace must work on its own, without torch: check that before adding the extra.
        session.install("-e", "packages/kspace")
        session.run("python", "-c", "import kspace, numpy; kspace.fft2c(numpy.ones((4, 4)))")
    torch = package in NEEDS_TORCH
    if torch:
        _install_torch(session)
    session.install(*_group("test"), *_editable(*SIBLINGS[package], package, torch=torch))
    session.run("pytest", *PARALLEL, f"packages/{package}/tests", *session.posargs)
    if package == "seranet":
        # seranet works without mrsim (above: its simulated-source tests skip); with the
        # 'simulate' extra the simulated source is tested too.
        session.install(*_editable("mrsim"))
        session.run(
            "pytest", *PARALLEL, "packages/seranet/tests/test_simulated.py", *session.posargs
        )


@nox.session
def interop(session: nox.Session) -> None:
    """Tests against other toolkits' own code: fastMRI (without its heavy extras), TensorBoard,
    ONNX Runtime."""
    _install_torch(session)
    # fastmri's package imports pandas, requests, yaml and tqdm, not torchvision/lightning
    session.install("--no-deps", "fastmri==0.3.0")
    session.install(
        "pandas", "requests", "pyyaml", "tqdm", "tensorboard", "onnx", "onnxscript",
        "onnxruntime", *_group("test"),
    )  # fmt: skip
    session.install(*_editable(*PACKAGES))
    session.run("pytest", *PARALLEL, "-m", "interop", *(f"packages/{p}/tests" for p in PACKAGES),
                *session.posargs)  # fmt: skip


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check over the whole workspace."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy over every package's src tree, with the packages installed."""
    _install_torch(session)
    session.install(*_group("typecheck"), *_editable(*PACKAGES))
    session.run("mypy", *(f"packages/{name}/src" for name in PACKAGES), *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Performance benchmarks (pytest-benchmark) of every package; reported, not asserted."""
    _install_torch(session)
    session.install(*_group("bench"), *_editable(*PACKAGES))
    paths = [str(p) for name in PACKAGES if (p := Path("packages", name, "benchmarks")).is_dir()]
    session.run(
        "pytest",
        *paths,
        "--benchmark-only",
        "--benchmark-columns=median,iqr,ops,rounds",
        "-p",
        "no:cacheprovider",
        *session.posargs,
    )


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """The main job on a fresh machine: simulate procedural subjects, train, compare, draw."""
    _install_torch(session)
    session.install(*_editable(*PACKAGES))
    out = Path(session.posargs[0] if session.posargs else "demo-output")
    # Two single-threaded training processes use two cores better than torch's own threads.
    session.run("bench", "demo", "--out", str(out), "--device", "cpu", "--jobs", "2")
    session.log(f"wrote {out}/compare/table.md, {out}/figures and {out}/attention")
