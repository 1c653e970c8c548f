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
    real = grade.run_student_here

    def tampered(prepared, staged, *args, **kwargs):
        answer = real(prepared, staged, *args, **kwargs)
        if staged.parent.name == "float64":  # as if this student's code had reached the course's notebooks
            with open(course.release_dir / "01_vectorization.ipynb", "a") as handle:
                handle.write(" ")
        return answer

    monkeypatch.setattr(grade, "run_student_here", tampered)
    try:
        with pytest.raises(CourseError, match="tripwire.*float64"):
            _grade(course, 1)
    finally:  # the release as it was, for the tests after this one
        path = course.release_dir / "01_vectorization.ipynb"
        path.write_text(path.read_text().rstrip(" "))


def _gradebook_students(course):
    return {r.student for r in read_gradebook(course)}


def _csv_students(course):
    import csv
    path = course.root / "grades.csv"
    return {row["student"] for row in csv.DictReader(path.open())} if path.exists() else set()


@pytest.fixture
def fresh(tmp_path):
    """A one-notebook course with three reference students, never graded."""
    course = copy_course(tmp_path / "course", notebooks=["01_vectorization"])
    release(course)
    for student in ("ann", "bob", "cat"):
        spec = load_spec(ROOT / "tests" / "tampering" / "t00_control.py")
        spec.student = student
        write_submission(course, spec)
    return course


def test_a_grader_fault_records_nothing_and_a_later_grade_picks_the_student_up(fresh, monkeypatch, capsys):
    """Faults injected on the grader's side: bob's job raises (as a lost Dask worker's future
    does), the disk is full while cat's results are written. Both are "not graded", have no row
    in the gradebook or grades.csv and no feedback, and `grade` exits 1 naming them; ann is graded.
    The next `grade` grades bob and cat only (ann is unchanged) and exits 0."""
    from accel_instructor.cli import main
    real_job, real_collect = grade.run_student_here, grade.collect_student

    def worker_lost(prepared, staged, *args):
        if staged.parent.name == "bob":
            raise RuntimeError("Worker tcp://10.0.0.7:40123 left the cluster while running this job")
        return real_job(prepared, staged, *args)

    def disk_full(answer, prepared, folder, checked):
        if folder.name == "cat":
            raise OSError(28, "No space left on device")
        return real_collect(answer, prepared, folder, checked)

    monkeypatch.setattr(grade, "run_student_here", worker_lost)
    monkeypatch.setattr(grade, "collect_student", disk_full)
    monkeypatch.setenv("ACCEL_CELL_TIMEOUT", "30")
    assert main(["--root", str(fresh.root), "grade"]) == 1
    captured = capsys.readouterr()
    assert "NOT GRADED" in captured.err and "bob, cat" in captured.err, captured.err
    assert "left the cluster" in captured.out and "No space left" in captured.out, captured.out
    assert _gradebook_students(fresh) == {"ann"} and _csv_students(fresh) == {"ann"}
    for student in ("bob", "cat"):
        assert not (fresh.autograded_dir / student).exists() and not (fresh.feedback_dir / student).exists()
    monkeypatch.setattr(grade, "run_student_here", real_job)
    monkeypatch.setattr(grade, "collect_student", real_collect)
    assert main(["--root", str(fresh.root), "grade"]) == 0
    out = capsys.readouterr().out
    assert "graded 2 submission(s)" in out and "skipped 1 unchanged" in out, out
    assert _gradebook_students(fresh) == {"ann", "bob", "cat"} and _csv_students(fresh) == {"ann", "bob", "cat"}
    assert (fresh.feedback_dir / "bob").exists()
    assert {r.score for r in read_gradebook(fresh)} == {r.score for r in read_gradebook(fresh) if r.student == "ann"}
    run = grade_class(fresh, None, log=lambda *_: None)  # nothing changed: nothing runs
    assert run.runs == [] and sorted(run.skipped) == ["ann", "bob", "cat"]
    (fresh.submitted_dir / "cat" / "acceleration" / "01_vectorization.ipynb").write_text("{cut off")
    run = grade_class(fresh, None, log=lambda *_: None)  # cat handed in again: only cat runs
    assert [r.student for r in run.runs] == ["cat"] and sorted(run.skipped) == ["ann", "bob"]
    assert {r.student: r.score for r in read_gradebook(fresh)}["cat"] == 0  # a row, scored 0


def test_an_interrupted_class_resumes_where_it_stopped(fresh, monkeypatch):
    """Ctrl-C after the first student: the next `grade` grades the other two, not the first again."""
    monkeypatch.setenv("ACCEL_CELL_TIMEOUT", "30")

    def interrupt(line):
        if line.startswith("["):  # "[1/3] ann: graded ..."; lines before it name the sandbox and limits
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_class(fresh, None, log=interrupt)
    assert _gradebook_students(fresh) == {"ann"}
    run = grade_class(fresh, None, log=lambda *_: None)
    assert [r.student for r in run.runs] == ["bob", "cat"] and run.skipped == ["ann"], run.problems()
    assert all(r.status == "graded" for r in run.runs), run.problems()
    assert _gradebook_students(fresh) == {"ann", "bob", "cat"}


def test_a_failed_preflight_stops_before_any_student(fresh, monkeypatch):
    """The sandbox's Python cannot import the course's packages (as with a venv made for another
    checkout): the probe notebook fails, `grade` stops with what to fix, and nothing of the class
    is touched."""
    import accel_instructor.sandbox as sandbox
    real = sandbox.bwrap_argv

    def no_site(*args, **kwargs):  # python -S: the editable install's .pth is not read
        argv = real(*args, **kwargs)
        at = argv.index("-m", len(argv) - 4)
        return argv[:at] + ["-S"] + argv[at:]

    monkeypatch.setattr(sandbox, "bwrap_argv", no_site)
    with pytest.raises(CourseError) as err:
        grade_class(fresh, None, log=lambda *_: None)
    message = str(err.value)
    assert "preflight failed" in message and "No module named" in message, message
    assert "accel_instructor from" in message and "make venv" in message, message
    assert _gradebook_students(fresh) == set()
    assert not (fresh.root / ".staged").exists() and not (fresh.root / grade.STATE_FILE).exists()
    assert not list(fresh.root.glob(".preflight-*"))
