"""Autograde submissions one student at a time, then read the gradebook back."""
from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .course import ASSIGNMENT, Course, CourseError, NbgraderTimeout

DEFAULT_CAP_SECONDS = 600  # one whole submission; each cell also has c.Execute.timeout


@dataclass
class StudentRun:
    student: str
    status: str  # "graded", "timed out", "failed"
    seconds: float
    message: str = ""


def _last_error(log: str) -> str:
    errors = [line for line in log.splitlines() if "ERROR" in line or "Error" in line]
    text = errors[-1] if errors else (log.strip().splitlines() or [""])[-1]
    return re.sub(r"^\[\w+ \| (ERROR|WARNING)\] ", "", text).strip()[:300]


def autograde_student(course: Course, student: str, cap_seconds: float = DEFAULT_CAP_SECONDS) -> StudentRun:
    """Run ``nbgrader autograde`` for one student, in its own process, with a hard time cap."""
    start = time.perf_counter()
    try:
        proc = course.nbgrader("autograde", ASSIGNMENT, f"--student={student}", "--force",
                               timeout=cap_seconds, check=False)
    except NbgraderTimeout:
        return StudentRun(student, "timed out", time.perf_counter() - start,
                          f"stopped after {cap_seconds:.0f} s; cells that finished keep their points")
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return StudentRun(student, "failed", seconds, _last_error(proc.stdout))
    return StudentRun(student, "graded", seconds)


def submitted_students(course: Course) -> list[str]:
    root = course.submitted_dir
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / ASSIGNMENT).is_dir())


def generate_feedback(course: Course) -> None:
    course.nbgrader("generate_feedback", ASSIGNMENT, "--force")


@dataclass
class CellGrade:
    grade_id: str
    score: float | None
    max_score: float
    needs_manual_grade: bool


@dataclass
class NotebookGrade:
    student: str
    notebook: str
    score: float
    max_score: float
    manual_pending: float  # points that wait for an instructor
    cells: list[CellGrade] = field(default_factory=list)

    def cell(self, grade_id: str) -> CellGrade:
        for cell in self.cells:
            if cell.grade_id == grade_id:
                return cell
        raise KeyError(f"{self.notebook} has no graded cell {grade_id!r}")


def read_gradebook(course: Course) -> list[NotebookGrade]:
    """Every submitted notebook's scores, per graded cell, from nbgrader's gradebook."""
    rows = []
    with Gradebook(course.db_url, course_id="acceleration") as gb:
        for student in sorted(gb.students, key=lambda s: s.id):
            try:
                submission = gb.find_submission(ASSIGNMENT, student.id)
            except MissingEntry:
                continue
            for nb in sorted(submission.notebooks, key=lambda n: n.name):
                cells = [CellGrade(g.name, g.score, g.max_score, bool(g.needs_manual_grade))
                         for g in sorted(nb.grades, key=lambda g: g.name)]
                pending = sum(c.max_score for c in cells if c.needs_manual_grade)
                rows.append(NotebookGrade(student.id, nb.name, nb.score, nb.max_score, pending, cells))
    return rows


def write_grades_csv(rows: list[NotebookGrade], path: Path) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "score", "max_score", "awaiting_manual_points"])
        for row in rows:
            writer.writerow([row.student, row.notebook, f"{row.score:g}", f"{row.max_score:g}",
                             f"{row.manual_pending:g}"])
    return path


def format_gradebook(rows: list[NotebookGrade]) -> str:
    if not rows:
        return "(no graded submissions)"
    width = max(len("student"), *(len(r.student) for r in rows))
    lines = [f"{'student':<{width}}  {'notebook':<18}  {'score':>13}  note",
             f"{'-' * width}  {'-' * 18}  {'-' * 13}  ----"]
    totals: dict[str, list[float]] = {}
    for r in rows:
        note = f"{r.manual_pending:g} pt await manual grading" if r.manual_pending else ""
        lines.append(f"{r.student:<{width}}  {r.notebook:<18}  {r.score:>5g} / {r.max_score:<5g}  {note}")
        total = totals.setdefault(r.student, [0.0, 0.0])
        total[0] += r.score
        total[1] += r.max_score
    lines.append("")
    for student, (score, max_score) in totals.items():
        lines.append(f"{student:<{width}}  {'TOTAL':<18}  {score:>5g} / {max_score:<5g}")
    return "\n".join(lines)


def grade_class(course: Course, students: list[str] | None = None,
                cap_seconds: float = DEFAULT_CAP_SECONDS, log=print) -> list[StudentRun]:
    """Autograde each student (one failure never stops the others), then write feedback."""
    students = students if students is not None else submitted_students(course)
    if not students:
        raise CourseError(f"no submissions in {course.submitted_dir}/<student>/{ASSIGNMENT}/")
    if not (course.root / "gradebook.db").exists() and course.db_url.startswith("sqlite"):
        raise CourseError("no gradebook.db yet: run `python -m accel release` first")
    runs = []
    for index, student in enumerate(students, 1):
        run = autograde_student(course, student, cap_seconds)
        runs.append(run)
        detail = f" - {run.message}" if run.message else ""
        log(f"[{index}/{len(students)}] {student}: {run.status} in {run.seconds:.1f} s{detail}")
    generate_feedback(course)
    return runs
