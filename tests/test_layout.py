"""The layout's rules: the learner package stands alone, and the settings name every notebook."""
from __future__ import annotations

import ast
import os
import runpy
from pathlib import Path

import pytest

import accel
from accel_instructor import settings as settings_module
from accel_instructor.course import Course

LEARNER = Path(accel.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_learner_package_never_imports_the_instructor_tooling():
    offenders = {str(p.relative_to(LEARNER)): sorted(n for n in _imports(p) if n.split(".")[0] == "accel_instructor")
                 for p in LEARNER.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_learner_package_never_imports_the_instructor_extra():
    """dask and distributed are in the `instructor` extra: the student bundle does not install them."""
    import tomllib
    project = tomllib.loads((LEARNER.parent / "pyproject.toml").read_text())["project"]
    instructor_only = {dep.split("==")[0] for dep in project["optional-dependencies"]["instructor"]}
    assert instructor_only >= {"dask", "distributed"}
    offenders = {str(p.relative_to(LEARNER)): sorted(n for n in _imports(p) if n.split(".")[0] in instructor_only)
                 for p in LEARNER.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_check_would_catch_a_tooling_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from accel_instructor.reference.fusion import reference_gelu\n")
    assert "accel_instructor.reference.fusion" in _imports(bad)


def test_settings_list_exactly_the_notebook_sources(course):
    on_disk = sorted(p.stem for p in course.notebooks_dir.glob("[0-9][0-9]_*.py"))
    assert list(settings_module.load().notebook_names) == on_disk
    assert course.unlisted_sources() == []


def test_a_source_missing_from_the_settings_is_reported(scratch_course):
    extra = scratch_course.notebooks_dir / "05_extra.py"
    extra.write_text("# %%\nprint('hi')\n")
    assert scratch_course.unlisted_sources() == [extra]
    assert "05_extra" not in scratch_course.notebook_names()


def test_siblings_are_notebooks_that_come_before():
    names = settings_module.load().notebook_names
    for nb in settings_module.load().notebooks:
        for sibling in nb.siblings:
            assert sibling in names and names.index(sibling) < names.index(nb.name), (nb.name, sibling)


def test_nbgrader_config_reads_the_settings(monkeypatch, course):
    class Config:  # the two levels of attribute access nbgrader_config.py uses
        def __init__(self):
            self.sections = {}

        def __getattr__(self, name):
            return self.sections.setdefault(name, type("Section", (), {})())

    config = Config()
    monkeypatch.setenv("ACCEL_CELL_TIMEOUT", "7")
    monkeypatch.setenv("ACCEL_DB_URL", "postgresql://grader@db/acceleration")
    runpy.run_path(str(course.root / "nbgrader_config.py"), init_globals={"get_config": lambda: config})
    assert config.Execute.timeout == 7
    assert config.CourseDirectory.db_url == "postgresql://grader@db/acceleration"
    assert config.CourseDirectory.course_id == settings_module.load().course_id


def test_a_bad_number_in_the_environment_says_what_to_do(monkeypatch):
    monkeypatch.setenv("ACCEL_CAP_SECONDS", "ten minutes")
    with pytest.raises(ValueError, match="ACCEL_CAP_SECONDS='ten minutes' is not a number"):
        settings_module.load()


def test_db_url_defaults_to_sqlite_in_the_course_root(monkeypatch, tmp_path):
    monkeypatch.delenv("ACCEL_DB_URL", raising=False)
    assert Course(tmp_path).db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"
