"""Grade a class: trusted intake, then nbgrader one student at a time, then the gradebook.

A broken submission never stops the others: each student is autograded in a process of its
own with a time cap and a memory limit; when a whole-submission run does not finish, each
notebook that is still ungraded is retried alone, so one bad notebook costs only its own points.
"""
from __future__ import annotations

import csv
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .course import ASSIGNMENT, SETTINGS, Course, CourseError, NbgraderTimeout
from .intake import STAGED, Finding, load_rules, stage_student

DEFAULT_CAP_SECONDS = SETTINGS.cap_seconds  # one whole submission; each cell also has a timeout
DEFAULT_MEMORY_BYTES = SETTINGS.memory_bytes  # address-space limit of the grading kernel


@dataclass
class StudentRun:
    student: str
    status: str  # "graded", "partly graded", "failed"
    seconds: float
    messages: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return "; ".join(self.messages)


def _last_error(log: str) -> str:
    lines = [line for line in log.splitlines() if "ERROR" in line]
    text = lines[-1] if lines else (log.strip().splitlines() or [""])[-1]
    return re.sub(r"^\[\w+ \| (ERROR|WARNING)\] ", "", text).strip()[:240]


def _autograde(course: Course, student: str, cap: float, memory: int, notebook: str | None = None):
    """One nbgrader run; returns an error message or '' on success."""
    args = ["autograde", ASSIGNMENT, f"--student={student}", "--force",
            f"--CourseDirectory.submitted_directory={STAGED}"]
    if notebook:
        args.append(f"--notebook={notebook}")
    try:
        proc = course.nbgrader(*args, timeout=cap, check=False, memory_bytes=memory)
    except NbgraderTimeout:
        return f"stopped after the {cap:.0f} s cap"
    if proc.returncode != 0:
        return _last_error(proc.stdout) or f"nbgrader exited with {proc.returncode}"
    return ""


def autograde_student(course: Course, student: str, cap_seconds: float = DEFAULT_CAP_SECONDS,
                      memory_bytes: int = DEFAULT_MEMORY_BYTES) -> StudentRun:
    start = time.perf_counter()
    staged = course.root / STAGED / student / ASSIGNMENT
    notebooks = sorted(p.stem for p in staged.glob("*.ipynb"))
    error = _autograde(course, student, cap_seconds, memory_bytes)
    if not error:
        return StudentRun(student, "graded", time.perf_counter() - start)
    messages = [f"whole submission: {error}"]
    done = course.autograded_dir / student / ASSIGNMENT
    unfinished = [nb for nb in notebooks if not (done / f"{nb}.ipynb").exists()]
    failed = []
    for notebook in unfinished:  # retry alone what did not finish, so the rest keeps its points
        error = _autograde(course, student, cap_seconds / 2, memory_bytes, notebook)
        if error:
            failed.append(notebook)
            messages.append(f"{notebook}: {error}; scored 0")
    status = "graded" if not failed else ("failed" if len(failed) == len(notebooks) else "partly graded")
    if not failed:
        messages.append("every notebook graded on a retry")
    return StudentRun(student, status, time.perf_counter() - start, messages)


def reset_demo_state(course: Course, demo_students: list[str]) -> None:
    """Start the demo from a clean gradebook, refusing if it holds anyone but the demo's students."""
    db = course.root / "gradebook.db"
    if db.exists() and course.db_url.startswith("sqlite"):
        with Gradebook(course.db_url, course_id=SETTINGS.course_id) as gb:
            others = sorted({s.id for s in gb.students} - set(demo_students))
        if others:
            raise CourseError(
                f"gradebook.db holds real students ({', '.join(others[:5])}...); the demo starts "
                f"from an empty gradebook, so run it in a fresh clone instead")
        db.unlink()
    for folder in (course.submitted_dir, course.autograded_dir, course.feedback_dir, course.root / STAGED):
        for student in demo_students:
            shutil.rmtree(folder / student, ignore_errors=True)


def submitted_students(course: Course) -> list[str]:
    root = course.submitted_dir
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / ASSIGNMENT).is_dir())


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
    with Gradebook(course.db_url, course_id=SETTINGS.course_id) as gb:
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
        total = totals.setdefault(r.student, [0.0, 0.0, 0.0])
        total[0] += r.score
        total[1] += r.max_score
        total[2] += r.manual_pending
    lines.append("")
    for student, (score, max_score, pending) in totals.items():
        note = f"{pending:g} pt await manual grading" if pending else ""
        lines.append(f"{student:<{width}}  {'TOTAL':<18}  {score:>5g} / {max_score:<5g}  {note}".rstrip())
    return "\n".join(lines)


@dataclass
class ClassRun:
    runs: list[StudentRun]
    findings: list[Finding]

    def problems(self) -> list[str]:
        """One line per thing an instructor should know about."""
        lines = [str(f) for f in self.findings]
        lines += [f"{r.student}: {r.status} - {r.message}" for r in self.runs if r.messages]
        return lines


def grade_class(course: Course, students: list[str] | None = None,
                cap_seconds: float = DEFAULT_CAP_SECONDS, memory_bytes: int = DEFAULT_MEMORY_BYTES,
                log=print) -> ClassRun:
    """Intake, then autograde each student (one failure never stops the others), then feedback."""
    students = students if students is not None else submitted_students(course)
    if not students:
        raise CourseError(f"no submissions in {course.submitted_dir}/<student>/{ASSIGNMENT}/; "
                          f"put them there (or use `collect`) and run again")
    if course.db_url.startswith("sqlite") and not (course.root / "gradebook.db").exists():
        raise CourseError("no gradebook.db yet: run `python -m accel_instructor release` first")
    rules = load_rules(course)
    runs, findings = [], []
    for index, student in enumerate(students, 1):
        found = stage_student(course, student, rules)
        findings += found
        run = autograde_student(course, student, cap_seconds, memory_bytes)
        runs.append(run)
        notes = [f.message for f in found] + run.messages
        detail = f" ({len(notes)} note{'s' * (len(notes) != 1)})" if notes else ""
        log(f"[{index}/{len(students)}] {student}: {run.status} in {run.seconds:.1f} s{detail}")
    course.nbgrader("generate_feedback", ASSIGNMENT, "--force")
    return ClassRun(runs, findings)
