"""`grade --scheduler tcp://HOST:PORT`: the same per-student sandbox jobs on Dask workers, with
the coordinator the only writer of the gradebook (issue 8). A real scheduler and two worker
processes on 127.0.0.1."""
from __future__ import annotations

import pytest

from accel_instructor.build import release
from accel_instructor.cluster import local_cluster
from accel_instructor.grade import grade_class, read_gradebook
from accel_instructor.samples import load_spec, write_submission
from conftest import ROOT, copy_course

pytestmark = pytest.mark.nbgrader
STUDENTS = {
    "reference": ROOT / "tests" / "tampering" / "t00_control.py",
    "float64": ROOT / "tests" / "known_wrong" / "01_matmul_float64.py",
    "escapes": ROOT / "tests" / "tampering" / "t16_interpreter_escapes.py",
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with local_cluster(tmp_path_factory.mktemp("dask")) as address:
        yield address


def _class(tmp_path_factory, name):
    course = copy_course(tmp_path_factory.mktemp(name) / "course", notebooks=["01_vectorization"])
    release(course)
    for student, path in STUDENTS.items():
        spec = load_spec(path)
        spec.student = student
        write_submission(course, spec)
    return course


def _grades(course):
    return {(r.student, r.notebook, c.grade_id): c.score for r in read_gradebook(course) for c in r.cells}


def test_a_dask_cluster_gives_the_grades_of_one_process(cluster, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ACCEL_CELL_TIMEOUT", "30")
    local, remote = _class(tmp_path_factory, "local"), _class(tmp_path_factory, "remote")
    grade_class(local, sorted(STUDENTS), cap_seconds=240, log=lambda *_: None)
    lines = []
    run = grade_class(remote, sorted(STUDENTS), cap_seconds=240, scheduler=cluster, log=lines.append)
    assert [r.status for r in run.runs] == ["graded"] * len(STUDENTS)
    assert _grades(remote) == _grades(local)
    assert any(score == 0 for (s, _, g), score in _grades(remote).items() if s == "escapes" and g.startswith("test_"))
    assert (remote.feedback_dir / "escapes" / "acceleration" / "01_vectorization.html").is_file()


def test_an_unreachable_scheduler_says_what_to_do(tmp_path_factory):
    from accel_instructor.course import CourseError
    course = _class(tmp_path_factory, "unreachable")
    with pytest.raises(CourseError, match="scheduler"):
        grade_class(course, ["reference"], scheduler="tcp://127.0.0.1:9", log=lambda *_: None)
