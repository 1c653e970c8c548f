"""nbgrader configuration for the Acceleration course (course root = this folder)."""
import os

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "acceleration"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.db_url = os.environ.get(
    "ACCEL_DB_URL",
    "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db"),
)
# Only notebooks belong in the assignment: a .py next to them would be copied to students verbatim.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py", "*.png"]

# Student notebooks carry no jupytext pairing metadata (a paired student copy could write
# solutions back into a .py file), and no execution outputs.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    "accel.nbgrader_ext.RemoveJupytextMetadata",
]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Per-cell limit; the whole-submission cap lives in the grading command (accel.grade).
c.Execute.timeout = int(os.environ.get("ACCEL_CELL_TIMEOUT", "120"))
c.Execute.interrupt_on_timeout = True

# Graded in a sandbox (accel.grade, accel.sandbox): nbgrader runs no learner code itself; it
# takes the outputs the sandbox returned and scores them (the rest of its autograde steps as usual).
if os.environ.get("ACCEL_SANDBOX_RESULTS"):
    c.Autograde.autograde_preprocessors = [
        "accel.nbgrader_ext.ReplayExecution",
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]

# Feedback must not show hidden tests (nbgrader shows them by default).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "accel.nbgrader_ext.HideTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
