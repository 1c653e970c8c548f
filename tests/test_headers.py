"""Cell headers of the source notebooks follow the grading contract (CONTRIBUTING.md)."""
import nbformat
import pytest

from accel_instructor.lint import lint_course, lint_notebook


def test_source_notebooks_pass_the_header_lint(course):
    assert lint_course(course.source_dir) == []


def _cell(source, **meta):
    cell = nbformat.v4.new_code_cell(source)
    if meta:
        cell.metadata["nbgrader"] = {"schema_version": 3, **meta}
    return cell


@pytest.mark.parametrize("cells, complaint", [
    ([_cell("def f(): pass", solution=True, grade=False, grade_id="f")],
     "has no graded test cell after it"),
    ([_cell('"""checks."""\ndef test_f():\n    assert f() == 1', grade=True, grade_id="test_f",
            points=1, locked=True, solution=False)],
     "only defines things"),
    ([_cell("assert 1", grade=True, grade_id="test_a", points=1, locked=True, solution=False)],
     "docstring"),
    ([_cell('"""x."""\nassert 1', grade=False, grade_id="test_b", points=1, solution=False)],
     "points on a cell that is not graded"),
    ([_cell('"""x."""\nassert 1', grade=True, grade_id="dup", points=1, locked=True, solution=False),
      _cell('"""x."""\nassert 1', grade=True, grade_id="dup", points=1, locked=True, solution=False)],
     "already used"),
    ([_cell('"""x."""\nratio = 0.5\nratio', grade=True, grade_id="test_bare", points=1, locked=True,
            solution=False)],
     "partial credit"),
    ([_cell('"""x."""\nassert 1\n### BEGIN HIDDEN TESTS\nassert 2\n### END HIDDEN TESTS\n'
            'ok = 1\nok == 1', grade=True, grade_id="test_bare_visible", points=1, locked=True,
            solution=False)],
     "partial credit"),
    ([_cell('"""x."""\n### BEGIN HIDDEN TESTS\nassert f() == 2\n### END HIDDEN TESTS', grade=True,
            grade_id="test_all_hidden", points=1, locked=True, solution=False)],
     "only its docstring"),
])
def test_lint_catches_each_defect(cells, complaint):
    nb = nbformat.v4.new_notebook(cells=cells)
    problems = lint_notebook(nb, "bad.ipynb")
    assert any(complaint in p for p in problems), problems


def test_lint_requires_schema_version_3():
    cell = _cell('"""x."""\nassert 1', grade=True, grade_id="test_c", points=1, locked=True, solution=False)
    cell.metadata["nbgrader"]["schema_version"] = 1
    assert any("schema_version" in p for p in lint_notebook(nbformat.v4.new_notebook(cells=[cell]), "x"))


@pytest.mark.parametrize("ending", ["check(ratio)", "ratio;", "ratio;  # silenced", "assert ratio"])
def test_lint_accepts_test_cells_that_show_no_value(ending):
    cell = _cell(f'"""x."""\nratio = 0.5\n{ending}', grade=True, grade_id="test_ok", points=1,
                 locked=True, solution=False)
    assert lint_notebook(nbformat.v4.new_notebook(cells=[cell]), "x") == []
