"""How much of the tampering catalogue does the static policy alone stop? A measurement for
issue 15, not a test.

Grades the attacks of tests/tampering/ (notebooks 01 and 02, as tests/test_catalogues.py does)
as two classes in one process: with the policy (``accel.policy``, checked at intake) and with it
switched off (intake's ``check_source`` replaced, in this process only, by one that finds
nothing). For each attack it prints the points its wrong or slow kernel should lose (the spec's
LOSES) and what it lost in each mode. An attack *gains* when it lost less than that: with the
policy off, it shows what the sandbox and the tests do not hold by themselves. Issue 15's
two-process runner is done when the policy-off column gains nothing.

    python bench/policy_off_catalogue.py            # two classes of 24 students, about 10 min here

Writes bench/results/policy_off_catalogue.md and .json.
"""
from __future__ import annotations

import json
import os
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
from accel_instructor.samples import catalogue_grading, load_spec, write_submission  # noqa: E402

NOTEBOOKS = ["01_vectorization", "02_kernel_fusion"]
ATTACKS = sorted(p.stem for p in (ROOT / "tests" / "tampering").glob("*.py"))


def lost_cells(row) -> list[str]:
    return sorted(c.grade_id for c in row.cells if c.grade_id.startswith("test_") and c.score != c.max_score)


def grade_catalogue(scratch: Path, policy: bool) -> dict:
    """{attack: {notebook: (expected lost, lost, score, max)}} for one class graded with or
    without the policy."""
    course = Course(ROOT).copy_to(scratch / ("on" if policy else "off"), NOTEBOOKS)
    release(course)
    specs = {}
    for name in ATTACKS:
        spec = load_spec(ROOT / "tests" / "tampering" / f"{name}.py")
        spec.student = name
        specs[name] = spec
        write_submission(course, spec)
    with catalogue_grading(policy=policy):  # as tests/test_catalogues.py grades it
        grade_class(course, sorted(specs), cap_seconds=240, jobs=2, log=lambda *_: None)
    rows = {(r.student, r.notebook): r for r in read_gradebook(course)}
    result = {}
    for name, spec in specs.items():
        result[name] = {}
        for notebook in NOTEBOOKS:
            row = rows[(name, notebook)]
            expected = spec.loses.get(notebook, [])
            result[name][notebook] = {"expected": expected, "lost": lost_cells(row),
                                      "score": row.score, "max": row.max_score}
    return result


def gains(entry: dict) -> bool:
    """Did the attack keep points its kernel should lose (or, for "*", score above zero)?"""
    if entry["expected"] == ["*"]:
        return entry["score"] > 0
    return not set(entry["expected"]) <= set(entry["lost"])


def cells(names: list[str], entry: dict) -> str:
    """Cell names for the table; "all" for the whole notebook (a spec's "*", or a 0 score)."""
    if names == ["*"] or (names and entry["score"] == 0 and names == entry["lost"]):
        return "all"
    return ", ".join(names) or "-"


def render(on: dict, off: dict, seconds: float) -> str:
    lines = [f"Command: `python bench/policy_off_catalogue.py` ({time.strftime('%Y-%m-%d')}, "
             f"{os.cpu_count()} CPUs, {seconds:.0f} s). Notebooks {', '.join(NOTEBOOKS)}; an attack "
             f"*gains* when it lost fewer cells than its spec's LOSES.", "",
             "| attack | notebook | should lose | policy on: lost | policy off: lost | gains with the policy off |",
             "|---|---|---|---|---|---|"]
    gained = []
    for name in ATTACKS:
        for notebook in NOTEBOOKS:
            a, b = on[name][notebook], off[name][notebook]
            if not a["expected"] and not a["lost"] and not b["lost"] and not gains(b):
                continue  # an attack aimed at the other notebook: nothing to see here
            flag = "**yes**" if gains(b) else "no"
            if gains(b):
                gained.append(f"{name} ({notebook})")
            lines.append(f"| {name} | {notebook} | {cells(a['expected'], a)} | "
                         f"{cells(a['lost'], a)} ({a['score']:g}/{a['max']:g}) | "
                         f"{cells(b['lost'], b)} ({b['score']:g}/{b['max']:g}) | {flag} |")
    on_gains = [f"{n} ({nb})" for n in ATTACKS for nb in NOTEBOOKS if gains(on[n][nb])]
    lines += ["", f"Gains with the policy on: {', '.join(on_gains) or 'none'}.",
              f"Gains with the policy off: {', '.join(gained) or 'none'}.", "",
              "This is only as strong as the catalogue: issue 15's own attacks (the interpreter "
              "taken from a generator frame's builtins, a transformer that wraps the tests in "
              "try/except, the hidden tests printed from `In`, the grader's reference called by "
              "name) are not all cases yet."]
    return "\n".join(lines) + "\n"


def main() -> int:
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        on = grade_catalogue(Path(scratch), policy=True)
        print(f"[{time.perf_counter() - started:5.0f} s] graded with the policy", flush=True)
        off = grade_catalogue(Path(scratch), policy=False)
        print(f"[{time.perf_counter() - started:5.0f} s] graded without it", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "policy_off_catalogue.json").write_text(json.dumps({"on": on, "off": off}, indent=1) + "\n")
    table = render(on, off, time.perf_counter() - started)
    (out / "policy_off_catalogue.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
