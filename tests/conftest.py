"""Shared fixtures: the checked-out course, and a disposable copy of it for grading runs."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accel.course import Course

ROOT = Path(__file__).resolve().parents[1]
COURSE_FILES = ("notebooks", "source", "release", "samples", "nbgrader_config.py")


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)


def copy_course(dest: Path, notebooks: list[str] | None = None) -> Course:
    """A copy of the course's inputs (no gradebook, no submissions) that tests may grade in.

    ``notebooks`` keeps only those notebooks, for tests that need fewer of them.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            shutil.copy2(src, dest / name)
    (dest / "tests").mkdir()
    shutil.copytree(ROOT / "tests" / "known_wrong", dest / "tests" / "known_wrong")
    course = Course(dest)
    if notebooks is not None:
        for folder, pattern in ((course.notebooks_dir, "*.py"), (course.source_dir, "*.ipynb"),
                                (course.release_dir, "*.ipynb")):
            for path in folder.glob(pattern):
                if path.stem not in notebooks:
                    path.unlink()
    return course


@pytest.fixture
def scratch_course(tmp_path) -> Course:
    return copy_course(tmp_path / "course")
