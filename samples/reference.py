"""the reference solution (every answer from the source notebooks)"""
STUDENT = "reference"
BASE = "reference"
ANSWERS = {}
