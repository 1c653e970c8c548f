"""Run notebooks as a student would: with the interpreter running this script (the student
bundle's own virtualenv), nothing of the instructor's repository importable.

    VENV/bin/python -I bundle_runner.py KERNEL_NAME REPORT.json NOTEBOOK.ipynb [...]
    BUNDLE_MEMORY_LIMIT_BYTES=N VENV/bin/python -I bundle_runner.py ...   (kernel in a cgroup)

Each notebook runs in a fresh kernel ``KERNEL_NAME`` with its folder as the working directory;
the executed copy is written next to it as ``NAME.executed.ipynb``. A last probe cell records
where the kernel's Python and ``accel`` came from and the kernel's peak resident memory
(``VmHWM`` of /proc/self/status). REPORT.json gets, per notebook: seconds, probe, and every
error output and stderr output with the cell's nbgrader role. Uses only nbclient and nbformat
(installed in the venv by nbgrader), so it runs on any Python the bundle supports.

With ``BUNDLE_MEMORY_LIMIT_BYTES``, each kernel runs in its own memory cgroup with that hard
limit, swap included (cgroup v1 ``memory.limit_in_bytes`` + ``memory.memsw.limit_in_bytes``, or
v2 ``memory.max`` + ``memory.swap.max``), made under this process's own cgroup, as Binder's
container limit would hold it; only the kernel is in it, not this runner. The report's
``cgroup`` says which, its peak and OOM kills, or why none could be made (then only VmHWM is
measured). A kernel killed for memory is reported as a ``DeadKernelError`` error.
"""
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PROBE = """\
import json as _json, sys as _sys
import accel as _accel
with open("/proc/self/status") as _status:
    _hwm = [int(_l.split()[1]) for _l in _status if _l.startswith("VmHWM")]
print("BUNDLE-PROBE " + _json.dumps({"python": _sys.executable, "accel": _accel.__file__,
                                     "path": _sys.path, "peak_kib": _hwm[0] if _hwm else 0}))
"""


class MemoryCgroup:
    """A child memory cgroup of this process's own with a hard limit (swap included)."""

    def __init__(self, name: str, limit: int):
        self.limit, self.path, self.kind, self.why_not = limit, None, None, None
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
            v1 = [line.split(":", 2)[2] for line in lines if line.split(":")[1:2] == ["memory"]]
            if v1 and Path("/sys/fs/cgroup/memory").is_dir():
                self.kind, parent = "v1", Path("/sys/fs/cgroup/memory") / v1[0].lstrip("/")
            elif Path("/sys/fs/cgroup/cgroup.controllers").exists():
                own = [line.split(":", 2)[2] for line in lines if line.startswith("0::")]
                self.kind, parent = "v2", Path("/sys/fs/cgroup") / own[0].lstrip("/")
                if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
                    raise OSError(f"the memory controller is not enabled for children of {parent}")
            else:
                raise OSError("no memory cgroup in /proc/self/cgroup")
            if not parent.is_dir():  # this process's cgroup is not visible here: the mount's root
                parent = Path("/sys/fs/cgroup/memory" if self.kind == "v1" else "/sys/fs/cgroup")
            self.path = parent / name
            self.path.mkdir()
            if self.kind == "v1":
                self._write("memory.limit_in_bytes", limit)
                if (self.path / "memory.memsw.limit_in_bytes").exists():
                    self._write("memory.memsw.limit_in_bytes", limit)
            else:
                self._write("memory.max", limit)
                if (self.path / "memory.swap.max").exists():
                    self._write("memory.swap.max", 0)
        except (OSError, IndexError, ValueError) as error:
            self.why_not = f"no memory cgroup ({error}): only the kernel's VmHWM is measured"
            self.close()
            self.path = None

    def _write(self, name, value):
        (self.path / name).write_text(str(value))

    def _read(self, name):
        try:
            return (self.path / name).read_text()
        except OSError:
            return None

    def launch_prefix(self) -> list:
        """argv to put before a kernel's own: it joins the cgroup, then execs the kernel."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs")]

    def report(self) -> dict:
        if self.path is None:
            return {"kind": None, "limit": self.limit, "why_not": self.why_not}
        if self.kind == "v1":
            peak = self._read("memory.memsw.max_usage_in_bytes") or self._read("memory.max_usage_in_bytes")
            oom = self._read("memory.oom_control") or ""
            kills = [int(line.split()[1]) for line in oom.splitlines() if line.startswith("oom_kill ")]
        else:
            peak = self._read("memory.peak")
            events = self._read("memory.events") or ""
            kills = [int(line.split()[1]) for line in events.splitlines() if line.startswith("oom_kill ")]
        return {"kind": self.kind, "path": str(self.path), "limit": self.limit,
                "peak_bytes": int(peak) if peak and peak.strip().isdigit() else None,
                "oom_kills": kills[0] if kills else None}

    def close(self):
        if self.path is None or not self.path.exists():
            return
        for _ in range(50):  # the kernel's processes may take a moment to leave
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def run(kernel: str, path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    limit = os.environ.get("BUNDLE_MEMORY_LIMIT_BYTES")
    cgroup = MemoryCgroup(f"accel-bundle-{os.getpid()}-{path.stem}", int(limit)) if limit else None
    client = NotebookClient(nb, timeout=900, allow_errors=True, kernel_name=kernel,
                            resources={"metadata": {"path": str(path.parent)}})
    if cgroup is not None and cgroup.path is not None:
        client.km = client.create_kernel_manager()
        client.km.kernel_spec.argv[:0] = cgroup.launch_prefix()
    start = time.perf_counter()
    dead = None
    try:
        client.execute()
    except Exception as error:  # DeadKernelError when the cgroup's limit kills the kernel
        dead = {"cell": None, "grade_id": None, "role": "kernel", "ename": type(error).__name__,
                "evalue": str(error)[:300], "traceback_lines": 0}
    seconds = time.perf_counter() - start
    memory = None
    if cgroup is not None:
        memory = cgroup.report()
        cgroup.close()
    probe_cell = nb.cells.pop()
    nbformat.write(nb, path.with_name(path.stem + ".executed.ipynb"))
    probe = {}
    for out in probe_cell.get("outputs", []):
        if out.get("output_type") == "stream" and "BUNDLE-PROBE " in out.get("text", ""):
            probe = json.loads(out["text"].split("BUNDLE-PROBE ", 1)[1])
    errors, stderr = [], []
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        role = ("solution" if meta.get("solution") else "test" if meta.get("grade")
                else "course")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append({"cell": index, "grade_id": meta.get("grade_id"), "role": role,
                               "ename": out.get("ename"), "evalue": out.get("evalue"),
                               "traceback_lines": len(out.get("traceback", []))})
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                stderr.append({"cell": index, "grade_id": meta.get("grade_id"), "role": role,
                               "text": out.get("text", "")[:300]})
    if dead is not None:
        errors.append(dead)
    return {"seconds": seconds, "probe": probe, "errors": errors, "stderr": stderr,
            "cgroup": memory}


def main(argv):
    kernel, report, notebooks = argv[0], Path(argv[1]), [Path(p) for p in argv[2:]]
    results = {}
    for path in notebooks:
        results[path.stem] = run(kernel, path)
        report.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
