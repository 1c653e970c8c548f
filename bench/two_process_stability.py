"""Issue 15's stability measurement of the two-process grader: a benchmark, not a unit test.

Grades notebook 01 through the real path (``grade``: sandbox, grader kernel, timing from the
trusted side, learner frozen while the baseline runs) for two students, the reference and the
honest row loop (``tests/known_wrong/01_matmul_row_loop.py``), N times at ``--jobs 1`` and N
times at ``--jobs 2``, with a CPU burner on the last CPU all the while (a busy neighbour core).
The reference must keep ``test_vectorized_matmul_speed`` (50x) every time and the row loop must
lose it every time.

    python bench/two_process_stability.py --runs 20     # about 15 minutes here

Writes bench/results/two_process_stability.md and .json.
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

NOTEBOOK = "01_vectorization"
CHECK = "test_vectorized_matmul_speed"
STUDENTS = {"reference": False, "row_loop": True}  # student -> must lose CHECK


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    started = time.perf_counter()
    results = {"1": [], "2": []}
    with tempfile.TemporaryDirectory() as scratch:
        course = Course(ROOT).copy_to(Path(scratch) / "course", [NOTEBOOK])
        release(course)
        write_submission(course, Submission("reference"))
        row_loop = load_spec(ROOT / "tests" / "known_wrong" / "01_matmul_row_loop.py")
        write_submission(course, Submission("row_loop", answers=row_loop.answers))
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
                    ratios = sorted(json.loads(line)["ratio"] for line in log.read_text().splitlines()
                                    if "vectorized_matmul vs the loop baseline" in line) if log.exists() else []
                    results[str(jobs)].append({"lost": lost, "ratios": ratios, "seconds": seconds,
                                               "not_graded": graded.not_graded()})
                    print(f"[{time.perf_counter() - started:5.0f} s] run {run + 1} --jobs {jobs}: "
                          f"lost {lost}, ratios {[round(r, 1) for r in ratios]}, {seconds:.0f} s", flush=True)
        finally:
            hog.kill()
            os.environ.pop("ACCEL_RATIO_LOG", None)
    lines = [f"Command: `python bench/two_process_stability.py --runs {args.runs}` ({time.strftime('%Y-%m-%d')}, "
             f"{os.cpu_count()} CPUs, a CPU burner on the last CPU throughout, "
             f"{time.perf_counter() - started:.0f} s in all)", "",
             "| --jobs | reference kept the 50x check | row loop lost it | ratios seen (min / median / max) "
             "| grading both, s (median) |", "|---|---|---|---|---|"]
    for jobs, runs in results.items():
        kept = sum(not r["lost"]["reference"] for r in runs)
        lost = sum(r["lost"]["row_loop"] for r in runs)
        seen = [x for r in runs for x in r["ratios"]]
        high = [x for x in seen if x >= 50]
        low = [x for x in seen if x < 50]
        span = lambda v: f"{min(v):.1f} / {statistics.median(v):.1f} / {max(v):.1f}" if v else "-"  # noqa: E731
        lines.append(f"| {jobs} | {kept} of {len(runs)} | {lost} of {len(runs)} | passing: {span(high)}; "
                     f"failing: {span(low)} | {statistics.median(r['seconds'] for r in runs):.0f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "two_process_stability.json").write_text(json.dumps(results, indent=1))
    (args.out / "two_process_stability.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
