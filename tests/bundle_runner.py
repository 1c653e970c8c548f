"""Run notebooks as a student would: with the interpreter running this script (the student
bundle's own virtualenv), nothing of the instructor's repository importable.

    VENV/bin/python -I bundle_runner.py KERNEL_NAME REPORT.json NOTEBOOK.ipynb [...]

Each notebook runs in a fresh kernel ``KERNEL_NAME`` with its folder as the working directory;
the executed copy is written next to it as ``NAME.executed.ipynb``. A last probe cell records
where the kernel's Python and ``accel`` came from and the kernel's peak resident memory
(``VmHWM`` of /proc/self/status). REPORT.json gets, per notebook: seconds, probe, and every
error output and stderr output with the cell's nbgrader role. Uses only nbclient and nbformat
(installed in the venv by nbgrader), so it runs on any Python the bundle supports.
"""
import json
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


def run(kernel: str, path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, allow_errors=True, kernel_name=kernel,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
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
    return {"seconds": seconds, "probe": probe, "errors": errors, "stderr": stderr}


def main(argv):
    kernel, report, notebooks = argv[0], Path(argv[1]), [Path(p) for p in argv[2:]]
    results = {}
    for path in notebooks:
        results[path.stem] = run(kernel, path)
        report.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
