"""Two catalogues graded for real, on notebooks 01 and 02 only (to keep the suite quick).

* tests/tampering/: a learner's cells try to forge a verdict. Each pairs a tampering attempt with
  a wrong or slow kernel, and must lose exactly what that kernel deserves.
* tests/broken/: submissions that are broken in the ways real classes break them. The broken
  part scores zero with a one-line note, the rest of the submission is graded, and so is everyone
  else. Grading never changes submitted/, and grading again gives the same grades.
"""
from __future__ import annotations

import hashlib
import os

import pytest

from accel_instructor.build import release
from accel_instructor.grade import grade_class, read_gradebook
from accel_instructor.samples import load_spec, write_submission
from conftest import ROOT, copy_course

pytestmark = pytest.mark.nbgrader
NOTEBOOKS = ["01_vectorization", "02_kernel_fusion"]
TAMPERING = sorted(p.stem for p in (ROOT / "tests" / "tampering").glob("*.py"))
BROKEN = sorted(p.stem for p in (ROOT / "tests" / "broken").glob("*.py"))


def _tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("catalogue") / "course", notebooks=NOTEBOOKS)
    release(course)
    specs = {}
    for kind, names in (("tampering", TAMPERING), ("broken", BROKEN)):
        for name in names:
            spec = load_spec(ROOT / "tests" / kind / f"{name}.py")
            spec.student = name
            specs[name] = spec
            write_submission(course, spec)
    # the same class also hands in a stray file, which must be ignored
    (course.submitted_dir / "b08_duplicated_cell" / "acceleration" / "homework3.ipynb").write_text("{}")
    before = _tree_digest(course.submitted_dir)
    old = os.environ.get("ACCEL_CELL_TIMEOUT")
    os.environ["ACCEL_CELL_TIMEOUT"] = "15"
    try:
        run = grade_class(course, sorted(specs), cap_seconds=240, log=lambda *_: None)
    finally:
        os.environ.pop("ACCEL_CELL_TIMEOUT") if old is None else os.environ.__setitem__("ACCEL_CELL_TIMEOUT", old)
    rows = {(r.student, r.notebook): r for r in read_gradebook(course)}
    return course, specs, run, rows, before


def _lost(row):
    # autograded cells are the test_* ones (a deleted one is left "needing manual grade" at 0)
    return sorted(c.grade_id for c in row.cells if c.grade_id.startswith("test_") and c.score != c.max_score)


def _check_loses(rows, spec):
    for notebook in NOTEBOOKS:
        row = rows[(spec.student, notebook)]
        expected = spec.loses.get(notebook, [])
        if expected == ["*"]:
            assert row.score == 0, f"{spec.student}/{notebook}: expected 0, got {row.score}"
        else:
            assert _lost(row) == sorted(expected), (
                f"{spec.student}/{notebook}: expected to lose {sorted(expected)}, lost {_lost(row)}")


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_gains_no_point(catalogue, name):
    _, specs, run, rows, _ = catalogue
    _check_loses(rows, specs[name])


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_is_reported_in_one_line(catalogue, name):
    _, specs, run, _, _ = catalogue
    notes = [str(f) for f in run.findings if f.student == name]
    rewritten_test = name == "t12_test_cell_rewritten"  # nbgrader restores locked cells itself
    blocked = name.startswith(("t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09"))
    if blocked:
        assert any("not run" in note for note in notes), notes
    elif not rewritten_test:
        assert notes == [], notes  # honest-looking code: caught by the tests, not by the policy


@pytest.mark.parametrize("name", BROKEN)
def test_broken_part_scores_zero_and_the_rest_is_graded(catalogue, name):
    _, specs, _, rows, _ = catalogue
    _check_loses(rows, specs[name])


@pytest.mark.parametrize("name", BROKEN)
def test_broken_submission_gets_a_one_line_explanation(catalogue, name):
    _, specs, run, _, _ = catalogue
    expected = __import__("runpy").run_path(str(ROOT / "tests" / "broken" / f"{name}.py")).get("EXPECT_NOTE")
    if expected:
        lines = [line for line in run.problems() if line.startswith(name)]
        assert any(expected in line for line in lines), lines
        assert all("\n" not in line for line in lines)


def test_stray_files_are_ignored_with_a_note(catalogue):
    _, _, run, _, _ = catalogue
    assert any("homework3" in line and "ignored" in line for line in run.problems())


def test_grading_never_changes_submitted(catalogue):
    course, _, _, _, before = catalogue
    assert _tree_digest(course.submitted_dir) == before


def test_regrading_gives_the_same_grades(catalogue):
    course, specs, _, rows, _ = catalogue
    again = ["b05_not_json", "b07_deleted_test_cell", "b08_duplicated_cell", "t01_numpy_patched"]
    grade_class(course, again, cap_seconds=240, log=lambda *_: None)
    regraded = {(r.student, r.notebook): r for r in read_gradebook(course)}
    for student in again:
        for notebook in NOTEBOOKS:
            first, second = rows[(student, notebook)], regraded[(student, notebook)]
            assert (first.score, _lost(first)) == (second.score, _lost(second)), (student, notebook)
