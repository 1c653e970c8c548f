"""Two catalogues graded for real, on notebooks 01 and 02 only (to keep the suite quick).

* tests/tampering/: a learner's cells try to forge a verdict. Each pairs a tampering attempt with
  a wrong or slow kernel, and must lose exactly what that kernel deserves. The class is graded
  in the bubblewrap sandbox (accel_instructor.sandbox): no attack may change another student's grades
  (t00_control keeps full marks), the package, the config or the course notebooks, and the
  class report is still written.
* tests/broken/: submissions that are broken in the ways real classes break them. The broken
  part scores zero with a one-line note, the rest of the submission is graded, and so is everyone
  else. Grading never changes submitted/, and grading again gives the same grades.
"""
from __future__ import annotations

import hashlib
import json
import runpy

import pytest

from accel_instructor.build import release
from accel_instructor.grade import grade_class, read_gradebook, tripwire_paths
from accel_instructor.report import save_run, write_report
from accel_instructor.samples import catalogue_grading, load_spec, write_submission
from accel_instructor.sandbox import tree_digest
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
            for notebook in NOTEBOOKS:  # a one-notebook attack: the other notebook is not handed in
                if notebook not in spec.loses:  # (as pack() does: nothing to prove there, ~12 s each)
                    spec.damage[notebook] = "missing"
            specs[name] = spec
            write_submission(course, spec)
    # the same class also hands in a stray file, which must be ignored
    (course.submitted_dir / "b08_duplicated_cell" / "acceleration" / "homework3.ipynb").write_text("{}")
    before = _tree_digest(course.submitted_dir)
    shared = tree_digest(tripwire_paths(course))
    with catalogue_grading():
        run = grade_class(course, sorted(specs), cap_seconds=240, jobs=2, log=lambda *_: None)
    save_run(course, run)
    report = write_report(course)
    rows = {(r.student, r.notebook): r for r in read_gradebook(course)}
    return course, specs, run, rows, before, shared, report


def _lost(row):
    # autograded cells are the test_* ones
    return sorted(c.grade_id for c in row.cells if c.grade_id.startswith("test_") and c.score != c.max_score)


def _check_loses(rows, spec):
    for notebook in spec.loses:
        row = rows[(spec.student, notebook)]
        expected = spec.loses.get(notebook, [])
        if expected == ["*"]:
            assert row.score == 0, f"{spec.student}/{notebook}: expected 0, got {row.score}"
        else:
            assert _lost(row) == sorted(expected), (
                f"{spec.student}/{notebook}: expected to lose {sorted(expected)}, lost {_lost(row)}")


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_gains_no_point(catalogue, name):
    _, specs, run, rows, *_ = catalogue
    _check_loses(rows, specs[name])


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_is_reported_in_one_line(catalogue, name):
    _, specs, run, *_ = catalogue
    spec = specs[name]
    extra = runpy.run_path(str(ROOT / "tests" / "tampering" / f"{name}.py"))
    # a notebook the spec leaves out on purpose is noted as missing; that note is not the attack's
    notes = [str(f) for f in run.findings if f.student == name and f.notebook not in spec.damage]
    rewritten_test = name == "t12_test_cell_rewritten"  # nbgrader restores locked cells itself
    blocked = extra.get("BLOCKED") or name.startswith(("t01", "t02", "t03", "t04", "t05", "t06", "t07",
                                                       "t08", "t09"))
    if extra.get("EXPECT_NOTE"):
        notes = [str(f) for f in run.findings if f.student == name]
        assert any(extra["EXPECT_NOTE"] in note for note in notes), notes
    elif blocked:
        assert any("not run" in note for note in notes), notes
        attack_cells = sum(len(cells) for cells in spec.extra_cells.values())
        assert sum("not run" in note for note in notes) >= attack_cells, notes  # every one of them
    elif not rewritten_test:
        assert notes == [], notes  # honest-looking code: caught by the tests, not by the policy


def test_no_attack_changes_another_student(catalogue):
    """The control student, graded in the same class after and between the attacks, keeps full marks."""
    _, _, run, rows, *_ = catalogue
    for notebook in NOTEBOOKS:
        row = rows[("t00_control", notebook)]
        assert _lost(row) == [] and row.score + row.manual_pending == row.max_score, (notebook, row)
    assert next(r for r in run.runs if r.student == "t00_control").messages == []


def test_no_attack_changes_shared_files(catalogue):
    """The package, the config and the course notebooks are byte-for-byte what they were."""
    course, _, _, _, _, shared, _ = catalogue
    assert tree_digest(tripwire_paths(course)) == shared


def test_the_class_report_is_still_written(catalogue):
    course, specs, _, _, _, _, report = catalogue
    html = report["html"].read_text()
    assert report["grades"].is_file() and report["figure"].is_file()
    graded = {line.split(",")[0] for line in report["grades"].read_text().splitlines()[1:]}
    assert set(specs) <= graded, sorted(set(specs) - graded)
    assert "t14_numpy_writes_shared_files" in html


def test_output_flood_is_capped(catalogue):
    """50 MB printed by one cell leave at most a little over a megabyte in the graded notebook."""
    course, *_ = catalogue
    graded = course.autograded_dir / "t21_output_flood" / "acceleration" / "01_vectorization.ipynb"
    assert graded.stat().st_size < 3 << 20, graded.stat().st_size
    outputs = json.dumps(json.loads(graded.read_text())["cells"])
    assert "output beyond" in outputs or "truncated" in outputs


def test_hidden_tests_stay_out_of_attackers_feedback(catalogue):
    course, *_ = catalogue
    for student in ("t15_reads_hidden_tests", "t17_ipython_shell_syntax"):
        html = (course.feedback_dir / student / "acceleration" / "01_vectorization.html").read_text()
        assert "trusted_naive_matmul" not in html and "BEGIN HIDDEN TESTS" not in html


@pytest.mark.parametrize("name", BROKEN)
def test_broken_part_scores_zero_and_the_rest_is_graded(catalogue, name):
    _, specs, _, rows, *_ = catalogue
    _check_loses(rows, specs[name])
    for notebook in NOTEBOOKS:  # every notebook has its row; no test is left to manual grading
        row = rows[(name, notebook)]
        assert not [c.grade_id for c in row.cells if c.grade_id.startswith("test_") and c.needs_manual_grade]


@pytest.mark.parametrize("name", BROKEN)
def test_broken_submission_gets_a_one_line_explanation(catalogue, name):
    _, specs, run, *_ = catalogue
    expected = __import__("runpy").run_path(str(ROOT / "tests" / "broken" / f"{name}.py")).get("EXPECT_NOTE")
    if expected:
        lines = [line for line in run.problems() if line.startswith(name)]
        assert any(expected in line for line in lines), lines
        assert all("\n" not in line for line in lines)


def test_stray_files_are_ignored_with_a_note(catalogue):
    _, _, run, *_ = catalogue
    assert any("homework3" in line and "ignored" in line for line in run.problems())


def test_grading_never_changes_submitted(catalogue):
    course, _, _, _, before, *_ = catalogue
    assert _tree_digest(course.submitted_dir) == before


def test_regrading_gives_the_same_grades(catalogue):
    course, specs, _, rows, *_ = catalogue
    again = ["b05_not_json", "b07_deleted_test_cell", "b08_duplicated_cell", "t01_numpy_patched"]
    grade_class(course, again, cap_seconds=240, jobs=2, log=lambda *_: None)
    regraded = {(r.student, r.notebook): r for r in read_gradebook(course)}
    for student in again:
        for notebook in NOTEBOOKS:
            first, second = rows[(student, notebook)], regraded[(student, notebook)]
            assert (first.score, _lost(first)) == (second.score, _lost(second)), (student, notebook)
