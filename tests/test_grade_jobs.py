"""`grade --jobs N`: the same grades as one at a time; the tripwire stops a class run (issue 8)."""
from __future__ import annotations

import os

import pytest

import accel_instructor.grade as grade
from accel_instructor.build import release
from accel_instructor.course import CourseError
from accel_instructor.grade import grade_class, read_gradebook
from accel_instructor.samples import load_spec, write_submission
from conftest import ROOT, copy_course

pytestmark = pytest.mark.nbgrader
STUDENTS = {
    "reference": None,
    "float64": ROOT / "tests" / "known_wrong" / "01_matmul_float64.py",
    "memoised": ROOT / "tests" / "tampering" / "t20_memoised_timing.py",
    "loop": ROOT / "tests" / "known_wrong" / "01_matmul_loop_in_disguise.py",
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("jobs") / "course", notebooks=["01_vectorization"])
    release(course)
    for student, path in STUDENTS.items():
        spec = load_spec(path) if path else load_spec(ROOT / "tests" / "tampering" / "t00_control.py")
        spec.student = student
        write_submission(course, spec)
    return course


def _grades(course):
    return {(r.student, r.notebook, c.grade_id): c.score for r in read_gradebook(course) for c in r.cells}


def _grade(course, jobs):
    old = os.environ.get("ACCEL_CELL_TIMEOUT")
    os.environ["ACCEL_CELL_TIMEOUT"] = "30"
    try:
        return grade_class(course, sorted(STUDENTS), cap_seconds=240, jobs=jobs, log=lambda *_: None)
    finally:
        os.environ.pop("ACCEL_CELL_TIMEOUT") if old is None else os.environ.__setitem__("ACCEL_CELL_TIMEOUT", old)


def test_two_jobs_give_the_same_grades_as_one(course):
    _grade(course, 1)
    one = _grades(course)
    lost = {(s, g) for (s, _, g), score in one.items() if g.startswith("test_") and score == 0}
    assert ("memoised", "test_vectorized_matmul_speed") in lost
    assert ("loop", "test_vectorized_matmul_speed") in lost
    assert ("float64", "test_vectorized_matmul_dtype") in lost
    assert not any(s == "reference" for s, _ in lost), sorted(lost)
    run = _grade(course, 2)
    assert [r.status for r in run.runs] == ["graded"] * len(STUDENTS)
    assert _grades(course) == one


def test_the_tripwire_stops_grading_when_a_shared_file_changes(course, monkeypatch):
    real = grade._sandbox_student

    def tampered(course_, student, *args, **kwargs):
        notes = real(course_, student, *args, **kwargs)
        if student == "float64":  # as if this student's code had reached the course's notebooks
            with open(course_.release_dir / "01_vectorization.ipynb", "a") as handle:
                handle.write(" ")
        return notes

    monkeypatch.setattr(grade, "_sandbox_student", tampered)
    with pytest.raises(CourseError, match="tripwire.*float64"):
        _grade(course, 1)
