"""The student bundle: a folder ready to be its own public repository (and a Binder)."""
from __future__ import annotations

import shutil
from pathlib import Path

from .course import ASSIGNMENT, Course, CourseError

STUDENT_README = """# Acceleration: CPU vectorization, kernel fusion, cache-aware tiling and the roofline model

Four notebooks, each one technique, each measured on *your* machine:

1. `acceleration/01_vectorization.ipynb`: Python loops vs BLAS, GFLOP/s, scaling with N
2. `acceleration/02_kernel_fusion.ipynb`: what fusion really is, and when it pays
3. `acceleration/03_cache_tiling.ipynb`: memory hierarchy, loop order, tiling
4. `acceleration/04_roofline.ipynb`: your machine's roofline, with your kernels on it

## Open it

- **Binder**: push this folder to a public repository and open
  `https://mybinder.org/v2/gh/<owner>/<repo>/HEAD?labpath=acceleration%2F01_vectorization.ipynb`.
  Binder builds the environment from `environment.yml` (a few minutes the first time).
- **Your own machine** (Python 3.11):

      python3 -m venv .venv && . .venv/bin/activate
      pip install -r requirements.txt -e .
      jupyter lab acceleration/01_vectorization.ipynb

## Work and check

Fill in the cells that say `# YOUR CODE HERE` and run the test cell below each. The grader runs
more tests on other inputs, so passing the visible tests is a good sign, not a guarantee.

Before you hand in, check the whole notebook: in JupyterLab with nbgrader installed use the
**Validate** button, or run `nbgrader validate acceleration/01_vectorization.ipynb`. Then run
`python -m accel.policy acceleration/*.ipynb`: it lists any cell the grader would refuse to run
(see "Code rules" in notebook 01).

## Hand in

Submit the four `.ipynb` files as your course tells you (an upload, or `nbgrader submit`). Keep the
file names. Do not copy cells between notebooks or duplicate graded cells.
"""


def _bundle_requirements() -> list[str]:
    """The pinned runtime dependencies of the installed course package (no test extras)."""
    from importlib.metadata import requires
    return [r for r in (requires("accel-course") or []) if "extra ==" not in r]


def _environment_yml(requirements: list[str]) -> str:
    pins = "".join(f"      - {r}\n" for r in requirements)
    return ("# Binder / conda environment of the student bundle.\n"
            "name: acceleration-student\nchannels:\n  - conda-forge\ndependencies:\n"
            "  - python=3.11\n  - pip\n  - pip:\n" + pins)


def publish(course: Course, dest: Path, force: bool = False) -> Path:
    dest = Path(dest).resolve()
    if dest == course.root or course.root in dest.parents and dest.name in ("source", "release"):
        raise CourseError(f"refusing to publish into {dest}: choose a folder outside the course")
    if dest.exists() and any(dest.iterdir()):
        if not force:
            raise CourseError(f"{dest} is not empty; choose a new folder or pass --force to replace it")
        shutil.rmtree(dest)
    released = sorted(course.release_dir.glob("*.ipynb"))
    if not released:
        raise CourseError("release/ is empty: run `python -m accel_instructor release` first")
    (dest / ASSIGNMENT).mkdir(parents=True)
    for path in released:
        shutil.copy2(path, dest / ASSIGNMENT / path.name)
    # The learner package, whole: the instructor's tooling (accel_instructor, with the grader's
    # reference baselines) is a separate package and never leaves this repository.
    import accel
    shutil.copytree(Path(accel.__file__).resolve().parent, dest / "accel",
                    ignore=shutil.ignore_patterns("__pycache__"))
    requirements = _bundle_requirements()
    (dest / "requirements.txt").write_text("\n".join(requirements) + "\n")
    (dest / "environment.yml").write_text(_environment_yml(requirements))
    (dest / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "accel-student"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["accel*"]\n')
    binder = dest / ".binder"
    binder.mkdir()
    shutil.copy2(dest / "environment.yml", binder / "environment.yml")
    (binder / "postBuild").write_text("#!/bin/bash\nset -e\npip install --no-deps -e .\n")
    (binder / "postBuild").chmod(0o755)
    (dest / "README.md").write_text(STUDENT_README)
    return dest
