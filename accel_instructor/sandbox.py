"""Run one student's notebook in a disposable bubblewrap sandbox; take the results back as data.

The trusted side (the grading process) prepares each notebook exactly as ``nbgrader autograde``
would before executing it (nbgrader's own sanitizing preprocessors: outputs cleared, locked and
hidden test cells restored from the gradebook), then starts::

    bwrap ... -- python -m accel_instructor.sandbox --inside      (request on stdin, JSON result on stdout)

Inside the sandbox:

* an unprivileged uid, no network, new PID/IPC/UTS namespaces, no capabilities;
* a read-only view of the system (/usr), the virtualenv and Python, and the ``accel`` package;
* nothing of the course folder: no ``source/``, ``gradebook.db``, ``nbgrader_config.py``,
  ``submitted/``, ``autograded/`` or other students. The student's own intake-checked notebooks
  are mounted read-only (``/sandbox/submission``, for notebook 04's sibling loader); the notebook
  runs in ``/sandbox/work``, a size-limited tmpfs that disappears with the sandbox;
* limits on address space, CPU seconds, file size, open files and processes (setrlimit, plus a
  ``pids`` cgroup when the machine offers one), bytes of output per cell, and a wall-clock cap;
* threads pinned to the cores this sandbox was given (``--jobs``), BLAS/numba threads to match.

The runner executes the notebook with nbgrader's own ``Execute`` preprocessor and writes only
the cells' outputs and execution counts, as JSON, to a descriptor the kernel cannot reach. The
trusted side checks that result (:func:`outputs_from_result`) and merges the outputs into its
own copy of the notebook (:class:`ReplayExecution`, used by ``nbgrader autograde`` in place of
``Execute``); so nbgrader's SaveAutoGrades, run by the trusted side alone, writes the gradebook.
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BWRAP = os.environ.get("ACCEL_BWRAP") or shutil.which("bwrap") or "/usr/bin/bwrap"
SANDBOX_UID = 61000  # + slot: each parallel sandbox has a uid of its own (process limits count per uid)
RESULTS = ".sandbox-results"  # in the course root; never visible inside a sandbox
WORK = "/sandbox/work"
SUBMISSION = "/sandbox/submission"
MAX_RESULT_BYTES = 64 << 20
NOT_RUN = "GraderCellNotRun"


class SandboxError(RuntimeError):
    """The sandbox cannot be used on this machine; the message says what to do."""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 8 << 30  # address space of the runner and the kernel
    cpu_seconds: int = 900  # CPU time of each process
    processes: int = 256
    file_bytes: int = 64 << 20  # largest file the notebook may write (in its tmpfs)
    tmpfs_bytes: int = 256 << 20
    output_bytes_per_cell: int = 1 << 20
    open_files: int = 1024


@dataclass
class SandboxRun:
    """What came back from one notebook's sandbox."""
    notebook: str
    status: str  # "ok", or why the execution did not finish
    cells: list = field(default_factory=list)  # one {"id", "execution_count", "outputs"} per code cell
    seconds: float = 0.0


# ------------------------------------------------------------------------------------------------
# the trusted side
# ------------------------------------------------------------------------------------------------

def check_available() -> str:
    """The bwrap executable, or a SandboxError saying how to get one."""
    path = BWRAP if os.path.isabs(BWRAP) else shutil.which(BWRAP)
    if not path or not os.access(path, os.X_OK):
        raise SandboxError(
            f"bubblewrap not found (expected an executable at {BWRAP}): the grader runs every "
            f"student in a bubblewrap sandbox. Install it (Debian/Ubuntu: `sudo apt-get install -y "
            f"bubblewrap`), or set ACCEL_BWRAP to its path. Only on a machine without user "
            f"namespaces, grade with --no-sandbox (learner code then runs as you, unconfined).")
    probe = subprocess.run([path, *_namespace_args(), "--ro-bind", "/", "/", "--", *_drop_privileges(0),
                            "/bin/true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxError(
            f"bubblewrap is installed but cannot create a sandbox here: {probe.stderr.strip()[:200]}. "
            f"It needs user namespaces (sysctl kernel.unprivileged_userns_clone=1, or a container "
            f"started with them allowed). Without them, grade with --no-sandbox (unconfined).")
    return path


def _namespace_args() -> list[str]:
    """As root, bwrap makes the namespaces itself (no user namespace) and keeps only the right
    to switch uid, which ``setpriv`` uses at once to become the slot's unprivileged uid with no
    capabilities left; as anyone else, bwrap makes a user namespace too."""
    shared = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
              "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:
        return shared + ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    return shared + ["--unshare-user", "--cap-drop", "ALL"]


def _drop_privileges(slot: int) -> list[str]:
    if os.geteuid() != 0:
        return []
    uid = str(SANDBOX_UID + slot)
    return ["/usr/bin/setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _python_roots() -> list[Path]:
    """Folders the sandbox needs read-only to run this Python, import ``accel`` (the learner
    package) and ``accel_instructor`` (this runner, and the reference baselines hidden tests
    import; learner cells may not import it: accel.policy)."""
    import accel
    import accel_instructor
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(os.path.realpath(sys.executable)).parent.parent, Path(accel.__file__).resolve().parent,
             Path(accel_instructor.__file__).resolve().parent}
    return sorted(r for r in roots if not any(r != o and o in r.parents for o in roots))


def bwrap_argv(bwrap: str, submission: Path, slot: int, limits: Limits, cores: list[int]) -> list[str]:
    argv = [bwrap, *_namespace_args()]
    for name in ("usr", "etc/alternatives", "etc/ld.so.cache", "etc/localtime"):
        if Path("/", name).exists():
            argv += ["--ro-bind", f"/{name}", f"/{name}"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/", name)
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    # /tmp first: a course or venv that lives under /tmp (a CI checkout, say) is bound on top of
    # this tmpfs below; the other way round, the tmpfs would hide it.
    argv += ["--size", str(limits.tmpfs_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    made = {Path("/"), Path("/tmp")}
    for root in _python_roots():
        for folder in reversed(root.parents):  # traversable by the sandbox's uid
            if folder not in made and not str(folder).startswith(("/usr", "/lib", "/bin")):
                argv += ["--perms", "0755", "--dir", str(folder)]
                made.add(folder)
        argv += ["--ro-bind", str(root), str(root)]
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm",  # numba's locks
             "--perms", "0755", "--dir", "/sandbox",
             "--size", str(limits.tmpfs_bytes), "--perms", "1777", "--tmpfs", WORK,
             "--ro-bind", str(submission), SUBMISSION,
             "--chdir", WORK, "--clearenv"]
    threads = str(max(1, len(cores)))
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/tmp/home",
           "LANG": "C.UTF-8", "TMPDIR": "/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/mpl",
           "IPYTHONDIR": "/tmp/ipython", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
           "JUPYTER_DATA_DIR": "/tmp/jupyter-data", "NUMBA_CACHE_DIR": "/tmp/numba",
           "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "NBGRADER_EXECUTION": "autograde", "ACCEL_SIBLINGS_DIR": SUBMISSION,
           "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
           "NUMBA_NUM_THREADS": threads, "ACCEL_SANDBOX": "1"}
    for key, value in sorted(env.items()):
        argv += ["--setenv", key, value]
    return argv + ["--", *_drop_privileges(slot), sys.executable, "-m", "accel_instructor.sandbox", "--inside"]


def _pids_cgroup(name: str, processes: int) -> Path | None:
    """A cgroup-v1 ``pids`` group capping the sandbox's processes, where the machine has one
    writable (as root); None otherwise (then RLIMIT_NPROC alone limits processes)."""
    base = Path("/sys/fs/cgroup/pids")
    if os.geteuid() != 0 or not (base / "cgroup.procs").exists():
        return None
    group = base / name
    try:
        group.mkdir(exist_ok=True)
        (group / "pids.max").write_text(str(processes))
    except OSError:
        return None
    return group


def _limit_child(limits: Limits, cores: list[int], cgroup: Path | None):
    def apply():  # runs in the child, before bwrap starts: inherited by everything inside
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        if cores:
            os.sched_setaffinity(0, cores)
        for what, value in ((resource.RLIMIT_AS, limits.memory_bytes),
                            (resource.RLIMIT_CPU, limits.cpu_seconds),
                            (resource.RLIMIT_FSIZE, limits.file_bytes),
                            (resource.RLIMIT_NOFILE, limits.open_files),
                            (resource.RLIMIT_CORE, 0),
                            (resource.RLIMIT_NPROC, limits.processes)):
            resource.setrlimit(what, (value, value))
    return apply


def execute_in_sandbox(nb, notebook: str, submission: Path, *, slot: int = 0,
                       cores: list[int] | None = None, limits: Limits = Limits(),
                       cell_timeout: int = 120, wall_seconds: float = 300, bwrap: str | None = None) -> SandboxRun:
    """Execute one prepared notebook (a NotebookNode) in a fresh sandbox; never raises for
    anything the notebook does."""
    import nbformat
    bwrap = bwrap or check_available()
    cores = list(cores or sorted(os.sched_getaffinity(0)))
    argv = bwrap_argv(bwrap, submission, slot, limits, cores)
    request = json.dumps({"notebook": nbformat.writes(nb), "name": notebook, "cell_timeout": cell_timeout,
                          "output_bytes_per_cell": limits.output_bytes_per_cell}).encode()
    cgroup = _pids_cgroup(f"accel-sandbox-{os.getpid()}-{slot}", limits.processes)
    start = time.perf_counter()
    try:
        with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True, preexec_fn=_limit_child(limits, cores, cgroup)) as child:
            try:
                out, err = child.communicate(request, timeout=wall_seconds)
                status = None
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                out, err = child.communicate()
                status = f"stopped after the {wall_seconds:.0f} s cap"
    finally:
        if cgroup is not None:
            for _ in range(50):
                try:
                    cgroup.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
    seconds = time.perf_counter() - start
    if status is None and child.returncode != 0 and not out:
        reason = (err.decode(errors="replace").strip().splitlines() or [f"exit {child.returncode}"])[-1]
        status = f"the sandbox ended without a result ({reason[:200]})"
    cells, problem = outputs_from_result(out, nb)
    return SandboxRun(notebook, status or problem or "ok", cells, seconds)


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def outputs_from_result(raw: bytes, sent: dict) -> tuple[list, str]:
    """The per-cell outputs in a sandbox's result, checked against the notebook that was sent.

    Only outputs and execution counts are taken; everything else (sources, metadata, points)
    stays the trusted side's. A result that does not fit is dropped whole (no cell counts as run).
    """
    if not raw:
        return [], "no result came back"
    if len(raw) > MAX_RESULT_BYTES:
        return [], f"result larger than {MAX_RESULT_BYTES >> 20} MiB; dropped"
    try:
        result = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return [], "result is not JSON; dropped"
    import nbformat
    expected = [c.get("id") for c in _code_cells(sent)]
    cells = result.get("cells") if isinstance(result, dict) else None
    if not isinstance(cells, list) or [c.get("id") if isinstance(c, dict) else None for c in cells] != expected:
        return [], "result does not match the notebook that was sent; dropped"
    checked = []
    for cell in cells:
        count, outputs = cell.get("execution_count"), cell.get("outputs")
        if not (count is None or (type(count) is int and count > 0)) or not isinstance(outputs, list):
            return [], "result has a malformed cell; dropped"
        try:
            probe = nbformat.v4.new_code_cell(outputs=outputs, execution_count=count)
            nbformat.validate(nbformat.v4.new_notebook(cells=[probe]))
        except Exception:  # noqa: BLE001 - any schema problem drops the result the same way
            return [], "result has outputs that are not valid notebook outputs; dropped"
        checked.append({"id": cell.get("id"), "execution_count": count, "outputs": outputs})
    note = result.get("status") if isinstance(result.get("status"), str) else ""
    return checked, ("ok" if note == "ok" else f"execution stopped: {note[:200]}")


def not_run_output(reason: str) -> dict:
    return {"output_type": "error", "ename": NOT_RUN, "evalue": reason,
            "traceback": [f"{NOT_RUN}: this cell was not run by the grader ({reason})"]}


def merge_outputs(nb, run: dict | None) -> None:
    """Put a sandbox's outputs into the trusted notebook ``nb`` (in place). A code cell the
    sandbox did not run gets an error output, so a test cell that never ran scores zero."""
    cells = _code_cells(nb)
    reason = (run or {}).get("status", "no result")
    by_id = {c["id"]: c for c in (run or {}).get("cells", [])}
    ids = [c.get("id") for c in cells]
    if reason != "ok":  # a run that did not finish (kernel died, cap reached) counts for nothing
        by_id = {}
    elif len(by_id) != len(cells) or set(by_id) != set(ids):
        by_id, reason = {}, "result does not match this notebook"
    for cell in cells:
        got = by_id.get(cell.get("id"))
        if got is not None and got["execution_count"] is not None:
            cell["outputs"] = got["outputs"]
            cell["execution_count"] = got["execution_count"]
        else:
            cell["outputs"] = [not_run_output(reason if reason != "ok" else "the kernel stopped before it")]
            cell["execution_count"] = None


def tree_digest(paths: list[Path]) -> str:
    """One hash over the files under ``paths`` (the tripwire)."""
    digest = hashlib.sha256()
    for base in paths:
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*")
                                                     if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------------
# on a Dask worker (grade --scheduler): the same sandbox, on another machine
# ------------------------------------------------------------------------------------------------

def remote_student(request: str) -> str:
    """Run one student's prepared notebooks in sandboxes on this (worker) machine.

    ``request`` and the answer are JSON text, so nothing but plain data crosses between the
    coordinator and the worker: the prepared notebooks, the student's intake-checked notebooks
    (for notebook 04's siblings), limits and time-outs in; each notebook's status and cells out.
    The coordinator checks every result again before it uses it.
    """
    import tempfile

    import nbformat

    data = json.loads(request)
    limits = Limits(**data["limits"])
    out = {}
    with tempfile.TemporaryDirectory(prefix="accel-student-") as tmp:
        staged = Path(tmp) / "staged"
        staged.mkdir()
        os.chmod(tmp, 0o755)
        for name, text in data["staged"].items():
            (staged / Path(name).name).write_text(text)
        for name, text in data["notebooks"].items():
            run = execute_in_sandbox(nbformat.reads(text, as_version=4), name, staged,
                                     slot=data.get("slot", 0), limits=limits,
                                     cell_timeout=data["cell_timeout"], wall_seconds=data["wall_seconds"])
            out[name] = {"status": run.status, "cells": run.cells}
    return json.dumps(out)


# ------------------------------------------------------------------------------------------------
# inside the sandbox
# ------------------------------------------------------------------------------------------------

def _inside() -> int:
    """The runner: read the request, execute the notebook with nbgrader's Execute, write the
    cells' outputs as JSON to the private copy of stdout."""
    import ctypes

    result_fd = os.dup(1)  # not inheritable: the kernel never gets it
    devnull = os.open(os.devnull, os.O_RDWR)
    request = json.loads(sys.stdin.buffer.read())
    for fd in (0, 1, 2):  # the kernel inherits /dev/null, not the result channel
        os.dup2(devnull, fd)
    try:  # not dumpable: /proc/<runner>/fd is then closed to the kernel (same uid)
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass
    import nbformat
    from nbgrader.preprocessors import Execute

    cap = int(request["output_bytes_per_cell"])

    class LimitedExecute(Execute):
        """nbgrader's Execute, keeping at most ``cap`` bytes of output per cell."""
        _sizes: dict = {}

        def output(self, outs, msg, display_id, cell_index):
            size = self._sizes.get(cell_index, 0) + len(json.dumps(msg.get("content", {})))
            self._sizes[cell_index] = size
            if size > cap:
                if size - len(json.dumps(msg.get("content", {}))) <= cap:
                    outs.append(nbformat.v4.new_output(
                        "stream", name="stdout", text=f"\n[grader: output beyond {cap} bytes dropped]\n"))
                return None
            return super().output(outs, msg, display_id, cell_index)

    nb = nbformat.reads(request["notebook"], as_version=4)
    status = "ok"
    executor = LimitedExecute(timeout=int(request["cell_timeout"]), interrupt_on_timeout=True,
                              extra_arguments=["--HistoryManager.hist_file=:memory:",
                                               "--InteractiveShell.automagic=False",
                                               "--InteractiveShell.autocall=0"])
    try:
        executor.preprocess(nb, {"metadata": {"path": WORK}})
    except BaseException as err:  # noqa: BLE001 - whatever stopped it, report the cells that ran
        status = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"[:300]
    cells = [{"id": c.get("id"), "execution_count": c.get("execution_count"), "outputs": c.get("outputs", [])}
             for c in nb.cells if c.cell_type == "code"]
    data = json.dumps({"status": status, "cells": cells}).encode()
    with os.fdopen(result_fd, "wb") as out:
        out.write(data)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--inside"]:
        raise SystemExit(_inside())
    print("accel_instructor.sandbox is started by the grader (accel_instructor.grade), not by hand", file=sys.stderr)
    raise SystemExit(2)
