"""The instructor's command line: ``python -m accel <command>`` (or ``accel-course``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .course import Course, CourseError


def cmd_build(course: Course, args) -> int:
    from .build import build_source
    for path in build_source(course):
        print(f"built   {path.relative_to(course.root)}")
    return 0


def cmd_release(course: Course, args) -> int:
    from .build import build_source, release
    build_source(course)
    for path in release(course):
        print(f"released {path.relative_to(course.root)}")
    return 0


def cmd_try(course: Course, args) -> int:
    from .samples import load_spec
    from .trial import try_notebook
    answers, loses = {}, None
    if args.known_wrong:
        spec = load_spec(Path(args.known_wrong))
        answers = spec.answers.get(args.notebook, {})
        loses = set(spec.loses.get(args.notebook, []))
    results, seconds = try_notebook(course, args.notebook, answers)
    bad = 0
    for v in results:
        expected_fail = loses is not None and v.grade_id in loses
        ok = (not v.passed) if expected_fail else v.passed
        bad += not ok
        mark = "pass" if v.passed else "FAIL"
        note = " (expected)" if expected_fail and not v.passed else ""
        print(f"{mark:4} {v.points:>4g} pt  {v.grade_id}{note}  {v.reason}")
    print(f"executed {args.notebook} in {seconds:.1f} s; {bad} graded cell(s) not as expected")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="accel-course", description=__doc__)
    parser.add_argument("--root", type=Path, default=None, help="course folder (default: found from the current folder)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("build", help="notebooks/*.py -> source/acceleration/*.ipynb").set_defaults(func=cmd_build)
    sub.add_parser("release", help="build, then generate the student notebooks in release/").set_defaults(func=cmd_release)
    p = sub.add_parser("try", help="execute one source notebook as the grader would and list each graded cell")
    p.add_argument("notebook", help="notebook name, e.g. 01_vectorization")
    p.add_argument("--known-wrong", metavar="FILE", help="swap in the answers of a tests/known_wrong/*.py file")
    p.set_defaults(func=cmd_try)

    args = parser.parse_args(argv)
    try:
        course = Course.find(args.root)
        return args.func(course, args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
