"""a plausible first attempt: one slip in each notebook"""
import runpy
from pathlib import Path

STUDENT = "partly_wrong"
BASE = "reference"
_KNOWN_WRONG = Path(__file__).resolve().parents[1] / "tests" / "known_wrong"
_PICKS = ["01_matmul_float64", "02_one_expression_float64_constant", "03_tiled_drops_edges", "04_ridge_inverted"]
ANSWERS, LOSES = {}, {}
for _name in _PICKS:
    _spec = runpy.run_path(str(_KNOWN_WRONG / f"{_name}.py"))
    ANSWERS[_spec["NOTEBOOK"]] = _spec["ANSWERS"]
    LOSES[_spec["NOTEBOOK"]] = _spec["LOSES"]
