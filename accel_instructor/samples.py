"""Sample submissions: the reference, the untouched release, and known-wrong answers.

A submission is described by replacement code for solution cells, keyed by notebook and
``grade_id``; every other solution cell holds either the reference answer (``base="reference"``)
or the release stub (``base="release"``).
"""
from __future__ import annotations

import contextlib
import copy
import os
import runpy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .build import notebook_from_source
from .cells import grade_id, is_solution
from .course import ASSIGNMENT, Course, CourseError

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass
class Submission:
    """A sample submission, built from the release notebooks.

    ``answers``: notebook -> solution grade_id -> code. ``extra_cells``: notebook -> list of
    (grade_id, code): a new code cell inserted after that cell. ``damage``: notebook -> one of
    ``"missing"``, ``"not_json"``, ``"nested_json"``, ``"folder"``, ``"binary"``, ``"other_assignment"``, ``"symlink_to_source"``, ``"delete:<grade_id>"``,
    ``"duplicate:<grade_id>"``. ``loses``: notebook -> graded cells expected to score zero
    (``"*"`` for all of them).
    """
    student: str
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    loses: dict[str, list[str]] = field(default_factory=dict)
    base: str = "reference"
    description: str = ""
    extra_cells: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    damage: dict[str, str] = field(default_factory=dict)


def load_spec(path: Path) -> Submission:
    """Read a sample file: NOTEBOOK + ANSWERS + LOSES, or STUDENT + per-notebook dicts."""
    spec = runpy.run_path(str(path))
    doc = (spec.get("__doc__") or "").strip().splitlines()
    keys = {"ANSWERS": "answers", "LOSES": "loses", "EXTRA_CELLS": "extra_cells", "DAMAGE": "damage"}
    fields = {attr: spec.get(key, {}) for key, attr in keys.items()}
    if "NOTEBOOK" in spec:  # a one-notebook spec: every dict is about that notebook
        notebook = spec["NOTEBOOK"]
        # LOSES = [] is kept: a correct variant that must keep every point
        fields = {attr: ({notebook: value} if value or (attr == "loses" and "LOSES" in spec) else {})
                  for attr, value in fields.items()}
    fields["loses"] = {k: list(v) for k, v in fields["loses"].items()}
    return Submission(student=spec.get("STUDENT", Path(path).stem), base=spec.get("BASE", "reference"),
                      description=doc[0] if doc else "", **fields)


def reference_code(cell) -> str:
    """The reference answer of a source solution cell, markers removed."""
    lines = [line for line in cell.source.splitlines() if line.strip() not in MARKERS]
    return "\n".join(lines)


def solution_cells(nb):
    for cell in nb.cells:
        if is_solution(cell):
            yield grade_id(cell), cell


def fill(nb, answers: dict[str, str], reference: dict[str, str] | None,
         extra_cells: list[tuple[str, str]] = ()):
    """A copy of ``nb`` with solution cells replaced by ``answers`` (then ``reference``), and
    ``extra_cells`` inserted after the cells they name."""
    nb = copy.deepcopy(nb)
    for after, code in extra_cells:
        index = next((i for i, c in enumerate(nb.cells)
                      if grade_id(c) == after), None)
        if index is None:
            raise CourseError(f"extra cell after unknown grade_id {after!r}")
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code.strip("\n")))
    cells = {grade_id(c): c for c in nb.cells if grade_id(c)}
    unknown = set(answers) - set(cells)
    if unknown:
        raise CourseError(f"answers for unknown cells {sorted(unknown)}; graded and solution "
                          f"cells are {sorted(cells)}")
    for gid, cell in cells.items():  # a locked cell may be "answered" too: a rewritten test
        if gid in answers:
            cell.source = answers[gid].strip("\n")
        elif reference is not None and gid in reference:
            cell.source = reference[gid]
    return nb


def write_submission(course: Course, submission: Submission, submitted_root: Path | None = None) -> Path:
    """Write ``submitted/<student>/acceleration/*.ipynb`` built from the release notebooks."""
    dest = (submitted_root or course.submitted_dir) / submission.student / ASSIGNMENT
    dest.mkdir(parents=True, exist_ok=True)
    for released in sorted(course.release_dir.glob("*.ipynb")):
        nb = nbformat.read(released, as_version=4)
        reference = None
        if submission.base == "reference":
            source = nbformat.read(course.source_dir / released.name, as_version=4)
            reference = {gid: reference_code(cell) for gid, cell in solution_cells(source)}
        filled = fill(nb, submission.answers.get(released.stem, {}), reference,
                      submission.extra_cells.get(released.stem, []))
        damage = submission.damage.get(released.stem, "")
        target = dest / released.name
        if damage == "missing":
            continue
        if damage == "symlink_to_source":  # hands in a link to the instructor's notebook
            target.symlink_to(course.source_dir.resolve() / released.name)
            continue
        if damage == "not_json":
            target.write_text('{"cells": [  <- this file was cut off while saving')
            continue
        if damage == "nested_json":  # deep enough that json.loads raises RecursionError
            target.write_text("[" * 200_000 + "]" * 200_000)
            continue
        if damage == "folder":  # a folder named like the notebook
            (target / "inside").mkdir(parents=True)
            nbformat.write(filled, target / "inside" / released.name)
            continue
        if damage == "binary":  # a zip, a PDF... handed in under the notebook's name
            target.write_bytes(bytes(range(256)) * 64)
            continue
        if damage == "other_assignment":
            for cell in filled.cells:
                if "nbgrader" in cell.metadata:
                    cell.metadata.nbgrader["grade_id"] = "ps1_" + cell.metadata.nbgrader["grade_id"]
        elif damage.startswith(("delete:", "duplicate:")):
            action, target_id = damage.split(":", 1)
            index = next(i for i, c in enumerate(filled.cells)
                         if grade_id(c) == target_id)
            if action == "delete":
                del filled.cells[index]
            else:
                twin = copy.deepcopy(filled.cells[index])
                twin["id"] = twin["id"] + "-copy"
                filled.cells.insert(index + 1, twin)
        elif damage:
            raise CourseError(f"unknown damage {damage!r}")
        nbformat.write(filled, target)
    return dest


def demo_submissions(course: Course) -> list[Submission]:
    return [load_spec(p) for p in sorted((course.root / "samples").glob("*.py"))]


def known_wrong(course: Course) -> list[Submission]:
    return [load_spec(p) for p in sorted((course.root / "tests" / "known_wrong").glob("*.py"))]


def variant_of_source(course: Course, notebook: str, answers: dict[str, str]):
    """The source notebook (hidden tests included) with some solution cells replaced."""
    nb = notebook_from_source(course.notebooks_dir / f"{notebook}.py")
    return fill(nb, answers, {gid: reference_code(c) for gid, c in solution_cells(nb)})


def pack(submissions: list[Submission], prefix: str = "known_wrong") -> list[tuple[Submission, list[str]]]:
    """Combine one-notebook wrong answers into as few students as possible.

    Notebooks are graded independently, so student ``i`` can carry the ``i``-th wrong answer of
    every notebook at once; this keeps the suite to a few autograde runs. Returns each packed
    submission with the names of the sample files it carries.
    """
    by_notebook: dict[str, list[Submission]] = {}
    for sub in submissions:
        (notebook,) = sub.answers.keys()
        by_notebook.setdefault(notebook, []).append(sub)
    packed = []
    for i in range(max((len(v) for v in by_notebook.values()), default=0)):
        student = Submission(student=f"{prefix}_{i + 1}")
        carried = []
        for notebook, subs in sorted(by_notebook.items()):
            if i < len(subs):
                student.answers[notebook] = subs[i].answers[notebook]
                student.loses[notebook] = subs[i].loses[notebook]
                carried.append(subs[i].student)
            else:
                student.damage[notebook] = "missing"  # nothing to prove there: skip its run time
        packed.append((student, carried))
    return packed


@contextlib.contextmanager
def catalogue_grading(policy: bool = True, cell_timeout: int = 60):
    """How the hostile catalogues are graded (tests and benchmarks alike): each cell gets
    ``cell_timeout`` seconds (a speed check with fresh inputs takes a few), and with
    ``policy=False`` intake's static check finds nothing, in this process only, so every
    attacking cell runs (the policy is a lint: no verdict may rest on it)."""
    from . import intake
    checker, old = intake.check_source, os.environ.get("ACCEL_CELL_TIMEOUT")
    if not policy:
        intake.check_source = lambda source, protected: []
    os.environ["ACCEL_CELL_TIMEOUT"] = str(cell_timeout)
    try:
        yield
    finally:
        intake.check_source = checker
        if old is None:
            os.environ.pop("ACCEL_CELL_TIMEOUT", None)
        else:
            os.environ["ACCEL_CELL_TIMEOUT"] = old
