"""Issue 15's stability measurement of the two-process grader: a benchmark, not a unit test.

Grades one two-process notebook through the real path (``grade``: sandbox, grader kernel, the
grader's baselines in a process of their own, both sides on one core while timing, the learner
frozen while the baseline runs) for two students, the reference and a known-wrong answer that
must lose the notebook's speed check, N times at ``--jobs 1`` and N times at ``--jobs 2``, with
a CPU burner on the last CPU all the while (a busy neighbour core). The reference must keep the
check every time and the wrong answer must lose it every time.

    python bench/two_process_stability.py --runs 20                    # 01: the honest row loop
                                                                       # against the 50x check
    python bench/two_process_stability.py --runs 20 --notebook 02_kernel_fusion
                                                                       # 02: chunked NumPy handed
                                                                       # in as fused_gelu
    python bench/two_process_stability.py --runs 20 --notebook 03_cache_tiling
                                                                       # 03: an i, j, p loop
                                                                       # handed in as matmul_ikj
    python bench/two_process_stability.py --runs 10 --notebook 05_microkernels
                                                                       # 05: a micro-kernel whose
                                                                       # rows live on the heap

Writes bench/results/two_process_stability[_02|_03|_05].md and .json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.pop("ACCEL_DB_URL", None)  # throwaway gradebooks, never the instructor's

from accel_instructor.build import release  # noqa: E402
from accel_instructor.course import Course  # noqa: E402
from accel_instructor.grade import grade_class, read_gradebook  # noqa: E402
from accel_instructor.samples import Submission, load_spec, write_submission  # noqa: E402
from grader_stability import cpu_burner  # noqa: E402

# notebook -> (the speed check, the known-wrong answer that must lose it, its ratio log's name)
CHECKS = {"01_vectorization": ("test_vectorized_matmul_speed", "01_matmul_row_loop",
                               "vectorized_matmul vs the loop baseline"),
          "02_kernel_fusion": ("test_fused_gelu_speed", "02_fused_chunked_numpy",
                               "fused_gelu vs the grader's chunked GELU"),
          "03_cache_tiling": ("test_matmul_ikj_speed", "03_ikj_is_ijk", "matmul_ikj vs the grader's compiled"),
          "05_microkernels": ("test_register_blocked_matmul_speed", "05_microkernel_heap_rows",
                              "register_blocked_matmul vs the grader's compiled")}
STUDENTS = {"reference": False, "wrong": True}  # student -> must lose the check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--notebook", default="01_vectorization", choices=sorted(CHECKS))
    args = parser.parse_args()
    NOTEBOOK = args.notebook
    CHECK, wrong_answer, logged = CHECKS[NOTEBOOK]
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    started = time.perf_counter()
    results = {"1": [], "2": []}
    threshold = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        course = Course(ROOT).copy_to(Path(scratch) / "course", [NOTEBOOK])
        release(course)
        write_submission(course, Submission("reference"))
        wrong = load_spec(ROOT / "tests" / "known_wrong" / f"{wrong_answer}.py")
        write_submission(course, Submission("wrong", answers=wrong.answers))
        log = Path(scratch) / "ratios.jsonl"
        os.environ["ACCEL_RATIO_LOG"] = str(log)
        hog = cpu_burner()
        try:
            for run in range(args.runs):
                for jobs in (1, 2):
                    log.unlink(missing_ok=True)
                    begun = time.perf_counter()
                    graded = grade_class(course, list(STUDENTS), jobs=jobs, force=True, log=lambda *_: None)
                    seconds = time.perf_counter() - begun
                    rows = {r.student: r for r in read_gradebook(course) if r.notebook == NOTEBOOK}
                    lost = {s: next(c.score != c.max_score for c in rows[s].cells if c.grade_id == CHECK)
                            for s in STUDENTS}
                    entries = [json.loads(line) for line in log.read_text().splitlines()
                               if logged in line] if log.exists() else []
                    ratios = sorted(e["ratio"] for e in entries)
                    threshold = next((e["threshold"] for e in entries), threshold)
                    results[str(jobs)].append({"lost": lost, "ratios": ratios, "seconds": seconds,
                                               "not_graded": graded.not_graded()})
                    print(f"[{time.perf_counter() - started:5.0f} s] run {run + 1} --jobs {jobs}: "
                          f"lost {lost}, ratios {[round(r, 1) for r in ratios]}, {seconds:.0f} s", flush=True)
        finally:
            hog.kill()
            os.environ.pop("ACCEL_RATIO_LOG", None)
    option = "" if NOTEBOOK == "01_vectorization" else f" --notebook {NOTEBOOK}"
    lines = [f"Command: `python bench/two_process_stability.py --runs {args.runs}{option}` "
             f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, a CPU burner on the last CPU throughout, "
             f"{time.perf_counter() - started:.0f} s in all). `{CHECK}`, threshold {threshold:g}x; the wrong "
             f"answer is `tests/known_wrong/{wrong_answer}.py`.", "",
             f"| --jobs | reference kept the check | wrong answer lost it | ratios seen (min / median / max) "
             "| grading both, s (median) |", "|---|---|---|---|---|"]
    for jobs, runs in results.items():
        kept = sum(not r["lost"]["reference"] for r in runs)
        lost = sum(r["lost"]["wrong"] for r in runs)
        seen = [x for r in runs for x in r["ratios"]]
        high = [x for x in seen if x >= threshold]
        low = [x for x in seen if x < threshold]
        span = lambda v: f"{min(v):.1f} / {statistics.median(v):.1f} / {max(v):.1f}" if v else "-"  # noqa: E731
        lines.append(f"| {jobs} | {kept} of {len(runs)} | {lost} of {len(runs)} | passing: {span(high)}; "
                     f"failing: {span(low)} | {statistics.median(r['seconds'] for r in runs):.0f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "two_process_stability" + ("" if NOTEBOOK == "01_vectorization" else f"_{NOTEBOOK[:2]}")
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    (args.out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
