"""PostgreSQL as the gradebook (issue 8): a class released and graded with ``--jobs 2`` in the
sandbox, with ``ACCEL_DB_URL`` pointing at a throwaway Debian PostgreSQL server (the
``postgres_url`` fixture in conftest.py; skipped, saying why, where it cannot start)."""
from __future__ import annotations

import sys

import pytest

from accel_instructor.build import release
from accel_instructor.course import CourseError
from accel_instructor.grade import grade_class, gradebook_file, read_gradebook, reset_demo_state
from accel_instructor.samples import load_spec, write_submission
from conftest import ROOT, copy_course

NOTEBOOK = "01_vectorization"
STUDENTS = {
    "reference": ROOT / "tests" / "tampering" / "t00_control.py",
    "float64": ROOT / "tests" / "known_wrong" / "01_matmul_float64.py",
}


def _rows_in_postgres(url: str) -> dict[str, int]:
    """Row counts of nbgrader's tables, read with the driver itself (not through nbgrader)."""
    import psycopg
    from sqlalchemy.engine import make_url
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("student", "submitted_assignment", "grade")}


@pytest.fixture(scope="module")
def graded(postgres_url, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ACCEL_DB_URL", postgres_url)
        env.setenv("ACCEL_CELL_TIMEOUT", "30")
        course = copy_course(tmp_path_factory.mktemp("postgres") / "course", notebooks=[NOTEBOOK])
        release(course)
        for student, path in STUDENTS.items():
            spec = load_spec(path)
            spec.student = student
            write_submission(course, spec)
        run = grade_class(course, sorted(STUDENTS), cap_seconds=240, jobs=2, log=lambda *_: None)
        rows = {(r.student, r.notebook): r for r in read_gradebook(course)}
        yield course, run, rows, postgres_url


@pytest.mark.nbgrader
def test_the_class_is_graded_into_postgresql_and_nothing_into_sqlite(graded):
    course, run, rows, url = graded
    assert [r.status for r in run.runs] == ["graded"] * len(STUDENTS), run.problems()
    assert not (course.root / "gradebook.db").exists(), "ACCEL_DB_URL was set: no SQLite gradebook expected"
    assert sorted(rows) == [(s, NOTEBOOK) for s in sorted(STUDENTS)]
    counts = _rows_in_postgres(url)
    graded_cells = sum(len(r.cells) for r in rows.values())
    assert counts["student"] == len(STUDENTS) and counts["submitted_assignment"] == len(STUDENTS), counts
    assert counts["grade"] == graded_cells > 0, counts
    assert (course.feedback_dir / "float64" / "acceleration" / f"{NOTEBOOK}.html").is_file()


@pytest.mark.nbgrader
def test_reference_full_marks_and_the_known_wrong_answer_loses_exactly_its_points(graded):
    _, _, rows, _ = graded
    reference = rows[("reference", NOTEBOOK)]
    lost = [c.grade_id for c in reference.cells if not c.needs_manual_grade and c.score != c.max_score]
    assert lost == [], f"the reference lost points in PostgreSQL on {lost}"
    assert reference.score == reference.max_score - reference.manual_pending
    expected = sorted(load_spec(STUDENTS["float64"]).loses[NOTEBOOK])
    wrong = rows[("float64", NOTEBOOK)]
    lost = sorted(c.grade_id for c in wrong.cells if c.grade_id.startswith("test_") and c.score != c.max_score)
    assert lost == expected, f"float64 should lose exactly {expected}, lost {lost}"
    points = {c.grade_id: c.max_score for c in wrong.cells}
    assert wrong.score == reference.score - sum(points[g] for g in expected)


@pytest.mark.nbgrader
def test_the_demo_reset_removes_only_its_students_from_postgresql(graded, monkeypatch):
    course, _, _, url = graded
    monkeypatch.setenv("ACCEL_DB_URL", url)
    with pytest.raises(CourseError, match="holds real students.*reference"):
        reset_demo_state(course, ["float64"])  # "reference" is not a demo student here: refused
    assert _rows_in_postgres(url)["student"] == len(STUDENTS)
    reset_demo_state(course, sorted(STUDENTS))
    assert _rows_in_postgres(url) == {"student": 0, "submitted_assignment": 0, "grade": 0}


def test_an_unreachable_gradebook_server_is_named_without_its_password(tmp_path, monkeypatch):
    """Fast (no server, no nbgrader): port 9 on 127.0.0.1 refuses the connection at once."""
    monkeypatch.setenv("ACCEL_DB_URL", "postgresql://grader:s3cret@127.0.0.1:9/acceleration")
    course = copy_course(tmp_path / "course", notebooks=[NOTEBOOK])
    assert gradebook_file(course.db_url) is None
    with pytest.raises(CourseError, match=r"cannot open the gradebook postgresql://grader:\*\*\*@127.0.0.1:9/acceleration"
                                          r".*check ACCEL_DB_URL") as caught:
        grade_class(course, ["someone"], log=lambda *_: None)
    assert "s3cret" not in str(caught.value)


def test_the_sqlite_gradebook_is_the_file_the_url_names(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCEL_DB_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    course = copy_course(tmp_path / "course", notebooks=[NOTEBOOK])
    assert gradebook_file(course.db_url) == tmp_path / "elsewhere.db"
    with pytest.raises(CourseError, match=f"no gradebook at {tmp_path / 'elsewhere.db'} yet: run .*release"):
        grade_class(course, ["someone"], log=lambda *_: None)


def test_a_missing_postgresql_driver_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as in a Python without the instructor extra
    monkeypatch.setenv("ACCEL_DB_URL", "postgresql://grader:s3cret@127.0.0.1:9/acceleration")
    course = copy_course(tmp_path / "course", notebooks=[NOTEBOOK])
    with pytest.raises(CourseError, match=r"needs a database driver.*pip install 'psycopg\[binary\]'") as caught:
        grade_class(course, ["someone"], log=lambda *_: None)
    assert "s3cret" not in str(caught.value)
