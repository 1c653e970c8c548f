"""Unit tests on in-memory objects for the intricate parts: intake, recording arrays, sibling
loading, ratio checks and the report. No nbgrader run, no timing: part of `make test-fast`."""
from __future__ import annotations

import copy

import nbformat
import numpy as np
import pytest

from accel import Tensor
from accel.grading import SpeedRatio, require_speedup, require_within
from accel.grading.tiling import largest_block, record_products
from accel.siblings import kernels_from
from accel_instructor.cells import grade_id, is_solution
from accel_instructor.grade import CellGrade, NotebookGrade, format_gradebook
from accel_instructor.intake import NotebookRules, sanitize
from accel_instructor.report import cell_pass_rates


# --- intake -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rules(course):
    return NotebookRules(course, "01_vectorization")


@pytest.fixture
def released(course):
    return nbformat.read(course.release_dir / "01_vectorization.ipynb", as_version=4)


def _answer_cell(nb, gid):
    return next(c for c in nb.cells if grade_id(c) == gid and is_solution(c))


def test_untouched_release_passes_intake_unchanged(rules, released):
    before = copy.deepcopy(released)
    nb, findings = sanitize(released, rules, "ada")
    assert findings == []
    assert [c.source for c in nb.cells] == [c.source for c in before.cells]


def test_a_patching_answer_is_replaced_by_a_cell_that_names_the_rule(rules, released):
    cell = _answer_cell(released, "naive_matmul")
    cell.source = "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
    nb, findings = sanitize(released, rules, "ada")
    assert len(findings) == 1 and "not run" in findings[0].message
    assert cell.source.startswith("# This cell was not run by the grader")
    assert "raise RuntimeError" in cell.source


def test_duplicated_and_unknown_graded_cells_lose_their_metadata(rules, released):
    answer = _answer_cell(released, "naive_matmul")
    twin = copy.deepcopy(answer)
    stranger = copy.deepcopy(answer)
    stranger.metadata["nbgrader"]["grade_id"] = "ps1_problem1"
    index = released.cells.index(answer)
    released.cells[index + 1:index + 1] = [twin, stranger]
    nb, findings = sanitize(released, rules, "ada")
    messages = " | ".join(f.message for f in findings)
    assert "duplicate of 'naive_matmul'" in messages and "unknown graded cell 'ps1_problem1'" in messages
    assert "nbgrader" not in twin.metadata and "nbgrader" not in stranger.metadata
    assert grade_id(answer) == "naive_matmul"


def test_deleted_test_cell_is_reported(rules, released):
    released.cells = [c for c in released.cells if grade_id(c) != "test_naive_matmul"]
    _, findings = sanitize(released, rules, "ada")
    assert any("graded cells deleted: test_naive_matmul" in f.message for f in findings)


# --- recording arrays (notebook 03's structural check) --------------------------------------

def _tiled(a, b, tile):
    a, b = a.data, b.data
    out = np.zeros((a.shape[0], b.shape[1]))
    for i in range(0, a.shape[0], tile):
        for j in range(0, b.shape[1], tile):
            for p in range(0, a.shape[1], tile):
                out[i:i + tile, j:j + tile] += a[i:i + tile, p:p + tile] @ b[p:p + tile, j:j + tile]
    return Tensor(out)


def test_recording_sees_every_tile_and_the_whole_matmul():
    a, b = np.ones((10, 7)), np.ones((7, 9))
    result, products = record_products(_tiled, a, b, 4)
    assert np.array_equal(result.data, a @ b)
    assert len(products) == 3 * 3 * 2 and largest_block(products) == 4
    whole, products = record_products(lambda x, y: Tensor(x.data @ y.data), a, b)
    assert largest_block(products) == 10


def test_recording_result_is_handed_back_as_a_plain_array():
    result, _ = record_products(lambda x, y: Tensor(np.zeros_like(x.data)), np.ones((3, 3)), np.ones((3, 3)))
    assert type(result.data) is np.ndarray


# --- sibling loading --------------------------------------------------------------------------

def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for source, meta in cells:
        cell = nbformat.v4.new_code_cell(source)
        if meta:
            cell.metadata["nbgrader"] = {"schema_version": 3, **meta}
        nb.cells.append(cell)
    return nb


def test_kernels_from_runs_only_setup_and_answer_cells(tmp_path):
    nb = _notebook(
        ("import math\nSCALE = 2", None),
        ("def double(x):\n    return SCALE * x", {"solution": True, "grade": False, "grade_id": "double", "locked": False}),
        ("raise SystemExit('a measurement cell must not run')", None),
        ("def unfinished(x):\n    raise NotImplementedError", {"solution": True, "grade": False, "grade_id": "u", "locked": False}),
        ("assert double(2) == 4", {"grade": True, "grade_id": "test_double", "locked": True, "points": 1}),
    )
    path = tmp_path / "01_demo.ipynb"
    nbformat.write(nb, path)
    found, notes = kernels_from(path, ["double", "unfinished", "missing"])
    assert found["double"](3) == 6
    assert "unfinished" in found  # defined; calling it raises, which notebook 04 reports
    assert notes == ["missing is not defined by 01_demo.ipynb yet"]


def test_kernels_from_reports_missing_and_unreadable_files(tmp_path):
    assert kernels_from(tmp_path / "nope.ipynb", ["f"]) == ({}, ["nope.ipynb not found next to this notebook"])
    (tmp_path / "bad.ipynb").write_text("{not json")
    found, notes = kernels_from(tmp_path / "bad.ipynb", ["f"])
    assert found == {} and "could not be read" in notes[0]


# --- ratio checks -----------------------------------------------------------------------------

def test_require_speedup_passes_and_fails_with_both_numbers(tmp_path, monkeypatch):
    log = tmp_path / "ratios.jsonl"
    monkeypatch.setenv("ACCEL_RATIO_LOG", str(log))
    require_speedup(SpeedRatio(baseline_seconds=0.5, candidate_seconds=0.1), 3, "kernel")
    with pytest.raises(AssertionError, match=r"kernel: expected at least 10x, measured 5.0x"):
        require_speedup(SpeedRatio(0.5, 0.1), 10, "kernel")
    assert log.read_text().count('"check": "kernel"') == 2


def test_require_within_is_a_closed_band():
    require_within(0.5, 0.5, 1.5, "roof")
    require_within(1.5, 0.5, 1.5, "roof")
    with pytest.raises(AssertionError, match="between 0.5x and 1.5x"):
        require_within(0.49, 0.5, 1.5, "roof")


# --- report -----------------------------------------------------------------------------------

def _row(student, score):
    cells = [CellGrade("test_a", score, 2, False), CellGrade("reflection_a", None, 3, True)]
    return NotebookGrade(student, "01_vectorization", score, 5, 3, cells)


def test_pass_rates_count_full_points_and_skip_reflections():
    rates = cell_pass_rates([_row("ada", 2), _row("bob", 0), _row("cy", 2)])
    assert rates == [{"notebook": "01_vectorization", "grade_id": "test_a", "points": 2, "passed": 2,
                      "submissions": 3, "pass_rate": 2 / 3}]


def test_gradebook_table_totals_and_manual_notes():
    table = format_gradebook([_row("ada", 2), _row("bob", 0)])
    assert "ada" in table and "TOTAL" in table and "3 pt await manual grading" in table
    assert format_gradebook([]) == "(no graded submissions)"


def test_solution_stubs_say_what_to_write():
    from accel_instructor.nbgrader_ext import explained_stub
    kernel = ('@njit\ndef matmul_ijk(a, b, out):\n    """doc"""\n    # YOUR CODE HERE\n'
              '    raise NotImplementedError()')
    out = explained_stub(kernel)
    assert "raise NotImplementedError()" not in out
    assert "raise NotImplementedError('matmul_ijk is not written yet" in out
    answers = '# YOUR CODE HERE\nraise NotImplementedError()\nprint(f"{q1_x:.1f} {q2_y}", len(q1_x))'
    assert "set q1_x and q2_y in the cell" in explained_stub(answers)
    compile(explained_stub(kernel), "stub", "exec")  # still valid Python


def test_kernels_from_skips_answers_that_break_the_rules_but_not_course_cells(tmp_path):
    nb = _notebook(
        ("import numpy as np", None),
        ("SCALE = np.float32(2)\nprint(type(SCALE).__name__)", None),  # the course's own set-up
        ("def leak(x):\n    np.save('../grades.npy', x)\n    return x",
         {"solution": True, "grade": False, "grade_id": "leak", "locked": False}),
        ("def double(x):\n    return SCALE * x", {"solution": True, "grade": False, "grade_id": "double", "locked": False}),
    )
    path = tmp_path / "02_demo.ipynb"
    nbformat.write(nb, path)
    found, notes = kernels_from(path, ["double", "leak"])
    assert found["double"](3) == 6  # SCALE came from the set-up cell that mentions __name__
    assert "leak" not in found
    assert any("was skipped: it breaks the course's code rules" in n for n in notes), notes


def test_point_problems_wants_one_named_marker_per_kernel():
    """The roofline figure check of notebooks 04 and 05: one marker at each kernel's point, and
    its name shown; a missing, doubled or unnamed point is a problem."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from accel.grading.roofline import point_problems

    kernels = {"add": (0.0625, 2.5), "matmul": (32.0, 90.0)}
    fig, ax = plt.subplots()
    for name, (ai, rate) in kernels.items():
        ax.loglog([ai], [rate], "o", label=name)
    ax.legend()
    assert point_problems(fig, kernels) == []
    ax.loglog([32.0], [90.0], "s")  # the same point twice
    assert point_problems(fig, {**kernels, "gelu": (0.75, 9.0)}) == [
        "'matmul': expected one marker at (32, 90), found 2",
        "'gelu': expected one marker at (0.75, 9), found 0",
        "'gelu': the name appears in no annotation, text or legend entry"]
    plt.close(fig)
