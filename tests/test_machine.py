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


def test_arrays_beyond_caches_follow_the_cache_until_the_budget(monkeypatch):
    MiB, GiB = 2**20, 2**30
    monkeypatch.setattr(machine, "memory_limit_bytes", lambda: 64 * GiB)
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(32 * MiB))
    assert machine.array_bytes_beyond_caches(arrays=3) == 64 * MiB          # 2 x LLC
    assert machine.array_bytes_beyond_caches(arrays=3, at_least=100 * MiB) == 100 * MiB
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(256 * MiB))
    assert machine.array_bytes_beyond_caches(arrays=3, note=False) == (GiB // 3) // 4096 * 4096
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(GiB))
    for arrays in (1, 3, 12):
        size = machine.array_bytes_beyond_caches(arrays=arrays, note=False)
        assert size * arrays <= GiB, (arrays, size)                         # half of 2 GiB
        assert size % 4096 == 0
    assert machine.budget_elements(8, arrays=12, note=False) * 8 * 12 <= GiB


def test_budget_follows_a_smaller_container_limit(monkeypatch):
    MiB = 2**20
    monkeypatch.setattr(machine, "memory_limit_bytes", lambda: 512 * MiB)
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(32 * MiB))
    assert machine.memory_budget_bytes() == 512 * MiB
    assert machine.array_bytes_beyond_caches(arrays=4, note=False) == 64 * MiB
    assert machine.array_bytes_beyond_caches(arrays=8, note=False) == 32 * MiB


def test_the_cap_says_when_it_keeps_data_in_cache(monkeypatch, capsys):
    monkeypatch.setattr(machine, "memory_limit_bytes", lambda: 64 * 2**30)
    monkeypatch.setattr(machine, "_notes_printed", set())
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(2**30))
    machine.array_bytes_beyond_caches(arrays=12)
    machine.array_bytes_beyond_caches(arrays=12)
    out = capsys.readouterr().out
    assert out.count("part of this measurement may come from the cache") == 1, out
    assert "1024 MiB" in out and "2.0 GiB" in out
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(2**20))
    machine.array_bytes_beyond_caches(arrays=3)
    assert capsys.readouterr().out == ""


def test_array_sizing_rejects_nonsense():
    import pytest
    with pytest.raises(ValueError, match="arrays >= 1"):
        machine.array_bytes_beyond_caches(arrays=0)
