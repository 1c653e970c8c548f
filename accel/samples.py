"""Sample submissions: the reference, the untouched release, and known-wrong answers.

A submission is described by replacement code for solution cells, keyed by notebook and
``grade_id``; every other solution cell holds either the reference answer (``base="reference"``)
or the release stub (``base="release"``).
"""
from __future__ import annotations

import copy
import runpy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .build import notebook_from_source
from .course import ASSIGNMENT, Course, CourseError

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass
class Submission:
    student: str
    answers: dict[str, dict[str, str]] = field(default_factory=dict)  # notebook -> grade_id -> code
    loses: dict[str, list[str]] = field(default_factory=dict)  # notebook -> graded cells expected to fail
    base: str = "reference"
    description: str = ""


def load_spec(path: Path) -> Submission:
    """Read a sample file: NOTEBOOK + ANSWERS + LOSES, or STUDENT + per-notebook dicts."""
    spec = runpy.run_path(str(path))
    doc = (spec.get("__doc__") or "").strip().splitlines()
    if "NOTEBOOK" in spec:
        notebook = spec["NOTEBOOK"]
        return Submission(student=spec.get("STUDENT", Path(path).stem),
                          answers={notebook: spec.get("ANSWERS", {})},
                          loses={notebook: list(spec.get("LOSES", []))},
                          base=spec.get("BASE", "reference"), description=doc[0] if doc else "")
    return Submission(student=spec.get("STUDENT", Path(path).stem), answers=spec.get("ANSWERS", {}),
                      loses={k: list(v) for k, v in spec.get("LOSES", {}).items()},
                      base=spec.get("BASE", "reference"), description=doc[0] if doc else "")


def reference_code(cell) -> str:
    """The reference answer of a source solution cell, markers removed."""
    lines = [line for line in cell.source.splitlines() if line.strip() not in MARKERS]
    return "\n".join(lines)


def solution_cells(nb):
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            yield meta["grade_id"], cell


def fill(nb, answers: dict[str, str], reference: dict[str, str] | None):
    """A copy of ``nb`` with solution cells replaced by ``answers`` (then ``reference``)."""
    nb = copy.deepcopy(nb)
    known = {grade_id for grade_id, _ in solution_cells(nb)}
    unknown = set(answers) - known
    if unknown:
        raise CourseError(f"answers for unknown solution cells {sorted(unknown)}; "
                          f"solution cells are {sorted(known)}")
    for grade_id, cell in solution_cells(nb):
        if grade_id in answers:
            cell.source = answers[grade_id].strip("\n")
        elif reference is not None:
            cell.source = reference[grade_id]
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
        filled = fill(nb, submission.answers.get(released.stem, {}), reference)
        nbformat.write(filled, dest / released.name)
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
        packed.append((student, carried))
    return packed
