"""What learner code may do, checked statically before grading (nothing here runs that code).

nbgrader runs a learner's cells and the grader's tests in one Python kernel, so a learner's cell
could change what the tests see: replace ``np.allclose``, rebind a checking helper, silence
IPython's error display, patch builtins. The grader therefore refuses to run any learner cell
that reaches into shared machinery. The rules are narrow on purpose: kernels for this course
need none of these things.

* the cell is first transformed as IPython would (``%magic``, ``!cmd``, ``x = !cmd`` become
  calls to ``get_ipython()``, which is refused); a cell that still does not parse is refused,
  and so is a one-line cell IPython would run as a magic (automagic: ``reset -f``);
* imports only from :data:`ALLOWED_MODULES`, and from ``accel`` only its public learner API
  (:data:`ACCEL_PUBLIC`: not the grader's ``accel_instructor.reference`` or ``accel.grading``);
* attribute chains through modules are followed on the real modules: reaching a module outside
  the allow-list (``warnings.sys``, ``dataclasses.builtins``), a ``_private`` module attribute
  (``random._os``) or any ``_private`` attribute of anything but ``self``, NumPy's and
  matplotlib's file I/O (:data:`FORBIDDEN_ATTRIBUTES`: ``np.save``, ``np.load``, ``tofile``,
  ``np.memmap``, ``savefig`` ...), ``ctypeslib`` and numba's native-code escapes is refused, and
  so is passing a module object around (``m = np``);
* no calls or references to :data:`FORBIDDEN_NAMES` (``exec``, ``getattr``, ``open``,
  ``get_ipython`` ...), no ``__dunder__`` names or attributes, no ``global``/``nonlocal``;
* no assignment to or deletion of attributes (``np.allclose = ...``, ``time.perf_counter = ...``);
* no top-level rebinding of names the grader's cells rely on (``np``, ``Tensor``, helper
  functions, builtins such as ``isinstance``), including by ``except ... as``, ``match``/``case``
  captures and ``with ... as``;
* no IPython magics or shell commands (``%``, ``!``).

A cell that breaks a rule is replaced, for grading only, by one that raises an error naming the
rule; whatever depended on it loses its points, everything else is graded normally.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import re
import types
from dataclasses import dataclass
from functools import lru_cache

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
# What learner cells may import from accel: the learner API (accel/__init__.py's __all__ and the
# modules it comes from), and notebook 04's sibling loader. Never the grader's reference code.
ACCEL_PUBLIC = frozenset({"accel", "accel.tensor", "accel.bench", "accel.siblings"})
# Attribute (and imported) names refused wherever they appear: file I/O and raw memory in NumPy
# and matplotlib, string-named attribute access, numba's ways to write native code.
FORBIDDEN_ATTRIBUTES = frozenset({
    "save", "savez", "savez_compressed", "load", "loadtxt", "savetxt", "genfromtxt", "fromfile",
    "tofile", "fromregex", "memmap", "open_memmap", "DataSource", "ctypeslib", "ctypes", "f2py",
    "distutils", "savefig", "imsave", "imread", "dump", "dumps", "tobytes_to_file",
    "attrgetter", "methodcaller", "extending", "intrinsic", "cfunc", "carray", "farray",
    "core", "cpython", "testing", "npyio", "format",
})
# Line magics IPython runs without a % when a one-line cell starts with their name (automagic).
IPYTHON_LINE_MAGICS = frozenset(
    "alias alias_magic autoawait autocall automagic autosave bookmark cat cd clear code_wrap colors "
    "conda config connect_info cp debug dhist dirs doctest_mode ed edit env gui hist history "
    "killbgscripts ldir less lf lk ll load load_ext loadpy logoff logon logstart logstate logstop ls "
    "lsmagic lx macro magic mamba man matplotlib micromamba mkdir more mv notebook page pastebin pdb "
    "pdef pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource pushd pwd pycat "
    "pylab qtconsole quickref recall rehashx reload_ext rep rerun reset reset_selective rm rmdir run "
    "save sc set_env subshell sx system tb time timeit unalias unload_ext uv who who_ls whos xdel "
    "xmode".split())


def module_allowed(name: str) -> bool:
    root = name.split(".")[0]
    if root == "accel":
        return name in ACCEL_PUBLIC
    return root in ALLOWED_MODULES


@lru_cache(maxsize=None)
def _module(name: str):
    """The real module ``name`` (only ever an allowed one), or None."""
    if not module_allowed(name):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a module that does not import: nothing to follow
        return None


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
        # names bound to modules -> module name (the course's set-up cells import these two)
        self.modules: dict[str, str] = {"np": "numpy", "plt": "matplotlib.pyplot"}
        self.attribute_bases: set[int] = set()  # ids of Name nodes that are the base of an attribute

    def flag(self, node, rule):
        self.violations.append(Violation(getattr(node, "lineno", 0), rule))

    # imports -----------------------------------------------------------------------------
    def _refuse_import(self, node, name):
        if name.split(".")[0] == "accel":
            self.flag(node, f"imports {name!r}: from accel, learner cells may import only "
                            f"{', '.join(sorted(ACCEL_PUBLIC))}")
        else:
            self.flag(node, f"imports {name!r} (allowed: {', '.join(sorted(ALLOWED_MODULES))})")

    def visit_Import(self, node):
        for alias in node.names:
            root = alias.name.split(".")[0]
            parts = alias.name.split(".")
            if not module_allowed(alias.name) or any(p.startswith("_") or p in FORBIDDEN_ATTRIBUTES
                                                     for p in parts[1:]):
                self._refuse_import(node, alias.name)
            bound = alias.asname or root
            self.modules[bound] = alias.name if alias.asname else root
            self._bind(node, bound)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level or not module_allowed(module) or any(
                p.startswith("_") or p in FORBIDDEN_ATTRIBUTES for p in module.split(".")[1:]):
            self._refuse_import(node, module or ".")
            module = ""
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"'from {node.module} import *' can rebind names the grader relies on")
                continue
            bound = alias.asname or alias.name
            if module:
                self._check_member(node, module, alias.name, f"{module}.{alias.name}")
                if isinstance(getattr(_module(module), alias.name, None), types.ModuleType):
                    self.modules[bound] = f"{module}.{alias.name}"
            self._bind(node, bound)
        return None

    def _check_member(self, node, module: str, attr: str, shown: str):
        """``attr`` of the allowed module ``module``; returns the module it names, if any."""
        if attr.startswith("_"):
            self.flag(node, f"uses {shown!r}, a private attribute of a module")
            return None
        if attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"uses {shown!r}, a way to files, raw memory, native code or the "
                            f"interpreter; kernels need none of these")
            return None
        value = getattr(_module(module), attr, None)
        if isinstance(value, types.ModuleType):
            if not module_allowed(value.__name__) or (module.split(".")[0] == "accel"
                                                      and value.__name__ not in ACCEL_PUBLIC):
                self.flag(node, f"reaches the module {value.__name__!r} through {shown!r}")
                return None
            return value.__name__
        if module.split(".")[0] == "accel" and value is None:
            self.flag(node, f"uses {shown!r}, which is not part of accel's learner API")
        return None

    # names and attributes ------------------------------------------------------------------
    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:
            self.flag(node, f"uses {node.id!r}, which can change the grader's own state")
        elif _is_dunder(node.id):
            self.flag(node, f"uses the special name {node.id!r}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._bind(node, node.id)
            self.modules.pop(node.id, None)
        elif node.id in self.modules and id(node) not in self.attribute_bases:
            self.flag(node, f"passes the module {node.id!r} around as a value; use its functions directly")

    def visit_Attribute(self, node):
        if node.attr.startswith("__"):
            self.flag(node, f"uses the special attribute {node.attr!r}")
        elif node.attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"uses {ast.unparse(node)!r}, a way to files, raw memory, native code "
                            f"or the interpreter; kernels need none of these")
        elif node.attr.startswith("_") and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            self.flag(node, f"uses the private attribute {ast.unparse(node)!r}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            target = ast.unparse(node)
            self.flag(node, f"assigns to the attribute {target!r}; kernels must not change shared objects")
        # follow a chain that starts at an imported module on the real modules
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name) and base.id in self.modules and node not in self._followed:
            self._follow(node, self.modules[base.id], base.id, list(reversed(chain)))
        if isinstance(node.value, ast.Name):
            self.attribute_bases.add(id(node.value))
        elif isinstance(node.value, ast.Attribute):
            self._followed.add(node.value)
        self.generic_visit(node)

    _followed: set = set()

    def _follow(self, node, module: str, shown: str, chain: list[str]):
        for attr in chain:
            if attr.startswith("__"):
                return
            shown = f"{shown}.{attr}"
            module = self._check_member(node, module, attr, shown)
            if module is None:
                return

    def visit_ExceptHandler(self, node):
        if node.name:
            self._bind(node, node.name)
            self.modules.pop(node.name, None)
        self.generic_visit(node)

    def visit_MatchAs(self, node):
        if node.name:
            self._bind(node, node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node):
        if node.name:
            self._bind(node, node.name)

    def visit_MatchMapping(self, node):
        if node.rest:
            self._bind(node, node.rest)
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


def ipython_transformed(source: str) -> str:
    """The cell as IPython hands it to Python: magics and shell escapes become get_ipython() calls."""
    from IPython.core.inputtransformer2 import TransformerManager
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython cannot read it either: parse the raw text
        return source


def check_source(source: str, protected: frozenset[str] = frozenset()) -> list[Violation]:
    """Rule violations in one cell of learner code (empty list: the cell may run)."""
    code = ipython_transformed(source)
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        return [Violation(err.lineno or 0, f"does not parse ({err.msg}); fix the syntax so the grader "
                                           f"can check and run it")]
    if code.rstrip("\n") != source.rstrip("\n") and "get_ipython()" in code:
        number = next((i for i, line in enumerate(source.splitlines(), 1)
                       if line.lstrip().startswith(("%", "!")) or "!" in line), 1)
        return [Violation(number, "IPython magics and shell commands are not run by the grader")]
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    automagic = re.match(r"\s*([A-Za-z_]\w*)(\s*$|\s+[^\s=(\[.,:+*/%<>!&|^-]|\s+-[^\s=])", lines[0]) if len(lines) == 1 else None
    if automagic and automagic.group(1) in IPYTHON_LINE_MAGICS:
        name = automagic.group(1)
        return [Violation(1, f"a one-line cell starting with {name!r} runs the IPython magic %{name} "
                             f"(automagic); magics are not run by the grader")]
    checker = _Checker(protected)
    checker._followed = set()
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
