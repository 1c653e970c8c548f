"""The static code rules that keep learner cells from changing the grader's state."""
import pytest

from accel.policy import check_source, protected_names
from accel_instructor import settings

GRADER_CELLS = [
    "import numpy as np\nfrom accel import Tensor\nfrom accel.grading import check_close",
    '"""t."""\na = Tensor([1.0])\ncheck_close(naive_matmul(a), np.zeros(3))\nassert isinstance(q1, float)',
]
PROTECTED = protected_names(GRADER_CELLS, answer_names={"naive_matmul", "q1"})

HONEST = [
    "def naive_matmul(a, b):\n    m, k = a.shape\n    out = [[0.0] * 3 for _ in range(m)]\n    return Tensor(np.array(out))",
    "from numba import njit, prange\n\n@njit(cache=False)\ndef kernel(x, out):\n    for i in range(x.size):\n        out[i] = x[i] * 2.0",
    "import math\nq1 = 2 * 1024**3 / (3 * 4 * 1024**2)",
    "import time\nstart = time.perf_counter()\nx = np.ones(3)\nx[0] = 5\nprint(time.perf_counter() - start)",
    "class Helper:\n    def run(self, x):\n        y = x.copy()\n        return y",
    "def f(a):\n    np = 3\n    return np",  # a local name is harmless
    "a = Tensor([1.0])\nfor n in [1, 2]:\n    print(n)",  # test cells define a, n themselves
]


@pytest.mark.parametrize("source", HONEST)
def test_honest_code_is_allowed(source):
    assert check_source(source, PROTECTED) == []


TAMPERING = {
    "np.allclose = lambda *a, **k: True": "attribute",
    "import numpy\nnumpy.testing.assert_allclose = print": "attribute",
    "import time\ntime.perf_counter = lambda: 0.0": "attribute",
    "def check_close(*a, **k):\n    pass": "rebinds 'check_close'",
    "isinstance = lambda *a: True": "rebinds 'isinstance'",
    "np = None": "rebinds 'np'",
    "import builtins\nbuiltins.abs = lambda x: 0": "imports 'builtins'",
    "get_ipython().showtraceback = lambda *a, **k: None": "get_ipython",
    "import sys\nsys.excepthook = print": "imports 'sys'",
    "x = __builtins__": "__builtins__",
    "setattr(np, 'allclose', print)": "setattr",
    "exec('np.allclose = print')": "exec",
    "(lambda: 0).__globals__['np'] = None": "__globals__",
    "import os\nos._exit(0)": "imports 'os'",
    "import ctypes": "imports 'ctypes'",
    "import tracemalloc\ntracemalloc.stop()": "imports 'tracemalloc'",
    "from accel.grading import *": "import *",
    "def f():\n    global np\n    np = None": "global",
    "[Tensor := None for _ in range(1)]": "rebinds 'Tensor'",
    "!sed -i s/x/y/ accel/grading/__init__.py": "shell",
    "%env ACCEL_RATIO_LOG=/dev/null": "magics",
    "class Fake:\n    def __eq__(self, other):\n        return True": "special method",
    "open('/tmp/x', 'w').write('')": "open",
    "import importlib": "importlib",
    # interpreter escapes through allowed modules (issue 8)
    "import warnings\nwarnings.sys.modules['numpy'].allclose = print": "reaches the module 'sys'",
    "import random\nrandom._os.system('true')": "private attribute",
    "import dataclasses\ndataclasses.builtins.print = None": "reaches the module 'builtins'",
    "from warnings import sys": "reaches the module 'sys'",
    "import operator\nf = operator.attrgetter('__self__')": "attrgetter",
    "from operator import attrgetter": "attrgetter",
    "import numpy.ctypeslib": "ctypeslib",
    "x = np.ctypeslib.as_array": "ctypeslib",
    "m = np\nm.allclose(1, 1)": "passes the module 'np' around",
    "import warnings as w\nw.catch_warnings()._module.sys": "private attribute",
    # file I/O through NumPy and matplotlib
    "np.save('../../accel/grading/__init__.py', np.zeros(3))": "np.save",
    "np.zeros(3).tofile('../gradebook.db')": "tofile",
    "x = np.fromfile('../../source/acceleration/01_vectorization.ipynb', dtype=np.uint8)": "np.fromfile",
    "np.memmap('x', mode='w+', shape=(3,))": "np.memmap",
    "np.savetxt('nbgrader_config.py', [1])": "np.savetxt",
    "x = np.loadtxt('../../source/x')": "np.loadtxt",
    "x = np.genfromtxt('x')": "np.genfromtxt",
    "d = np.lib.npyio.DataSource()": "DataSource",
    "from numpy import save": "numpy.save",
    "import matplotlib.pyplot as plt\nplt.savefig('../x.py')": "savefig",
    # only accel's learner API
    "from accel_instructor.reference.matmul import trusted_naive_matmul": "accel_instructor.reference",
    "import accel_instructor.reference": "accel_instructor.reference",
    "import accel\nx = accel.grading": "accel.grading",  # the grader's helpers, reached as an attribute
    "from accel import grading": "accel.grading",
    # IPython syntax, transformed before parsing
    "x = !cat ../../source/acceleration/01_vectorization.ipynb": "shell",
    "%time f()": "magics",
    "reset -f": "automagic",
    "pwd": "automagic",
    "def f(:\n    pass": "does not parse",
    # match/case and except-as names rebind
    "match 1:\n    case np:\n        pass": "rebinds 'np'",
    "match [1]:\n    case [*check_close]:\n        pass": "rebinds 'check_close'",
    "try:\n    1 / 0\nexcept ZeroDivisionError as isinstance:\n    pass": "rebinds 'isinstance'",
}


@pytest.mark.parametrize("source, rule", list(TAMPERING.items()))
def test_tampering_is_flagged_with_a_reason(source, rule):
    violations = check_source(source, PROTECTED)
    assert violations, f"not flagged: {source!r}"
    assert any(rule in str(v) for v in violations), [str(v) for v in violations]


def test_cells_that_do_not_parse_are_refused():
    violations = check_source("def f(:\n    pass", PROTECTED)
    assert [v.line for v in violations] == [1] and "does not parse" in str(violations[0])


@pytest.mark.parametrize("source", [
    "x = np.linalg.norm(np.ones(3))",
    "from accel import benchmark, pinned_threads",
    "from accel.siblings import kernels_from",
    "time = 3",  # an assignment, not the %time magic
    "x = np.random.default_rng(0).standard_normal(3)",
    "import numba\n@numba.njit\ndef f(x):\n    return x",
    "class A:\n    def run(self):\n        return self._cache",
])
def test_hardened_rules_still_allow_kernels(source):
    assert check_source(source, PROTECTED) == []


def test_protected_names_are_the_free_names_of_grader_cells():
    assert {"np", "check_close", "isinstance", "Tensor"} <= PROTECTED
    assert "naive_matmul" not in PROTECTED and "q1" not in PROTECTED
    assert "a" not in PROTECTED  # the test cell defines it before use


# --- the self-check (python -m accel.policy) checks what the grader's intake checks -------------

NOTEBOOK_NAMES = list(settings.load().notebook_names)


def _release(course, name):
    import nbformat
    return nbformat.read(course.release_dir / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_release_records_what_the_intake_uses(course, name):
    from accel.policy import course_cell_fingerprint
    from accel_instructor.intake import NotebookRules
    rules = NotebookRules(course, name)
    recorded = _release(course, name).metadata["accel"]
    assert frozenset(recorded["protected"]) == rules.protected
    assert set(recorded["course_cells"]) == {course_cell_fingerprint(s) for s in rules.released_code}


def test_untouched_release_reports_nothing(course, capsys):
    from accel.policy import main
    paths = [str(course.release_dir / f"{n}.ipynb") for n in NOTEBOOK_NAMES]
    assert main(paths) == 0
    out = capsys.readouterr().out
    assert out.count("no problems found") == len(NOTEBOOK_NAMES) and "cell " not in out, out


def _tampered(course, name, answer_extra, added, edited_course_cell):
    """The reference answers, plus: a rule-breaking line in the first answer cell, a new cell,
    and one of the course's own cells changed."""
    import copy

    import nbformat

    from accel_instructor.samples import fill, reference_code, solution_cells
    source = nbformat.read(course.source_dir / f"{name}.ipynb", as_version=4)
    reference = {gid: reference_code(c) for gid, c in solution_cells(source)}
    nb = fill(_release(course, name), {}, reference)
    first_answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first_answer.source += "\n" + answer_extra
    nb.cells.insert(3, nbformat.v4.new_code_cell(added))
    course_cell = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                       and not c.metadata.get("nbgrader") and i > 3)
    nb.cells[course_cell].source += "\n" + edited_course_cell
    return copy.deepcopy(nb), course_cell


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_self_check_flags_exactly_the_cells_the_intake_blocks(course, name, tmp_path, capsys):
    import nbformat

    from accel.policy import main
    from accel_instructor.intake import NotebookRules, sanitize
    nb, edited = _tampered(course, name, answer_extra="np = np", added="import os",
                           edited_course_cell="np.allclose = print")
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    flagged = {int(line.split("cell ")[1].split(",")[0]) for line in out.splitlines() if ", line " in line}
    _, findings = sanitize(nbformat.read(path, as_version=4), NotebookRules(course, name), "s")
    blocked = {int(f.message.split()[1]) for f in findings if "not run" in f.message}
    answer = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    assert flagged == blocked == {answer, 3, edited}, (flagged, blocked, out)
    assert "rebinds 'np'" in out and "imports 'os'" in out and "np.allclose" in out


def test_self_check_help_and_unreadable_files(tmp_path, capsys):
    from accel.policy import main
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0 and "NOTEBOOK.ipynb" in capsys.readouterr().out
    broken = tmp_path / "01_vectorization.ipynb"
    broken.write_text("{not json")
    assert main([str(broken)]) == 2
    assert "could not be read" in capsys.readouterr().out


def test_self_check_without_a_release_record_infers_protected_names(course, tmp_path, capsys):
    import nbformat

    from accel.policy import main
    nb = _release(course, "01_vectorization")
    del nb.metadata["accel"]
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source += "\nTensor = None"
    path = tmp_path / "01_vectorization.ipynb"
    nbformat.write(nb, path)
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "no record of the course's own cells" in out and "rebinds 'Tensor'" in out
