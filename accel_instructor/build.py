"""notebooks/*.py  ->  source/acceleration/*.ipynb  ->  release/acceleration/*.ipynb."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jupytext
import nbformat

from .cells import grade_id
from .course import ASSIGNMENT, Course, CourseError


def stable_cell_ids(nb: nbformat.NotebookNode, stem: str) -> None:
    """Give every cell an id that does not change between builds (grade_id when there is one).

    jupytext makes random ids on each conversion; stable ids keep source/ and release/ free of
    noise in diffs.
    """
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        gid = grade_id(cell)
        if gid:
            cell_id = gid[:64]
        else:
            digest = hashlib.sha1(f"{stem}/{index}".encode()).hexdigest()[:8]
            cell_id = f"{stem[:2]}-{index:03d}-{digest}"
        if cell_id in seen:
            raise CourseError(f"{stem}: two cells share the grade_id {cell_id!r}; grade_ids must be unique")
        seen.add(cell_id)
        cell["id"] = cell_id


def notebook_from_source(py_path: Path) -> nbformat.NotebookNode:
    nb = jupytext.read(py_path)
    stable_cell_ids(nb, py_path.stem)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def build_source(course: Course) -> list[Path]:
    """Convert every notebooks/NN_name.py to source/acceleration/NN_name.ipynb (paired)."""
    sources = course.notebook_sources()
    if not sources:
        raise CourseError(f"no notebooks/NN_name.py files in {course.notebooks_dir}")
    course.source_dir.mkdir(parents=True, exist_ok=True)
    stray = [p for p in course.source_dir.iterdir() if p.suffix == ".py"]
    if stray:
        raise CourseError(
            f"{', '.join(p.name for p in stray)} in {course.source_dir}: a .py file there would be "
            f"copied to students verbatim. Keep notebook sources in notebooks/ only."
        )
    written = []
    for py_path in sources:
        nb = notebook_from_source(py_path)
        target = course.source_dir / f"{py_path.stem}.ipynb"
        text = jupytext.writes(nb, fmt="ipynb")
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
        written.append(target)
    return written


def release(course: Course) -> list[Path]:
    """Generate the student notebooks with nbgrader (solutions and hidden tests removed)."""
    course.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    released = sorted(course.release_dir.glob("*.ipynb"))
    if not released:
        raise CourseError(f"nbgrader wrote no notebooks to {course.release_dir}")
    return released


def normalized(path: Path) -> dict:
    """A notebook's JSON without fields that change between identical builds."""
    nb = json.loads(Path(path).read_text())
    for cell in nb.get("cells", []):
        cell.pop("id", None)
        cell.get("metadata", {}).pop("execution", None)
    return nb
