"""The student bundle: nothing to hide in it, and its notebooks run on their own."""
from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from accel_instructor.lint import release_leaks
from accel_instructor.publish import publish
from accel_instructor.samples import reference_code, solution_cells
from accel_instructor.trial import verdicts


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, course):
    return publish(course, tmp_path_factory.mktemp("bundle") / "acceleration-student")


def test_bundle_holds_no_answer_hidden_test_or_gradebook(bundle, course):
    files = [p for p in bundle.rglob("*") if p.is_file()]
    names = {p.relative_to(bundle).as_posix() for p in files}
    assert not any(n.startswith(("source/", "accel_instructor/", "notebooks/", "tests/")) for n in names), names
    assert not any(n.endswith(("gradebook.db", "nbgrader_config.py")) for n in names)
    for path in files:
        text = path.read_text(errors="ignore")
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
            assert marker not in text, f"{path.relative_to(bundle)} contains {marker}"
    assert release_leaks(course.source_dir, bundle / "acceleration") == []
    assert sorted(p.name for p in (bundle / "acceleration").iterdir()) == \
        sorted(p.name for p in course.release_dir.glob("*.ipynb"))


def test_bundle_has_binder_and_student_readme(bundle):
    assert (bundle / ".binder" / "environment.yml").read_text().count("numpy==") == 1
    assert os.access(bundle / ".binder" / "postBuild", os.X_OK)
    readme = (bundle / "README.md").read_text()
    for needed in ("Binder", "labpath=acceleration%2F01_vectorization.ipynb", "nbgrader validate", "Hand in"):
        assert needed in readme


def _run_in_bundle(bundle, nb, tmp_path):
    """Execute ``nb`` in a fresh kernel that can import only the bundle's copy of accel."""
    from nbclient import NotebookClient
    env_before = dict(os.environ)
    os.environ["PYTHONPATH"] = str(bundle)
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # the quick sizes
    try:
        NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    return nb


# A student has only the bundle: drop this venv's editable-install import hook, which would
# otherwise find the instructor's modules.
AS_A_STUDENT = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path "
                "if 'editable' not in repr(f).lower()]; ")


def test_bundle_package_is_the_one_students_import(bundle):
    env = {**os.environ, "PYTHONPATH": str(bundle)}
    out = subprocess.run([sys.executable, "-c", AS_A_STUDENT + "import accel, accel.grading; print(accel.__file__)"],
                         env=env, capture_output=True, text=True, cwd="/")
    assert out.stdout.strip().startswith(str(bundle)), out
    for grader_only in ("accel_instructor.reference", "accel_instructor.intake", "accel_instructor.cli"):
        missing = subprocess.run([sys.executable, "-c", AS_A_STUDENT + f"import {grader_only}"],
                                 env=env, capture_output=True, text=True, cwd="/")
        assert "ModuleNotFoundError" in missing.stderr, f"{grader_only} is importable from the bundle"


@pytest.mark.nbgrader
@pytest.mark.parametrize("name", ["01_vectorization", "02_kernel_fusion", "03_cache_tiling", "04_roofline"])
def test_untouched_bundle_notebook_fails_only_where_unanswered(bundle, name, tmp_path):
    nb = _run_in_bundle(bundle, nbformat.read(bundle / "acceleration" / f"{name}.ipynb", 4), tmp_path)
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        for out in cell.get("outputs", []):
            if out.output_type == "error" and not (meta.get("grade") or meta.get("solution")):
                assert out.ename in ("NotImplementedError", "NameError"), (
                    f"cell {index} of the untouched {name} fails for another reason: {out.ename}: {out.evalue}")
    assert all(not v.passed for v in verdicts(nb)), "a visible test passes without an answer"


@pytest.mark.nbgrader
@pytest.mark.parametrize("name", ["01_vectorization", "02_kernel_fusion", "03_cache_tiling", "04_roofline"])
def test_answered_bundle_notebook_runs_clean(bundle, course, name, tmp_path):
    nb = nbformat.read(bundle / "acceleration" / f"{name}.ipynb", 4)
    answers = {gid: reference_code(c) for gid, c in
               solution_cells(nbformat.read(course.source_dir / f"{name}.ipynb", 4))}
    for gid, cell in solution_cells(nb):
        cell.source = answers[gid]
    nb = _run_in_bundle(bundle, nb, tmp_path)
    errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert errors == [], errors
