"""nbgrader preprocessors used by nbgrader_config.py."""
from nbgrader.preprocessors import NbGraderPreprocessor

from .cells import is_grade, is_solution


class RemoveJupytextMetadata(NbGraderPreprocessor):
    """Drop jupytext pairing metadata so student notebooks are plain, unpaired notebooks."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("jupytext", None)
        return nb, resources


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
