"""nbgrader configuration for the Acceleration course (course root = this folder).

Course id, gradebook and limits come from the one settings object, accel_instructor.settings.
"""
import os

from accel_instructor.settings import load

settings = load()
c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = settings.course_id
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.db_url = settings.db_url(c.CourseDirectory.root)
# Only notebooks belong in the assignment: a .py next to them would be copied to students verbatim.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py", "*.png"]

# Student notebooks carry no jupytext pairing metadata (a paired student copy could write
# solutions back into a .py file), and no execution outputs.
c.GenerateAssignment.preprocessors = [
    # what the self-check (python -m accel.policy) needs to check exactly what the intake checks
    "accel_instructor.nbgrader_ext.RecordProtectedNames",
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "accel_instructor.nbgrader_ext.ExplainStubs",  # the stub's error says what to write
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    "accel_instructor.nbgrader_ext.RemoveJupytextMetadata",
    "accel_instructor.nbgrader_ext.RecordCourseCells",
]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Per-cell limit; the whole-submission cap lives in the grading command (accel_instructor.grade).
c.Execute.timeout = settings.cell_timeout_seconds
c.Execute.interrupt_on_timeout = True

# Graded in a sandbox (accel_instructor.grade, accel_instructor.sandbox): nbgrader runs no learner code itself; it
# takes the outputs the sandbox returned (already reduced to safe types: accel_instructor.outputs)
# and scores them (the rest of its autograde steps as usual). Unsandboxed (--no-sandbox), the
# outputs nbgrader's Execute gathered are reduced the same way before anything stores them.
# nbgrader's own steps after executing, as in its default list
SCORING = [
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
if os.environ.get("ACCEL_SANDBOX_RESULTS"):
    c.Autograde.autograde_preprocessors = ["accel_instructor.nbgrader_ext.ReplayExecution", *SCORING]
else:
    c.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.Execute",
                                           "accel_instructor.nbgrader_ext.SafeOutputs", *SCORING]

# Formgrader and feedback render a learner's notebook: its HTML outputs and its Markdown answers
# (which may hold raw HTML) are sanitised there too, so no script of theirs runs in the
# instructor's Jupyter session or a student's feedback page.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"markdown2html": "accel_instructor.outputs.markdown_to_safe_html",
                          "clean_html": "accel_instructor.outputs.safe_html"}  # nh3, as for stored outputs

# Feedback must not show hidden tests (nbgrader shows them by default).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "accel_instructor.nbgrader_ext.HideTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
