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
