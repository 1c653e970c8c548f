"""How stable are the course's speed and plausibility verdicts? A benchmark, not a unit test.

Autogrades the reference submission N times on an idle machine and N times while another
process keeps one core busy, plus once per phase each known-slow or known-off answer. Every
speed check logs its measured ratio (``ACCEL_RATIO_LOG``, see accel.grading.require_speedup),
and the gradebook tells whether the reference lost any point (a false failure).

    python bench/grader_stability.py            # 20 + 20 runs (about 30 minutes here)
    python bench/grader_stability.py --runs 3   # a quick look
    python bench/grader_stability.py --runs 3 --notebooks 02_kernel_fusion
                                                # only that notebook's checks (the reference
                                                # hands in only it; its known-slow answers only)
    python bench/grader_stability.py --busy --runs 20 --notebooks 01_vectorization \
        --answers 01_matmul_loop_in_disguise   # only the busy phase: does the honest 9.9x row
                                                # loop lose the 50x check, 20 of 20 times, while
                                                # the reference keeps it?

The busy phase runs a CPU burner pinned to the last CPU (the grader's first sandbox slot runs
on the first): a neighbour that takes a core, as another student's kernel or an editor would.

Writes bench/results/grader_stability.md (the table the README shows) and .json (raw ratios).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# It grades throwaway copies of the course, each with a gradebook.db of its own: never into the
# instructor's ACCEL_DB_URL gradebook.
os.environ.pop("ACCEL_DB_URL", None)

from accel_instructor.build import release  # noqa: E402
from accel_instructor.course import Course  # noqa: E402
from accel_instructor.grade import autograde_student, read_gradebook  # noqa: E402
from accel_instructor.intake import load_rules, stage_student  # noqa: E402
from accel_instructor.samples import Submission, load_spec, write_submission  # noqa: E402

# Known-wrong answers whose speed or plausibility ratio should sit far on the failing side, and
# one that is fast enough but must still lose its structural points (02_fused_chunked_numpy).
SLOW_ANSWERS = ["01_matmul_loop_in_disguise", "01_matmul_row_loop", "01_matmul_near_duplicate_cache", "02_chunked_power_cube", "02_fused_scalar_tanh",
                "02_fused_is_one_expression", "02_fused_chunked_numpy", "03_ikj_is_ijk",
                "04_bandwidth_output_bytes",
                "04_bandwidth_three_sweeps", "04_peak_times_setup", "04_peak_n_cubed",
                "05_cycle_in_array_order", "05_chase_not_dependent", "05_microkernel_heap_rows"]


def grade_once(course: Course, rules, student: str, log: Path, notebooks=None) -> dict:
    os.environ["ACCEL_RATIO_LOG"] = str(log)
    log.unlink(missing_ok=True)
    try:
        stage_student(course, student, rules)
        start = time.perf_counter()
        run = autograde_student(course, student)
        seconds = time.perf_counter() - start
    finally:
        os.environ.pop("ACCEL_RATIO_LOG", None)
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    rows = [r for r in read_gradebook(course)
            if r.student == student and (notebooks is None or r.notebook in notebooks)]
    lost = [f"{r.notebook}:{c.grade_id}" for r in rows for c in r.cells
            if not c.needs_manual_grade and c.score != c.max_score]
    return {"seconds": seconds, "status": run.status, "records": records, "lost": lost}


def cpu_burner() -> subprocess.Popen:
    """A process that keeps the last CPU this process may use busy until killed."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = f"import os\nos.sched_setaffinity(0, {{{cpus[-1]}}})\n" if len(cpus) > 1 else ""
    return subprocess.Popen([sys.executable, "-c", pin + "while True:\n    pass\n"])


def phase(course, rules, runs: int, busy: bool, progress, slow_answers: list[str],
          notebooks: list[str], wrong_runs: int = 1) -> dict:
    hog = cpu_burner() if busy else None
    try:
        reference = []
        for i in range(runs):
            reference.append(grade_once(course, rules, "reference", course.root / "ratios.jsonl",
                                        notebooks))
            progress(f"{'busy' if busy else 'idle'} reference run {i + 1}/{runs}: "
                     f"{reference[-1]['seconds']:.0f} s, lost {reference[-1]['lost'] or 'nothing'}")
        wrong = {f"{name}#{k + 1}" if wrong_runs > 1 else name:
                 grade_once(course, rules, f"slow_{name}", course.root / "ratios.jsonl")
                 for name in slow_answers for k in range(wrong_runs)}
        progress(f"{'busy' if busy else 'idle'} known-slow answers graded")
    finally:
        if hog:
            hog.kill()
    return {"reference": reference, "wrong": wrong}


def summarize(results: dict) -> str:
    correct = defaultdict(lambda: defaultdict(list))
    thresholds = {}
    phases = [name for name in ("idle", "busy") if name in results]
    for name in phases:
        for run in results[name]["reference"]:
            for rec in run["records"]:
                correct[rec["check"]][name].append(rec["ratio"])
                thresholds[rec["check"]] = rec["threshold"]
    def failing(rec):
        t = rec["threshold"]
        if isinstance(t, str):
            low, high = (float(v) for v in t.split("-"))
            return not low <= rec["ratio"] <= high
        return rec["ratio"] < t

    wrong = defaultdict(list)
    escaped = []
    for name in phases:
        for answer, run in results[name]["wrong"].items():
            if not set(results["expected"][answer.split("#")[0]]) <= set(run["lost"]):
                escaped.append(f"{answer} ({name})")
            for rec in run["records"]:  # the wrong answer's own check is the one it fails
                if failing(rec):
                    wrong[rec["check"]].append((answer, rec["ratio"]))
                    thresholds.setdefault(rec["check"], rec["threshold"])

    def span(values):
        if not values:
            return "-"
        return f"{min(values):.3g} / {statistics.median(values):.3g} / {max(values):.3g}"

    lines = ["| check | threshold | correct, idle (min / median / max) | correct, one core busy | "
             "known-wrong (best) | margin correct | margin wrong |",
             "|---|---|---|---|---|---|---|"]
    for check in sorted(thresholds):
        threshold = thresholds[check]
        values = correct[check]["idle"] + correct[check]["busy"]
        bad = wrong.get(check, [])
        if isinstance(threshold, str):  # a band "lo-hi": margins to each edge
            low, high = (float(t) for t in threshold.split("-"))
            margin_ok = f"{min(min(values) / low, high / max(values)):.2f}x" if values else "-"
            best_bad = max(bad, key=lambda b: b[1]) if bad else None
            margin_bad = f"{low / best_bad[1]:.2f}x" if best_bad else "-"
        else:
            margin_ok = f"{min(values) / threshold:.1f}x" if values else "-"
            best_bad = max(bad, key=lambda b: b[1]) if bad else None
            margin_bad = f"{threshold / best_bad[1]:.1f}x" if best_bad else "-"
        bad_text = f"{best_bad[1]:.3g} ({best_bad[0]})" if best_bad else "-"
        lines.append(f"| {check} | {threshold} | {span(correct[check]['idle'])} | "
                     f"{span(correct[check]['busy'])} | {bad_text} | {margin_ok} | {margin_bad} |")
    false_failures = {name: sum(bool(run["lost"]) for run in results[name]["reference"])
                      for name in phases}
    runs = {name: len(results[name]["reference"]) for name in phases}
    times = [run["seconds"] for name in phases for run in results[name]["reference"]]
    where = {"idle": "idle runs", "busy": "runs with one core busy"}
    kept = {name: {answer: ([c for c in run["lost"] if c[:2] == answer[:2]],  # its notebook's
                            [f"{r['ratio']:.3g}x" for r in run["records"]])
                   for answer, run in results[name]["wrong"].items()} for name in phases}
    lines += ["", "False failures of the reference: " + ", ".join(
                  f"{false_failures[name]} of {runs[name]} {where[name]}" for name in phases) + ". "
              f"Autograding the whole reference submission took {min(times):.0f}-{max(times):.0f} s "
              f"(median {statistics.median(times):.0f} s).",
              "Known-wrong answers, each run: " + "; ".join(
                  f"{answer} ({name}) lost {', '.join(lost) or 'nothing'} (ratios {', '.join(ratios)})"
                  for name in phases for answer, (lost, ratios) in kept[name].items()) + ".",
              f"Known-wrong answers that kept points they should lose: {', '.join(escaped) or 'none'}.",
              "Margins: worst correct ratio over the threshold, and the threshold over the best "
              "known-wrong ratio (for a band, the distance to its nearest edge)."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="reference runs per phase (default 20)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--notebooks", nargs="+", metavar="NOTEBOOK",
                        help="grade only these notebooks (default: all); the results then go to "
                             "grader_stability_<notebooks>.md/.json")
    parser.add_argument("--busy", action="store_true",
                        help="only the phase with a CPU burner pinned to the last CPU (default: an "
                             "idle phase, then a busy one)")
    parser.add_argument("--wrong-runs", type=int, default=1,
                        help="gradings of each known-slow answer per phase (default 1)")
    parser.add_argument("--answers", nargs="+", metavar="NAME",
                        help="only these known-slow answers (names in tests/known_wrong)")
    args = parser.parse_args()
    everything = Course(ROOT).notebook_names()
    only = args.notebooks or everything
    unknown = sorted(set(only) - set(everything))
    if unknown:
        parser.error(f"unknown notebook(s) {unknown}; the course has {everything}")
    slow_answers = [name for name in (args.answers or SLOW_ANSWERS)
                    if any(name.startswith(nb[:3]) for nb in only)]
    stem = "grader_stability" + ("" if only == everything else "_" + "_".join(nb[:2] for nb in only)) + (
        "_busy" if args.busy else "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        course = Course(ROOT).copy_to(Path(scratch) / "course")
        release(course)
        reference = load_spec(course.root / "samples" / "reference.py")
        reference.damage.update({nb: "missing" for nb in everything if nb not in only})
        write_submission(course, reference)
        expected = {}
        for name in slow_answers:
            spec = load_spec(course.root / "tests" / "known_wrong" / f"{name}.py")
            (notebook,) = spec.answers
            expected[name] = [f"{notebook}:{gid}" for gid in spec.loses[notebook]]
            others = {nb: "missing" for nb in course.notebook_names() if nb != notebook}
            write_submission(course, Submission(f"slow_{name}", answers=spec.answers, damage=others))
        rules = load_rules(course)
        say = lambda line: print(f"[{time.perf_counter() - started:6.0f} s] {line}", flush=True)  # noqa: E731
        results = {"expected": expected}
        for name in (("busy",) if args.busy else ("idle", "busy")):
            results[name] = phase(course, rules, args.runs, name == "busy", say, slow_answers,
                                  only, args.wrong_runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    table = summarize(results)
    flags = (f" --notebooks {' '.join(only)}" if only != everything else "") + (
        " --busy" if args.busy else "") + (f" --answers {' '.join(args.answers)}" if args.answers else "") + (
        f" --wrong-runs {args.wrong_runs}" if args.wrong_runs != 1 else "")
    header = (f"Command: `python bench/grader_stability.py --runs {args.runs}{flags}` "
              f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, "
              f"{time.perf_counter() - started:.0f} s in all)\n\n")
    (args.out / f"{stem}.md").write_text(header + table + "\n")
    print(header + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
