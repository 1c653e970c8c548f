"""The student bundle works on its own: nothing to hide in it, and, installed alone in a fresh
virtualenv (no instructor path, no editable install), its notebooks run.

The virtualenv tests build ``python -m venv`` + ``pip install -r requirements.txt .`` from the
published folder only (pip's cache makes that quick after the first time) and run the notebooks
with that venv's Python through ``tests/bundle_runner.py``, started with ``-I`` from a folder
outside this repository.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from accel_instructor import settings
from accel_instructor.course import CourseError
from accel_instructor.lint import answer_leaks, answer_values, release_leaks
from accel_instructor.publish import binder_url, publish
from accel_instructor.samples import fill, reference_code, solution_cells
from conftest import ROOT

NOTEBOOKS = list(settings.load().notebook_names)
KERNEL = "accel-bundle"
GiB, MiB = 1 << 30, 1 << 20
# A notebook's kernel: 1.5 GiB, so that it and the JupyterLab server fit in Binder's 2 GiB.
BUDGET = 3 * GiB // 2
RUNNER = Path(__file__).with_name("bundle_runner.py")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, course):
    return publish(course, tmp_path_factory.mktemp("bundle") / "acceleration-student",
                   binder_repo="example-university/acceleration-student")


def test_bundle_holds_no_answer_hidden_test_or_gradebook(bundle, course):
    files = [p for p in bundle.rglob("*") if p.is_file()]
    names = {p.relative_to(bundle).as_posix() for p in files}
    assert not any(n.startswith(("source/", "accel_instructor/", "notebooks/", "tests/")) for n in names), names
    assert not any(n.endswith("gradebook.db") for n in names)
    for path in files:
        text = path.read_text(errors="ignore")
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
            assert marker not in text, f"{path.relative_to(bundle)} contains {marker}"
    assert release_leaks(course.source_dir, bundle / "acceleration") == []
    assert sorted(p.name for p in (bundle / "acceleration").iterdir()) == \
        sorted(p.name for p in course.release_dir.glob("*.ipynb"))
    # the learner package whole, every module of it
    shipped = {p.relative_to(bundle).as_posix() for p in (bundle / "accel").rglob("*.py")}
    assert shipped == {p.relative_to(ROOT).as_posix() for p in (ROOT / "accel").rglob("*.py")}


def test_bundle_has_binder_lock_gitignore_and_student_config(bundle):
    lock = (ROOT / "requirements.lock").read_text()
    assert (bundle / "requirements.txt").read_text() == lock
    assert (bundle / ".binder" / "requirements.txt").read_text() == lock
    assert re.fullmatch(r"python-3\.1[1-4]\n", (bundle / ".binder" / "runtime.txt").read_text())
    post_build = bundle / ".binder" / "postBuild"
    assert os.access(post_build, os.X_OK) and "pip install --no-deps ." in post_build.read_text()
    assert "--editable" not in post_build.read_text() and " -e ." not in post_build.read_text()
    assert ">=3.11,<3.15" in (bundle / "pyproject.toml").read_text()
    ignored = (bundle / ".gitignore").read_text().split()
    assert {".venv/", "__pycache__/", ".ipynb_checkpoints/"} <= set(ignored)
    config = (bundle / "nbgrader_config.py").read_text()
    assert "c.Execute.timeout = 120" in config and "db_url" not in config


def test_student_readme_links_binder_and_one_hand_in_route(bundle):
    readme = (bundle / "README.md").read_text()
    url = "https://mybinder.org/v2/gh/example-university/acceleration-student/HEAD?labpath=acceleration%2F01_vectorization.ipynb"
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({url})" in readme
    assert "<owner>" not in readme and "<repo>" not in readme
    for needed in ("pip install -r requirements.txt .", "nbgrader validate", "python -m accel.policy",
                   "## Hand in", "Upload the five files", "2 GiB"):
        assert needed in readme, needed


def test_binder_repo_must_be_owner_slash_name(course, tmp_path):
    assert binder_url("a-b/c.d_e") == "https://mybinder.org/v2/gh/a-b/c.d_e/HEAD?labpath=acceleration%2F01_vectorization.ipynb"
    for bad in ("noslash", "https://github.com/a/b", "a/b/c", "a b/c"):
        with pytest.raises(CourseError, match="OWNER/NAME"):
            publish(course, tmp_path / "x", binder_repo=bad)
    assert not (tmp_path / "x").exists(), "nothing is written for a malformed --binder-repo"
    plain = publish(course, tmp_path / "plain")
    assert "mybinder.org/v2/gh" not in (plain / "README.md").read_text()
    assert "--binder-repo OWNER/NAME" in (plain / "README.md").read_text()


# --- the bundle alone, in a fresh virtualenv ------------------------------------------------------

def student_env(venv: Path, **extra) -> dict:
    """The environment of a student's shell: the bundle venv first on PATH, nothing of ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "NBGRADER_EXECUTION")
           and not k.startswith("ACCEL_")}
    ours = str(ROOT)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(ours)]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env.update(extra)
    return env


def make_student_venv(bundle: Path, venv: Path, python: str) -> Path:
    """``python -m venv`` + ``pip install -r requirements.txt .`` from the bundle folder only,
    and a kernelspec that runs this venv's Python."""
    subprocess.run([python, "-m", "venv", str(venv)], check=True, cwd=venv.parent)
    env = student_env(venv)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", "-r", "requirements.txt", "."],
                             cwd=bundle, env=env, capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, f"pip install from the bundle failed:\n{install.stderr[-3000:]}"
    subprocess.run([str(venv / "bin" / "python"), "-m", "ipykernel", "install", "--prefix", str(venv),
                    "--name", KERNEL, "--display-name", "accel bundle"],
                   check=True, cwd=venv.parent, env=env, capture_output=True)
    return venv


def base_python() -> str:
    """The interpreter this course venv was made from (a venv made from a venv is made from it)."""
    return getattr(sys, "_base_executable", None) or sys.executable


@pytest.fixture(scope="module")
def student_venv(bundle, tmp_path_factory):
    return make_student_venv(bundle, tmp_path_factory.mktemp("student") / "venv", base_python())


def solved_folder(bundle: Path, course, dest: Path, names=NOTEBOOKS) -> Path:
    """The bundle's notebooks with the reference answers filled in (as a learner who finished),
    in a folder outside the repository, next to the student nbgrader_config.py."""
    dest.mkdir(parents=True)
    shutil.copy2(bundle / "nbgrader_config.py", dest / "nbgrader_config.py")
    for name in names:
        source = nbformat.read(course.source_dir / f"{name}.ipynb", as_version=4)
        reference = {gid: reference_code(cell) for gid, cell in solution_cells(source)}
        nb = fill(nbformat.read(bundle / "acceleration" / f"{name}.ipynb", as_version=4), {}, reference)
        nbformat.write(nb, dest / f"{name}.ipynb")
    return dest


def run_in_venv(venv: Path, folder: Path, names, prefix=(), **env) -> dict:
    """Run ``names`` (in ``folder``) with the venv's Python, the command prefixed by ``prefix``
    (e.g. ``taskset -c 0``); the runner's report."""
    report = folder / "report.json"
    out = subprocess.run([*prefix, str(venv / "bin" / "python"), "-I", str(RUNNER), KERNEL, str(report),
                          *[str(folder / f"{n}.ipynb") for n in names]],
                         cwd=folder, env=student_env(venv, **env), capture_output=True, text=True,
                         timeout=3600)
    assert out.returncode == 0, f"the runner failed:\n{out.stderr[-3000:]}"
    return json.loads(report.read_text())


def assert_ran_from_the_bundle(result: dict, venv: Path):
    probe = result["probe"]
    assert probe, "the probe cell did not run"
    assert Path(probe["python"]).parent == venv / "bin", probe["python"]
    assert Path(probe["accel"]).is_relative_to(venv / "lib"), (
        f"accel was imported from {probe['accel']}, not from the bundle's non-editable install")
    assert not [p for p in probe["path"] if p.startswith(str(ROOT))], probe["path"]


@pytest.mark.nbgrader
def test_instructor_package_is_not_importable_in_the_student_venv(student_venv, tmp_path):
    # the instructor's tooling, and the instructor extra (the grader's Dask scheduler)
    for module in ("accel_instructor", "accel_instructor.reference", "dask", "distributed"):
        out = subprocess.run([str(student_venv / "bin" / "python"), "-c", f"import {module}"],
                             cwd=tmp_path, env=student_env(student_venv), capture_output=True, text=True)
        assert "ModuleNotFoundError" in out.stderr, f"{module} is importable from the bundle's venv"
    out = subprocess.run([str(student_venv / "bin" / "python"), "-c", "import accel.siblings, accel.policy"],
                         cwd=tmp_path, env=student_env(student_venv), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.nbgrader
def test_solved_bundle_notebooks_run_clean_in_their_own_venv(bundle, course, student_venv, tmp_path):
    """As a student who finished, with the sizes Validate uses (NBGRADER_EXECUTION=validate)."""
    folder = solved_folder(bundle, course, tmp_path / "solved")
    report = run_in_venv(student_venv, folder, NOTEBOOKS, NBGRADER_EXECUTION="validate")
    for name in NOTEBOOKS:
        result = report[name]
        assert_ran_from_the_bundle(result, student_venv)
        assert result["errors"] == [], f"solved {name} fails in the bundle's venv: {result['errors']}"
        graded_stderr = [s for s in result["stderr"] if s["role"] == "test"]
        assert graded_stderr == [], f"solved {name}: a graded cell writes to stderr (0 points): {graded_stderr}"
        assert result["probe"]["peak_kib"] * 1024 < BUDGET, (name, result["probe"]["peak_kib"])
        printed = printed_text(folder / f"{name}.executed.ipynb")
        assert "skipped:" not in printed, f"solved {name}: a demonstration was skipped"
    # notebook 04 found the learner's kernels of 01-03 (no "not on the plot" notes)
    text = printed_text(folder / "04_roofline.executed.ipynb")
    assert "not on the plot" not in text and "GELU chunked" in text and "ikj loop" in text


def printed_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def answer_names(course, name: str) -> set[str]:
    from accel_instructor.intake import _module_level_bindings
    source = nbformat.read(course.source_dir / f"{name}.ipynb", as_version=4)
    return set().union(*(_module_level_bindings(c.source) for _, c in solution_cells(source)))


@pytest.mark.nbgrader
def test_untouched_bundle_notebooks_fail_only_in_exercises_with_a_hint(bundle, course, student_venv, tmp_path):
    folder = tmp_path / "untouched"
    shutil.copytree(bundle / "acceleration", folder)
    report = run_in_venv(student_venv, folder, NOTEBOOKS, NBGRADER_EXECUTION="validate")
    for name in NOTEBOOKS:
        result = report[name]
        assert_ran_from_the_bundle(result, student_venv)
        names = answer_names(course, name)
        assert result["errors"], f"untouched {name} raised nothing: are the stubs gone?"
        for error in result["errors"]:
            assert error["role"] in ("solution", "test"), (
                f"untouched {name}: a cell that is not an exercise fails (demonstrations should "
                f"skip unfinished kernels with `with skip_unfinished():`): {error}")
            # the message, not the helpers' internals: a short traceback
            assert error["traceback_lines"] <= 12, f"untouched {name}: a long traceback: {error}"
            # the stub's own error, or a test's assertion quoting it, or a name left undefined
            assert error["ename"] in ("NotImplementedError", "NameError", "AssertionError"), error
            hinted = re.findall(r"\w+", error["evalue"])
            assert set(hinted) & names, f"untouched {name}: the error names nothing to write: {error}"
            if error["ename"] != "NameError":
                assert "YOUR CODE HERE" in error["evalue"] and " yet" in error["evalue"], error
        skipped = [line for line in printed_text(folder / f"{name}.executed.ipynb").splitlines()
                   if line.startswith("skipped: ")]
        assert skipped and all("not written yet" in s or "not defined" in s for s in skipped), skipped


@pytest.mark.nbgrader
# One server-sized cache: any LLC of 256 MiB or more gives the same capped array sizes (a third
# of the budget shared by the arrays; tests/test_machine.py checks that arithmetic at 32 MiB,
# 256 MiB and 1 GiB), so a second size ran the same notebooks again for about six minutes.
@pytest.mark.parametrize("llc", [1 * GiB], ids=["llc1GiB"])
def test_every_notebook_and_validate_stay_within_the_memory_budget(bundle, course, student_venv, tmp_path, llc):
    """A server CPU's last-level cache (faked) must not push any notebook's kernel past 1.5 GiB:
    each notebook, solved and untouched, as a student runs it (full sizes), in a memory cgroup
    with a hard 1.5 GiB limit where this machine allows one (else only VmHWM is measured, and a
    warning says so); then nbgrader's Validate on the solved 04. Peak resident memory of the
    kernel: VmHWM from the kernel itself, and for Validate the largest child process the
    validate command waited for (getrusage RUSAGE_CHILDREN)."""
    solved = solved_folder(bundle, course, tmp_path / "solved", names=NOTEBOOKS)
    untouched = tmp_path / "untouched"
    shutil.copytree(bundle / "acceleration", untouched)
    limit = {"BUNDLE_MEMORY_LIMIT_BYTES": str(BUDGET), "ACCEL_FAKE_LLC_BYTES": str(llc)}
    for state, folder in (("solved", solved), ("untouched", untouched)):
        report = run_in_venv(student_venv, folder, NOTEBOOKS, **limit)
        for name in NOTEBOOKS:
            result, where = report[name], f"{state} {name} with a {llc // MiB} MiB LLC"
            killed = [e for e in result["errors"] if e["role"] == "kernel"]
            assert not killed, f"{where}: the kernel died (memory limit {BUDGET / GiB} GiB?): {killed}"
            if state == "solved":
                assert result["errors"] == [], f"{where}: {result['errors']}"
            peak = result["probe"]["peak_kib"] * 1024
            assert 100 * MiB < peak < BUDGET, f"{where}: the kernel peaked at {peak / GiB:.2f} GiB"
            cgroup = result["cgroup"]
            if cgroup["kind"] is None:
                warnings.warn(f"{where}: {cgroup['why_not']}")
            else:
                assert cgroup["oom_kills"] in (0, None), f"{where}: OOM kills in the cgroup: {cgroup}"
                assert cgroup["peak_bytes"] <= BUDGET, f"{where}: {cgroup}"
    executed = nbformat.read(solved / "04_roofline.executed.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "part of this measurement may come from the cache" in printed, "no note that the cap keeps data in cache"
    # every kernel at or below its roof: the roofs are the highest rates measured (issue 17)
    assert "Every kernel is at or below its roof." in printed and "Above 100% of a roof" not in printed, [
        line for line in printed.splitlines() if line.startswith("Above 100% of a roof")]

    wrapper = ("import resource, subprocess, sys\n"
               "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "print(done.stdout + done.stderr)\n"
               "print('PEAK_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
               "sys.exit(done.returncode)\n")
    out = subprocess.run([str(student_venv / "bin" / "python"), "-I", "-c", wrapper,
                          str(student_venv / "bin" / "nbgrader"), "validate", "04_roofline.ipynb"],
                         cwd=solved, env=student_env(student_venv, ACCEL_FAKE_LLC_BYTES=str(llc)),
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0 and "Success! Your notebook passes all the tests." in out.stdout, out.stdout[-3000:]
    assert "No nbgrader_config.py file found" not in out.stdout, "validate is not quiet about its config"
    peak = int(out.stdout.rsplit("PEAK_KIB", 1)[1].split()[0]) * 1024
    # the arrays alone are several hundred MiB: a smaller peak means the kernel was not counted
    assert 300 * MiB < peak < BUDGET, f"Validate of 04 with a {llc // MiB} MiB LLC peaked at {peak / GiB:.2f} GiB"


# The newest other supported Python this machine has (pyenv): 3.11 runs everything else, and
# the newest is where removals and deprecations bite first. One venv and five notebooks each.
OTHER_PYTHONS = sorted(Path("/root/.pyenv/versions").glob("3.1[2-4]*/bin/python"),
                       key=lambda p: tuple(int(part) for part in p.parent.parent.name.split(".")[:2]))[-1:]


@pytest.mark.nbgrader
@pytest.mark.parametrize("python", OTHER_PYTHONS or [None], ids=lambda p: p.parent.parent.name if p else "none")
def test_bundle_on_other_supported_pythons(bundle, course, tmp_path, python):
    """The bundle's lock resolves for Python 3.11-3.14; here it is installed and its solved
    notebooks run on the newest other supported Python this machine has (pyenv)."""
    if python is None:
        pytest.skip("no Python 3.12-3.14 under /root/.pyenv/versions on this machine: only 3.11 tested here")
    venv = make_student_venv(bundle, tmp_path / "venv", str(python))
    folder = solved_folder(bundle, course, tmp_path / "solved")
    report = run_in_venv(venv, folder, NOTEBOOKS, NBGRADER_EXECUTION="validate")
    version = subprocess.run([str(venv / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout
    assert python.parent.parent.name.startswith("3.1") and version.strip() != "(3, 11)", version
    for name in NOTEBOOKS:
        assert_ran_from_the_bundle(report[name], venv)
        assert report[name]["errors"] == [], f"{name} on {python}: {report[name]['errors']}"


@pytest.mark.nbgrader
def test_bundle_turns_off_nbgrader_instructor_tools_and_keeps_validate(student_venv, tmp_path):
    """The course uses no exchange and no formgrader: their server extensions and JupyterLab
    plugins are off in the bundle's environment; Validate stays on."""
    env = student_env(student_venv)
    jupyter = str(student_venv / "bin" / "jupyter")
    server = subprocess.run([jupyter, "server", "extension", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", server.stdout + server.stderr)  # colours
    for extension in ("formgrader", "assignment_list", "course_list"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension}\s+disabled", text), text
    assert re.search(r"nbgrader\.server_extensions\.validate_assignment\s+enabled", text), text
    lab = subprocess.run([jupyter, "labextension", "list"], cwd=tmp_path, env=env, capture_output=True, text=True)
    disabled = re.sub(r"\x1b\[[0-9;]*m", "", lab.stdout + lab.stderr).split("Disabled extensions:", 1)
    assert len(disabled) == 2, lab.stdout + lab.stderr
    for plugin in ("formgrader", "assignment-list", "course-list", "create-assignment", "menu"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled[1], lab.stdout + lab.stderr
    assert "@jupyter/nbgrader:validate-assignment" not in disabled[1]


@pytest.mark.nbgrader
def test_validate_shows_each_stub_message_whole(bundle, student_venv, tmp_path):
    """nbgrader validate cuts error lines at Validator.width; the bundle's config widens it so a
    learner reads what to write ("... its docstring says what it takes and returns)")."""
    folder = tmp_path / "untouched"
    shutil.copytree(bundle, folder)
    out = subprocess.run([str(student_venv / "bin" / "nbgrader"), "validate", "acceleration/01_vectorization.ipynb"],
                         cwd=folder, env=student_env(student_venv, NBGRADER_EXECUTION="validate"),
                         capture_output=True, text=True, timeout=1800)
    lines = [line for line in out.stdout.splitlines() if "is not written yet" in line]
    assert lines, out.stdout[-3000:]
    for line in lines:
        assert "(its docstring says what it takes and returns)" in line, f"cut by Validate: {line}"


# No answer in the text (issue 19.2) ---------------------------------------------------------


def test_answer_values_come_from_the_reference_solution(course):
    values = {}
    for path in sorted(course.source_dir.glob("*.ipynb")):
        values.update(answer_values(nbformat.read(path, as_version=4)))
    assert values["q4_time_removed"] == 0.6875 and values["q1_unfused_bytes"] == 84
    assert values["q2_tile_bytes"] == 16384 and abs(values["q6_ai_gelu_unfused_operational"] - 9 / 120) < 1e-12
    assert len(values) >= 15, sorted(values)


def test_release_gives_no_answer_away(course):
    leaks = answer_leaks(course.source_dir, course.release_dir)
    assert leaks == [], "answers in the released text:\n" + "\n".join(leaks)


@pytest.mark.parametrize("planted, answer", [
    ("Fusion removes about 69% of the time.", "q4_time_removed"),
    ("Fusion removes 68.75% of the time.", "q4_time_removed"),
    ("That is 0.69 of the unfused time.", "q4_time_removed"),
    ("The operational intensity is 9/120 FLOP per byte.", "q6_ai_gelu_unfused_operational"),
    ("The operational intensity is 0.075 FLOP per byte.", "q6_ai_gelu_unfused_operational"),
    ("One tile takes 16 KiB.", "q2_tile_bytes"),
    ("One tile takes 16,384 bytes.", "q2_tile_bytes"),
    ("```python\nprint('one tile:', 16_384, 'B')\n```\nprints 16_384 B", "q2_tile_bytes"),
    ("The unfused GELU moves 84 bytes per element.", "q1_unfused_bytes"),
    ("Amdahl caps it at 4.71x.", "q8_amdahl_speedup"),
    ("```python\nratio = 1 / 16\n```", "q1_ai_add"),
])
def test_answer_lint_catches_a_planted_answer(scratch_course, planted, answer):
    path = scratch_course.release_dir / "01_vectorization.ipynb"
    before = answer_leaks(scratch_course.source_dir, scratch_course.release_dir)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(planted))
    nbformat.write(nb, path)
    new = [p for p in answer_leaks(scratch_course.source_dir, scratch_course.release_dir) if p not in before]
    assert any(f":{answer} = " in p and p.startswith("01_vectorization.ipynb") for p in new), new


@pytest.mark.parametrize("honest", [
    "A float64 element is 8 bytes.", "Fusion removed about 70% here.", "An L1 cache of 48 KiB.",
    "Use chunks of 8192 elements.", "About 0.1 FLOP per byte.", "Tiles of 64 x 64.",
])
def test_answer_lint_leaves_other_numbers_alone(scratch_course, honest):
    path = scratch_course.release_dir / "01_vectorization.ipynb"
    before = answer_leaks(scratch_course.source_dir, scratch_course.release_dir)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(honest))
    nbformat.write(nb, path)
    assert [p for p in answer_leaks(scratch_course.source_dir, scratch_course.release_dir) if p not in before] == []


@pytest.mark.slow  # a whole bundle through the CLI, about 12 s
def test_publish_command_takes_binder_repo(tmp_path):
    cli = [sys.executable, "-m", "accel_instructor", "publish"]
    out = subprocess.run([*cli, str(tmp_path / "b"), "--binder-repo", "uni/acc"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "https://mybinder.org/v2/gh/uni/acc/HEAD?labpath=acceleration%2F01_vectorization.ipynb" in out.stdout
    assert "mybinder.org/v2/gh/uni/acc/HEAD" in (tmp_path / "b" / "README.md").read_text()
    bad = subprocess.run([*cli, str(tmp_path / "c"), "--binder-repo", "github.com/uni/acc"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "expected OWNER/NAME" in bad.stderr, bad
    helptext = subprocess.run([*cli, "--help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "--binder-repo OWNER/NAME" in helptext
