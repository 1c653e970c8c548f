"""Run time and peak memory of each solved notebook, run from the student bundle alone.

    .venv/bin/python bench/bundle_footprint.py [--venv DIR] [--out bench/results/bundle_footprint.md]

Publishes the bundle, installs it in a fresh virtualenv (or reuses ``--venv``), fills in the
reference answers and runs the four notebooks as a student would (no NBGRADER_EXECUTION: the
full exploratory sizes) with ``tests/bundle_runner.py``, in three set-ups:

* ``this machine``: all CPUs, the caches as detected;
* ``1 CPU``: ``taskset -c 0`` plus OPENBLAS/OMP/NUMBA threads = 1 (a one-CPU Binder session);
* ``LLC 1 GiB``: the last-level cache faked at 1 GiB (``ACCEL_FAKE_LLC_BYTES``), all CPUs.

Peak memory is the kernel's own peak resident set (VmHWM), to compare with the 2 GiB budget.
Writes a Markdown table.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from accel_instructor.course import Course  # noqa: E402
from accel_instructor.publish import publish  # noqa: E402
from test_publish import (NOTEBOOKS, base_python, make_student_venv, run_in_venv,  # noqa: E402
                          solved_folder)

SETUPS = {
    "this machine": ({}, []),
    "1 CPU": ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"},
              ["taskset", "-c", "0"]),
    "LLC 1 GiB": ({"ACCEL_FAKE_LLC_BYTES": str(1 << 30)}, []),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="reuse this bundle virtualenv (made by an earlier run)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bundle_footprint.md")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bundle-footprint-"))
    course = Course(ROOT)
    bundle = publish(course, work / "bundle")
    venv = args.venv or make_student_venv(bundle, work / "venv", base_python())
    rows = {}
    for setup, (env, prefix) in SETUPS.items():
        folder = solved_folder(bundle, course, work / setup.replace(" ", "_"))
        report = run_in_venv(venv, folder, NOTEBOOKS, prefix=prefix, **env)
        for name in NOTEBOOKS:
            result = report[name]
            problems = len(result["errors"])
            rows.setdefault(name, {})[setup] = (result["seconds"], result["probe"]["peak_kib"] / 2**20, problems)
            print(f"{setup:<13} {name:<17} {result['seconds']:6.1f} s  peak {result['probe']['peak_kib'] / 2**20:5.2f} GiB"
                  f"  errors {problems}", flush=True)
    lines = [f"# Solved notebooks from the student bundle ({date.today()}, Python {sys.version.split()[0]})", "",
             "Command: `.venv/bin/python bench/bundle_footprint.py`. Time: whole notebook, one fresh "
             "kernel, full (non-grading) sizes. Peak: the kernel's VmHWM. Budget: 2 GiB.", "",
             "| notebook | " + " | ".join(f"{s}: time / peak" for s in SETUPS) + " |",
             "|---|" + "---|" * len(SETUPS)]
    for name, by_setup in rows.items():
        cells = [f"{t:.0f} s / {p:.2f} GiB" + (f" ({e} errors)" if e else "") for t, p, e in by_setup.values()]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    if not args.venv:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
