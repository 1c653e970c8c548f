"""Bring a class's notebooks into submitted/<student>/acceleration/ (copying, never moving)."""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import ASSIGNMENT, Course, CourseError

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class Collected:
    students: dict[str, list[str]] = field(default_factory=dict)  # student -> notebooks
    skipped: list[str] = field(default_factory=list)  # one line each, with what to do


def _match(path: Path, root: Path, notebooks: list[str]):
    """(student, notebook) for one file, or a message saying why it does not fit."""
    rel = path.relative_to(root)
    name = path.stem
    if path.suffix != ".ipynb":
        return None, f"{rel}: not a notebook; ignored"
    parts = [p for p in rel.parts[:-1] if p != ASSIGNMENT]
    if len(parts) == 1 and name in notebooks:  # <student>/<notebook>.ipynb
        student = parts[0]
    elif not parts:  # <student>_<notebook>.ipynb, as LMS downloads often are
        found = [nb for nb in notebooks if name.endswith("_" + nb)]
        if not found:
            return None, (f"{rel}: cannot tell student and notebook apart; name it "
                          f"<student>_<notebook>.ipynb (notebooks: {', '.join(notebooks)}) "
                          f"or put it in <student>/<notebook>.ipynb")
        student, name = name[: -len(found[0]) - 1], found[0]
    else:
        return None, (f"{rel}: expected <student>/<notebook>.ipynb with a notebook of this "
                      f"assignment ({', '.join(notebooks)})")
    if not STUDENT_ID.match(student):
        return None, f"{rel}: {student!r} is not a usable student id (letters, digits, _ . -)"
    return (student, name), ""


def collect(course: Course, source: Path, force: bool = False) -> Collected:
    """Copy every notebook found in ``source`` (a folder or a .zip) into submitted/."""
    source = Path(source)
    if not source.exists():
        raise CourseError(f"{source} does not exist: give a folder or a .zip of submissions")
    with tempfile.TemporaryDirectory() as scratch:
        root = source
        if source.is_file():
            if not zipfile.is_zipfile(source):
                raise CourseError(f"{source} is neither a folder nor a zip archive")
            with zipfile.ZipFile(source) as archive:
                archive.extractall(scratch)
            root = Path(scratch)
        notebooks = course.notebook_names()
        result = Collected()
        found = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
            if "__MACOSX" in path.parts or path.name.startswith("."):
                continue
            linked = [q for q in (path, *path.parents) if q != root and root in q.parents and q.is_symlink()]
            if linked:  # a link could point at source/ (answers, hidden tests) or anywhere else
                result.skipped.append(f"{path.relative_to(root)}: {linked[-1].relative_to(root)} is a "
                                      f"symbolic link; not followed (put the notebook file itself there)")
                continue
            match, why = _match(path, root, notebooks)
            if match is None:
                result.skipped.append(why)
            else:
                found.setdefault(match[0], []).append((match[1], path))
        for student, files in sorted(found.items()):
            dest = course.submitted_dir / student / ASSIGNMENT
            if dest.exists() and not force:
                result.skipped.append(f"{student}: already in submitted/; use --force to replace")
                continue
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            for notebook, path in files:
                shutil.copy2(path, dest / f"{notebook}.ipynb", follow_symlinks=False)
            result.students[student] = sorted(nb for nb, _ in files)
    return result
