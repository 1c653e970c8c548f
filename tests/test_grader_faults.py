"""Grader faults are not student scores (issue 16.3): how a sandbox run ends decides who answers
for it. Each fault here is injected on the grader's side with a stand-in for bwrap (a script that
ignores bwrap's arguments and plays the runner's part), so no sandbox starts and the tests are quick."""
from __future__ import annotations

import json
import stat

import nbformat
import pytest

from accel_instructor.grade import collect_student
from accel_instructor.sandbox import execute_student_in_sandbox


def _nbs():
    cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("print(x)")]
    return {"a": nbformat.v4.new_notebook(cells=cells), "b": nbformat.v4.new_notebook(cells=cells[:1])}


def _fake_bwrap(tmp_path, script: str):
    path = tmp_path / "bwrap"
    path.write_text("#!/bin/sh\ncat > /dev/null\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def _run(tmp_path, script):
    return execute_student_in_sandbox(_nbs(), tmp_path, bwrap=_fake_bwrap(tmp_path, script), wall_seconds=10)


def _cell(nb, index, count):
    return json.dumps({"kind": "cell", "notebook": 0, "cell": {
        "id": nb.cells[index].id, "execution_count": count, "outputs": []}})


@pytest.mark.parametrize("script, says", [
    ("echo 'bwrap: setting up uid map: Permission denied' >&2; exit 1", "uid map"),  # bwrap refused
    ("echo \"ModuleNotFoundError: No module named 'accel_instructor'\" >&2; exit 1", "No module named"),
    ("exit 0", "did not start"),  # the runner ends before it said it was ready
])
def test_a_runner_that_does_not_start_is_a_grader_fault(tmp_path, script, says):
    runs = _run(tmp_path, script)
    assert all(run.fault and says in run.fault for run in runs.values()), runs
    assert all(run.cells == [] for run in runs.values())


@pytest.mark.parametrize("lines, says", [
    (['{"kind": "ready"}', 'this is not JSON'], "broken result line"),
    (['{"kind": "ready"}', '{"kind": "done", "notebook": 3, "status": "ok"}'], "unexpected"),
    (['{"kind": "ready"}', '{"kind": "fault", "notebook": 0, "reason": "RuntimeError: Kernel died"}'],
     "grading kernel did not start"),
])
def test_a_broken_result_is_a_grader_fault(tmp_path, lines, says):
    script = "".join(f"echo '{line}'\n" for line in lines)
    runs = _run(tmp_path, script)
    assert all(run.fault and says in run.fault for run in runs.values()), runs


def test_a_truncated_result_line_is_a_grader_fault(tmp_path):
    runs = _run(tmp_path, "echo '{\"kind\": \"ready\"}'; printf '{\"kind\": \"cell\", \"noteb'")
    assert all("cut off" in run.fault for run in runs.values()), runs


def test_a_runner_that_ends_after_it_started_is_the_learners_and_keeps_what_ran(tmp_path):
    """Killed after ready (the learner's kernel can reach the runner): scored, not a fault, and the
    cell completed before it keeps its outputs; the next notebook runs in a new sandbox."""
    nb = _nbs()["a"]
    script = (f"echo '{{\"kind\": \"ready\"}}'\n"
              f"if [ -e {tmp_path}/second ]; then echo '{{\"kind\": \"done\", \"notebook\": 0, \"status\": \"ok\"}}'; exit 0; fi\n"
              f"touch {tmp_path}/second\necho '{_cell(nb, 0, 1)}'\nexit 0\n")
    notebooks = {"a": nb, "b": _nbs()["b"]}
    runs = execute_student_in_sandbox(notebooks, tmp_path, bwrap=_fake_bwrap(tmp_path, script), wall_seconds=10)
    assert not runs["a"].fault and runs["a"].status.startswith("the sandbox ended without a result")
    assert [c["execution_count"] for c in runs["a"].cells] == [1, None]
    assert not runs["b"].fault and runs["b"].status == "ok"


def test_a_cap_keeps_the_cells_completed_before_it(tmp_path):
    nb = _nbs()["a"]
    script = f"echo '{{\"kind\": \"ready\"}}'\necho '{_cell(nb, 0, 1)}'\nsleep 30\n"
    runs = execute_student_in_sandbox({"a": nb}, tmp_path, bwrap=_fake_bwrap(tmp_path, script), wall_seconds=2)
    assert runs["a"].status == "stopped after the 2 s cap" and not runs["a"].fault
    assert [c["execution_count"] for c in runs["a"].cells] == [1, None]


def test_a_worker_answer_is_checked_again(tmp_path):
    """From a Dask worker: a fault it reports, or an answer that does not fit, is the grader's."""
    nbs = _nbs()
    folder = tmp_path / "results"
    assert collect_student("not json", nbs, folder, checked=False)[1]
    assert "no result for b" in collect_student(json.dumps({"a": {"status": "ok", "cells": []}}), nbs, folder,
                                                checked=False)[1]
    faulty = {name: {"status": "x", "cells": [], "fault": "the sandbox runner did not start (exit 1)"} for name in nbs}
    assert "did not start" in collect_student(json.dumps(faulty), nbs, folder, checked=False)[1]
    forged = {name: {"status": "ok", "cells": [{"id": "forged", "execution_count": 1, "outputs": []}]} for name in nbs}
    assert "does not match" in collect_student(json.dumps(forged), nbs, folder, checked=False)[1]
    assert not folder.exists()  # nothing written for a fault


def test_a_full_disk_in_intake_is_the_graders_not_a_finding(tmp_path, monkeypatch):
    """Intake turns anything in the learner's files into a finding, but a write that fails (a full
    disk) must not become "could not be read; scored 0": it leaves intake, and grade_class
    reports the student as not graded."""
    import accel_instructor.intake as intake
    from accel_instructor.samples import load_spec, write_submission
    from conftest import ROOT, copy_course
    course = copy_course(tmp_path / "course", notebooks=["01_vectorization"])
    spec = load_spec(ROOT / "tests" / "tampering" / "t00_control.py")
    spec.student = "ann"
    write_submission(course, spec)
    rules = intake.load_rules(course)
    assert intake.stage_student(course, "ann", rules) == []

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(intake.nbformat, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        intake.stage_student(course, "ann", rules)
