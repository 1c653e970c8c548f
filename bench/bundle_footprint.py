"""Run time and peak memory of each notebook, solved and untouched, run from the student bundle alone.

    .venv/bin/python bench/bundle_footprint.py [--venv DIR] [--out bench/results/bundle_footprint.md]
        [--setups "this machine" "LLC 256 MiB" ...] [--states solved untouched]

Publishes the bundle, installs it in a fresh virtualenv (or reuses ``--venv``), and runs the four
notebooks as a student would (no NBGRADER_EXECUTION: the full exploratory sizes) with
``tests/bundle_runner.py``, with the reference answers filled in (``solved``) and as released
(``untouched``), in these set-ups:

* ``this machine``: all CPUs, the caches as detected;
* ``1 CPU``: ``taskset -c 0`` plus OPENBLAS/OMP/NUMBA threads = 1 (a one-CPU Binder session);
* ``LLC 256 MiB`` and ``LLC 1 GiB``: the last-level cache faked (``ACCEL_FAKE_LLC_BYTES``), as
  on a server CPU, all CPUs.

Each kernel runs in a memory cgroup with a hard limit of the kernel budget (1.5 GiB, swap
included) where this machine allows one. Peak memory is the kernel's own peak resident set
(VmHWM); the cgroup's peak (which also counts page cache) is printed when there is a cgroup.
Writes a Markdown table (the README's footprint table is copied from it).
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
from test_publish import (BUDGET, NOTEBOOKS, base_python, make_student_venv,  # noqa: E402
                          run_in_venv, solved_folder)

GiB = 1 << 30
SETUPS = {
    "this machine": ({}, []),
    "1 CPU": ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"},
              ["taskset", "-c", "0"]),
    "LLC 256 MiB": ({"ACCEL_FAKE_LLC_BYTES": str(256 << 20)}, []),
    "LLC 1 GiB": ({"ACCEL_FAKE_LLC_BYTES": str(1 << 30)}, []),
}
STATES = ("solved", "untouched")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="reuse this bundle virtualenv (made by an earlier run)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bundle_footprint.md")
    parser.add_argument("--setups", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    parser.add_argument("--states", nargs="+", choices=STATES, default=list(STATES))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bundle-footprint-"))
    course = Course(ROOT)
    bundle = publish(course, work / "bundle")
    venv = args.venv or make_student_venv(bundle, work / "venv", base_python())
    rows, cgroups = {}, set()
    for state in args.states:
        for setup in args.setups:
            env, prefix = SETUPS[setup]
            dest = work / f"{state}_{setup.replace(' ', '_')}"
            if state == "solved":
                folder = solved_folder(bundle, course, dest)
            else:
                folder = Path(shutil.copytree(bundle / "acceleration", dest))
            report = run_in_venv(venv, folder, NOTEBOOKS, prefix=prefix,
                                 BUNDLE_MEMORY_LIMIT_BYTES=str(BUDGET), **env)
            for name in NOTEBOOKS:
                result = report[name]
                killed = [e for e in result["errors"] if e["role"] == "kernel"]
                peak = result["probe"].get("peak_kib", 0) / 2**20
                cgroup = result["cgroup"]
                cgroups.add(cgroup["kind"] or cgroup["why_not"])
                group_peak = (cgroup.get("peak_bytes") or 0) / GiB
                rows.setdefault((name, state), {})[setup] = (result["seconds"], peak, bool(killed))
                print(f"{state:<9} {setup:<12} {name:<17} {result['seconds']:6.1f} s  VmHWM {peak:5.2f} GiB"
                      f"  cgroup peak {group_peak:5.2f} GiB  errors {len(result['errors'])}"
                      + ("  KILLED" if killed else ""), flush=True)
    lines = [f"# Notebooks from the student bundle ({date.today()}, Python {sys.version.split()[0]})", "",
             "Command: `.venv/bin/python bench/bundle_footprint.py`. Time: whole notebook, one fresh "
             "kernel, full (non-grading) sizes. Peak: the kernel's VmHWM. Budget: "
             f"{BUDGET / GiB:.1f} GiB per kernel. Memory cgroup: {', '.join(sorted(map(str, cgroups)))}.", "",
             "| notebook | " + " | ".join(f"{s}: time / peak" for s in args.setups) + " |",
             "|---|" + "---|" * len(args.setups)]
    for (name, state), by_setup in rows.items():
        cells = [f"{t:.0f} s / {p:.2f} GiB" + (" (killed)" if k else "") for t, p, k in by_setup.values()]
        lines.append(f"| `{name}` {state} | " + " | ".join(cells) + " |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    if not args.venv:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
