"""Every instructor command, run as an instructor runs it: `python -m accel_instructor ...` in a course folder."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from accel_instructor.samples import load_spec, write_submission
from conftest import ROOT, copy_course

COMMANDS = ["build", "release", "check", "publish", "collect", "grade", "report", "demo", "try"]


def accel(*args, cwd, check=True, timeout=600):
    proc = subprocess.run([sys.executable, "-m", "accel_instructor", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"accel {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    out = accel(command, "--help", cwd=ROOT).stdout
    assert out.startswith("usage: accel-course " + command)


def test_outside_a_course_the_error_says_what_to_do(tmp_path):
    proc = accel("build", cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert "no course found" in proc.stderr and "Run the command from the course checkout" in proc.stderr


@pytest.fixture
def small_course(tmp_path):
    """Notebook 01 only: every command runs in seconds."""
    return copy_course(tmp_path / "course", notebooks=["01_vectorization"])


@pytest.mark.nbgrader
def test_build_release_and_quick_check(small_course):
    for path in small_course.source_dir.glob("*.ipynb"):
        path.unlink()
    assert "built    source/acceleration/01_vectorization.ipynb" in accel("build", cwd=small_course.root).stdout
    assert "released release/acceleration/01_vectorization.ipynb" in accel("release", cwd=small_course.root).stdout
    out = accel("check", "--quick", cwd=small_course.root).stdout
    assert out.count("ok  ") == 4, out  # headers, release leaks, answers in the text, drift
    assert "no answer's value in the released text" in out


def test_check_reports_drift_and_fails(small_course):
    py = small_course.notebooks_dir / "01_vectorization.py"
    py.write_text(py.read_text().replace("# # 01 · Vectorization", "# # 01 · Vectorisation"))
    proc = accel("check", "--quick", cwd=small_course.root, check=False)
    assert proc.returncode == 1
    assert "FAIL source/ matches notebooks/" in proc.stdout and "run `make release`" in proc.stdout


@pytest.mark.nbgrader
def test_try_lists_graded_cells_and_known_wrong_expectations(small_course):
    out = accel("try", "01_vectorization", "--known-wrong",
                str(ROOT / "tests/known_wrong/01_matmul_float64.py"), cwd=small_course.root).stdout
    assert "FAIL    2 pt  test_vectorized_matmul_dtype (expected)" in out
    assert "0 graded cell(s) not as expected" in out


def test_collect_folder_zip_and_misnamed_files(small_course, tmp_path):
    drop = tmp_path / "drop"
    (drop / "ada").mkdir(parents=True)
    nb = nbformat.read(small_course.release_dir / "01_vectorization.ipynb", 4)
    nbformat.write(nb, drop / "ada" / "01_vectorization.ipynb")
    nbformat.write(nb, drop / "grace_01_vectorization.ipynb")
    nbformat.write(nb, drop / "homework.ipynb")
    (drop / "notes.txt").write_text("not a notebook")
    out = accel("collect", str(drop), cwd=small_course.root).stdout
    assert "collected ada: 01_vectorization" in out and "collected grace: 01_vectorization" in out
    assert "homework.ipynb: cannot tell student and notebook apart" in out
    assert "notes.txt: not a notebook" in out
    assert (small_course.submitted_dir / "grace" / "acceleration" / "01_vectorization.ipynb").exists()
    assert (drop / "ada" / "01_vectorization.ipynb").exists(), "collect must copy, not move"

    again = accel("collect", str(drop), cwd=small_course.root, check=False)
    assert again.returncode == 1, "nothing collected and files need attention: a failing exit code"
    assert "ada: already in submitted/; use --force to replace" in again.stdout
    assert "collected ada" in accel("collect", str(drop), "--force", cwd=small_course.root).stdout

    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(drop / "ada" / "01_vectorization.ipynb", "linus/acceleration/01_vectorization.ipynb")
    assert "collected linus" in accel("collect", str(archive), cwd=small_course.root).stdout


@pytest.mark.nbgrader
def test_grade_then_report_and_publish(small_course, tmp_path):
    accel("release", cwd=small_course.root)
    for name in ("reference", "untouched", "partly_wrong"):
        spec = load_spec(small_course.root / "samples" / f"{name}.py")
        spec.answers = {k: v for k, v in spec.answers.items() if k == "01_vectorization"}
        write_submission(small_course, spec)
    shutil.copytree(small_course.submitted_dir / "untouched", small_course.submitted_dir / "broken")
    (small_course.submitted_dir / "broken" / "acceleration" / "01_vectorization.ipynb").write_text("{oops")

    out = accel("grade", cwd=small_course.root).stdout
    assert "reference     01_vectorization       18 / 20" in out.replace("   2 pt await", "")
    assert "untouched     01_vectorization        0 / 20" in out
    assert "broken / 01_vectorization: not a valid notebook file" in out
    with open(small_course.root / "grades.csv") as handle:
        rows = {(r["student"], r["notebook"]): r for r in csv.DictReader(handle)}
    assert rows[("reference", "01_vectorization")]["score"] == "18"
    assert rows[("partly_wrong", "01_vectorization")]["score"] == "16"
    html = (small_course.root / "reports" / "class_report.html").read_text()
    assert "data:image/png;base64," in html and "test_vectorized_matmul_dtype" in html
    assert "not a valid notebook file" in html
    assert (small_course.root / "reports" / "class_report.png").stat().st_size > 10_000
    assert (small_course.root / "feedback" / "partly_wrong" / "acceleration" / "01_vectorization.html").exists()

    (small_course.root / "reports" / "class_report.html").unlink()
    assert "html       reports/class_report.html" in accel("report", cwd=small_course.root).stdout

    dest = tmp_path / "student-repo"
    assert "student bundle written" in accel("publish", str(dest), cwd=small_course.root).stdout
    refused = accel("publish", str(dest), cwd=small_course.root, check=False)
    assert refused.returncode == 2 and "is not empty" in refused.stderr


@pytest.mark.nbgrader
def test_demo_runs_the_whole_loop(small_course):
    out = accel("demo", cwd=small_course.root).stdout
    for step in ("1/4 build", "2/4 release", "3/4 collect", "4/4 grade"):
        assert step in out
    assert "reference" in out and "TOTAL" in out and "reports/class_report.html" in out
    # a second demo starts from a clean gradebook and gives the same table
    again = accel("demo", cwd=small_course.root).stdout
    table = lambda text: [l for l in text.splitlines() if "TOTAL" in l]  # noqa: E731
    assert table(again) == table(out)


def test_grade_with_a_scheduler_but_without_distributed_says_install_the_instructor_extra(tmp_path):
    """dask/distributed are in the `instructor` extra; a Python without them (the student lock's)
    gets told what to install, before anything is graded."""
    course = copy_course(tmp_path / "course", notebooks=["01_vectorization"])
    blocked = ("import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None; "
               "from accel_instructor.cli import main; "
               "sys.exit(main(['grade', '--scheduler', 'tcp://127.0.0.1:9']))")
    proc = subprocess.run([sys.executable, "-c", blocked], cwd=course.root, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "--scheduler needs the Dask package `distributed`" in proc.stderr, proc.stderr
    assert "pip install -e '.[instructor]'" in proc.stderr, proc.stderr
    assert not (course.root / "gradebook.db").exists() and not (course.root / "autograded").exists()
