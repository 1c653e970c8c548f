"""The instructor's tooling of the Acceleration course; never shipped to students.

``python -m accel_instructor COMMAND`` (also ``accel-course``): build, release, check, publish,
collect, grade, report, demo, try. Modules: :mod:`.settings` (the one settings object),
:mod:`.course` (folders and nbgrader calls), :mod:`.build`, :mod:`.publish`, :mod:`.collect`,
:mod:`.intake` and :mod:`.grade` (trusted intake, then grading), :mod:`.report`, :mod:`.lint`
(authoring checks), :mod:`.samples` and :mod:`.trial` (sample submissions, trial runs),
:mod:`.reference` (the grader's own baselines, imported only by hidden tests).
"""
