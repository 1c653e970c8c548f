"""Dependencies are pinned once (pyproject.toml); environment.yml lists the same pins."""
import re
import tomllib

from conftest import ROOT


def pins_from_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(dep.split("==") for dep in deps)


def pins_from_environment_yml():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"\s+-\s+([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^,;\s]*", dep), f"not pinned exactly: {dep}"


def test_environment_yml_matches_pyproject():
    assert pins_from_environment_yml() == pins_from_pyproject()


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version
    for name, pinned in pins_from_pyproject().items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"
