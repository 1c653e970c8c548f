"""Two processes per notebook: the test cells run in a grader kernel, outside the learner's sandbox.

For every notebook the trusted side splits the prepared notebook before anything runs
(:func:`split`):

* the learner's sandbox gets the notebook with each graded test cell's source replaced by
  :func:`~accel_instructor.sandbox.serve_source` (no test text, visible or hidden, ever enters
  the learner's kernel, its history ``In``, its globals or its files);
* a :class:`GraderKernel` (an IPython kernel of the grading user's, outside the sandbox, on the
  sandbox's cores) runs the notebook's set-up cell as its prelude, then each test cell when the
  learner's runner reaches it, between :func:`accel_instructor.bridge.begin` and ``end``.

The set-up cell is the first code cell of the notebook as the course's gradebook has it (it is
locked, so nbgrader restores it); everything else the learner's notebook holds runs only in the
learner's kernel.
"""
from __future__ import annotations

import builtins
import copy
import os
import subprocess
import symtable
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

SETUP_ID = "setup"  # the locked set-up cell's grade_id is "setup_<topic>" (grade_ids are unique per course)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def split(nb, serve_source: str):
    """(the learner's notebook, the test cells by id, the prelude source) for a prepared
    notebook; each test cell's source becomes ``serve_source`` in the learner's notebook."""
    from .sandbox import SERVE
    learner = copy.deepcopy(nb)
    tests, prelude = {}, ""
    for cell in learner.cells:
        if cell.get("cell_type") != "code":
            continue
        if not prelude and str(_nbgrader(cell).get("grade_id", "")).startswith(f"{SETUP_ID}_"):
            prelude = cell.source
        if is_test_cell(cell):
            tests[cell.get("id")] = copy.deepcopy(cell)
            cell.source = serve_source
            cell.metadata[SERVE] = True
    return learner, tests, prelude


def names_read(source: str) -> list[str]:
    """The global names a cell reads and does not bind itself (at its top level): those a test
    may take from the learner's side."""
    try:
        table = symtable.symtable(source, "<test>", "exec")
    except SyntaxError:
        return []
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in table.get_symbols() if s.is_referenced()}

    def walk(scope):  # functions and lambdas of the cell: the globals they read
        for child in scope.get_children():
            read.update(s.get_name() for s in child.get_symbols() if s.is_global() and s.is_referenced())
            walk(child)

    walk(table)
    return sorted(n for n in read - bound if not hasattr(builtins, n))


class GraderFault(RuntimeError):
    """The grader kernel failed for a reason of the grader's side."""


class GraderKernel:
    """One notebook's grader kernel. :meth:`start` begins starting it (and running its prelude)
    on a thread of its own while the learner's kernel starts in the sandbox; every later step
    runs on that same thread too (the kernel client's event loop belongs to it)."""

    def __init__(self, tests: dict, prelude: str, socket_path: Path, cores: list[int], cell_timeout: int,
                 output_cap: int, freezer: Path | None, cpuset: Path | None = None):
        from concurrent.futures import ThreadPoolExecutor
        self.tests, self.prelude, self.socket_path = tests, prelude, socket_path
        self.cores, self.cell_timeout, self.output_cap, self.freezer = cores, cell_timeout, output_cap, freezer
        self.cpuset = cpuset
        self.stack: ExitStack | None = None
        self.runner = None
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accel-grader-kernel")
        self.starting = None

    def start(self) -> "GraderKernel":
        """Start the kernel in the background; :meth:`run` waits for it."""
        if self.starting is None:
            self.starting = self.thread.submit(self._start)
        return self

    def _on_thread(self, fn, *args):
        return self.thread.submit(fn, *args).result()

    def _start(self) -> None:
        import nbformat

        from .sandbox import _executor
        home = Path(tempfile.mkdtemp(prefix="accel-grader-kernel-"))
        threads = str(max(1, len(self.cores)))
        env = {key: value for key, value in os.environ.items() if not key.startswith(("JPY_", "JUPYTER_"))}
        env.update({"NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg", "IPYTHONDIR": str(home / "ipython"),
                    "MPLCONFIGDIR": str(home / "mpl"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                    "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1",
                    "ACCEL_EXCHANGE_SOCKET": str(self.socket_path),
                    # a call that hangs is reported before the cell's own time-out interrupts it
                    "ACCEL_CALL_TIMEOUT": str(max(5, self.cell_timeout - 5)), "OMP_NUM_THREADS": threads,
                    "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "NUMBA_NUM_THREADS": threads})
        env.pop("ACCEL_SANDBOX", None)
        if self.freezer is not None:
            env["ACCEL_LEARNER_FREEZER"] = str(self.freezer)
        if self.cores:  # a timing puts both sides on this core (accel_instructor.bridge.share_core)
            env["ACCEL_TIMING_CORE"] = str(min(self.cores))
        if self.cpuset is not None:
            env["ACCEL_LEARNER_CPUSET"] = str(self.cpuset)
        # the tests, then one scratch cell for the bridge's calls (nbclient stores each cell it runs)
        nb = nbformat.v4.new_notebook(cells=[*self.tests.values(), nbformat.v4.new_code_cell("")])
        self.runner = _executor(nb, self.cell_timeout, self.output_cap)
        self.runner.resources = {"metadata": {"path": str(home)}}
        self.runner.kernel_name = "python3"
        self.stack = ExitStack()
        self.stack.callback(lambda: __import__("shutil").rmtree(home, ignore_errors=True))
        before = os.sched_getaffinity(0)
        try:  # the kernel inherits this thread's cores: the learner's sandbox's, the same way
            if self.cores:
                os.sched_setaffinity(0, self.cores)
            self.stack.enter_context(self.runner.setup_kernel(env=env, cwd=str(home), stdout=subprocess.DEVNULL,
                                                              stderr=subprocess.DEVNULL))
        except Exception as err:  # noqa: BLE001 - the grader's side
            self._close()
            raise GraderFault(f"the grader kernel did not start ({type(err).__name__}: {err})") from None
        finally:
            os.sched_setaffinity(0, before)
        self._quiet("import accel_instructor.bridge as _accel_bridge\n_accel_bridge.install()", "its bridge")
        if self.prelude:
            self._quiet(self.prelude, "the notebook's set-up cell")

    def _quiet(self, source: str, what: str) -> None:
        """Run trusted code in the grader kernel; its outputs are dropped, an error is a fault."""
        import nbformat
        cell = nbformat.v4.new_code_cell(source)
        self.runner.execute_cell(cell, len(self.tests), store_history=False)
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if errors:
            raise GraderFault(f"the grader kernel failed running {what}: {errors[0].get('ename')}: "
                              f"{str(errors[0].get('evalue'))[:200]}")

    def run(self, cell_id: str) -> dict:
        """Run one test cell; its outputs and execution count, as the sandbox reports a cell."""
        if cell_id not in self.tests:
            raise GraderFault(f"the learner's runner asked for a test cell {str(cell_id)[:40]!r} this notebook lacks")
        self.start().starting.result()  # a fault in starting is raised here, at each test
        return self._on_thread(self._run, cell_id)

    def _run(self, cell_id: str) -> dict:
        cell = self.tests[cell_id]
        index = list(self.tests).index(cell_id)
        self._quiet(f"_accel_bridge.begin({names_read(cell.source)!r})", "its bridge")
        try:
            self.runner.execute_cell(cell, index, store_history=True)
        finally:
            self._quiet("_accel_bridge.end()", "its bridge")
        return {"id": cell_id, "execution_count": cell.get("execution_count"),
                "outputs": [dict(o) for o in cell.outputs]}

    def close(self) -> None:
        if self.starting is not None:
            self._on_thread(self._close)
        self.thread.shutdown(wait=True)

    def _close(self) -> None:
        if self.stack is not None:
            stack, self.stack = self.stack, None
            try:
                stack.close()
            except Exception:  # noqa: BLE001 - a kernel that will not stop is killed with its group
                pass
