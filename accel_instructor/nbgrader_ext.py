"""nbgrader preprocessors used by nbgrader_config.py."""
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .cells import is_grade, is_solution


class RemoveJupytextMetadata(NbGraderPreprocessor):
    """Drop jupytext pairing metadata so student notebooks are plain, unpaired notebooks."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("jupytext", None)
        return nb, resources


class SafeOutputs(NbGraderPreprocessor):
    """After executing (unsandboxed, --no-sandbox): every output reduced to types that cannot
    run script in formgrader or feedback, as the sandbox's results are
    (accel_instructor.outputs)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            from nbformat import from_dict

            from .outputs import safe_outputs
            cell.outputs = [from_dict(o) for o in safe_outputs(cell.get("outputs", []))]
        return cell, resources


class HideTestTracebacks(NbGraderPreprocessor):
    """In feedback, reduce an error in a graded test cell to its one-line message.

    A traceback quotes the source lines around the failure, and in a test cell those are hidden
    tests. The assertion messages are written to be read on their own.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


STUB = "raise NotImplementedError()"


def explained_stub(source: str) -> str:
    """``source`` of a cleared solution cell with its bare ``raise NotImplementedError()`` turned
    into one that says what to write: the function it sits in, or the names the rest of the cell
    expects (an answers cell)."""
    import ast
    import builtins
    import re

    lines = source.split("\n")
    for index, line in enumerate(lines):
        if line.strip() != STUB:
            continue
        indent = line[: len(line) - len(line.lstrip())]
        function = None
        for above in reversed(lines[:index]):
            match = re.match(r"(\s*)(?:async\s+)?def\s+(\w+)\s*\(", above)
            if match and len(match.group(1)) < len(indent):
                function = match.group(2)
                break
        if function:
            message = (f"{function} is not written yet: write its body in the cell marked YOUR CODE "
                       f"HERE (its docstring says what it takes and returns)")
        else:
            rest = "\n".join(lines[index + 1:])
            try:
                loaded = [n.id for n in ast.walk(ast.parse(rest)) if isinstance(n, ast.Name)
                          and isinstance(n.ctx, ast.Load) and n.id not in dir(builtins)]
            except SyntaxError:
                loaded = []
            names = list(dict.fromkeys(loaded))
            if names:
                listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
                message = f"not answered yet: set {listed} in the cell marked YOUR CODE HERE"
            else:
                message = "not answered yet: write your answer in the cell marked YOUR CODE HERE"
        lines[index] = f"{indent}raise NotImplementedError({message!r})"
    return "\n".join(lines)


class ExplainStubs(NbGraderPreprocessor):
    """After ClearSolutions: each solution stub's error names what the learner should write."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_solution(cell) and STUB in cell.source:
            cell.source = explained_stub(cell.source)
        return cell, resources


class RecordProtectedNames(NbGraderPreprocessor):
    """First in generate_assignment, while the hidden tests and solutions are still there:
    store the names the grader's intake protects for this notebook (``accel.policy`` reads them,
    so the learner's self-check protects exactly what the grader does)."""

    def preprocess(self, nb, resources):
        from accel.policy import protected_names

        from .intake import _module_level_bindings
        answers, instructor = set(), []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if is_solution(cell):
                answers |= _module_level_bindings(cell.source)
            else:
                instructor.append(cell.source)
        nb.metadata.setdefault("accel", {})["protected"] = sorted(protected_names(instructor, answers))
        return nb, resources


class RecordCourseCells(NbGraderPreprocessor):
    """Last in generate_assignment: fingerprints of the course's own code cells as released. The
    grader's intake runs those unchecked when they come back unchanged; ``accel.policy`` skips
    them the same way."""

    def preprocess(self, nb, resources):
        from accel.policy import course_cell_fingerprint
        prints = sorted({course_cell_fingerprint(c.source) for c in nb.cells
                         if c.cell_type == "code" and not is_solution(c)})
        nb.metadata.setdefault("accel", {})["course_cells"] = prints
        return nb, resources


class ReplayExecution(NbGraderPreprocessor):
    """In place of nbgrader's Execute: take the cells' outputs from the sandbox that ran this
    notebook (``$ACCEL_SANDBOX_RESULTS/<student>/<notebook>.json``, written and checked by the
    grading process) instead of running any code here. A cell with no result gets an error
    output, so a test cell that never ran scores zero; see :mod:`accel_instructor.sandbox`.
    ``results_dir`` (set by the grader when it scores in its own process) comes before the
    environment variable."""

    results_dir = Unicode("", help="folder of the sandbox results; default $ACCEL_SANDBOX_RESULTS").tag(config=True)

    def preprocess(self, nb, resources):
        import json
        import os
        from pathlib import Path

        import nbformat

        from .sandbox import merge_outputs

        info = resources["nbgrader"]
        path = Path(self.results_dir or os.environ["ACCEL_SANDBOX_RESULTS"]) / info["student"] / f"{info['notebook']}.json"
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            run = {"status": "no sandbox result for this notebook", "cells": []}
        merge_outputs(nb, run)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.from_dict(o) for o in cell.outputs]
        return nb, resources
