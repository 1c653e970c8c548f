"""Grade a class: trusted intake, each student's notebooks run in a sandbox, then the gradebook.

Per student: intake stages a sanitized copy (:mod:`accel_instructor.intake`); the trusted side prepares
each notebook as ``nbgrader autograde`` would (hidden tests restored from the gradebook) and
runs the student's notebooks in one bubblewrap sandbox (:mod:`accel_instructor.sandbox`; a fresh
kernel and a cap of its own per notebook), up to ``jobs`` sandboxes at once, each pinned to its
own cores. The sandbox hands back outputs as JSON; then, one student at a time, nbgrader's
autograde runs in this process (its API) with :class:`accel_instructor.nbgrader_ext.ReplayExecution`
in place of its Execute step, so nbgrader itself scores the outputs and this process alone
writes the gradebook, ``autograded/`` and feedback. A tripwire hashes the package, the config and the
course notebooks around every student.

A broken submission never stops the others: unsandboxed, the nbgrader step is a process with
a time cap and a memory limit; when a whole-submission run does not finish (either way), each
notebook that is still ungraded is retried alone, so one bad notebook costs only its own points. ``sandbox=False`` (the CLI's
``--no-sandbox``) runs nbgrader's own Execute instead, unconfined, as before.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from . import settings
from .course import ASSIGNMENT, SETTINGS, Course, CourseError, NbgraderTimeout
from .intake import STAGED, Finding, load_rules, stage_student

DEFAULT_CAP_SECONDS = SETTINGS.cap_seconds  # one whole submission; each cell also has a timeout
DEFAULT_MEMORY_BYTES = SETTINGS.memory_bytes  # address-space limit of the grading kernel
RESULTS_DIR = ".sandbox-results"  # the sandboxes' checked outputs, read by the nbgrader step


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


def _autograde(course: Course, student: str, cap: float, memory: int, notebook: str | None = None,
               replay: Path | None = None):
    """One nbgrader run; returns an error message or '' on success. With ``replay`` (a folder of
    sandbox results), nbgrader executes nothing: it takes the outputs from there, in this
    process (:func:`_replay_autograde`)."""
    if replay is not None:
        return _replay_autograde(course, student, replay, notebook)
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


def _replay_autograde(course: Course, student: str, replay: Path, notebook: str | None = None) -> str:
    """``nbgrader autograde`` of one student (or one notebook) through nbgrader's own API, in this
    process, with the course's nbgrader_config.py loaded as the command would load it with
    ACCEL_SANDBOX_RESULTS set (ReplayExecution in place of Execute). No learner code runs here,
    so this needs no process of its own; it saves nbgrader's start (about 3 s) per student.
    Returns an error message or '' on success."""
    import logging
    import warnings

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    old = os.environ.get("ACCEL_SANDBOX_RESULTS")
    os.environ["ACCEL_SANDBOX_RESULTS"] = str(replay)
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    finally:
        if old is None:
            os.environ.pop("ACCEL_SANDBOX_RESULTS")
        else:
            os.environ["ACCEL_SANDBOX_RESULTS"] = old
    config.ReplayExecution.results_dir = str(replay)
    config.CourseDirectory.submitted_directory = STAGED
    if notebook:
        config.CourseDirectory.notebook_id = notebook
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    log = api.log  # traitlets' shared logger: quiet while nbgrader runs (the result carries its log)
    handlers, propagate = log.handlers[:], log.propagate
    log.handlers, log.propagate = [logging.NullHandler()], False
    try:
        with warnings.catch_warnings():  # nbgrader's SAWarning for a new student (nbgrader-notes.md)
            warnings.simplefilter("ignore")
            result = api.autograde(ASSIGNMENT, student, force=True, create=True)
    finally:
        log.handlers, log.propagate = handlers, propagate
    if result.get("success"):
        return ""
    log = result.get("log", "")
    error = _last_error(log) if "ERROR" in log else ""
    return error or _last_error(result.get("error", "")) or "nbgrader's autograde failed"


def autograde_student(course: Course, student: str, cap_seconds: float = DEFAULT_CAP_SECONDS,
                      memory_bytes: int = DEFAULT_MEMORY_BYTES, replay: Path | None = None,
                      messages: list[str] | None = None) -> StudentRun:
    start = time.perf_counter()
    staged = course.root / STAGED / student / ASSIGNMENT
    notebooks = sorted(p.stem for p in staged.glob("*.ipynb"))
    messages = list(messages or [])
    error = _autograde(course, student, cap_seconds, memory_bytes, replay=replay)
    if not error:
        return StudentRun(student, "graded", time.perf_counter() - start, messages)
    messages.append(f"whole submission: {error}")
    done = course.autograded_dir / student / ASSIGNMENT
    unfinished = [nb for nb in notebooks if not (done / f"{nb}.ipynb").exists()]
    failed = []
    for notebook in unfinished:  # retry alone what did not finish, so the rest keeps its points
        error = _autograde(course, student, cap_seconds / 2, memory_bytes, notebook, replay=replay)
        if error:
            failed.append(notebook)
            messages.append(f"{notebook}: {error}; scored 0")
    status = "graded" if not failed else ("failed" if len(failed) == len(notebooks) else "partly graded")
    if not failed:
        messages.append("every notebook graded on a retry")
    return StudentRun(student, status, time.perf_counter() - start, messages)


def gradebook_file(url: str) -> Path | None:
    """The file of a SQLite gradebook URL; None for a database server (PostgreSQL)."""
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def shown_url(url: str) -> str:
    """A gradebook URL fit for a message: the password hidden."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def open_gradebook(course: Course):
    """nbgrader's Gradebook at the course's URL; a database that cannot be reached is a
    :class:`CourseError` that names it (password hidden) and ``ACCEL_DB_URL``."""
    from sqlalchemy.exc import OperationalError
    try:
        gb = Gradebook(course.db_url, course_id=SETTINGS.course_id)
    except OperationalError as err:
        first = str(err.orig or err).strip().splitlines()[0][:200]
        raise CourseError(f"cannot open the gradebook {shown_url(course.db_url)} ({first}); check "
                          f"ACCEL_DB_URL (unset, it is gradebook.db in the course folder)") from None
    except ImportError as err:  # the URL's database driver (psycopg for postgresql://) is missing
        raise CourseError(f"the gradebook {shown_url(course.db_url)} needs a database driver this Python "
                          f"lacks ({err}); for PostgreSQL pip install 'psycopg[binary]' (make venv "
                          f"installs it), or unset ACCEL_DB_URL for gradebook.db") from None
    with gb:
        yield gb


def reset_demo_state(course: Course, demo_students: list[str]) -> None:
    """Start the demo from a clean gradebook, refusing if it holds anyone but the demo's students.

    SQLite: ``gradebook.db`` is deleted. A database server (``ACCEL_DB_URL``): the demo's students
    and their submissions are removed from it, nothing else."""
    db_file = gradebook_file(course.db_url)
    if db_file is None or db_file.exists():
        with open_gradebook(course) as gb:
            others = sorted({s.id for s in gb.students} - set(demo_students))
            if others:
                raise CourseError(
                    f"the gradebook {shown_url(course.db_url)} holds real students "
                    f"({', '.join(others[:5])}...); the demo starts from an empty gradebook, so run "
                    f"it in a fresh clone (with ACCEL_DB_URL unset, or set to an empty database)")
            if db_file is None:
                for student in demo_students:
                    if any(s.id == student for s in gb.students):
                        gb.remove_student(student)
        if db_file is not None:
            db_file.unlink()
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
    with open_gradebook(course) as gb:
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
    sandboxed: bool = True

    def problems(self) -> list[str]:
        """One line per thing an instructor should know about."""
        lines = [] if self.sandboxed else [
            "NOT SANDBOXED (--no-sandbox): learner code ran as the grading user with the course "
            "folder writable; check the tripwire lines and regrade with the sandbox when you can"]
        lines += [str(f) for f in self.findings]
        lines += [f"{r.student}: {r.status} - {r.message}" for r in self.runs if r.messages]
        return lines


def prepare_notebook(course: Course, student: str, notebook: str):
    """The staged notebook exactly as ``nbgrader autograde`` prepares it before executing it:
    nbgrader's own sanitizing preprocessors (outputs cleared, duplicate ids dropped, kernelspec,
    locked and hidden test cells restored from the gradebook, metadata checked)."""
    import nbformat
    from nbgrader.converters import Autograde

    nb = nbformat.read(course.root / STAGED / student / ASSIGNMENT / f"{notebook}.ipynb", as_version=4)
    resources = {"nbgrader": {"student": student, "assignment": ASSIGNMENT, "notebook": notebook,
                              "db_url": course.db_url}}
    for kind in Autograde.sanitize_preprocessors.default():
        nb, resources = kind().preprocess(nb, resources)
    return nb


def core_slots(jobs: int, cores: list[int] | None = None) -> list[list[int]]:
    """Cores for each of ``jobs`` sandboxes: disjoint when there are enough, shared otherwise."""
    cores = sorted(cores if cores is not None else os.sched_getaffinity(0))
    per = max(1, len(cores) // max(1, jobs))
    return [[cores[(slot * per + k) % len(cores)] for k in range(per)] for slot in range(jobs)]


def tripwire_paths(course: Course) -> list[Path]:
    """What no student may change: both packages, the config, the course's notebooks."""
    import accel
    import accel_instructor
    return [Path(accel.__file__).resolve().parent, Path(accel_instructor.__file__).resolve().parent,
            course.root / "nbgrader_config.py",
            course.source_dir, course.release_dir]


def _sandbox_student(course: Course, student: str, prepared: dict, slot: int, cores: list[int],
                     cap_seconds: float, limits, results: Path) -> list[str]:
    """Run the prepared notebooks of one student in one sandbox (a fresh kernel and a cap of
    its own for each); write the checked results where the scoring step will take them.
    Returns notes for the report."""
    from .sandbox import execute_student_in_sandbox
    cell_timeout = settings.load().cell_timeout_seconds
    staged = course.root / STAGED / student / ASSIGNMENT
    folder = results / student
    folder.mkdir(parents=True, exist_ok=True)
    notes = []
    runs = execute_student_in_sandbox(prepared, staged, slot=slot, cores=cores, limits=limits,
                                      cell_timeout=cell_timeout, wall_seconds=cap_seconds / 2) if prepared else {}
    for notebook, run in runs.items():
        (folder / f"{notebook}.json").write_text(json.dumps({"status": run.status, "cells": run.cells}))
        if run.status != "ok":
            notes.append(f"{notebook}: {run.status}; scored 0")
    return notes


def _require_distributed() -> None:
    """``--scheduler`` needs Dask's ``distributed``: in the ``instructor`` extra, not in the
    student bundle's dependencies."""
    try:
        import distributed  # noqa: F401
    except ImportError as err:
        raise CourseError(
            f"--scheduler needs the Dask package `distributed`, which is not installed in this "
            f"Python ({type(err).__name__}: {err}); install the instructor extra: "
            f"pip install -e '.[instructor]' (make venv does), or grade here without --scheduler"
        ) from None


class _RemoteStudents:
    """The sandbox jobs on a Dask cluster (``--scheduler tcp://HOST:PORT``): each student's
    prepared notebooks go to a worker as JSON text, the results come back as JSON text and are
    checked again here; this process stays the only writer of the gradebook."""

    def __init__(self, address: str, limits, cap_seconds: float):
        try:
            from distributed import Client
            self.client = Client(address, timeout=20)
        except (OSError, TimeoutError) as err:
            raise CourseError(f"cannot reach the Dask scheduler at {address} ({type(err).__name__}: "
                              f"{str(err)[:120]}): start one (`dask scheduler`, workers with "
                              f"`dask worker {address} --nthreads 1`, bubblewrap on every worker) or "
                              f"grade here without --scheduler") from None
        self.limits, self.cap_seconds = limits, cap_seconds

    def submit(self, course: Course, student: str, prepared: dict):
        import dataclasses

        import nbformat

        from .sandbox import remote_student
        staged = course.root / STAGED / student / ASSIGNMENT
        request = json.dumps({
            "notebooks": {name: nbformat.writes(nb) for name, nb in prepared.items()},
            "staged": {p.name: p.read_text() for p in staged.glob("*.ipynb")},
            "limits": dataclasses.asdict(self.limits),
            "cell_timeout": settings.load().cell_timeout_seconds,
            "wall_seconds": self.cap_seconds / 2})
        return self.client.submit(remote_student, request, pure=False, key=f"accel-{student}-{time.time_ns()}")

    def collect(self, future, prepared: dict, results: Path, student: str) -> list[str]:
        from .sandbox import outputs_from_result
        folder = results / student
        folder.mkdir(parents=True, exist_ok=True)
        notes = []
        try:
            answer = json.loads(future.result())
        except Exception as err:  # noqa: BLE001 - a lost worker costs this student a regrade, no more
            answer = {}
            notes.append(f"the Dask worker failed ({type(err).__name__}: {str(err)[:120]}); scored 0, regrade")
        for notebook, nb in prepared.items():
            got = answer.get(notebook) if isinstance(answer, dict) else None
            status = got.get("status") if isinstance(got, dict) and isinstance(got.get("status"), str) else "no result"
            raw = json.dumps({"status": "ok", "cells": got.get("cells")}).encode() if got else b""
            cells, problem = outputs_from_result(raw, nb)
            if problem != "ok":
                status = problem if status == "ok" else status
            (folder / f"{notebook}.json").write_text(json.dumps({"status": status, "cells": cells}))
            if status != "ok":
                notes.append(f"{notebook}: {status}; scored 0")
        return notes

    def close(self):
        self.client.close()


def grade_class(course: Course, students: list[str] | None = None,
                cap_seconds: float = DEFAULT_CAP_SECONDS, memory_bytes: int = DEFAULT_MEMORY_BYTES,
                log=print, jobs: int = 1, sandbox: bool = True, scheduler: str | None = None) -> ClassRun:
    """Intake, then run each student in a sandbox (``jobs`` at once here, or on the Dask cluster
    at ``scheduler``), score them one at a time with nbgrader (one failure never stops the
    others), then feedback."""
    if scheduler:
        _require_distributed()
    if not course.root.is_absolute():  # nbgrader's in-process scoring changes directory meanwhile
        course = Course(course.root.resolve())
    students = list(dict.fromkeys(students if students is not None else submitted_students(course)))  # each once
    if not students:
        raise CourseError(f"no submissions in {course.submitted_dir}/<student>/{ASSIGNMENT}/; "
                          f"put them there (or use `collect`) and run again")
    db_file = gradebook_file(course.db_url)
    if db_file is not None and not db_file.exists():
        raise CourseError(f"no gradebook at {db_file} yet: run `python -m accel_instructor release` first")
    with open_gradebook(course) as gb:  # a server database: reachable, and released into
        try:
            gb.find_assignment(ASSIGNMENT)
        except MissingEntry:
            raise CourseError(f"the gradebook {shown_url(course.db_url)} has no assignment {ASSIGNMENT!r}: "
                              f"run `python -m accel_instructor release` with the same ACCEL_DB_URL "
                              f"first") from None
    if jobs < 1:
        raise CourseError(f"--jobs must be at least 1, got {jobs}")
    from .sandbox import Limits, SandboxError, check_available, confinement, tree_digest
    if scheduler and not sandbox:
        raise CourseError("--scheduler runs students in sandboxes on the workers; it cannot be "
                          "combined with --no-sandbox")
    if sandbox and not scheduler:  # with a scheduler, the workers need bubblewrap, not this machine
        try:
            check_available()
        except SandboxError as err:
            raise CourseError(str(err)) from None
    elif not sandbox:
        log("WARNING: --no-sandbox: learner code runs UNCONFINED, as this user, with the course "
            "folder writable; use it only where bubblewrap cannot run")
        jobs = 1  # unconfined nbgrader runs share one gradebook: one at a time
    rules = load_rules(course)
    watched = tripwire_paths(course)
    baseline = tree_digest(watched)
    limits = Limits(memory_bytes=memory_bytes)
    if sandbox and not scheduler:  # say whether the machine gives cgroups or only rlimits apply
        log(f"sandbox limits: {confinement(limits)}")
    results = course.root / RESULTS_DIR
    shutil.rmtree(results, ignore_errors=True)
    slots = core_slots(jobs)
    free = list(range(jobs))
    runs, findings, notes_of = {}, [], {}
    done = 0

    def check_tripwire(who):
        if tree_digest(watched) != baseline:
            raise CourseError(
                f"tripwire: the accel package, nbgrader_config.py, source/ or release/ changed while "
                f"grading {', '.join(who)}; grading stopped so no later student is graded against "
                f"altered files. Restore them (git status / git checkout), then grade again"
                + ("" if sandbox else " without --no-sandbox"))

    def score(student, notes):
        nonlocal done
        run = autograde_student(course, student, cap_seconds, memory_bytes,
                                replay=results if sandbox else None, messages=notes)
        runs[student] = run
        check_tripwire([student])
        done += 1
        found = [f.message for f in findings if f.student == student]
        count = len(found) + len(run.messages)
        detail = f" ({count} note{'s' * (count != 1)})" if count else ""
        log(f"[{done}/{len(students)}] {student}: {run.status} in {run.seconds:.1f} s{detail}")

    if scheduler:
        remote = _RemoteStudents(scheduler, limits, cap_seconds)
        try:
            futures, prepared_of = {}, {}
            for student in students:
                findings += stage_student(course, student, rules)
                prepared, notes = {}, []
                for notebook in sorted(p.stem for p in (course.root / STAGED / student / ASSIGNMENT).glob("*.ipynb")):
                    try:
                        prepared[notebook] = prepare_notebook(course, student, notebook)
                    except Exception as err:  # noqa: BLE001 - as below
                        notes.append(f"{notebook}: could not be prepared ({type(err).__name__}: {err})"[:240])
                notes_of[student], prepared_of[student] = notes, prepared
                futures[remote.submit(course, student, prepared)] = student
            from distributed import as_completed
            for future in as_completed(list(futures)):
                student = futures[future]
                notes = remote.collect(future, prepared_of.pop(student), results, student)
                score(student, notes_of.pop(student) + notes)
        finally:
            remote.close()
        _feedback(course, students, runs)
        return ClassRun([runs[s] for s in students], findings, sandboxed=sandbox)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending = {}
        for student in students:
            findings += stage_student(course, student, rules)
            if not sandbox:
                score(student, [])
                continue
            prepared, notes = {}, []
            for notebook in sorted(p.stem for p in (course.root / STAGED / student / ASSIGNMENT).glob("*.ipynb")):
                try:
                    prepared[notebook] = prepare_notebook(course, student, notebook)
                except Exception as err:  # noqa: BLE001 - nbgrader refuses it; so does the scoring step
                    notes.append(f"{notebook}: could not be prepared ({type(err).__name__}: {err})"[:240])
            while not free:  # wait for a sandbox slot; score whoever finished meanwhile
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    who, slot = pending.pop(future)
                    free.append(slot)
                    score(who, notes_of.pop(who) + future.result())
            slot = free.pop(0)
            notes_of[student] = notes
            future = pool.submit(_sandbox_student, course, student, prepared, slot, slots[slot],
                                 cap_seconds, limits, results)
            pending[future] = (student, slot)
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                who, slot = pending.pop(future)
                free.append(slot)
                score(who, notes_of.pop(who) + future.result())
    _feedback(course, students, runs)
    return ClassRun([runs[s] for s in students], findings, sandboxed=sandbox)


def _feedback(course: Course, students: list[str], runs: dict[str, StudentRun]) -> None:
    """Feedback for everyone in one nbgrader run; if that fails, student by student, so one
    notebook nbgrader cannot render costs only its own student's feedback."""
    proc = course.nbgrader("generate_feedback", ASSIGNMENT, "--force", check=False)
    if proc.returncode == 0:
        return
    for student in students:
        proc = course.nbgrader("generate_feedback", ASSIGNMENT, f"--student={student}", "--force", check=False)
        if proc.returncode != 0:
            runs[student].messages.append(f"no feedback: {_last_error(proc.stdout) or 'nbgrader failed'}")
