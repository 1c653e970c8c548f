"""The instructor's command line: ``python -m accel_instructor <command>`` (or ``accel-course``).

A term, in order: build -> release -> publish -> collect -> grade -> report.
``check`` proves the course before release; ``demo`` runs the whole loop on sample submissions.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from .course import SETTINGS, Course, CourseError


def cmd_build(course: Course, args) -> int:
    from .build import build_source
    for path in build_source(course):
        print(f"built    {path.relative_to(course.root)}")
    return 0


def cmd_release(course: Course, args) -> int:
    from .build import build_source, release
    from .lint import release_leaks
    build_source(course)
    for path in release(course):
        print(f"released {path.relative_to(course.root)}")
    leaks = release_leaks(course.source_dir, course.release_dir)
    for leak in leaks:
        print(f"  ! {leak}")
    return 1 if leaks else 0


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


def cmd_check(course: Course, args) -> int:
    """Static proofs here; the autograding proofs through the test suite."""
    import tempfile

    from .build import build_source, normalized
    from .lint import answer_leaks, lint_course, release_leaks
    failures = 0

    def report(title, problems):
        nonlocal failures
        failures += bool(problems)
        print(f"{'ok  ' if not problems else 'FAIL'} {title}")
        for problem in problems:
            print(f"       {problem}")

    report("cell headers (schema 3, unique grade_ids, a test after every answer)", lint_course(course.source_dir))
    report("release leaks nothing (no solutions, hidden tests or pairing)",
           release_leaks(course.source_dir, course.release_dir))
    report("no answer's value in the released text (numbers, fractions, percentages)",
           answer_leaks(course.source_dir, course.release_dir))
    with tempfile.TemporaryDirectory() as scratch:
        import shutil
        copy = Course(Path(scratch))
        shutil.copytree(course.notebooks_dir, copy.notebooks_dir)
        shutil.copy2(course.root / "nbgrader_config.py", copy.root / "nbgrader_config.py")
        build_source(copy)
        drift = [f"source/acceleration/{p.name} differs from notebooks/{p.stem}.py: run `make release`"
                 for p in copy.source_dir.glob("*.ipynb")
                 if not (course.source_dir / p.name).exists() or normalized(p) != normalized(course.source_dir / p.name)]
    report("source/ matches notebooks/", drift)
    if args.quick:
        return 1 if failures else 0
    print("running the autograding proofs (reference full marks, release zero, known-wrong answers)...")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/test_autograder.py", "tests/test_build.py"],
                          cwd=course.root)
    return 1 if failures or proc.returncode else 0


def cmd_collect(course: Course, args) -> int:
    from .collect import collect
    result = collect(course, Path(args.source), force=args.force)
    for student, notebooks in result.students.items():
        print(f"collected {student}: {', '.join(notebooks)}")
    for line in result.skipped:
        print(f"  ! {line}")
    print(f"{len(result.students)} student(s) in submitted/; {len(result.skipped)} file(s) need attention")
    return 0 if result.students or not result.skipped else 1


def _grade_and_report(course: Course, students, cap: float, jobs: int = 1, sandbox: bool = True,
                      scheduler: str | None = None, force: bool = False) -> int:
    """Grade, then the report. Exit status 1 when a grader fault left a student ungraded."""
    from tqdm import tqdm

    from .grade import format_gradebook, grade_class, read_gradebook, submitted_students
    from .report import save_run, write_report
    start = time.perf_counter()
    named = students or None
    students = students or submitted_students(course)
    with tqdm(total=len(students), unit="student", desc="autograde", file=sys.stdout,
              disable=None) as bar:
        def log(line):
            bar.write(line)
            bar.update(1)
        runs = grade_class(course, named, cap_seconds=cap, log=log, jobs=jobs, sandbox=sandbox,
                           scheduler=scheduler, force=force)
        bar.update(len(runs.skipped))
    save_run(course, runs)
    paths = write_report(course)
    rows = [r for r in read_gradebook(course) if r.student in students]
    print()
    print(format_gradebook(rows))
    print()
    ungraded = runs.not_graded()
    print(f"graded {len(runs.runs) - len(ungraded)} submission(s) in {time.perf_counter() - start:.0f} s; "
          f"skipped {len(runs.skipped)} unchanged since they were last graded (--force regrades them)")
    print(f"  grades   {paths['grades'].relative_to(course.root)}")
    print(f"  report   {paths['html'].relative_to(course.root)} (figure: {paths['figure'].relative_to(course.root)})")
    print("  feedback feedback/<student>/acceleration/*.html")
    problems = runs.problems()
    if problems:
        print(f"\n{len(problems)} thing(s) to know:")
        for line in problems:
            print(f"  ! {line}")
    if ungraded:
        print(f"\nerror: {len(ungraded)} student(s) NOT GRADED because of a grader error (nothing recorded "
              f"for them): {', '.join(ungraded)}; fix the cause above and run grade again", file=sys.stderr)
        return 1
    return 0


def cmd_grade(course: Course, args) -> int:
    return _grade_and_report(course, args.student or None, args.cap, args.jobs, not args.no_sandbox,
                             args.scheduler, args.force)


def cmd_report(course: Course, args) -> int:
    from .report import write_report
    paths = write_report(course)
    for kind, path in paths.items():
        print(f"{kind:<10} {path.relative_to(course.root)}")
    return 0


def cmd_publish(course: Course, args) -> int:
    from .lint import release_leaks
    from .publish import publish
    leaks = release_leaks(course.source_dir, course.release_dir)
    if leaks:
        raise CourseError("release/ leaks answers, not publishing: " + "; ".join(leaks[:3]))
    dest = publish(course, Path(args.dest), force=args.force, binder_repo=args.binder_repo)
    print(f"student bundle written to {dest}")
    if args.binder_repo:
        from .publish import binder_url
        print(f"  push it to https://github.com/{args.binder_repo} (public); its Binder link is")
        print(f"  {binder_url(args.binder_repo)}")
    else:
        print("  no --binder-repo OWNER/NAME given: its README has no Binder link (publish again with it)")
    return 0


def cmd_demo(course: Course, args) -> int:
    from .build import build_source, release
    from .grade import reset_demo_state
    from .samples import demo_submissions, write_submission
    submissions = demo_submissions(course)
    reset_demo_state(course, [s.student for s in submissions])
    print("1/4 build    notebooks/*.py -> source/acceleration/")
    build_source(course)
    print("2/4 release  source/ -> release/acceleration/ (solutions and hidden tests removed)")
    release(course)
    print("3/4 collect  sample submissions -> submitted/")
    for submission in submissions:
        write_submission(course, submission)
        print(f"      {submission.student:<14} {submission.description}")
    print("4/4 grade    intake, autograde, feedback, grades.csv, class report")
    return _grade_and_report(course, [s.student for s in submissions], args.cap, args.jobs, not args.no_sandbox,
                             args.scheduler)


def _sandbox_options(p) -> None:
    p.add_argument("--jobs", type=int, default=1,
                   help="students graded at once, each sandbox pinned to its own core(s) (default 1)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="UNSAFE: run learner code unconfined, as you, with the course folder writable "
                        "(only for machines where bubblewrap cannot create a sandbox)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the students' sandboxes on a Dask cluster (workers need this course's "
                        "venv and bubblewrap); this machine alone writes the gradebook")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="accel-course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=None,
                        help="course folder (default: found from the current folder upwards)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    add("build", cmd_build, "convert notebooks/*.py into source/acceleration/*.ipynb (paired with jupytext)")
    add("release", cmd_release, "build, then generate the student notebooks in release/acceleration/")
    p = add("check", cmd_check, "prove the course: header lint, leak check, drift, then the autograding proofs")
    p.add_argument("--quick", action="store_true", help="static checks only (seconds, no autograding)")
    p = add("publish", cmd_publish, "write the student bundle (release notebooks, support package, Binder files)")
    p.add_argument("dest", help="an empty folder outside the course")
    p.add_argument("--force", action="store_true", help="replace DEST if it is not empty")
    p.add_argument("--binder-repo", metavar="OWNER/NAME", default=None,
                   help="the public GitHub repository DEST will be pushed to: the README gets its Binder badge and link")
    p = add("collect", cmd_collect, "copy a folder or .zip of submissions into submitted/<student>/acceleration/")
    p.add_argument("source", help="folder or .zip: <student>/<notebook>.ipynb or <student>_<notebook>.ipynb")
    p.add_argument("--force", action="store_true", help="replace students already in submitted/")
    p = add("grade", cmd_grade, "autograde submitted/ (all or some students), then feedback, grades.csv and the report")
    p.add_argument("--student", action="append", help="grade only this student (repeatable), changed or not")
    p.add_argument("--force", action="store_true",
                   help="regrade everyone (default: only new or changed submissions and those not yet graded)")
    p.add_argument("--cap", type=float, default=SETTINGS.cap_seconds,
                   help=f"seconds allowed per submission (default {SETTINGS.cap_seconds:g}, ACCEL_CAP_SECONDS)")
    _sandbox_options(p)
    add("report", cmd_report, "rewrite grades.csv and reports/class_report.html from the gradebook")
    p = add("demo", cmd_demo, "build, release, grade the bundled sample submissions, print the gradebook")
    p.add_argument("--cap", type=float, default=SETTINGS.cap_seconds,
                   help=f"seconds allowed per submission (default {SETTINGS.cap_seconds:g}, ACCEL_CAP_SECONDS)")
    _sandbox_options(p)
    p = add("try", cmd_try, "for authors: run one source notebook as the grader would and list each graded cell")
    p.add_argument("notebook", help="notebook name, e.g. 01_vectorization")
    p.add_argument("--known-wrong", metavar="FILE", help="swap in the answers of a tests/known_wrong/*.py file")

    args = parser.parse_args(argv)
    try:
        course = Course.find(args.root)
        return args.func(course, args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
