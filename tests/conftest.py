"""Shared fixtures: the checked-out course, and a disposable copy of it for grading runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from accel_instructor.course import Course

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)


def copy_course(dest: Path, notebooks: list[str] | None = None) -> Course:
    """A copy of the course's inputs (no gradebook, no submissions) that tests may grade in."""
    return Course(ROOT).copy_to(dest, notebooks)


@pytest.fixture
def scratch_course(tmp_path) -> Course:
    return copy_course(tmp_path / "course")
