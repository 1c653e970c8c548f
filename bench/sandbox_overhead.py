"""Where the sandbox's per-student time goes, for one reference student. A benchmark.

Grades one correct submission (notebooks 01 and 02 by default) and times each step apart:
intake, nbgrader's preparation, the sandbox run of the student's notebooks (and, inside it,
the runner's start: a sandbox that only imports what the runner imports), the scoring step,
and the same student graded with --no-sandbox for comparison.

    python bench/sandbox_overhead.py [--notebooks 01_vectorization 02_kernel_fusion] [--repeat 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accel_instructor import grade, sandbox  # noqa: E402
from accel_instructor.build import release  # noqa: E402
from accel_instructor.course import Course  # noqa: E402
from accel_instructor.intake import load_rules, stage_student  # noqa: E402
from accel_instructor.samples import load_spec, write_submission  # noqa: E402


def timed(what, fn, rows):
    start = time.perf_counter()
    out = fn()
    rows.append((what, time.perf_counter() - start))
    print(f"  {what}: {rows[-1][1]:.2f} s", flush=True)
    return out


def runner_start(imports: str) -> float:
    """A sandbox that starts the runner's Python and imports ``imports``, nothing else."""
    argv = sandbox.bwrap_argv(sandbox.check_available(), Path(tempfile.mkdtemp()), 0, sandbox.Limits(),
                              sorted(os.sched_getaffinity(0)))
    argv = argv[:argv.index("-m")] + ["-c", imports]
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", default=["01_vectorization", "02_kernel_fusion"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("ACCEL_CELL_TIMEOUT", "60")
    rows = []
    for what, code in (("sandbox start, python only", "pass"),
                       ("sandbox start + import nbformat", "import nbformat"),
                       ("sandbox start + import nbclient", "import nbclient"),
                       ("sandbox start + import nbgrader Execute (the runner before)",
                        "from nbgrader.preprocessors import Execute"),
                       ("sandbox start + the runner's imports now (nbclient, no rfc3987 grammar)",
                        "import sys; sys.modules['rfc3987_syntax'] = None; import nbclient")):
        timed(what, lambda: runner_start(code), rows)
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            course = Course(ROOT).copy_to(Path(tmp) / f"c{round_}", args.notebooks)
            release(course)
            spec = load_spec(ROOT / "tests" / "tampering" / "t00_control.py")
            spec.student = "ref"
            write_submission(course, spec)
            rules = load_rules(course)
            timed("intake", lambda: stage_student(course, "ref", rules), rows)
            prepared = timed("prepare (nbgrader sanitize)", lambda: {
                nb: grade.prepare_notebook(course, "ref", nb) for nb in args.notebooks}, rows)
            results = course.root / grade.RESULTS_DIR
            slots = __import__("queue").Queue()
            slots.put(0)
            staged = course.root / ".staged" / "ref" / "acceleration"
            answer = timed("sandbox: all notebooks", lambda: grade.run_student_here(
                prepared, staged, slots, [sorted(os.sched_getaffinity(0))], sandbox.Limits(), 120, 300), rows)
            grade.collect_student(answer, prepared, results / "ref", checked=True)
            run = timed("scoring (replay)", lambda: grade.autograde_student(course, "ref", 600, replay=results), rows)
            assert run.status == "graded", run.messages
            timed("unsandboxed nbgrader autograde (whole student)",
                  lambda: grade.autograde_student(course, "ref", 600), rows)
    print("\n| step | seconds |\n|---|---|")
    for what, seconds in rows:
        print(f"| {what} | {seconds:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
