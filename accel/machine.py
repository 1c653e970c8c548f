"""What this machine has: caches and memory, read once, the same way in every notebook.

* :func:`cache_hierarchy` - data and unified caches of CPU 0, each with where its size came from
  (Linux sysfs, the C library's ``sysconf``, or a typical size marked ``ASSUMED``).
* :func:`last_level_cache_bytes` - the largest of them: arrays meant to live in main memory must be
  several times larger than this.
* :func:`memory_limit_bytes` - what this process may use: the cgroup limit (a container, Binder)
  or the physical memory, whichever is smaller.
* :func:`array_bytes_beyond_caches` / :func:`budget_elements` - how large to make arrays that
  must not fit in a cache: sized from the cache, capped by the course's 2 GiB memory budget
  (:data:`MEMORY_BUDGET_BYTES`, or less when :func:`memory_limit_bytes` is smaller), with a
  printed note when the cap keeps part of a measurement in cache.

``ACCEL_FAKE_LLC_BYTES`` overrides the last-level cache size (tests use it to play a server CPU
with a 256 MiB or 1 GiB L3 on a laptop-sized machine).
"""
from __future__ import annotations

import os
from pathlib import Path

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
SYSFS_CACHES = Path("/sys/devices/system/cpu/cpu0/cache")
ASSUMED_CACHES = ((1, "Data", 32 * KiB), (2, "Unified", 512 * KiB), (3, "Unified", 8 * MiB))


def parse_cache_size(text: str) -> int:
    """'48K' -> 49152, '32M' -> 33554432, '1024' -> 1024 (bytes)."""
    text = text.strip().upper()
    scale = {"K": KiB, "M": MiB, "G": GiB}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


def _sysfs_caches() -> list[dict]:
    caches = []
    for index in sorted(SYSFS_CACHES.glob("index*")):
        try:
            level = int((index / "level").read_text())
            kind = (index / "type").read_text().strip()
            size = parse_cache_size((index / "size").read_text())
        except (OSError, ValueError):
            continue
        if kind in ("Data", "Unified"):
            caches.append({"level": level, "type": kind, "bytes": size, "source": "sysfs"})
    return sorted(caches, key=lambda c: c["level"])


def _sysconf_caches() -> list[dict]:
    caches = []
    for level, kind, name in ((1, "Data", "SC_LEVEL1_DCACHE_SIZE"),
                              (2, "Unified", "SC_LEVEL2_CACHE_SIZE"),
                              (3, "Unified", "SC_LEVEL3_CACHE_SIZE")):
        try:
            size = os.sysconf(name)
        except (AttributeError, ValueError, OSError):
            continue
        if size and size > 0:
            caches.append({"level": level, "type": kind, "bytes": size, "source": "sysconf"})
    return caches


def cache_hierarchy() -> list[dict]:
    """Data and unified caches of CPU 0, smallest first.

    Each entry: ``{"level": int, "type": "Data" | "Unified", "bytes": int, "source": str}``. The
    source says how far to trust the size: ``sysfs`` (the kernel), ``sysconf`` (the C library,
    sometimes approximate) or ``ASSUMED (typical)`` when the machine told nothing.
    """
    caches = _sysfs_caches() or _sysconf_caches() or [
        {"level": level, "type": kind, "bytes": size, "source": "ASSUMED (typical)"}
        for level, kind, size in ASSUMED_CACHES]
    fake = os.environ.get("ACCEL_FAKE_LLC_BYTES")
    if fake:
        last = dict(caches[-1], bytes=int(fake), source="ACCEL_FAKE_LLC_BYTES")
        caches = caches[:-1] + [last]
    return caches


def last_level_cache_bytes() -> int:
    """Size in bytes of the largest data or unified cache of CPU 0 (see :func:`cache_hierarchy`)."""
    return max(c["bytes"] for c in cache_hierarchy())


def _cgroup_limit() -> int | None:
    for path in (Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
                 Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):  # cgroup v1
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # v1 says "no limit" with a huge number
            return int(text)
    return None


def memory_limit_bytes() -> int:
    """Bytes this process may use: the smaller of the cgroup limit and the physical memory."""
    limits = [limit for limit in (_cgroup_limit(),) if limit]
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        pass
    return min(limits) if limits else 2 * GiB


# The course's memory budget ------------------------------------------------------------------
# Every notebook, solved, and nbgrader's Validate, must run within this much memory (a Binder
# session has 2 GiB). Arrays sized from the cache are capped so that they fit in a share of it.
MEMORY_BUDGET_BYTES = 2 * GiB
# What the arrays of one measurement may take together: the rest is for Python, NumPy, numba's
# compiler, matplotlib and the Jupyter kernel (about 0.4-0.6 GiB together).
ARRAYS_SHARE = 0.5
_notes_printed: set[str] = set()


def memory_budget_bytes() -> int:
    """The smaller of the course's budget (2 GiB) and what this process may use at all."""
    return min(MEMORY_BUDGET_BYTES, memory_limit_bytes())


def array_bytes_beyond_caches(arrays: int = 1, times_llc: float = 2, at_least: int = 64 * MiB,
                              note: bool = True) -> int:
    """Bytes for each of ``arrays`` arrays meant to stream from main memory, not from a cache.

    The wish is ``times_llc`` x the last-level cache and at least ``at_least`` bytes per array.
    All ``arrays`` together are capped at half the memory budget (:func:`memory_budget_bytes`),
    so a server CPU with a 256 MiB or 1 GiB cache cannot push a notebook past 2 GiB. When the cap
    keeps an array smaller than ``times_llc`` x the cache, part of the measurement may come from
    the cache (rates read high); with ``note=True`` a one-line note says so (once per process).
    The result is a multiple of 4096 bytes and at least 4096.
    """
    if arrays < 1 or times_llc <= 0 or at_least < 0:
        raise ValueError(f"array_bytes_beyond_caches(arrays={arrays}, times_llc={times_llc}, "
                         f"at_least={at_least}): expected arrays >= 1, times_llc > 0, at_least >= 0")
    llc = last_level_cache_bytes()
    wish = max(int(times_llc * llc), int(at_least))
    cap = int(ARRAYS_SHARE * memory_budget_bytes()) // arrays
    size = max(4096, min(wish, cap) // 4096 * 4096)
    if note and size < times_llc * llc:
        text = (f"note: {arrays} array(s) of {size / MiB:.0f} MiB each keep within the "
                f"{memory_budget_bytes() / GiB:.1f} GiB memory budget, but the last-level cache is "
                f"{llc / MiB:.0f} MiB: part of this measurement may come from the cache.")
        if text not in _notes_printed:
            _notes_printed.add(text)
            print(text)
    return size


def budget_elements(itemsize: int, arrays: int = 1, times_llc: float = 2,
                    at_least: int = 64 * MiB, note: bool = True) -> int:
    """:func:`array_bytes_beyond_caches` in elements of ``itemsize`` bytes."""
    return array_bytes_beyond_caches(arrays, times_llc, at_least, note) // itemsize
