"""Your kernels from your other notebooks, for the roofline of notebook 04.

Notebook 04 puts the kernels *you* wrote in notebooks 01-03 on your roofline. It does not copy
them: it reads the sibling notebook file, runs its set-up cells (imports, constants) and your answer
cells (nothing else: no measurements, no tests) in a fresh namespace, and hands back the
functions asked for.

While grading, the siblings are read from ``$ACCEL_SIBLINGS_DIR``: the grader's intake-checked
copies of your notebooks, mounted read-only in the sandbox (a file the kernel itself wrote is
never loaded), and every cell is checked against the course's code rules (:mod:`accel.policy`)
before it runs (all but the set-up cell, which intake has checked against the released one); a
cell that breaks a rule is skipped with a note.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
from pathlib import Path

import nbformat


def _only_definitions(source: str) -> bool:
    """A set-up cell: imports, functions, UPPER_CASE constants and prints, and nothing that
    measures or tests (those cells are skipped)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper()
                                                for t in node.targets):
            continue
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", "") == "print"):
            continue
        return False
    return bool(body)


def kernels_from(notebook: str | Path, names: list[str]) -> tuple[dict, list[str]]:
    """Functions ``names`` defined by the answer cells of ``notebook``, and notes on the rest.

    Runs the notebook's first code cell (its imports), then every answer cell in order, with
    output captured. A name that is missing, not callable, or whose cell raised is left out, and
    a note says why (the rest is still returned).
    """
    path = Path(notebook)
    graded_copies = os.environ.get("ACCEL_SIBLINGS_DIR")
    if graded_copies:  # grading: only the intake-checked, read-only copies
        path = Path(graded_copies) / path.name
    if not path.exists():
        return {}, [f"{path.name} not found next to this notebook"]
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file is reported the same way
        return {}, [f"{path.name} could not be read ({type(err).__name__})"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    cells = code[:1] + [c for c in code[1:] if c.metadata.get("nbgrader", {}).get("solution")
                        or (not c.metadata.get("nbgrader") and _only_definitions(c.source))]
    namespace: dict = {"__name__": f"sibling_{path.stem}"}
    notes = []
    from .policy import check_source
    for cell in cells:
        # Answer cells are checked again here (defence in depth). Other cells are the course's own
        # set-up, or were checked by the intake in the graded copy (a refused cell there is
        # replaced by one that raises, which is not a definitions-only cell and so never runs).
        violations = check_source(cell.source) if cell.metadata.get("nbgrader", {}).get("solution") else []
        if violations:
            notes.append(f"a cell of {path.name} was skipped: it breaks the course's code rules "
                         f"({violations[0]})")
            continue
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                exec(compile(cell.source, f"{path.name}", "exec"), namespace)  # noqa: S102 - your own code
            except BaseException as err:  # noqa: BLE001 - an unfinished answer raises; keep going
                if isinstance(err, KeyboardInterrupt):
                    raise
                pass  # an unfinished answer raises; `ready()` in notebook 04 says which kernel
    found = {}
    for name in names:
        fn = namespace.get(name)
        if callable(fn):
            found[name] = fn
        else:
            notes.append(f"{name} is not defined by {path.name} yet")
    return found, notes
