"""Static checks of the course: cell headers, and what must never reach students."""
from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path

import nbformat

from .cells import grade_id
from .samples import solution_cells

FORBIDDEN_IN_RELEASE = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                        "BEGIN MARK SCHEME")


def _split_region(source: str, name: str) -> tuple[list[str], list[str]]:
    """(lines inside, lines outside) the ### BEGIN/END ``name`` markers; markers dropped."""
    inside, lines = False, ([], [])
    for line in source.splitlines():
        marker = line.strip()
        if marker == f"### BEGIN {name}":
            inside = True
        elif marker == f"### END {name}":
            inside = False
        else:
            lines[0 if inside else 1].append(line)
    return lines


def solution_region(source: str) -> list[str]:
    """The lines between ### BEGIN SOLUTION and ### END SOLUTION."""
    return _split_region(source, "SOLUTION")[0]


def _runs_code(source: str) -> bool:
    """True when a test cell does something at top level besides defining things."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True  # reported by execution, not here
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the docstring
    passive = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    return any(not isinstance(node, passive) for node in body)


def _ends_with_a_shown_value(source: str) -> bool:
    """True when the cell's last statement is an expression Jupyter would display (not a call,
    and not silenced by a trailing ``;``): nbgrader reads a number shown by a test cell as its
    partial credit, so ``ratio`` or ``x == 1`` ending a test cell can change the score."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False  # reported by execution, not here
    if len(tree.body) < 2 or not isinstance(tree.body[-1], ast.Expr):
        return False  # a lone expression is the docstring
    last = tree.body[-1]
    if isinstance(last.value, ast.Call):
        return False  # checks return None; print shows text, not a result
    code = [line.split("#")[0].rstrip() for line in source.splitlines()[last.end_lineno - 1:]]
    return not any(line.endswith(";") for line in code)


def _without_hidden_tests(source: str) -> str:
    """The test cell as released: the ### BEGIN/END HIDDEN TESTS region removed."""
    return "\n".join(_split_region(source, "HIDDEN TESTS")[1])


def lint_notebook(nb, name: str) -> list[str]:
    """Problems with the nbgrader cell headers of one source notebook (empty list = fine)."""
    problems = []
    seen = {}
    awaiting_test = None  # a code solution cell not yet followed by a graded test cell
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        where = f"{name} cell {index}"
        grade_id = meta.get("grade_id")
        if meta.get("schema_version") != 3:
            problems.append(f"{where}: schema_version should be 3, got {meta.get('schema_version')}")
        if not grade_id:
            problems.append(f"{where}: nbgrader cell without grade_id")
            continue
        if grade_id in seen:
            problems.append(f"{where}: grade_id {grade_id!r} already used by cell {seen[grade_id]}")
        seen[grade_id] = index
        graded, solution = meta.get("grade", False), meta.get("solution", False)
        if "points" in meta and not graded:
            problems.append(f"{where} ({grade_id}): points on a cell that is not graded")
        if graded and not meta.get("points"):
            problems.append(f"{where} ({grade_id}): graded cell without points")
        if cell.cell_type == "code" and graded and not solution:
            if not grade_id.startswith("test_"):
                problems.append(f"{where}: test cell grade_id {grade_id!r} should start with 'test_'")
            if not meta.get("locked"):
                problems.append(f"{where} ({grade_id}): test cells must be locked")
            first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
            if not first.startswith('"""'):
                problems.append(f"{where} ({grade_id}): open the test cell with a docstring saying what it checks")
            if not _runs_code(cell.source):
                problems.append(f"{where} ({grade_id}): the test cell only defines things; it must run its assertions")
            elif not _runs_code(_without_hidden_tests(cell.source)):
                problems.append(f"{where} ({grade_id}): as released (hidden tests removed) the test cell is "
                                f"only its docstring, which Jupyter shows and nbgrader's Validate counts as a "
                                f"pass in the untouched notebook; add a visible check before the hidden tests")
            for version, text in (("", cell.source), (" (as released, hidden tests removed)",
                                                      _without_hidden_tests(cell.source))):
                if _ends_with_a_shown_value(text):
                    problems.append(f"{where} ({grade_id}){version}: ends with a bare expression whose "
                                    f"value Jupyter shows; nbgrader reads a shown number as partial "
                                    f"credit. End with an assertion or a check, or add ';'")
                    break
            awaiting_test = None
        elif cell.cell_type == "code" and solution:
            if awaiting_test is not None:
                problems.append(f"{name}: solution cell {awaiting_test!r} has no graded test cell after it")
            awaiting_test = grade_id
    if awaiting_test is not None:
        problems.append(f"{name}: solution cell {awaiting_test!r} has no graded test cell after it")
    return problems


def lint_course(source_dir: Path) -> list[str]:
    problems, owners = [], {}
    for path in sorted(Path(source_dir).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        problems += lint_notebook(nb, path.name)
        for cell in nb.cells:
            gid = grade_id(cell)
            if gid and gid in owners and owners[gid] != path.name:
                problems.append(f"{path.name}: grade_id {gid!r} is also used in {owners[gid]}")
            if gid:
                owners[gid] = path.name
    return problems


def release_leaks(source_dir: Path, release_dir: Path) -> list[str]:
    """Solutions, hidden tests or pairing metadata that would reach students."""
    problems = []
    for stray in sorted(p for p in Path(release_dir).rglob("*") if p.is_file() and p.suffix != ".ipynb"):
        problems.append(f"{stray.name}: only notebooks belong in the release")
    for path in sorted(Path(release_dir).glob("*.ipynb")):
        text = path.read_text()
        for marker in FORBIDDEN_IN_RELEASE:
            if marker in text:
                problems.append(f"{path.name}: contains {marker!r}")
        if "jupytext" in json.loads(text).get("metadata", {}):
            problems.append(f"{path.name}: carries jupytext pairing metadata")
        if "accel_instructor" in text:
            problems.append(f"{path.name}: uses accel_instructor, which students do not get "
                            f"(import it only inside ### BEGIN HIDDEN TESTS)")
        source = Path(source_dir) / path.name
        if not source.exists():
            problems.append(f"{path.name}: no matching source notebook")
            continue
    # Any notebook's answers, in any released notebook (one notebook can answer another's).
    released_cells = [(path.name, _meaningful(c.source.splitlines()))
                      for path in sorted(Path(release_dir).glob("*.ipynb"))
                      for c in nbformat.read(path, as_version=4).cells]
    for source in sorted(Path(source_dir).glob("*.ipynb")):
        for gid, cell in solution_cells(nbformat.read(source, as_version=4)):
            if cell.cell_type != "code":
                continue
            answer = _meaningful(solution_region(cell.source))
            for start in range(len(answer) - LEAK_RUN + 1):
                run = answer[start:start + LEAK_RUN]
                where = next((name for name, lines in released_cells if _contains_run(lines, run)), None)
                if where:
                    problems.append(f"{where}: {LEAK_RUN} consecutive solution lines of "
                                    f"{source.stem}:{gid!r} appear in the release, from {run[0][:50]!r}")
                    break
    return problems


LEAK_RUN = 3  # single lines (``out = np.empty_like(flat)``) recur honestly in instructor code


def _meaningful(lines) -> list[str]:
    """Stripped lines, without blanks, comments and markdown quoting, for comparing code."""
    result = []
    for line in lines:
        line = line.strip()
        if line.startswith("#") and not line.startswith("#!"):
            line = line.lstrip("#").strip()
            if not line or line.startswith(("%%", "---")):
                continue
        if line and not line.startswith('"""'):
            result.append(line)
    return result


def _contains_run(lines: list[str], run: list[str]) -> bool:
    n = len(run)
    return any(lines[i:i + n] == run for i in range(len(lines) - n + 1))


# No answer in the text ----------------------------------------------------------------------
# The "Check your understanding" answers are numbers (q1_intensity = ...). Their values come
# from the reference solution itself: each ``qN_name = expression`` of a solution region is
# evaluated (with math and numpy), so the lint follows the answers when they change. The
# released text is then read for numbers a student could copy: plain numbers, decimals,
# percentages, fractions (9/84) and sizes with a binary unit (16 KiB).
ANSWER_NAME = re.compile(r"^q\d+_\w+$")
_NUMBER = (r"(?<![\w.])(?P<num>\d+(?:[,_]\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?)"
           r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?)(?![\w.]))?"
           r"(?:\s*(?P<unit>%|KiB|MiB|GiB|kB|B\b|bytes?\b))?")
NUMBER = re.compile(_NUMBER)
UNIT_SCALE = {"%": 0.01, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "kB": 1000}
# Integer answers: a byte count (the answer's name says bytes) counts only when written with a
# byte unit ("84 bytes", "16 KiB"), any other integer only from 1000 up, because small numbers
# recur honestly everywhere ("n = 8192" elements, "128-bit"). Below 16 bytes (8 bytes: a float64
# element) an answer cannot be kept out of a course about bytes at all: its question must ask
# for a derivation instead.
SMALL_BYTES, SMALL_INTEGER = 16, 1000


def answer_values(nb) -> dict[str, float]:
    """``{name: value}`` of every numeric qN_ answer in a source notebook's solution regions.

    Raises ValueError naming the answer when its expression cannot be evaluated on its own
    (the lint must not skip an answer silently).
    """
    import math

    import numpy
    values: dict[str, float] = {}
    for gid, cell in solution_cells(nb):
        if cell.cell_type != "code":
            continue
        namespace = {"math": math, "np": numpy, "numpy": numpy}
        try:
            tree = ast.parse("\n".join(solution_region(cell.source)))
        except SyntaxError:
            continue
        for node in tree.body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)):
                continue
            name = node.targets[0].id
            if not ANSWER_NAME.match(name):
                continue
            try:
                value = eval(compile(ast.Expression(node.value), name, "eval"), namespace)
            except Exception as error:
                raise ValueError(f"answer {name} of {gid!r}: cannot evaluate its reference "
                                 f"expression on its own ({error}); write it as arithmetic on "
                                 f"numbers and math.*") from error
            namespace[name] = value
            if isinstance(value, (int, float, numpy.integer, numpy.floating)) and not isinstance(value, bool):
                values[name] = float(value)
    return values


def _written_numbers(text: str):
    """(value, written form, has byte unit, significant digits) of each number in ``text``."""
    for match in NUMBER.finditer(text):
        num, den, unit = match["num"].replace(",", "").replace("_", ""), match["den"], match["unit"]
        try:
            value = float(num) / float(den) if den else float(num)
        except (ValueError, ZeroDivisionError):
            continue
        digits = len(num.split("e")[0].split("E")[0].replace(".", "").lstrip("0")) or 1
        if unit in UNIT_SCALE:
            value *= UNIT_SCALE[unit]
        decimals = len(num.split(".")[1]) if "." in num and not den else 0
        yield value, match.group(0).strip(), unit not in (None, "%"), digits, decimals, bool(den), unit


def _gives_away(name: str, answer: float, written) -> bool:
    value, _, byte_unit, digits, decimals, fraction, unit = written
    if fraction:
        return math.isclose(value, answer, rel_tol=1e-9)
    if answer == int(answer) and abs(answer) >= 1:
        if value != answer:
            return False
        if "bytes" in name:
            return byte_unit and abs(answer) >= SMALL_BYTES
        return abs(answer) >= SMALL_INTEGER
    if digits < 2:
        return False  # "0.1" or "5%" is too coarse to give a non-integer answer away
    if unit == "%":  # 69% of 0.6875: compare in percent, at the written precision
        answer, value = answer * 100, value * 100
    return round(answer, decimals) == round(value, decimals) != 0


def answer_leaks(source_dir: Path, release_dir: Path) -> list[str]:
    """Answers of any notebook's questions written in any released notebook's text (markdown,
    code and outputs; hidden tests are not released), within the rounding a student would
    write: the same integer (or size, 16 KiB = 16384), a fraction of equal value, a decimal or
    percentage that rounds to it at its written precision."""
    answers = []
    for source in sorted(Path(source_dir).glob("*.ipynb")):
        for name, value in answer_values(nbformat.read(source, as_version=4)).items():
            answers.append((source.stem, name, value))
    problems = []
    for path in sorted(Path(release_dir).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            texts = [cell.source] + [out.get("text", "") for out in cell.get("outputs", [])]
            for written in (w for text in texts for w in _written_numbers(text)):
                for stem, name, value in answers:
                    problem = (f"{path.name} cell {index} ({cell.cell_type}): {written[1]!r} gives "
                               f"away {stem}:{name} = {value:g}; let the learner compute it")
                    if _gives_away(name, value, written) and problem not in problems:
                        problems.append(problem)
    return problems
