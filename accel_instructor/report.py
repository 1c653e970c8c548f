"""The class report: where the class struggled, who needs attention, one self-contained HTML page."""
from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from .course import Course
from .grade import ClassRun, NotebookGrade, read_gradebook, write_grades_csv

RUN_LOG = "last_grading.json"


def reports_dir(course: Course) -> Path:
    path = course.root / "reports"
    path.mkdir(exist_ok=True)
    return path


def save_run(course: Course, run: ClassRun) -> Path:
    """Remember what the grading runs noticed, for the report: this run's lines, and the earlier
    runs' lines about students this run did not grade (skipped as unchanged, or not named)."""
    path = reports_dir(course) / RUN_LOG
    try:
        earlier = json.loads(path.read_text()).get("by_student", {})
    except (OSError, ValueError, AttributeError):
        earlier = {}
    graded = {r.student for r in run.runs} | {f.student for f in run.findings}
    by_student = {s: lines for s, lines in earlier.items() if s not in graded}
    general = []
    for line in run.problems():
        student = next((s for s in sorted(graded, key=len, reverse=True)
                        if line.startswith((f"{s}: ", f"{s} / "))), None)
        if student is None:
            general.append(line)
        else:
            by_student.setdefault(student, []).append(line)
    problems = general + [line for student in sorted(by_student) for line in by_student[student]]
    path.write_text(json.dumps({"runs": [asdict(r) for r in run.runs], "skipped": run.skipped,
                                "problems": problems, "by_student": by_student}, indent=1))
    return path


def cell_pass_rates(rows: list[NotebookGrade]) -> list[dict]:
    """Per notebook and autograded cell: how many submissions earned its full points."""
    stats = defaultdict(lambda: [0, 0, 0.0])
    for row in rows:
        for cell in row.cells:
            if not cell.grade_id.startswith("test_"):  # written answers are graded by hand
                continue
            entry = stats[(row.notebook, cell.grade_id)]
            entry[0] += cell.score == cell.max_score
            entry[1] += 1
            entry[2] = cell.max_score
    return [{"notebook": nb, "grade_id": gid, "points": pts, "passed": ok, "submissions": n,
             "pass_rate": ok / n if n else 0.0}
            for (nb, gid), (ok, n, pts) in sorted(stats.items())]


def _figure_png(rows: list[NotebookGrade], rates: list[dict]) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        totals[row.student][0] += row.score
        totals[row.student][1] += row.max_score - row.manual_pending
    percents = [100 * s / m if m else 0 for s, m in totals.values()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(3.5, 0.22 * len(rates) + 1)),
                                      gridspec_kw={"width_ratios": [1, 1.6]})
    left.hist(percents, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], color="#4c72b0",
              edgecolor="white")
    left.set(xlabel="autograded score (% of autograded points)", ylabel="students",
             title=f"Score distribution ({len(percents)} students)", xlim=(0, 100))
    left.yaxis.get_major_locator().set_params(integer=True)
    labels = [f"{r['notebook'][:2]} {r['grade_id']}" for r in rates]
    values = [100 * r["pass_rate"] for r in rates]
    colors = ["#c44e52" if v < 50 else "#dd8452" if v < 80 else "#55a868" for v in values]
    right.barh(range(len(rates)), values, color=colors)
    right.set_yticks(range(len(rates)), labels, fontsize=7)
    right.invert_yaxis()
    right.set(xlabel="submissions with full points (%)", title="Pass rate per graded cell", xlim=(0, 100))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _table(headers, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(course: Course) -> dict[str, Path]:
    """Write grades.csv, reports/cell_pass_rates.csv, reports/class_report.png and .html."""
    rows = read_gradebook(course)
    out = reports_dir(course)
    rates = cell_pass_rates(rows)
    paths = {"grades": write_grades_csv(rows, course.root / "grades.csv")}
    with open(out / "cell_pass_rates.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rates[0]) if rates else ["notebook"])
        writer.writeheader()
        writer.writerows(rates)
    paths["pass_rates"] = out / "cell_pass_rates.csv"
    png = _figure_png(rows, rates)
    (out / "class_report.png").write_bytes(png)
    paths["figure"] = out / "class_report.png"

    log_path = out / RUN_LOG
    problems = json.loads(log_path.read_text())["problems"] if log_path.exists() else []
    manual = [(r.student, r.notebook, f"{r.manual_pending:g}") for r in rows if r.manual_pending]
    per_notebook = defaultdict(list)
    for r in rows:
        per_notebook[r.notebook].append(r)
    summary = [(nb, len(rs), f"{sum(r.score for r in rs) / len(rs):.1f} / {rs[0].max_score:g}",
                sum(r.score == r.max_score - r.manual_pending for r in rs))
               for nb, rs in sorted(per_notebook.items())]
    sections = [
        "<h1>Acceleration: class report</h1>",
        f"<p>{len({r.student for r in rows})} students, {len(rows)} graded notebooks.</p>",
        f'<img alt="score distribution and pass rate per graded cell" src="data:image/png;base64,{base64.b64encode(png).decode()}">',
        "<h2>Per notebook</h2>",
        _table(["notebook", "submissions", "mean score", "full autograded marks"], summary),
        "<h2>Per graded cell (hardest first)</h2>",
        _table(["notebook", "graded cell", "points", "pass rate"],
               [(r["notebook"], r["grade_id"], f"{r['points']:g}", f"{100 * r['pass_rate']:.0f}% ({r['passed']}/{r['submissions']})")
                for r in sorted(rates, key=lambda r: r["pass_rate"])]),
        "<h2>Waiting for manual grading</h2>",
        _table(["student", "notebook", "points"], manual) if manual else "<p>Nothing.</p>",
        "<h2>Submissions that did not run cleanly</h2>",
        ("<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in problems) + "</ul>") if problems else "<p>None.</p>",
    ]
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
             "th{background:#f3f3f3}img{max-width:100%}")
    page = f"<!doctype html><html><head><meta charset='utf-8'><title>Class report</title><style>{style}</style></head><body>{''.join(sections)}</body></html>"
    (out / "class_report.html").write_text(page)
    paths["html"] = out / "class_report.html"
    return paths
