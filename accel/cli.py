"""The instructor's command line: ``python -m accel <command>`` (or ``accel-course``)."""
from __future__ import annotations

import argparse
import sys
import time
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


def _grade_and_report(course: Course, students, cap: float) -> int:
    from .grade import format_gradebook, grade_class, read_gradebook, write_grades_csv
    start = time.perf_counter()
    runs = grade_class(course, students, cap_seconds=cap)
    rows = read_gradebook(course)
    if students:
        rows = [r for r in rows if r.student in students]
    csv_path = write_grades_csv(rows, course.root / "grades.csv")
    print()
    print(format_gradebook(rows))
    print()
    print(f"graded {len(runs.runs)} submission(s) in {time.perf_counter() - start:.0f} s; "
          f"grades in {csv_path.relative_to(course.root)}, feedback in feedback/<student>/acceleration/")
    problems = runs.problems()
    if problems:
        print(f"\n{len(problems)} thing(s) to know:")
        for line in problems:
            print(f"  ! {line}")
    return 0


def cmd_grade(course: Course, args) -> int:
    return _grade_and_report(course, args.student or None, args.cap)


def cmd_demo(course: Course, args) -> int:
    from .build import build_source, release
    from .samples import demo_submissions, write_submission
    from .grade import reset_demo_state
    submissions = demo_submissions(course)
    reset_demo_state(course, [s.student for s in submissions])
    print("1/4 build   notebooks/*.py -> source/acceleration/")
    build_source(course)
    print("2/4 release source/ -> release/acceleration/ (solutions and hidden tests removed)")
    release(course)
    print("3/4 collect sample submissions -> submitted/")
    students = []
    for submission in submissions:
        write_submission(course, submission)
        students.append(submission.student)
        print(f"    {submission.student:<14} {submission.description}")
    print("4/4 autograde, feedback, grades.csv")
    return _grade_and_report(course, students, args.cap)


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

    p = sub.add_parser("grade", help="autograde submitted/ (all or some students), write feedback and grades.csv")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--cap", type=float, default=600, help="seconds allowed per submission (default 600)")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("demo", help="build, release, grade the bundled sample submissions, print the gradebook")
    p.add_argument("--cap", type=float, default=600, help="seconds allowed per submission (default 600)")
    p.set_defaults(func=cmd_demo)

    args = parser.parse_args(argv)
    try:
        course = Course.find(args.root)
        return args.func(course, args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
