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

Running one student is one job submitted to a ``concurrent.futures`` executor: a local pool
whose jobs take a core slot each, or Dask's ``Client.get_executor()``; results are collected
and scored as they complete, by the same loop either way. A preflight sends the course's own
probe notebook down the same path first. A fault of the grader's side (the sandbox runner not
starting, a broken result, a job or worker failing, a full disk, scoring failing) leaves that
student ungraded with nothing recorded (``GRADER_ERROR``); a later run picks them up, as it
does every new or changed submission (``.grading-state.json``), skipping the rest.

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
import queue
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from . import settings
from .course import ASSIGNMENT, SETTINGS, Course, CourseError, NbgraderTimeout
from .intake import STAGED, Finding, load_rules, not_gradable, stage_student

DEFAULT_CAP_SECONDS = SETTINGS.cap_seconds  # one whole submission; each cell also has a timeout
DEFAULT_MEMORY_BYTES = SETTINGS.memory_bytes  # address-space limit of the grading kernel
RESULTS_DIR = ".sandbox-results"  # the sandboxes' checked outputs, read by the nbgrader step


@dataclass
class StudentRun:
    student: str
    status: str  # "graded", "partly graded", "failed", or GRADER_ERROR (nothing recorded)
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
    skipped: list[str] = field(default_factory=list)  # unchanged since they were last graded

    def not_graded(self) -> list[str]:
        """Students a grader fault left ungraded (nothing recorded for them)."""
        return [r.student for r in self.runs if r.status == GRADER_ERROR]

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


GRADER_ERROR = "not graded: grader error"
STATE_FILE = ".grading-state.json"  # per student: the digest of what was graded, and the course's


def submission_digest(course: Course, student: str) -> str:
    """One hash over a student's submitted files (names and bytes); what cannot be read counts
    by its error, so a later change to it is still seen."""
    import hashlib
    digest = hashlib.sha256()
    root = course.submitted_dir / student / ASSIGNMENT
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        try:
            if path.is_file():
                digest.update(path.read_bytes())
        except OSError as err:
            digest.update(type(err).__name__.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load_state(course: Course) -> dict:
    try:
        state = json.loads((course.root / STATE_FILE).read_text())
        return state if isinstance(state, dict) and isinstance(state.get("students"), dict) else {"students": {}}
    except (OSError, ValueError):
        return {"students": {}}


def _save_state(course: Course, state: dict) -> None:
    path = course.root / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, path)  # atomic: an interrupted run leaves the old state or the new one


def _request(prepared: dict, staged: Path, limits, cell_timeout: int, wall_seconds: float) -> str:
    """One student's sandbox job as plain JSON text, for :func:`accel_instructor.sandbox.remote_student`
    on a Dask worker: the prepared notebooks, the student's staged notebooks, limits, time-outs."""
    import dataclasses

    import nbformat
    return json.dumps({
        "notebooks": {name: nbformat.writes(nb) for name, nb in prepared.items()},
        "staged": {p.name: p.read_text() for p in staged.glob("*.ipynb")},
        "limits": dataclasses.asdict(limits), "cell_timeout": cell_timeout, "wall_seconds": wall_seconds})


def run_student_here(prepared: dict, staged: Path, slots, cores_of: list[list[int]], limits,
                     cell_timeout: int, wall_seconds: float) -> dict:
    """One student's sandbox on this machine, on a free core slot taken from the queue ``slots``
    (so ``jobs`` of these run at once, each on its own cores). Returns {notebook: result dict}."""
    from .sandbox import execute_student_in_sandbox
    slot = slots.get()
    try:
        runs = execute_student_in_sandbox(prepared, staged, slot=slot, cores=cores_of[slot], limits=limits,
                                          cell_timeout=cell_timeout, wall_seconds=wall_seconds)
    finally:
        slots.put(slot)
    return {name: run.as_dict() for name, run in runs.items()}


def collect_student(answer, prepared: dict, folder: Path, checked: bool) -> tuple[list[str], str]:
    """Write one student's sandbox results where the scoring step takes them. ``answer`` is what
    the job returned ({notebook: result}, or its JSON text from a worker, then checked again
    here). Returns (notes for the report, grader fault or '')."""
    from .sandbox import PROTOCOL_PROBLEMS, outputs_from_result
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except ValueError:
            return [], "the worker's answer is not JSON"
    if not isinstance(answer, dict):
        return [], "the worker's answer is not a result"
    notes, results = [], {}
    for notebook, nb in prepared.items():
        got = answer.get(notebook)
        if not isinstance(got, dict) or not isinstance(got.get("status"), str):
            return [], f"no result for {notebook}"
        if got.get("fault"):
            return [], str(got["fault"])[:240]
        status, cells = got["status"], got.get("cells")
        if not checked:
            raw = json.dumps({"status": "ok" if status == "ok" else "stopped", "cells": cells}).encode()
            if cells:
                cells, problem = outputs_from_result(raw, nb)
                if problem in PROTOCOL_PROBLEMS:
                    return [], f"{notebook}: {problem}"
                if problem != "ok" and status == "ok":
                    status = problem
            else:
                cells = []
        results[notebook] = {"status": status, "cells": cells}
        if status != "ok":
            notes.append(f"{notebook}: {status}; the cells that ran before it are scored, the rest 0")
    folder.mkdir(parents=True, exist_ok=True)
    for notebook, result in results.items():
        (folder / f"{notebook}.json").write_text(json.dumps(result))
    return notes, ""


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


@contextmanager
def _executor(scheduler: str | None, jobs: int):
    """Where students run: a local pool of ``jobs`` threads (each holds one sandbox), or the
    Dask cluster at ``scheduler`` through its concurrent.futures interface."""
    if not scheduler:
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            yield pool, None
        except BaseException:  # Ctrl-C: start no further sandbox (bwrap dies with this process)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return
    try:
        from distributed import Client
        client = Client(scheduler, timeout=20)
    except (OSError, TimeoutError) as err:
        raise CourseError(f"cannot reach the Dask scheduler at {scheduler} ({type(err).__name__}: "
                          f"{str(err)[:120]}): start one (`dask scheduler`, workers with "
                          f"`dask worker {scheduler} --nthreads 1`, bubblewrap on every worker) or "
                          f"grade here without --scheduler") from None
    try:
        yield client.get_executor(pure=False), client
    finally:
        client.close()


def probe_notebook():
    """The preflight's notebook: the course's own, tiny, graded like a student's. It imports what
    every graded notebook imports (NumPy, ``accel``, ``accel_instructor.reference`` as hidden tests
    do) and has one test cell worth one point, which must score it."""
    import nbformat
    answer = nbformat.v4.new_code_cell("import numpy as np\nimport accel\n\nanswer = int(np.arange(4).sum())")
    test = nbformat.v4.new_code_cell(
        "from accel_instructor.reference import matmul  # as the hidden tests import it\n"
        "assert answer == 6, answer\nprint('preflight ok')")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "preflight", "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}
    return nbformat.v4.new_notebook(cells=[answer, test], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def _fix_for(fault: str) -> str:
    """What to do about a failed preflight, from what it says."""
    import accel_instructor

    from .sandbox import _python_roots
    if "No module named" in fault or "ModuleNotFoundError" in fault or "ImportError" in fault:
        where = Path(accel_instructor.__file__).resolve().parent
        roots = ", ".join(str(r) for r in _python_roots())
        return (f"the sandbox mounts only this Python's folders ({roots}), and its import failed; "
                f"this Python takes accel_instructor from {where}. Use a venv made for this course "
                f"folder (`make venv` here, or `pip install -e '.[instructor]'` into it)")
    if "bwrap" in fault or "namespace" in fault or "setting up uid map" in fault:
        return ("bubblewrap cannot make the sandbox here; see the README's set-up section (user "
                "namespaces), or set ACCEL_BWRAP to a working bwrap")
    return "fix the cause above (the probe is the course's own notebook: no student is involved), then grade again"


def preflight(course: Course, submit, checked: bool) -> None:
    """Run :func:`probe_notebook` through the exact path of a student (``submit`` as for the
    class: the same venv, mounts, limits, runner, result protocol, then nbgrader's scoring of its
    test cell) in a throwaway folder; raise a CourseError saying what failed and what to fix
    before any student is touched. Nothing is written to the gradebook."""
    import copy
    import tempfile

    import nbformat
    from nbgrader.utils import determine_grade

    from .sandbox import merge_outputs
    probes = {"preflight": probe_notebook()}  # its test runs in a grader kernel, as every test does
    with tempfile.TemporaryDirectory(prefix=".preflight-", dir=course.root) as tmp:
        staged = Path(tmp) / "staged"
        staged.mkdir()
        os.chmod(tmp, 0o755)
        for name, nb in probes.items():
            nbformat.write(nb, staged / f"{name}.ipynb")
        results = {}
        try:
            answer = submit(staged, probes).result()
            notes, fault = collect_student(answer, probes, Path(tmp) / "results", checked)
            if not fault:
                results = {name: json.loads((Path(tmp) / "results" / f"{name}.json").read_text()) for name in probes}
        except Exception as err:  # noqa: BLE001 - whatever it is, it is the grader's
            fault = f"{type(err).__name__}: {str(err)[:240]}"
        for name, result in results.items():
            if fault:
                break
            if result.get("status") != "ok":
                fault = f"the probe notebook did not finish: {result.get('status')}"
                break
            scored = copy.deepcopy(probes[name])
            merge_outputs(scored, result)
            test = scored.cells[1]
            test.outputs = [nbformat.from_dict(o) for o in test.outputs]  # as ReplayExecution hands them on
            points, _ = determine_grade(test)
            if points != 1:
                shown = " ".join(str(o.get("evalue") or o.get("text") or "") for o in test.outputs)[:240]
                fault = f"the probe's test cell (in the grader's kernel) scored {points} of 1 ({shown.strip() or 'no output'})"
    if fault:
        raise CourseError(f"preflight failed, no student was graded: {fault}. What to do: {_fix_for(fault)}")


def grade_class(course: Course, students: list[str] | None = None,
                cap_seconds: float = DEFAULT_CAP_SECONDS, memory_bytes: int = DEFAULT_MEMORY_BYTES,
                log=print, jobs: int = 1, sandbox: bool = True, scheduler: str | None = None,
                force: bool = False) -> ClassRun:
    """Intake, then run each student in a sandbox (``jobs`` at once here, or on the Dask cluster
    at ``scheduler``), score them one at a time with nbgrader (one failure never stops the
    others), then feedback for those graded.

    A preflight (:func:`preflight`) runs first. Without ``students``, a student whose submission
    and course are the same as when they were last graded is skipped (``force`` regrades all);
    named ``students`` are always graded. A fault of the grader's side leaves its student
    ungraded (status GRADER_ERROR), with nothing written for them, and a later run picks them up."""
    if scheduler:
        _require_distributed()
    if not course.root.is_absolute():  # nbgrader's in-process scoring changes directory meanwhile
        course = Course(course.root.resolve())
    named = students is not None
    students = list(dict.fromkeys(students if named else submitted_students(course)))  # each once
    if not students:
        raise CourseError(f"no submissions in {course.submitted_dir}/<student>/{ASSIGNMENT}/; "
                          f"put them there (or use `collect`) and run again")
    db_file = gradebook_file(course.db_url)
    if db_file is not None and not db_file.exists():
        raise CourseError(f"no gradebook at {db_file} yet: run `python -m accel_instructor release` first")
    with open_gradebook(course) as gb:  # a server database: reachable, and released into
        try:
            in_gradebook = {sub.student.id for sub in gb.find_assignment(ASSIGNMENT).submissions}
        except MissingEntry:
            raise CourseError(f"the gradebook {shown_url(course.db_url)} has no assignment {ASSIGNMENT!r}: "
                              f"run `python -m accel_instructor release` with the same ACCEL_DB_URL "
                              f"first") from None
    if jobs < 1:
        raise CourseError(f"--jobs must be at least 1, got {jobs}")
    from .sandbox import Limits, SandboxError, check_available, confinement, remote_student, tree_digest
    if scheduler and not sandbox:
        raise CourseError("--scheduler runs students in sandboxes on the workers; it cannot be "
                          "combined with --no-sandbox")
    if sandbox and not scheduler:  # with a scheduler, the workers need bubblewrap, not this machine
        try:
            bwrap = check_available()
        except SandboxError as err:
            raise CourseError(str(err)) from None
    elif not sandbox:
        log("WARNING: --no-sandbox: learner code runs UNCONFINED, as this user, with the course "
            "folder writable; use it only where bubblewrap cannot run")
        jobs = 1  # unconfined nbgrader runs share one gradebook: one at a time
    rules = load_rules(course)
    watched = tripwire_paths(course)
    baseline = tree_digest(watched)
    state = load_state(course)
    digests = {student: submission_digest(course, student) for student in students}
    skipped = []
    if not named and not force:
        # unchanged, and still in the gradebook and autograded/ (a gradebook reset regrades everyone)
        skipped = [s for s in students if state["students"].get(s) == {"digest": digests[s], "course": baseline}
                   and s in in_gradebook and (course.autograded_dir / s / ASSIGNMENT).is_dir()]
        students = [s for s in students if s not in skipped]
    limits = Limits(memory_bytes=memory_bytes)
    if sandbox and not scheduler:  # say whether the machine gives cgroups or only rlimits apply
        log(f"sandbox: {bwrap}; limits: {confinement(limits)}")
    cell_timeout = settings.load().cell_timeout_seconds
    results = course.root / RESULTS_DIR
    shutil.rmtree(results, ignore_errors=True)
    slots = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    cores_of = core_slots(jobs)
    runs, findings = {}, []
    done = 0

    def check_tripwire(who):
        if tree_digest(watched) != baseline:
            raise CourseError(
                f"tripwire: the accel package, nbgrader_config.py, source/ or release/ changed while "
                f"grading {', '.join(who)}; grading stopped so no later student is graded against "
                f"altered files. Restore them (git status / git checkout), then grade again"
                + ("" if sandbox else " without --no-sandbox"))

    def finished(student, run):
        nonlocal done
        runs[student] = run
        if run.status == GRADER_ERROR:
            state["students"].pop(student, None)  # graded again next time
        else:
            state["students"][student] = {"digest": digests[student], "course": baseline}
        _save_state(course, state)
        done += 1
        found = [f.message for f in findings if f.student == student]
        count = len(found) + len(run.messages)
        detail = f" ({count} note{'s' * (count != 1)})" if count else ""
        log(f"[{done}/{len(students)}] {student}: {run.status} in {run.seconds:.1f} s{detail}")

    def score(student, notes):
        start = time.perf_counter()
        try:
            run = autograde_student(course, student, cap_seconds, memory_bytes,
                                    replay=results if sandbox else None, messages=notes)
        except Exception as err:  # noqa: BLE001 - the scoring step is the grader's side
            run = StudentRun(student, GRADER_ERROR, time.perf_counter() - start,
                             [f"scoring failed ({type(err).__name__}: {str(err)[:200]})"])
        check_tripwire([student])
        finished(student, run)

    def submit(staged, prepared):
        if client is not None:
            return executor.submit(remote_student, _request(prepared, staged, limits, cell_timeout, cap_seconds / 2))
        return executor.submit(run_student_here, prepared, staged, slots, cores_of, limits,
                               cell_timeout, cap_seconds / 2)

    with _executor(scheduler if sandbox else None, jobs) as (executor, client):
        if sandbox and students:
            preflight(course, submit, checked=client is None)
        futures, prepared_of, notes_of, started = {}, {}, {}, {}
        for student in students:
            try:  # the learner's files cannot make intake raise (they become findings): the grader's side
                findings += stage_student(course, student, rules)
            except Exception as err:  # noqa: BLE001 - this student waits for a regrade, the rest go on
                finished(student, StudentRun(student, GRADER_ERROR, 0.0, [
                    f"intake failed ({type(err).__name__}: {str(err)[:160]}); nothing was recorded for "
                    f"them: fix the cause and run grade again"]))
                continue
            if not sandbox:
                score(student, [])
                continue
            prepared, notes = {}, []
            staged = course.root / STAGED / student / ASSIGNMENT
            staged.mkdir(parents=True, exist_ok=True)
            for notebook in sorted(p.stem for p in staged.glob("*.ipynb")):
                reason = not_gradable(staged / f"{notebook}.ipynb")
                if reason:  # scored 0 without running: no result but this one
                    (results / student).mkdir(parents=True, exist_ok=True)
                    (results / student / f"{notebook}.json").write_text(json.dumps({"status": reason, "cells": []}))
                    continue
                try:
                    prepared[notebook] = prepare_notebook(course, student, notebook)
                except Exception as err:  # noqa: BLE001 - nbgrader refuses it; so does the scoring step
                    notes.append(f"{notebook}: could not be prepared ({type(err).__name__}: {err})"[:240])
            prepared_of[student], notes_of[student] = prepared, notes
            started[student] = time.perf_counter()
            futures[submit(staged, prepared)] = student
        for future in as_completed(futures):
            student = futures[future]
            try:
                notes, fault = collect_student(future.result(), prepared_of.pop(student), results / student,
                                               checked=client is None)
            except Exception as err:  # noqa: BLE001 - a lost worker, a full disk: the grader's side
                where = "the Dask worker" if client is not None else "the sandbox job"
                notes, fault = [], f"{where} failed ({type(err).__name__}: {str(err)[:160]})"
            if fault:
                finished(student, StudentRun(student, GRADER_ERROR, time.perf_counter() - started[student],
                                             [f"{fault}; nothing was recorded for them: fix the cause "
                                              f"and run grade again"]))
            else:
                score(student, notes_of.pop(student) + notes)
    _feedback(course, [s for s in students if runs[s].status != GRADER_ERROR], runs)
    return ClassRun([runs[s] for s in students], findings, sandboxed=sandbox, skipped=skipped)


def _feedback(course: Course, students: list[str], runs: dict[str, StudentRun]) -> None:
    """Feedback for the students graded in this run only, through nbgrader's API in this process
    (no nbgrader start per student); one that nbgrader cannot render costs only its own."""
    import logging
    import warnings

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader
    if not students:
        return
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    log = api.log
    handlers, propagate = log.handlers[:], log.propagate
    log.handlers, log.propagate = [logging.NullHandler()], False
    try:
        for student in students:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    result = api.generate_feedback(ASSIGNMENT, student, force=True)
                except Exception as err:  # noqa: BLE001 - reported, the others still get theirs
                    result = {"success": False, "error": f"{type(err).__name__}: {err}"}
            if not result.get("success"):
                error = _last_error(result.get("log", "")) or _last_error(result.get("error", "")) or "nbgrader failed"
                runs[student].messages.append(f"no feedback: {error}")
    finally:
        log.handlers, log.propagate = handlers, propagate
