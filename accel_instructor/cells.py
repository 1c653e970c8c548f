"""nbgrader cell metadata, read one way everywhere: nbgrader's own predicates plus the grade_id.

``is_grade`` (a graded cell), ``is_solution`` (an answer cell), ``is_locked`` (restored by
autograde) come from :mod:`nbgrader.utils`; :func:`grade_id` is the one lookup nbgrader lacks.
"""
from __future__ import annotations

from nbgrader.utils import is_grade, is_locked, is_solution

__all__ = ["grade_id", "is_grade", "is_locked", "is_solution"]


def grade_id(cell) -> str | None:
    """The cell's nbgrader ``grade_id``, or None for a cell nbgrader does not track."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
