"""The tampering catalogue with the policy switched OFF, on notebooks 01 and 02 (the catalogue's
notebooks), whose test cells run in the grader's own kernel (accel_instructor.grader_kernel,
accel_instructor.bridge).

The static policy (accel.policy) is a friendly lint; no guarantee may rest on it. Here intake's
check finds nothing, so every attacking cell the policy would refuse runs in the learner's
sandboxed kernel (the attacks it does not refuse, t24 among them, run in tests/test_catalogues.py
already), and still:

* each attack loses at least the points its kernels deserve (the spec's LOSES): it gains
  nothing over the same kernels handed in without the attack;
* the control keeps full marks, the untouched release scores zero on every test;
* the learner's kernel never sees a test's text: its input history holds only the cells that
  stand in for the tests, and the grader's reference folder is empty in its sandbox.
"""
from __future__ import annotations

import json

import pytest

from accel_instructor.build import release
from accel_instructor.grade import grade_class, read_gradebook
from accel_instructor.samples import Submission, catalogue_grading, load_spec, write_submission
from accel_instructor.sandbox import SERVE_CALL
from conftest import ROOT, copy_course

pytestmark = pytest.mark.nbgrader
NOTEBOOKS = ["01_vectorization", "02_kernel_fusion"]  # the catalogue's notebooks


def _blocked(path) -> bool:
    """Attacks the policy refuses (as tests/test_catalogues.py tells them): the only ones that
    run differently with it off. The others run in the policy-on catalogue already."""
    return path.stem.startswith(tuple(f"t0{i}" for i in range(1, 10))) or "\nBLOCKED = True" in path.read_text()


ATTACKS = ["t00_control"] + sorted(p.stem for p in (ROOT / "tests" / "tampering").glob("*.py") if _blocked(p))


@pytest.fixture(scope="module")
def policy_off_class(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("policy_off") / "course", notebooks=NOTEBOOKS)
    release(course)
    specs = {}
    for name in ATTACKS:
        spec = load_spec(ROOT / "tests" / "tampering" / f"{name}.py")
        spec.student = name
        for notebook in NOTEBOOKS:  # a one-notebook attack hands in only its notebook
            if notebook not in spec.loses:
                spec.damage[notebook] = "missing"
        specs[name] = spec
        write_submission(course, spec)
    write_submission(course, Submission("untouched", base="release"))
    with catalogue_grading(policy=False):  # the lint off: every learner cell runs
        run = grade_class(course, [*sorted(specs), "untouched"], cap_seconds=240, jobs=2, log=lambda *_: None)
    rows = {(r.student, r.notebook): r for r in read_gradebook(course)}
    return course, specs, run, rows


def _lost(row):
    return sorted(c.grade_id for c in row.cells if c.grade_id.startswith("test_") and c.score != c.max_score)


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_with_the_policy_off_gains_nothing(policy_off_class, name):
    _, specs, run, rows = policy_off_class
    assert name not in run.not_graded(), run.problems()
    for notebook in NOTEBOOKS:
        deserved = specs[name].loses.get(notebook, [])
        row = rows[(name, notebook)]
        if deserved == ["*"]:
            assert row.score == 0, f"{name}/{notebook}: should score 0, scored {row.score}"
            continue
        assert set(deserved) <= set(_lost(row)), (
            f"{name}/{notebook}: its kernels should lose {sorted(deserved)}; with the policy off it "
            f"lost only {_lost(row)}")


def test_control_keeps_full_marks_and_untouched_scores_zero(policy_off_class):
    _, _, _, rows = policy_off_class
    for notebook in NOTEBOOKS:
        assert _lost(rows[("t00_control", notebook)]) == [], notebook
        tests = [c for c in rows[("untouched", notebook)].cells if c.grade_id.startswith("test_")]
        assert tests and all(c.score == 0 for c in tests), [(notebook, c.grade_id, c.score) for c in tests]


# notebook -> text of its hidden tests (a seed, a baseline's name) that the learner must never see
SECRETS = {"01_vectorization": ("default_rng(1701)", "trusted_naive_matmul"),
           "02_kernel_fusion": ("default_rng(2021)", "reference_gelu")}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_learner_kernel_never_holds_a_test(policy_off_class, notebook):
    """The attack that prints `In` and reads the reference folder finds neither."""
    course, *_ = policy_off_class
    graded = json.loads((course.autograded_dir / "t25_history_and_reference" / "acceleration"
                         / f"{notebook}.ipynb").read_text())
    printed = "".join(
        "".join(o.get("text", "")) for c in graded["cells"] if c["cell_type"] == "code"
        and not c["metadata"].get("nbgrader", {}).get("grade") for o in c.get("outputs", []))
    assert "HISTORY:" in printed and SERVE_CALL in printed, printed[:2000]
    for secret in ("BEGIN HIDDEN TESTS", "check_close", *SECRETS[notebook]):
        assert secret not in printed, secret
    assert "REFERENCE FILES: []" in printed, printed[-2000:]
    html = (course.feedback_dir / "t25_history_and_reference" / "acceleration" / f"{notebook}.html").read_text()
    assert SECRETS[notebook][0] not in html and "BEGIN HIDDEN TESTS" not in html
