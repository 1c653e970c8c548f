"""The autograder itself, proven on real nbgrader runs.

One disposable copy of the course is released and graded once for the module: the reference
solution, the untouched release, the demo's partly wrong student, and every known-wrong answer in
tests/known_wrong/ (packed a few per student; notebooks are graded independently).
"""
from __future__ import annotations

import pytest

from accel_instructor.build import release
from accel_instructor.grade import grade_class, read_gradebook
from accel_instructor.samples import known_wrong, load_spec, pack, write_submission
from conftest import ROOT, copy_course

pytestmark = pytest.mark.nbgrader
KNOWN_WRONG = sorted(p.stem for p in (ROOT / "tests" / "known_wrong").glob("*.py"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("graded") / "course")
    release(course)
    demo = {name: load_spec(course.root / "samples" / f"{name}.py")
            for name in ("reference", "untouched", "partly_wrong")}
    packed = pack(known_wrong(course))
    students = list(demo.values()) + [sub for sub, _ in packed]
    for sub in students:
        write_submission(course, sub)
    # --jobs 2, as an instructor would grade a class on this machine: each sandbox is held to its
    # own core (cpuset cgroup), and every speed verdict is a median of per-round ratios against a
    # baseline timed on that core. (One correct fused_gelu lost its 2x test once at --jobs 2 on a
    # machine that seven other sessions were loading, 2026-12-07.) --jobs 1 took twice as long.
    runs = grade_class(course, [s.student for s in students], jobs=2, log=lambda *_: None)
    rows = {(r.student, r.notebook): r for r in read_gradebook(course)}
    carrier = {name: sub for sub, names in packed for name in names}
    return course, demo, carrier, runs, rows


def test_every_submission_was_graded(graded):
    _, _, _, runs, _ = graded
    assert [r.status for r in runs.runs] == ["graded"] * len(runs.runs), runs.problems()
    unexpected = [f for f in runs.findings
                  if not (f.student.startswith("known_wrong_") and f.message.startswith("notebook missing"))]
    assert unexpected == [], [str(f) for f in unexpected]  # packed students skip some notebooks


def test_reference_scores_full_marks_on_every_autograded_cell(graded, course):
    _, _, _, _, rows = graded
    for notebook in course.notebook_names():
        row = rows[("reference", notebook)]
        for cell in row.cells:
            if not cell.needs_manual_grade:
                assert cell.score == cell.max_score, f"reference lost points on {notebook}:{cell.grade_id}"
        assert row.score == row.max_score - row.manual_pending


def test_untouched_release_scores_zero_everywhere(graded, course):
    _, _, _, _, rows = graded
    for notebook in course.notebook_names():
        row = rows[("untouched", notebook)]
        earned = {c.grade_id: c.score for c in row.cells if c.score}
        assert earned == {}, f"the untouched {notebook} earned points: {earned}"


def _assert_loses_exactly(row, loses):
    lost = sorted(c.grade_id for c in row.cells if c.grade_id.startswith("test_") and c.score != c.max_score)
    assert lost == sorted(loses), f"{row.student}/{row.notebook}: expected to lose {sorted(loses)}, lost {lost}"


def test_partly_wrong_demo_student_loses_exactly_its_mistakes(graded):
    _, demo, _, _, rows = graded
    for notebook, loses in demo["partly_wrong"].loses.items():
        _assert_loses_exactly(rows[("partly_wrong", notebook)], loses)


@pytest.mark.parametrize("name", KNOWN_WRONG)
def test_known_wrong_answer_loses_exactly_its_points(graded, name):
    _, _, carrier, _, rows = graded
    sub = carrier[name]
    spec = load_spec(ROOT / "tests" / "known_wrong" / f"{name}.py")
    (notebook,) = spec.answers
    _assert_loses_exactly(rows[(sub.student, notebook)], spec.loses[notebook])


def test_nbgrader_validate_invert_passes_on_the_release(graded):
    course = graded[0]
    for path in sorted(course.release_dir.glob("*.ipynb")):
        proc = course.nbgrader("validate", "--invert", str(path), check=False, timeout=300)
        assert proc.returncode == 0 and "Success" in proc.stdout, proc.stdout[-800:]
