"""the student notebooks exactly as released (no answers)"""
STUDENT = "untouched"
BASE = "release"
ANSWERS = {}
