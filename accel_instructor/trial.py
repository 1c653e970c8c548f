"""Run one notebook variant the way the autograder would, without touching the gradebook.

For authors: executes the source notebook (hidden tests included) with NBGRADER_EXECUTION set,
optionally with known-wrong answers swapped in, and reports every graded cell as nbgrader would
score it: an error output *or anything on stderr* loses the cell's points.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from nbclient import NotebookClient

from .cells import grade_id, is_grade
from .course import Course


@dataclass
class CellVerdict:
    grade_id: str
    points: float
    passed: bool
    reason: str


def execute(nb, cwd, timeout: int = 120):
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": str(cwd)}})
        client.execute()
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
    return nb


def verdicts(nb) -> list[CellVerdict]:
    result = []
    for cell in nb.cells:
        if not is_grade(cell) or cell.cell_type != "code":
            continue
        reason = ""
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                reason = f"{out.ename}: {out.evalue}"[:300]
                break
            if out.output_type == "stream" and out.name == "stderr":
                reason = f"wrote to stderr: {out.text.strip()[:200]}"
                break
        result.append(CellVerdict(grade_id(cell), cell.metadata["nbgrader"].get("points", 0), not reason, reason))
    return result


def try_notebook(course: Course, notebook: str, answers: dict[str, str] | None = None):
    from .samples import variant_of_source
    nb = variant_of_source(course, notebook, answers or {})
    start = time.perf_counter()
    execute(nb, course.source_dir)
    return verdicts(nb), time.perf_counter() - start
