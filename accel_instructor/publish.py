"""The student bundle: a folder ready to be its own public repository (and a Binder)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from .course import ASSIGNMENT, Course, CourseError
from .settings import load as load_settings

BINDER_LABPATH = "acceleration%2F01_vectorization.ipynb"
NOTEBOOK_FILES = ("01_vectorization.ipynb", "02_kernel_fusion.ipynb", "03_cache_tiling.ipynb",
                  "04_roofline.ipynb", "05_microkernels.ipynb")

STUDENT_README = """# Acceleration: CPU vectorization, kernel fusion, cache-aware tiling and the roofline model

{badge}Five notebooks, each one technique, each measured on *your* machine:

1. `acceleration/01_vectorization.ipynb`: Python loops vs BLAS, GFLOP/s, scaling with N
2. `acceleration/02_kernel_fusion.ipynb`: what fusion really is, and when it pays
3. `acceleration/03_cache_tiling.ipynb`: memory hierarchy, loop order, tiling
4. `acceleration/04_roofline.ipynb`: your machine's roofline, with your kernels on it
5. `acceleration/05_microkernels.ipynb`: latency, operations in flight and Little's law

## Open it

- **Binder** (nothing to install): {binder}
  Binder builds the environment from `.binder/` (a few minutes the first time) and opens
  notebook 01 in JupyterLab. A Binder session is deleted when you close it or leave it idle:
  download your notebooks (right-click, *Download*) before you stop.
- **Your own machine** (Python 3.11 to 3.14, Linux or macOS; Windows through WSL), from this folder:

      python3 -m venv .venv
      .venv/bin/pip install -r requirements.txt .
      .venv/bin/jupyter lab acceleration/01_vectorization.ipynb

  `requirements.txt` pins every package for Python 3.11 to 3.14 (resolved with `uv pip compile
  --universal`). If you change a file in `accel/`, run the `pip install` line again.

Each notebook's kernel, solved or not, stays within 1.5 GiB of memory, so that it and JupyterLab
fit in the 2 GiB of a Binder session.

## Work and check

Fill in the cells that say `# YOUR CODE HERE` (replace the `raise NotImplementedError(...)` line;
its message says what to write) and run the test cell below each. The grader runs more tests on
other inputs, so passing the visible tests is a good sign, not a guarantee.

Before you hand in, check each notebook twice, from this folder:

1. **Validate**: JupyterLab's *Validate* button (in the notebook toolbar), or
   `.venv/bin/nbgrader validate acceleration/01_vectorization.ipynb`. It runs the whole notebook
   as the grader will (using `nbgrader_config.py` here) and lists the tests that fail.
2. **Code rules**: `.venv/bin/python -m accel.policy acceleration/*.ipynb` lists every cell of
   yours that the grader would refuse to run, and says why (see "Code rules" in notebook 01).
   It prints `no problems found` for a notebook you have not changed.

## Hand in

One route, end to end:

1. Save all five notebooks (JupyterLab: *File > Save All*). On Binder, download each one.
2. Upload the five files `01_vectorization.ipynb`, `02_kernel_fusion.ipynb`,
   `03_cache_tiling.ipynb`, `04_roofline.ipynb` and `05_microkernels.ipynb` to the assignment page your course gives you,
   with these exact names (no `(1)` copies, no zip inside a zip).
3. That is all. Your instructor collects the uploads, grades them with nbgrader, and sends you
   a feedback page per notebook.

`nbgrader submit` is not used in this course (there is no shared exchange folder). Do not copy
cells between notebooks or duplicate graded cells: a duplicated graded cell is graded once.
"""

STUDENT_NBGRADER_CONFIG = '''"""nbgrader settings for students: `nbgrader validate` and JupyterLab's Validate button read this
file when started from this folder. The grader uses the same per-cell time limit."""
c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "acceleration"
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# Validate cuts each line of an error at this width: wide enough for the longest "not written
# yet" message of these notebooks (nbgrader's default, 90, cut them mid-word).
c.Validator.width = {width}
'''

# nbgrader's instructor and exchange tools are of no use to students (the course has no exchange
# and no formgrader): installed with the bundle into the venv's etc/jupyter, these files turn them
# off and keep Validate. A conf.d file read after nbgrader's own ("nbgrader.json") wins.
JUPYTER_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": True}}}
JUPYTER_SERVER_CONFIG_NAME = "student_course.json"  # sorts after nbgrader.json
LAB_PAGE_CONFIG = {"disabledExtensions": {
    "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:assignment-list": True,
    "@jupyter/nbgrader:course-list": True, "@jupyter/nbgrader:create-assignment": True,
    "@jupyter/nbgrader:menu": True}}

GITIGNORE = """.venv/
__pycache__/
*.pyc
.ipynb_checkpoints/
*.egg-info/
build/
gradebook.db
"""


def binder_url(repo: str) -> str:
    """The mybinder.org link for a public GitHub repository ``OWNER/NAME`` (opens notebook 01)."""
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}", repo or ""):
        raise CourseError(f"--binder-repo {repo!r}: expected OWNER/NAME of a public GitHub repository, "
                          f"for example --binder-repo my-university/acceleration-student")
    return f"https://mybinder.org/v2/gh/{repo}/HEAD?labpath={BINDER_LABPATH}"


def student_readme(binder_repo: str | None) -> str:
    if binder_repo:
        url = binder_url(binder_repo)
        badge = f"[![Binder](https://mybinder.org/badge_logo.svg)]({url})\n\n"
        binder = f"[open the course on Binder]({url}).\n"
    else:
        badge = ""
        binder = ("your instructor has not linked this copy to Binder yet (they publish it with\n"
                  "  `--binder-repo OWNER/NAME`); use your own machine below.\n")
    return STUDENT_README.format(badge=badge, binder=binder)


def _student_pyproject() -> str:
    return ('[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            '[project]\nname = "accel-student"\nversion = "0.1.0"\nrequires-python = ">=3.11,<3.15"\n\n'
            '[tool.setuptools.packages.find]\ninclude = ["accel", "accel.*"]\n\n'
            '# JupyterLab settings for this course, installed into the environment (see jupyter-config/)\n'
            '[tool.setuptools.data-files]\n'
            f'"etc/jupyter/jupyter_server_config.d" = ["jupyter-config/{JUPYTER_SERVER_CONFIG_NAME}"]\n'
            '"etc/jupyter/labconfig" = ["jupyter-config/page_config.json"]\n')


def validator_width(release_dir: Path) -> int:
    """A Validate line width that shows every stub's message whole: the longest line naming
    ``NotImplementedError(`` in the released notebooks, plus room for Validate's indent and the
    traceback's ``----> 12`` prefix; never below nbgrader's 90."""
    import nbformat
    longest = 0
    for path in sorted(Path(release_dir).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for line in cell.source.splitlines():
                if "NotImplementedError(" in line:
                    longest = max(longest, len(line.strip()))
    return max(90, longest + 24)


def _environment_yml() -> str:
    return ("# conda users: conda env create -f environment.yml (the pins are those of requirements.txt)\n"
            "name: acceleration-student\nchannels:\n  - conda-forge\ndependencies:\n"
            "  - python=3.11\n  - pip\n  - pip:\n      - -r requirements.txt\n      - .\n")


def publish(course: Course, dest: Path, force: bool = False, binder_repo: str | None = None) -> Path:
    """Write the student bundle to ``dest``: the release notebooks, the learner package ``accel``
    whole, the universal lock as ``requirements.txt``, Binder files, a student README, a
    ``.gitignore`` and a student ``nbgrader_config.py``."""
    dest = Path(dest).resolve()
    if dest == course.root or course.root in dest.parents and dest.name in ("source", "release"):
        raise CourseError(f"refusing to publish into {dest}: choose a folder outside the course")
    if binder_repo:
        binder_url(binder_repo)  # refuse a malformed OWNER/NAME before writing anything
    lock = course.root / "requirements.lock"
    if not lock.is_file():
        raise CourseError(f"{lock} is missing: run `make lock` to resolve the student lock file")
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
    shutil.copy2(lock, dest / "requirements.txt")
    (dest / "environment.yml").write_text(_environment_yml())
    (dest / "pyproject.toml").write_text(_student_pyproject())
    binder = dest / ".binder"
    binder.mkdir()
    shutil.copy2(lock, binder / "requirements.txt")
    (binder / "runtime.txt").write_text("python-3.11\n")
    (binder / "postBuild").write_text("#!/bin/bash\nset -e\npip install --no-deps .\n")
    (binder / "postBuild").chmod(0o755)
    (dest / "README.md").write_text(student_readme(binder_repo))
    (dest / ".gitignore").write_text(GITIGNORE)
    (dest / "nbgrader_config.py").write_text(STUDENT_NBGRADER_CONFIG.format(
        timeout=load_settings().cell_timeout_seconds, width=validator_width(course.release_dir)))
    import json
    config = dest / "jupyter-config"
    config.mkdir()
    (config / JUPYTER_SERVER_CONFIG_NAME).write_text(json.dumps(JUPYTER_SERVER_CONFIG, indent=2) + "\n")
    (config / "page_config.json").write_text(json.dumps(LAB_PAGE_CONFIG, indent=2) + "\n")
    return dest
