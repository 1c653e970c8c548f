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
    assert machine.array_bytes_beyond_caches(arrays=3, note=False) == (512 * MiB // 3) // 4096 * 4096
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(GiB))
    assert machine.memory_budget_bytes() == 1536 * MiB
    for arrays in (1, 3, 12):
        size = machine.array_bytes_beyond_caches(arrays=arrays, note=False)
        assert size * arrays <= 512 * MiB, (arrays, size)                   # a third of 1.5 GiB
        assert size % 4096 == 0
    assert machine.array_bytes_beyond_caches(arrays=1, note=False) == 512 * MiB
    assert machine.budget_elements(8, arrays=12, note=False) * 8 * 12 <= 512 * MiB


def test_budget_follows_a_smaller_container_limit(monkeypatch):
    MiB = 2**20
    monkeypatch.setattr(machine, "memory_limit_bytes", lambda: 512 * MiB)
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(32 * MiB))
    assert machine.memory_budget_bytes() == 384 * MiB                      # 3/4 of the limit
    assert machine.array_bytes_beyond_caches(arrays=4, note=False) == 32 * MiB
    assert machine.array_bytes_beyond_caches(arrays=8, note=False) == 16 * MiB


def test_the_cap_says_when_it_keeps_data_in_cache(monkeypatch, capsys):
    monkeypatch.setattr(machine, "memory_limit_bytes", lambda: 64 * 2**30)
    monkeypatch.setattr(machine, "_notes_printed", set())
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(2**30))
    machine.array_bytes_beyond_caches(arrays=12)
    machine.array_bytes_beyond_caches(arrays=12)
    out = capsys.readouterr().out
    assert out.count("part of this measurement may come from the cache") == 1, out
    assert "1024 MiB" in out and "1.5 GiB" in out
    monkeypatch.setenv("ACCEL_FAKE_LLC_BYTES", str(2**20))
    machine.array_bytes_beyond_caches(arrays=3)
    assert capsys.readouterr().out == ""


def test_array_sizing_rejects_nonsense():
    import pytest
    with pytest.raises(ValueError, match="arrays >= 1"):
        machine.array_bytes_beyond_caches(arrays=0)


# Recorded probe output of each platform (tests/fixtures/machine/README.md says where from) ----
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "machine"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_linux_x86_64_cpuinfo_and_sysfs():
    features = machine.features_from_cpuinfo(machine.parse_cpuinfo(fixture("linux_x86_64_cpuinfo.txt")))
    assert features["isa"] == "x86_64" and features["name"] == "AMD EPYC"
    assert (features["simd"], features["vector_bits"]) == ("AVX-512", 512)
    assert features["extensions"] == {"sse2": True, "avx": True, "avx2": True, "fma": True, "avx512f": True}
    assert features["source"].startswith("measured")
    caches = machine._sysfs_caches(FIXTURES / "linux_x86_64_sysfs_cache")
    assert [(c["level"], c["type"], c["bytes"]) for c in caches] == [
        (1, "Data", 32 * 1024), (2, "Unified", 1024 * 1024), (3, "Unified", 32 * 2**20)]


def test_x86_without_avx512_reports_avx2():
    text = fixture("linux_x86_64_cpuinfo.txt")
    stripped = " ".join(w for w in text.split(" ") if not w.startswith("avx512"))
    features = machine.features_from_cpuinfo(machine.parse_cpuinfo(stripped))
    assert (features["simd"], features["vector_bits"]) == ("AVX2", 256)
    assert features["extensions"]["avx512f"] is False


def test_linux_aarch64_graviton3_sve_and_midr_name():
    fields = machine.parse_cpuinfo(fixture("linux_aarch64_graviton3_cpuinfo.txt"))
    sve_bytes = int(fixture("linux_aarch64_graviton3_sve_default_vector_length.txt"))
    features = machine.features_from_cpuinfo(fields, sve_bytes)
    assert features["isa"] == "arm64" and features["name"] == "Arm Neoverse-V1"
    assert (features["simd"], features["vector_bits"]) == ("SVE", 256)
    assert features["vector_bits_source"].startswith("measured")
    assert features["extensions"]["asimd"] and features["extensions"]["bf16"]
    assert features["extensions"]["sve2"] is False
    without_length = machine.features_from_cpuinfo(fields)
    assert without_length["vector_bits"] == 128 and without_length["vector_bits_source"].startswith("assumed")
    caches = machine._sysfs_caches(FIXTURES / "linux_aarch64_graviton3_sysfs_cache")
    assert [c["bytes"] for c in caches] == [64 * 1024, 1024 * 1024, 32 * 2**20]


def test_linux_aarch64_raspberry_pi_neon_only():
    features = machine.features_from_cpuinfo(
        machine.parse_cpuinfo(fixture("linux_aarch64_raspberrypi4_cpuinfo.txt")))
    assert features["name"] == "Arm Cortex-A72"
    assert (features["simd"], features["vector_bits"]) == ("NEON (Advanced SIMD)", 128)
    assert not any(features["extensions"][ext] for ext in ("sve", "sve2", "sme"))


def test_arm_names_of_other_implementers_stay_honest():
    assert machine.arm_cpu_name("0x61", "0x023") == "Apple part 0x23"
    assert machine.arm_cpu_name("0xc0", "0xac3") == "Ampere part 0xac3"
    assert machine.arm_cpu_name("0x99", "0x1") == "implementer 0x99 part 0x1"
    assert "implementer" in machine.arm_cpu_name("?", "?")


def test_macos_arm64_m1_sysctl():
    values = machine.parse_sysctl(fixture("macos_arm64_m1_sysctl.txt"))
    features = machine.features_from_sysctl(values)
    assert features["isa"] == "arm64" and features["name"] == "Apple M1"
    assert (features["simd"], features["vector_bits"]) == ("NEON (Advanced SIMD)", 128)
    assert features["extensions"]["asimddp"] and features["extensions"]["fphp"]
    assert features["extensions"]["sme"] is False and features["extensions"]["bf16"] is False
    assert features["source"] == "measured (sysctl hw.optional)"
    caches = machine.caches_from_sysctl(values)
    # The performance cores' caches, not the efficiency cores' hw.l1dcachesize (64 KiB).
    assert [(c["level"], c["bytes"], c["source"]) for c in caches] == [
        (1, 128 * 1024, "sysctl hw.perflevel0.l1dcachesize"),
        (2, 12 * 2**20, "sysctl hw.perflevel0.l2cachesize")]


def test_macos_intel_sysctl():
    values = machine.parse_sysctl(fixture("macos_x86_64_i9_9880h_sysctl.txt"))
    features = machine.features_from_sysctl(values)
    assert features["isa"] == "x86_64" and "i9-9880H" in features["name"]
    assert (features["simd"], features["vector_bits"]) == ("AVX2", 256)
    assert features["extensions"] == {"sse2": True, "avx": True, "avx2": True, "fma": True, "avx512f": False}
    assert [c["bytes"] for c in machine.caches_from_sysctl(values)] == [32768, 262144, 16 * 2**20]


def test_silent_systems_get_assumed_values():
    features = machine.features_from_cpuinfo({"processor": "0"})
    assert features["source"].startswith("assumed") and set(features["extensions"].values()) == {None}
    assert machine.features_from_sysctl({"machdep.cpu.brand_string": "X"})["source"].startswith("assumed")
    assert machine.caches_from_sysctl({}) == []


@pytest.mark.parametrize("folder, cpus", [("cgroup_v2_binder", 1.0), ("cgroup_v2_no_quota", None),
                                          ("cgroup_v1_quota", 1.5), ("cgroup_v1_this_machine", None)])
def test_cgroup_cpu_quota(folder, cpus):
    assert machine.cgroup_cpu_quota(FIXTURES / folder) == cpus


def test_usable_cpus_follow_the_quota(monkeypatch):
    import os
    monkeypatch.setattr(os, "cpu_count", lambda: 72)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(72)), raising=False)
    monkeypatch.setattr(machine, "CGROUP_ROOT", FIXTURES / "cgroup_v2_binder")
    assert machine.usable_cpus() == {"count": 1, "source": "measured (cgroup CPU quota: 1 CPU time)"}
    monkeypatch.setattr(machine, "CGROUP_ROOT", FIXTURES / "cgroup_v2_no_quota")
    assert machine.usable_cpus()["count"] == 72


def test_blas_thread_control_names_accelerate():
    openblas = [{"user_api": "blas", "internal_api": "openblas", "num_threads": 2}]
    assert machine.blas_thread_control(openblas) == {"pinnable": True, "note": "", "library": "openblas"}
    accelerate = machine.blas_thread_control([], blas_name="accelerate")
    assert not accelerate["pinnable"] and "Accelerate" in accelerate["note"]
    assert "cannot pin" in accelerate["note"]


def test_this_machine_is_described_with_sources():
    rows = machine.describe()
    assert {what for what, _, _ in rows} >= {"CPU", "widest vector extension", "usable CPUs", "BLAS threads"}
    assert all(source.split(" ")[0] in ("measured", "assumed", "faked") for _, _, source in rows), rows
