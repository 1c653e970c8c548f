"""nbgrader preprocessors used by nbgrader_config.py."""
from nbgrader.preprocessors import NbGraderPreprocessor


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
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


class ReplayExecution(NbGraderPreprocessor):
    """In place of nbgrader's Execute: take the cells' outputs from the sandbox that ran this
    notebook (``$ACCEL_SANDBOX_RESULTS/<student>/<notebook>.json``, written and checked by the
    grading process) instead of running any code here. A cell with no result gets an error
    output, so a test cell that never ran scores zero; see :mod:`accel.sandbox`."""

    def preprocess(self, nb, resources):
        import json
        import os
        from pathlib import Path

        import nbformat

        from .sandbox import merge_outputs

        info = resources["nbgrader"]
        path = Path(os.environ["ACCEL_SANDBOX_RESULTS"]) / info["student"] / f"{info['notebook']}.json"
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            run = {"status": "no sandbox result for this notebook", "cells": []}
        merge_outputs(nb, run)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.from_dict(o) for o in cell.outputs]
        return nb, resources
