"""Grading a class at scale: sandbox overhead, and --jobs 1 against --jobs 2. A benchmark.

Builds a class of N submissions, mixed as a real class is: correct (the reference), wrong (the
known-wrong answers), broken (tests/broken, without the infinite loop) and hostile
(tests/tampering), then grades the same class in fresh copies of the course:
``--no-sandbox`` (nbgrader executes, as before issue 8), sandboxed ``--jobs 1``, sandboxed
``--jobs 2`` and (``--modes ... dask``) on a local Dask cluster (a scheduler and two
``dask worker --nthreads 1`` processes on 127.0.0.1, as tests/test_distributed.py starts them).
Reports wall time, throughput, the sandbox's overhead per student, whether the
three runs gave the same grades cell by cell, and false failures (a correct submission that
lost a point).

    python bench/class_scale.py                       # 40 submissions, 4 notebooks (long)
    python bench/class_scale.py --students 8 --notebooks 01_vectorization 02_kernel_fusion
    python bench/class_scale.py --students 40 --notebooks 01_vectorization --modes jobs2 --incremental

Writes bench/results/class_scale.md and .json (with --incremental: class_scale_incremental.*,
the time of a second ``grade`` with nothing changed, of ``grade --student X`` and of ``grade``
after one student handed in again).
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# It grades throwaway copies of the course, each with a gradebook.db of its own: never into the
# instructor's ACCEL_DB_URL gradebook.
os.environ.pop("ACCEL_DB_URL", None)

from accel_instructor.build import release  # noqa: E402
from accel_instructor.cluster import local_cluster  # noqa: E402
from accel_instructor.course import Course  # noqa: E402
from accel_instructor.grade import grade_class, read_gradebook  # noqa: E402
from accel_instructor.samples import load_spec, write_submission  # noqa: E402


def class_of(n: int, notebooks: list[str]):
    """n submissions: a quarter each correct, wrong, broken and hostile (round robin)."""
    def usable(paths):
        specs = []
        for path in paths:
            spec = load_spec(path)
            if set(spec.answers) | set(spec.damage) | set(spec.extra_cells) <= set(notebooks):
                specs.append((path.stem, spec))
        return specs
    wrong = usable(sorted((ROOT / "tests" / "known_wrong").glob("*.py")))
    broken = usable(p for p in sorted((ROOT / "tests" / "broken").glob("*.py")) if "infinite" not in p.stem)
    hostile = usable(p for p in sorted((ROOT / "tests" / "tampering").glob("t*.py")) if "control" not in p.stem)
    kinds = {"correct": itertools.repeat(("reference", None)), "wrong": itertools.cycle(wrong),
             "broken": itertools.cycle(broken), "hostile": itertools.cycle(hostile)}
    order = itertools.cycle(["correct", "wrong", "broken", "hostile"])
    out = []
    for i in range(n):
        kind = next(order)
        name, spec = next(kinds[kind])
        spec = copy.deepcopy(spec)  # the cycles hand out the same spec again: name a copy
        if spec is None:
            spec = load_spec(ROOT / "tests" / "tampering" / "t00_control.py")
        spec.student = f"s{i:03d}_{kind}"
        out.append((kind, name, spec))
    return out


def run(mode: str, students, notebooks, workdir: Path) -> dict:
    course = Course(ROOT).copy_to(workdir / mode, notebooks)
    release(course)
    for _, _, spec in students:
        write_submission(course, spec)
    jobs = 2 if mode == "jobs2" else 1
    options = {"cap_seconds": 600, "jobs": jobs, "sandbox": mode != "unsandboxed",
               "log": lambda line: print(f"  {mode}: {line}", flush=True)}
    names = [s.student for _, _, s in students]
    if mode == "dask":  # the cluster's start is not counted
        (workdir / "dask-cluster").mkdir()
        with local_cluster(workdir / "dask-cluster") as address:
            start = time.perf_counter()
            result = grade_class(course, names, scheduler=address, **options)
            seconds = time.perf_counter() - start
    else:
        start = time.perf_counter()
        result = grade_class(course, names, **options)
        seconds = time.perf_counter() - start
    grades = {f"{r.student}/{r.notebook}/{c.grade_id}": c.score
              for r in read_gradebook(course) for c in r.cells}
    incremental = _incremental(course, names, options) if INCREMENTAL and mode != "unsandboxed" else {}
    false_failures = sorted(key for key, score in grades.items()
                            if "_correct/" in key and "/test_" in key and score == 0)
    return {"mode": mode, "seconds": seconds, "per_student": seconds / len(students),
            "statuses": [r.status for r in result.runs], "grades": grades,
            "false_failures": false_failures, "incremental": incremental}


INCREMENTAL = False  # --incremental


def _incremental(course: Course, names: list[str], options: dict) -> dict:
    """After the class run: `grade` again with nothing changed (everyone skipped), `grade --student X`
    for one student, and `grade` after one student handed in again (one graded, the rest skipped)."""
    timings = {}
    start = time.perf_counter()
    again = grade_class(course, None, **options)
    timings["grade again, nothing changed"] = (time.perf_counter() - start, len(again.runs), len(again.skipped))
    start = time.perf_counter()
    one = grade_class(course, [names[0]], **options)
    timings[f"grade --student {names[0]}"] = (time.perf_counter() - start, len(one.runs), len(one.skipped))
    changed = course.submitted_dir / names[0] / "acceleration"
    for path in changed.glob("*.ipynb"):
        if path.is_file():
            path.write_text(path.read_text() + "\n")
    start = time.perf_counter()
    resubmitted = grade_class(course, None, **options)
    timings["grade after one student handed in again"] = (time.perf_counter() - start, len(resubmitted.runs),
                                                           len(resubmitted.skipped))
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--notebooks", nargs="+", default=["01_vectorization", "02_kernel_fusion",
                                                             "03_cache_tiling", "04_roofline"])
    parser.add_argument("--modes", nargs="+", default=["unsandboxed", "jobs1", "jobs2"],
                        choices=["unsandboxed", "jobs1", "jobs2", "dask"])
    parser.add_argument("--incremental", action="store_true",
                        help="after each sandboxed run, time a second `grade` (nothing changed), "
                             "`grade --student X` and `grade` after one resubmission")
    args = parser.parse_args()
    global INCREMENTAL
    INCREMENTAL = args.incremental
    os.environ.setdefault("ACCEL_CELL_TIMEOUT", "60")
    students = class_of(args.students, args.notebooks)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            results[mode] = run(mode, students, args.notebooks, Path(tmp))
    base = results.get("unsandboxed")
    lines = [f"Command: `python bench/class_scale.py --students {args.students} --notebooks "
             f"{' '.join(args.notebooks)} --modes {' '.join(args.modes)}{' --incremental' * args.incremental}` "
             f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs)", "",
             "| run | wall time | per student | throughput (students/min) | same grades as the first run | false failures |",
             "|---|---|---|---|---|---|"]
    first = next(iter(results.values()))
    for mode, r in results.items():
        same = "yes" if r["grades"] == first["grades"] else (
            f"no ({sum(first['grades'].get(k) != v for k, v in r['grades'].items())} cells differ)")
        lines.append(f"| {mode} | {r['seconds']:.0f} s | {r['per_student']:.1f} s | "
                     f"{60 / r['per_student']:.2f} | {same} | {len(r['false_failures'])} |")
    if base and "jobs1" in results:
        overhead = results["jobs1"]["per_student"] - base["per_student"]
        lines += ["", f"Sandbox overhead: {overhead:+.1f} s per student "
                      f"({100 * overhead / base['per_student']:+.0f}% of an unsandboxed student)."]
    if "jobs1" in results and "jobs2" in results:
        lines.append(f"--jobs 2 throughput: {results['jobs1']['seconds'] / results['jobs2']['seconds']:.2f}x "
                     f"that of --jobs 1.")
    if "jobs1" in results and "dask" in results:
        same = results["dask"]["grades"] == results["jobs1"]["grades"]
        lines.append(f"Dask (two one-thread workers on this machine): "
                     f"{results['jobs1']['seconds'] / results['dask']['seconds']:.2f}x the throughput of --jobs 1; "
                     f"grades {'equal to' if same else 'DIFFERENT from'} --jobs 1, cell by cell.")
    kinds = {}
    for kind, name, _ in students:
        kinds.setdefault(kind, set()).add(name)
    lines += ["", "Class: " + "; ".join(f"{len([s for s in students if s[0] == k])} {k} ({', '.join(sorted(v))})"
                                      for k, v in kinds.items())]
    for mode, r in results.items():
        if r["incremental"]:
            lines += ["", f"Incremental grading after the {mode} run ({r['per_student']:.1f} s per student "
                          f"in the class run):", "", "| command | wall time | graded | skipped |", "|---|---|---|---|"]
            lines += [f"| {what} | {sec:.1f} s | {graded} | {skipped} |"
                      for what, (sec, graded, skipped) in r["incremental"].items()]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stem = "class_scale_incremental" if args.incremental else "class_scale"  # keeps the full run's file
    (out / f"{stem}.md").write_text(text)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
