"""Grading time of one whole reference submission, this checkout against an earlier commit, in
one run on one machine (issue 15: the two-process grader may cost at most 15% more). A benchmark.

Each side is a git worktree with a venv of its own (``make venv``, as from a fresh clone) and
grades the reference submission (all notebooks, the sandbox, ``--jobs 1``, preflight included)
in a throwaway copy of its course; the sides alternate, ``--repeat`` times each, and the
medians are compared.

    python bench/grading_time_versus.py 56abb1b --repeat 3

Writes bench/results/grading_time_versus.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GRADE_ONCE = """
import os, sys, tempfile, time
from pathlib import Path
os.environ.pop("ACCEL_DB_URL", None)
from accel_instructor.build import release
from accel_instructor.course import Course
from accel_instructor.grade import grade_class
from accel_instructor.samples import load_spec, write_submission
with tempfile.TemporaryDirectory() as scratch:
    course = Course(Path.cwd()).copy_to(Path(scratch) / "course")
    release(course)
    write_submission(course, load_spec(course.root / "samples" / "reference.py"))
    start = time.perf_counter()
    run = grade_class(course, ["reference"], jobs=1, force=True, log=lambda *_: None)
    assert not run.not_graded(), run.problems()
    print("SECONDS", time.perf_counter() - start)
"""


def grade_seconds(tree: Path) -> float:
    python = tree / ".venv" / "bin" / "python"
    env = dict(os.environ, PATH=str(python.parent) + os.pathsep + os.environ["PATH"])
    out = subprocess.run([str(python), "-c", GRADE_ONCE], cwd=tree, env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(next(line for line in out.splitlines() if line.startswith("SECONDS")).split()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("baseline", help="the earlier commit to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    times: dict[str, list[float]] = {args.baseline: [], head: []}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {}
        for ref in times:
            trees[ref] = Path(scratch) / ref
            subprocess.run(["git", "worktree", "add", "--detach", str(trees[ref]), ref], cwd=ROOT, check=True,
                           capture_output=True)
            subprocess.run(["make", "venv"], cwd=trees[ref], check=True, capture_output=True)
        try:
            for i in range(args.repeat):
                for ref in (times if i % 2 == 0 else list(times)[::-1]):
                    times[ref].append(grade_seconds(trees[ref]))
                    print(f"{ref}: {times[ref][-1]:.1f} s", flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    old, new = (statistics.median(times[ref]) for ref in (args.baseline, head))
    text = (f"Command: `python bench/grading_time_versus.py {args.baseline} --repeat {args.repeat}` "
            f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs)\n\n"
            f"| commit | grading the reference submission, s (each run) | median |\n|---|---|---|\n"
            + "".join(f"| {ref} | {', '.join(f'{t:.1f}' for t in ts)} | {statistics.median(ts):.1f} |\n"
                      for ref, ts in times.items())
            + f"\n{head} takes {new / old:.2f}x the time of {args.baseline} ({(new / old - 1) * 100:+.0f}%).\n")
    out = ROOT / "bench" / "results" / "grading_time_versus.md"
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
