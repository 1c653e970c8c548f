"""accel.machine: one probe of caches and memory for every notebook."""
from __future__ import annotations

from accel import machine


def test_cache_sizes_parse():
    assert machine.parse_cache_size("48K") == 48 * 1024
    assert machine.parse_cache_size("32M\n") == 32 * 2**20
    assert machine.parse_cache_size("1024") == 1024


def test_hierarchy_is_ordered_and_labelled():
    caches = machine.cache_hierarchy()
    assert caches, "at least the assumed sizes"
    assert [c["level"] for c in caches] == sorted(c["level"] for c in caches)
    assert all(c["bytes"] > 0 and c["source"] for c in caches)
    assert machine.last_level_cache_bytes() == max(c["bytes"] for c in caches)


def test_fallbacks_are_marked_as_assumptions(monkeypatch, tmp_path):
    monkeypatch.setattr(machine, "SYSFS_CACHES", tmp_path / "nothing")
    monkeypatch.setattr(machine, "_sysconf_caches", lambda: [])
    caches = machine.cache_hierarchy()
    assert {c["source"] for c in caches} == {"ASSUMED (typical)"}


def test_fake_llc_replaces_only_the_last_level(monkeypatch):
    real = machine.cache_hierarchy()
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(256 * 2**20))
    faked = machine.cache_hierarchy()
    assert faked[:-1] == real[:-1]
    assert faked[-1]["bytes"] == 256 * 2**20 and faked[-1]["source"] == "ACCEL_FAKE_LLC_BYTES"
    assert machine.last_level_cache_bytes() == 256 * 2**20


def test_memory_limit_is_positive_and_at_most_physical():
    import os
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < machine.memory_limit_bytes() <= physical
