"""Grader-only reference code: baselines and measurements that would answer an exercise.

Imported only inside ``### BEGIN HIDDEN TESTS`` blocks; never part of the student bundle
(tests/test_publish.py checks both).
"""
