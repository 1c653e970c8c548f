"""Trusted intake: read each submission without running it, and stage a gradable copy.

nbgrader grades ``.staged/<student>/acceleration/*.ipynb`` instead of ``submitted/`` (which is
never modified). On the way every notebook is checked:

* a notebook that is missing, unreadable (not valid JSON, a folder, nested too deeply...), or not
  a notebook of this assignment is noted, and the released notebook stands in for it, never
  run: every graded cell scores 0, so it still has its row in the gradebook and grades.csv;
* a file that is not one of the assignment's notebooks is ignored and noted;
* a duplicated graded cell keeps its first copy; later copies become plain cells;
* graded cells with grade_ids this notebook does not have lose their grading metadata;
* every cell the learner wrote or changed is checked against :mod:`accel.policy`; a cell that
  breaks a rule is replaced by one that raises an error naming the rule.

Each finding becomes one line of the instructor's report.
"""
from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .course import ASSIGNMENT, Course
from accel.policy import check_source, protected_names

STAGED = ".staged"
NOT_GRADABLE = "accel_not_gradable"  # metadata of a staged stand-in for a notebook intake could not take


@dataclass(frozen=True)
class Finding:
    student: str
    notebook: str
    message: str

    def __str__(self) -> str:
        return f"{self.student} / {self.notebook}: {self.message}"


def _module_level_bindings(source: str) -> set[str]:
    import ast
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else ():
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
    return names


class NotebookRules:
    """What intake needs to know about one notebook of the assignment (from source/ and release/)."""

    def __init__(self, course: Course, name: str):
        self.name = name
        source = nbformat.read(course.source_dir / f"{name}.ipynb", as_version=4)
        released = nbformat.read(course.release_dir / f"{name}.ipynb", as_version=4)
        self.grade_ids = set()
        answers, instructor = set(), []
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade_id"):
                self.grade_ids.add(meta["grade_id"])
            if cell.cell_type != "code":
                continue
            if meta.get("solution"):
                answers |= _module_level_bindings(cell.source)
            else:
                instructor.append(cell.source)
        self.protected = protected_names(instructor, answers)
        # Cells exactly as the learner received them run as they are (they are the course's own).
        self.released_code = {c.source.strip() for c in released.cells if c.cell_type == "code"
                              and not c.metadata.get("nbgrader", {}).get("solution")}
        self.locked_ids = {c.metadata["nbgrader"]["grade_id"] for c in released.cells
                           if c.metadata.get("nbgrader", {}).get("locked")}
        self.released_cells = released.cells  # in order: where a deleted or moved test cell goes back


def _is_locked_test(cell, rules: NotebookRules) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade") and not meta.get("solution") and meta.get("grade_id") in rules.locked_ids)


def restore_tests(nb, rules: NotebookRules) -> list[str]:
    """Put every locked test cell of the release back at its released place (after the nearest
    cell before it that the learner still has), in place: a test the learner deleted or moved
    runs where the release has it, so deleting or moving a test never changes its points.
    Returns the grade_ids that had been deleted."""
    had = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if _is_locked_test(c, rules)}
    nb.cells = [c for c in nb.cells if not _is_locked_test(c, rules)]
    for index, released in enumerate(rules.released_cells):
        if not _is_locked_test(released, rules):
            continue
        at = 0
        for before in reversed(rules.released_cells[:index]):
            gid = before.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            found = next((i for i, c in enumerate(nb.cells)
                          if (gid and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)
                          or (before.get("id") and c.get("id") == before.get("id"))), None)
            if found is not None:
                at = found + 1
                break
        nb.cells.insert(at, copy.deepcopy(released))
    return sorted(gid for gid in rules.locked_ids if gid not in had and any(
        _is_locked_test(c, rules) and c.metadata["nbgrader"]["grade_id"] == gid for c in rules.released_cells))


def blocked_cell_source(violations) -> str:
    reasons = "; ".join(str(v) for v in violations[:3])
    return ("# This cell was not run by the grader: it breaks the course's code rules (see the\n"
            "# notebook's introduction).\n"
            f"raise RuntimeError({('grader: cell not run: ' + reasons)!r})\n")


def sanitize(nb, rules: NotebookRules, student: str) -> tuple[object, list[Finding]]:
    findings = []
    seen = set()
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is not None:
            grade_id = meta.get("grade_id")
            if grade_id not in rules.grade_ids:
                del cell.metadata["nbgrader"]
                findings.append(Finding(student, rules.name, f"cell {index}: unknown graded cell {grade_id!r} treated as plain"))
                meta = None
            elif grade_id in seen:
                del cell.metadata["nbgrader"]
                findings.append(Finding(student, rules.name, f"cell {index}: duplicate of {grade_id!r}; the first copy is graded"))
                meta = None
            else:
                seen.add(grade_id)
        if cell.cell_type != "code":
            continue
        if meta is not None and meta.get("grade_id") in rules.locked_ids:
            continue  # nbgrader restores locked cells from the gradebook
        if cell.source.strip() in rules.released_code:
            continue
        violations = check_source(cell.source, rules.protected)
        if violations:
            cell.source = blocked_cell_source(violations)
            findings.append(Finding(student, rules.name, f"cell {index} not run: {violations[0]}"))
    restored = restore_tests(nb, rules)
    if restored:
        findings.append(Finding(student, rules.name, f"graded cells deleted: {', '.join(restored)}; restored "
                                                     f"from the release and run"))
    missing = sorted(gid for gid in rules.grade_ids - seen - set(restored) if gid in rules.locked_ids)
    if missing:
        findings.append(Finding(student, rules.name, f"graded cells deleted: {', '.join(missing)} (0 points)"))
    return nb, findings


def read_notebook(path: Path):
    """The notebook at ``path``, or the reason it cannot be graded."""
    if not path.is_file():
        return None, "not a file (a folder named like the notebook?); scored 0"
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, f"not a valid notebook file (JSON error: {str(err)[:80]}); scored 0"
    except RecursionError:
        return None, "not a valid notebook file (JSON nested too deeply to read); scored 0"
    except Exception as err:  # noqa: BLE001 - whatever it is, it is this notebook's problem alone
        return None, f"not a readable notebook file ({type(err).__name__}: {str(err)[:80]}); scored 0"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - any schema problem is reported the same way
        return None, f"not a valid Jupyter notebook ({type(err).__name__}); scored 0"
    return nb, ""


def stage_student(course: Course, student: str, rules: dict[str, NotebookRules]) -> list[Finding]:
    """Copy one student's submission to .staged/, sanitized. Returns what was found. Anything
    in the learner's files becomes a finding; an exception out of here is the grader's side (a
    full disk, the course's own release unreadable)."""
    source_dir = course.submitted_dir / student / ASSIGNMENT
    dest = course.root / STAGED / student / ASSIGNMENT
    if dest.parent.exists():
        shutil.rmtree(dest.parent)
    dest.mkdir(parents=True)
    findings = []
    if (source_dir / "timestamp.txt").is_file():
        shutil.copy2(source_dir / "timestamp.txt", dest / "timestamp.txt")
    present = {p.stem: p for p in source_dir.glob("*.ipynb")}
    inside = course.submitted_dir.resolve()
    for name, path in sorted(present.items()):  # a link could point at source/ or anywhere else
        if path.is_symlink() or inside not in path.resolve().parents:
            findings.append(Finding(student, name, "a symbolic link, not a file: not read; scored 0"))
            del present[name]
    for extra in sorted(set(present) - set(rules)):
        findings.append(Finding(student, extra, "not a notebook of this assignment; ignored"))
    for name, nb_rules in rules.items():
        if name not in present:
            findings.append(Finding(student, name, "notebook missing; scored 0"))
            continue
        try:
            nb, notes = _read_and_sanitize(present[name], nb_rules, student)
        except Exception as err:  # noqa: BLE001 - one unreadable notebook never stops the class
            nb, notes = None, [Finding(student, name, f"could not be read ({type(err).__name__}: "
                                                      f"{str(err)[:80]}); scored 0")]
        findings += notes
        if nb is not None:  # outside the guard: a full disk here is the grader's fault, not a note
            nbformat.write(nb, dest / f"{name}.ipynb")
    for name in rules:  # not gradable: the release copy stands in, scored 0 cell by cell, never run
        if not (dest / f"{name}.ipynb").exists():
            reason = next((f.message for f in reversed(findings) if f.student == student and f.notebook == name),
                          "not handed in")
            placeholder = nbformat.read(course.release_dir / f"{name}.ipynb", as_version=4)
            placeholder.metadata[NOT_GRADABLE] = reason
            nbformat.write(placeholder, dest / f"{name}.ipynb")
    return findings


def not_gradable(path: Path) -> str:
    """Why the staged notebook at ``path`` is a stand-in (see :func:`stage_student`), or ''."""
    try:
        return str(json.loads(path.read_text()).get("metadata", {}).get(NOT_GRADABLE, ""))
    except (OSError, ValueError, AttributeError):
        return ""


def _read_and_sanitize(path: Path, nb_rules: NotebookRules, student: str):
    """The learner's notebook ready to stage (or None) and what was found on the way."""
    nb, problem = read_notebook(path)
    if nb is None:
        return None, [Finding(student, nb_rules.name, problem)]
    graded_ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    if not graded_ids & nb_rules.grade_ids:
        return None, [Finding(student, nb_rules.name, "none of its graded cells belong to this notebook "
                                                      "(a file from another assignment?); scored 0")]
    return sanitize(nb, nb_rules, student)


def load_rules(course: Course) -> dict[str, NotebookRules]:
    return {name: NotebookRules(course, name) for name in course.notebook_names()}
