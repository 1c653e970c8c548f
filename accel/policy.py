"""What learner code may do, checked statically before grading (nothing here runs that code).

nbgrader runs a learner's cells and the grader's tests in one Python kernel, so a learner's cell
could change what the tests see: replace ``np.allclose``, rebind a checking helper, silence
IPython's error display, patch builtins. The grader therefore refuses to run any learner cell
that reaches into shared machinery. The rules are narrow on purpose: kernels for this course
need none of these things.

* imports only from :data:`ALLOWED_MODULES`;
* no calls or references to :data:`FORBIDDEN_NAMES` (``exec``, ``getattr``, ``open``,
  ``get_ipython`` ...), no ``__dunder__`` names or attributes, no ``global``/``nonlocal``;
* no assignment to or deletion of attributes (``np.allclose = ...``, ``time.perf_counter = ...``);
* no top-level rebinding of names the grader's cells rely on (``np``, ``Tensor``, helper
  functions, builtins such as ``isinstance``);
* no IPython magics or shell commands (``%``, ``!``).

A cell that breaks a rule is replaced, for grading only, by one that raises an error naming the
rule; whatever depended on it loses its points, everything else is graded normally.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

ALLOWED_MODULES = frozenset({
    "numpy", "numba", "math", "cmath", "time", "functools", "itertools", "collections",
    "dataclasses", "typing", "statistics", "operator", "random", "warnings", "matplotlib",
    "accel",
})
FORBIDDEN_NAMES = frozenset({
    "exec", "eval", "compile", "__import__", "open", "getattr", "setattr", "delattr", "vars",
    "globals", "locals", "input", "breakpoint", "exit", "quit", "get_ipython", "help",
    "memoryview", "__builtins__",
})
BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Violation:
    line: int
    rule: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.rule}"


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class _Checker(ast.NodeVisitor):
    def __init__(self, protected: frozenset[str]):
        self.protected = protected
        self.violations: list[Violation] = []
        self.depth = 0  # > 0 inside a function or class body

    def flag(self, node, rule):
        self.violations.append(Violation(getattr(node, "lineno", 0), rule))

    # imports -----------------------------------------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            root = alias.name.split(".")[0]
            if root not in ALLOWED_MODULES:
                self.flag(node, f"imports {alias.name!r} (allowed: {', '.join(sorted(ALLOWED_MODULES))})")
            self._bind(node, (alias.asname or root))

    def visit_ImportFrom(self, node):
        root = (node.module or "").split(".")[0]
        if node.level or root not in ALLOWED_MODULES:
            self.flag(node, f"imports from {node.module or '.'!r} (allowed: {', '.join(sorted(ALLOWED_MODULES))})")
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"'from {node.module} import *' can rebind names the grader relies on")
            else:
                self._bind(node, alias.asname or alias.name)
        return None

    # names and attributes ------------------------------------------------------------------
    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:
            self.flag(node, f"uses {node.id!r}, which can change the grader's own state")
        elif _is_dunder(node.id):
            self.flag(node, f"uses the special name {node.id!r}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._bind(node, node.id)

    def visit_Attribute(self, node):
        if node.attr.startswith("__"):
            self.flag(node, f"uses the special attribute {node.attr!r}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            target = ast.unparse(node)
            self.flag(node, f"assigns to the attribute {target!r}; kernels must not change shared objects")
        self.generic_visit(node)

    def visit_Global(self, node):
        self.flag(node, "uses 'global'; keep kernel state local")

    visit_Nonlocal = visit_Global

    def visit_NamedExpr(self, node):
        self._bind(node, node.target.id, anywhere=True)
        self.visit(node.value)

    # definitions ------------------------------------------------------------------------------
    def _scoped(self, node, name):
        if _is_dunder(name):
            self.flag(node, f"defines the special method {name!r}")
        self._bind(node, name)
        for deco in getattr(node, "decorator_list", []):
            self.visit(deco)
        self.depth += 1
        for child in ast.iter_child_nodes(node):
            if child not in getattr(node, "decorator_list", []):
                self.visit(child)
        self.depth -= 1

    def visit_FunctionDef(self, node):
        self._scoped(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._scoped(node, node.name)

    def visit_Lambda(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def _bind(self, node, name, anywhere=False):
        if (self.depth == 0 or anywhere) and name in self.protected:
            self.flag(node, f"rebinds {name!r}, which the grader's cells rely on")


def protected_names(instructor_sources: list[str], answer_names: set[str]) -> frozenset[str]:
    """Names the grader's cells read without defining them first: rebinding them could change a
    verdict. Names the learner must define (``answer_names``) are excluded."""
    names = set()
    for source in instructor_sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        loaded, stored = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    stored.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                stored.add(node.name)
            elif isinstance(node, ast.arg):  # parameters are local to the grader's function
                stored.add(node.arg)
        names |= loaded - stored
        names |= stored & {"np", "plt", "Tensor"}  # module aliases are always protected
    return frozenset(names - answer_names)


def check_source(source: str, protected: frozenset[str] = frozenset()) -> list[Violation]:
    """Rule violations in one cell of learner code (empty list: the cell may run)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        for number, line in enumerate(source.splitlines(), 1):
            if line.lstrip().startswith(("%", "!")):
                return [Violation(number, "IPython magics and shell commands are not run by the grader")]
        return []  # a plain syntax error: the kernel reports it and the cell's tests fail
    checker = _Checker(protected)
    checker.visit(tree)
    return sorted(set(checker.violations), key=lambda v: v.line)


def course_cell_fingerprint(source: str) -> str:
    """A short hash of a cell's source, surrounding whitespace ignored (as the grader compares)."""
    import hashlib
    return hashlib.sha256(source.strip().encode()).hexdigest()[:16]


def _inferred_protected(course_sources: list[str]) -> frozenset[str]:
    """Protected names from the course's own cells alone: the names they read and never define
    are either builtins and helpers (protected) or what the learner must write (not)."""
    loaded, defined = set(), set()
    for source in course_sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (loaded if isinstance(node.ctx, ast.Load) else defined).add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
    learner_writes = loaded - defined - BUILTIN_NAMES
    return protected_names(course_sources, learner_writes)


def cells_the_grader_checks(nb) -> tuple[list[tuple[int, str]], frozenset[str], str]:
    """The cells of a learner's notebook that the grader's intake checks, the names it protects,
    and a note when the notebook lacks what the release recorded for this (then every unlocked
    cell is checked and the protected names are inferred from the notebook's own cells).

    The intake skips locked cells (nbgrader restores them) and the course's own cells that come
    back unchanged; it checks answer cells and every cell the learner added or changed.
    """
    recorded = nb.metadata.get("accel", {})
    course_cells = set(recorded.get("course_cells", []))
    note = "" if "course_cells" in recorded and "protected" in recorded else (
        "this notebook carries no record of the course's own cells (not from this course's "
        "release?): every unlocked cell is checked")
    selected, course_sources = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        unchanged = course_cell_fingerprint(cell.source) in course_cells
        if not meta.get("solution") and (meta.get("locked") or unchanged or note):
            course_sources.append(cell.source)
        if meta.get("locked") or (unchanged and not meta.get("solution")):
            continue
        selected.append((index, cell.source))
    if "protected" in recorded:
        protected = frozenset(recorded["protected"])
    else:
        protected = _inferred_protected(course_sources)
    return selected, protected, note


def main(argv=None) -> int:
    """``python -m accel.policy NOTEBOOK...``: list the cells the grader would refuse to run."""
    import argparse

    import nbformat

    parser = argparse.ArgumentParser(
        prog="python -m accel.policy",
        description="List the cells of your notebooks that the grader would refuse to run, and "
                    "why. It checks what the grader checks: your answer cells and any cell you "
                    "added or changed, against the code rules in notebook 01 (imports, no "
                    "changes to shared objects, no rebinding of names the tests use, no exec, "
                    "magics or shell commands). Nothing is run.",
        epilog="Exit status: 0 nothing found, 1 problems found, 2 a file could not be read.")
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK.ipynb",
                        help="notebooks to check, e.g. acceleration/*.ipynb")
    args = parser.parse_args(argv)
    bad, unreadable = 0, 0
    for path in args.notebooks:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # noqa: BLE001 - any unreadable file is reported the same way
            print(f"{path}: could not be read as a notebook ({type(err).__name__}: {str(err)[:120]}); "
                  f"the grader would score it 0. Open it in JupyterLab and save it again.")
            unreadable += 1
            continue
        selected, protected, note = cells_the_grader_checks(nb)
        if note:
            print(f"{path}: {note}")
        found = 0
        for index, source in selected:
            for violation in check_source(source, protected):
                found += 1
                print(f"{path}: cell {index}, {violation}")
        bad += found
        print(f"{path}: {'no problems found' if not found else f'{found} problem(s)'}")
    if bad:
        print(f"{bad} problem(s): the grader would not run those cells (each raises an error "
              f"naming the rule instead). Change them so they keep to the code rules.")
    return 2 if unreadable else 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
