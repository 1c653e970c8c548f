"""source/ and release/ are what the build makes from notebooks/, and release/ leaks nothing."""
import json

import pytest


from accel_instructor.build import build_source, normalized, release
from accel_instructor.lint import release_leaks


def test_every_notebook_has_a_source_and_a_release(course):
    names = course.notebook_names()
    assert names, "no notebooks/NN_name.py found"
    assert sorted(p.stem for p in course.source_dir.glob("*.ipynb")) == names
    assert sorted(p.stem for p in course.release_dir.glob("*.ipynb")) == names


@pytest.mark.nbgrader
def test_committed_source_and_release_match_a_fresh_build(course, scratch_course):
    for path in scratch_course.source_dir.glob("*.ipynb"):
        path.unlink()
    build_source(scratch_course)
    release(scratch_course)
    for name in course.notebook_names():
        for folder in ("source_dir", "release_dir"):
            fresh = normalized(getattr(scratch_course, folder) / f"{name}.ipynb")
            committed = normalized(getattr(course, folder) / f"{name}.ipynb")
            assert fresh == committed, (
                f"{folder.split('_')[0]}/acceleration/{name}.ipynb is out of date with "
                f"notebooks/{name}.py: run `make release` and commit the result")


def test_source_notebooks_are_paired_with_their_py(course):
    for path in course.source_dir.glob("*.ipynb"):
        formats = json.loads(path.read_text())["metadata"]["jupytext"]["formats"]
        assert "notebooks///py:percent" in formats and "source/acceleration///ipynb" in formats


def test_release_contains_no_solution_hidden_test_or_pairing(course):
    assert release_leaks(course.source_dir, course.release_dir) == []
    assert not list(course.source_dir.glob("*.py")), "a .py in source/ would be copied to students"


def test_leak_check_catches_a_leaky_release(scratch_course):
    path = next(scratch_course.release_dir.glob("*.ipynb"))
    nb = json.loads(path.read_text())
    nb["metadata"]["jupytext"] = {"formats": "ipynb,py:percent"}
    nb["cells"][0]["source"] = ["### BEGIN SOLUTION\n"]
    path.write_text(json.dumps(nb))
    problems = release_leaks(scratch_course.source_dir, scratch_course.release_dir)
    assert any("BEGIN SOLUTION" in p for p in problems)
    assert any("jupytext" in p for p in problems)


def test_leak_check_catches_copied_solution_code(scratch_course):
    import nbformat
    from accel_instructor.lint import solution_region
    from accel_instructor.samples import solution_cells
    name = "01_vectorization.ipynb"
    source = nbformat.read(scratch_course.source_dir / name, as_version=4)
    _, cell = next((gid, c) for gid, c in solution_cells(source) if gid == "naive_matmul")
    copied = "\n".join(solution_region(cell.source)[4:8])
    released = nbformat.read(scratch_course.release_dir / name, as_version=4)
    released.cells.append(nbformat.v4.new_markdown_cell(f"A hint:\n```python\n{copied}\n```"))
    nbformat.write(released, scratch_course.release_dir / name)
    problems = release_leaks(scratch_course.source_dir, scratch_course.release_dir)
    assert any("consecutive solution lines of 01_vectorization:'naive_matmul'" in p for p in problems), problems
