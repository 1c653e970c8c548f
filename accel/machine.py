"""What this machine has: CPU, caches, cores and memory, read the same way in every notebook, on
Linux x86-64, Linux aarch64 and macOS (Apple silicon or Intel).

* :func:`cpu_features` - the CPU's name, its widest vector extension and register width.
* :func:`usable_cpus` - CPUs this process can use (affinity and cgroup CPU quota: on Binder
  ``os.cpu_count()`` counts the host's cores, not the container's).
* :func:`blas_thread_control` - whether NumPy's BLAS threads can be pinned (not Accelerate's).
* :func:`describe` - all of it as (what, value, source) rows, each "measured" or "assumed".
* :func:`cache_hierarchy` - data and unified caches of CPU 0, each with where its size came from
  (Linux sysfs, macOS sysctl, the C library's ``sysconf``, or a typical size marked
  ``ASSUMED``).
* :func:`last_level_cache_bytes` - the largest of them: arrays meant to live in main memory must be
  several times larger than this.
* :func:`memory_limit_bytes` - what this process may use: the cgroup limit (a container, Binder)
  or the physical memory, whichever is smaller.
* :func:`array_bytes_beyond_caches` / :func:`budget_elements` - how large to make arrays that
  must not fit in a cache: sized from the cache, capped by the kernel's 1.5 GiB memory budget
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


def _sysfs_caches(root: Path | None = None) -> list[dict]:
    caches = []
    for index in sorted((SYSFS_CACHES if root is None else root).glob("index*")):
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


def _macos_caches() -> list[dict]:
    import sys
    if sys.platform != "darwin":
        return []
    text = _sysctl_text()
    return caches_from_sysctl(parse_sysctl(text)) if text else []


def cache_hierarchy() -> list[dict]:
    """Data and unified caches of CPU 0, smallest first.

    Each entry: ``{"level": int, "type": "Data" | "Unified", "bytes": int, "source": str}``. The
    source says how far to trust the size: ``sysfs`` (the kernel), ``sysctl hw.*`` (macOS), ``sysconf`` (the C library,
    sometimes approximate) or ``ASSUMED (typical)`` when the machine told nothing.
    """
    caches = _sysfs_caches() or _macos_caches() or _sysconf_caches() or [
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
# A Binder session has 2 GiB for the Jupyter kernel and the JupyterLab server together (about
# 0.3-0.5 GiB for the server): every notebook's kernel, solved or not, must stay within 1.5 GiB
# (tests/test_publish.py runs each in a memory cgroup). Arrays sized from the cache are capped so
# that they fit in a share of it.
MEMORY_BUDGET_BYTES = 3 * GiB // 2
# Under a smaller container limit, the kernel may take this share of it (the rest: the server).
KERNEL_SHARE_OF_LIMIT = 0.75
# What the arrays of one measurement may take together: the rest is for Python, NumPy, numba's
# compiler, matplotlib, the Jupyter kernel (about 0.4-0.6 GiB together) and the temporaries
# NumPy makes while computing on those arrays.
ARRAYS_SHARE = 1 / 3
_notes_printed: set[str] = set()


def memory_budget_bytes() -> int:
    """Bytes a notebook's kernel may use: 1.5 GiB, or 3/4 of a smaller container limit."""
    return min(MEMORY_BUDGET_BYTES, int(KERNEL_SHARE_OF_LIMIT * memory_limit_bytes()))


def array_bytes_beyond_caches(arrays: int = 1, times_llc: float = 2, at_least: int = 64 * MiB,
                              note: bool = True) -> int:
    """Bytes for each of ``arrays`` arrays meant to stream from main memory, not from a cache.

    The wish is ``times_llc`` x the last-level cache and at least ``at_least`` bytes per array.
    All ``arrays`` together are capped at a third of the memory budget (:func:`memory_budget_bytes`:
    512 MiB of 1.5 GiB), so a server CPU with a 256 MiB or 1 GiB cache cannot push a notebook's
    kernel past 1.5 GiB. When the cap
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


# ---------------------------------------------------------------------------------------------
# Any laptop: CPU features, the CPU's name, usable cores, BLAS thread control.
# The parsers below are pure functions over the text a probe prints (tests feed them recorded
# output of Linux x86-64, Linux aarch64 and macOS); the probes only read that text.
# Every value comes with its source: "measured" (the OS told us) or "assumed" (it did not).

PROC_CPUINFO = Path("/proc/cpuinfo")
SVE_DEFAULT_VECTOR_LENGTH = Path("/proc/sys/abi/sve_default_vector_length")
CGROUP_ROOT = Path("/sys/fs/cgroup")

# (name reported, register bits), widest first. The register width says how many numbers one
# instruction holds, not how many the core completes per cycle (notebook 04 measures that).
X86_SIMD = (("avx512f", "AVX-512", 512), ("avx2", "AVX2", 256), ("avx", "AVX", 256),
            ("sse2", "SSE2", 128))
ARM_SIMD = (("sve2", "SVE2", None), ("sve", "SVE", None), ("asimd", "NEON (Advanced SIMD)", 128))
# macOS spells the same features as sysctl names (hw.optional.*): name -> our flag name.
MACOS_FLAGS = {
    "hw.optional.sse2": "sse2", "hw.optional.avx1_0": "avx", "hw.optional.avx2_0": "avx2",
    "hw.optional.fma": "fma", "hw.optional.avx512f": "avx512f",
    "hw.optional.neon": "asimd", "hw.optional.AdvSIMD": "asimd",
    "hw.optional.arm.FEAT_SVE": "sve", "hw.optional.arm.FEAT_SVE2": "sve2",
    "hw.optional.arm.FEAT_SME": "sme", "hw.optional.arm.FEAT_BF16": "bf16",
    "hw.optional.arm.FEAT_DotProd": "asimddp", "hw.optional.arm.FEAT_FP16": "fphp",
}
# The extensions the notebooks list, per instruction set.
LISTED = {"x86_64": ("sse2", "avx", "avx2", "fma", "avx512f"),
          "arm64": ("asimd", "asimddp", "fphp", "bf16", "sve", "sve2", "sme")}
# MIDR_EL1 implementer codes and Arm Ltd part numbers (Arm's Technical Reference Manuals; the
# same table as util-linux lscpu's lscpu-arm.c). Unknown codes are shown as hex.
ARM_IMPLEMENTERS = {0x41: "Arm", 0x42: "Broadcom", 0x46: "Fujitsu", 0x48: "HiSilicon",
                    0x4E: "NVIDIA", 0x51: "Qualcomm", 0x61: "Apple", 0xC0: "Ampere"}
ARM_PARTS = {0xD03: "Cortex-A53", 0xD05: "Cortex-A55", 0xD07: "Cortex-A57", 0xD08: "Cortex-A72",
             0xD09: "Cortex-A73", 0xD0A: "Cortex-A75", 0xD0B: "Cortex-A76",
             0xD0C: "Neoverse-N1", 0xD0D: "Cortex-A77", 0xD40: "Neoverse-V1",
             0xD41: "Cortex-A78", 0xD44: "Cortex-X1", 0xD46: "Cortex-A510",
             0xD47: "Cortex-A710", 0xD48: "Cortex-X2", 0xD49: "Neoverse-N2",
             0xD4F: "Neoverse-V2"}


def parse_cpuinfo(text: str) -> dict[str, str]:
    """The first processor's ``key: value`` lines of ``/proc/cpuinfo`` (x86 or ARM Linux).

    Keys are kept as written (``flags``, ``model name``, ``Features``, ``CPU implementer``...);
    later processors do not overwrite the first one's values.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            fields.setdefault(key.strip(), value.strip())
    return fields


def parse_sysctl(text: str) -> dict[str, str]:
    """macOS ``sysctl hw machdep.cpu`` output (``name: value`` lines) as a dict of strings."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip() and " " not in name.strip():
            values[name.strip()] = value.strip()
    return values


def arm_cpu_name(implementer: str, part: str) -> str:
    """'0x41', '0xd0c' (``/proc/cpuinfo`` on ARM Linux) -> 'Arm Neoverse-N1'."""
    try:
        vendor_code, part_code = int(implementer, 16), int(part, 16)
    except ValueError:
        return f"ARM CPU (implementer {implementer!r}, part {part!r})"
    vendor = ARM_IMPLEMENTERS.get(vendor_code, f"implementer {vendor_code:#x}")
    if vendor_code == 0x41 and part_code in ARM_PARTS:
        return f"Arm {ARM_PARTS[part_code]}"
    return f"{vendor} part {part_code:#x}"


def features_from_cpuinfo(fields: dict[str, str], sve_bytes: int | None = None) -> dict:
    """CPU features from :func:`parse_cpuinfo` output (x86 ``flags`` or ARM ``Features``).

    ``sve_bytes`` is ``/proc/sys/abi/sve_default_vector_length`` (bytes) when the kernel has it.
    Returns the dict :func:`cpu_features` documents.
    """
    if "flags" in fields:
        flags = set(fields["flags"].split())
        name = fields.get("model name", "x86-64 CPU")
        return _features("x86_64", name, flags, "measured (/proc/cpuinfo flags)")
    if "Features" in fields:
        flags = set(fields["Features"].split())
        name = arm_cpu_name(fields.get("CPU implementer", "?"), fields.get("CPU part", "?"))
        return _features("arm64", name, flags, "measured (/proc/cpuinfo Features)", sve_bytes)
    return assumed_features()


def features_from_sysctl(values: dict[str, str]) -> dict:
    """CPU features from :func:`parse_sysctl` output (macOS, Apple silicon or Intel)."""
    flags = {flag for name, flag in MACOS_FLAGS.items() if values.get(name, "0").strip() == "1"}
    isa = "arm64" if values.get("hw.optional.arm64") == "1" or "asimd" in flags else "x86_64"
    name = values.get("machdep.cpu.brand_string", "Mac")
    if not flags:
        return assumed_features(name)
    return _features(isa, name, flags, "measured (sysctl hw.optional)")


def _features(isa: str, name: str, flags: set[str], source: str,
              sve_bytes: int | None = None) -> dict:
    table = X86_SIMD if isa == "x86_64" else ARM_SIMD
    simd, bits = "none reported", None
    for flag, family, width in table:
        if flag in flags:
            simd, bits = family, width
            break
    bits_source = source
    if bits is None and simd.startswith("SVE"):
        # SVE's width is the implementation's choice (128 to 2048 bits); Linux tells the default.
        if sve_bytes:
            bits, bits_source = 8 * sve_bytes, "measured (sve_default_vector_length)"
        else:
            bits, bits_source = 128, "assumed (SVE's minimum; the kernel did not say)"
    return {"isa": isa, "name": name, "simd": simd, "vector_bits": bits,
            "extensions": {ext: ext in flags for ext in LISTED[isa]},
            "source": source, "vector_bits_source": bits_source}


def assumed_features(name: str = "unknown CPU") -> dict:
    """What :func:`cpu_features` returns when the system tells nothing: marked ``assumed``."""
    import platform
    isa = "arm64" if platform.machine().lower() in ("arm64", "aarch64") else "x86_64"
    simd, bits = ("NEON (Advanced SIMD)", 128) if isa == "arm64" else ("SSE2", 128)
    return {"isa": isa, "name": name, "simd": simd, "vector_bits": bits,
            "extensions": {ext: None for ext in LISTED[isa]},
            "source": "assumed (baseline of the instruction set; the system said nothing)",
            "vector_bits_source": "assumed"}


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _sysctl_text() -> str | None:
    import subprocess
    try:
        return subprocess.run(["sysctl", "hw", "machdep.cpu"], capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def cpu_features() -> dict:
    """The CPU's name and vector extensions, read from the operating system.

    Returns ``{"isa": "x86_64" | "arm64", "name": str, "simd": str, "vector_bits": int | None,
    "extensions": {name: True | False | None}, "source": str, "vector_bits_source": str}``:
    ``simd`` is the widest vector family the CPU reports (AVX-512, AVX2, AVX, SSE2, SVE2, SVE,
    NEON), ``vector_bits`` its register width, ``extensions`` the ones the course mentions
    (``None``: unknown). Each source says ``measured (...)`` or ``assumed (...)``. Linux reads
    ``/proc/cpuinfo``; macOS runs ``sysctl``.
    """
    cpuinfo = _read(PROC_CPUINFO)
    if cpuinfo:
        sve = _read(SVE_DEFAULT_VECTOR_LENGTH)
        return features_from_cpuinfo(parse_cpuinfo(cpuinfo),
                                     int(sve) if sve and sve.strip().isdigit() else None)
    import sys
    if sys.platform == "darwin":
        text = _sysctl_text()
        if text:
            return features_from_sysctl(parse_sysctl(text))
    return assumed_features()


def caches_from_sysctl(values: dict[str, str]) -> list[dict]:
    """Data and unified caches from macOS sysctl values, as :func:`cache_hierarchy` lists them.

    Apple silicon reports each core type under ``hw.perflevelN.*`` (0: the performance cores,
    which a single-threaded kernel runs on) and the plain ``hw.l1dcachesize`` of the efficiency
    cores; the performance cores' values are used when present. Apple's system-level cache is
    not reported by sysctl, so it is not listed.
    """
    caches = []
    for level, kind, key in ((1, "Data", "l1dcachesize"), (2, "Unified", "l2cachesize"),
                             (3, "Unified", "l3cachesize")):
        for name in (f"hw.perflevel0.{key}", f"hw.{key}"):
            text = values.get(name, "").strip()
            if text.isdigit() and int(text) > 0:
                caches.append({"level": level, "type": kind, "bytes": int(text),
                               "source": f"sysctl {name}"})
                break
    return caches


def parse_cgroup_cpu_max(text: str) -> float | None:
    """cgroup v2 ``cpu.max`` ('200000 100000' -> 2.0 CPUs; 'max 100000' -> None: no quota)."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    quota, period = int(parts[0]), int(parts[1])
    return quota / period if quota > 0 and period > 0 else None


def parse_cgroup_v1_quota(quota_us: str, period_us: str) -> float | None:
    """cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` ('-1' quota: none) in CPUs."""
    quota, period = int(quota_us.strip()), int(period_us.strip())
    return quota / period if quota > 0 and period > 0 else None


def cgroup_cpu_quota(root: Path | None = None) -> float | None:
    """CPUs' worth of time this container may use per second, or None when there is no quota."""
    root = CGROUP_ROOT if root is None else root
    text = _read(root / "cpu.max")
    if text:
        return parse_cgroup_cpu_max(text)
    for folder in (root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"):
        quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
        if quota and period:
            return parse_cgroup_v1_quota(quota, period)
    return None


def usable_cpus() -> dict:
    """How many CPUs this process can really use: ``{"count": int, "source": str}``.

    The smallest of ``os.cpu_count()`` (all of the host's CPUs, also inside a container such as
    Binder), the CPUs this process may be scheduled on, and the cgroup CPU quota rounded down.
    """
    count, source = os.cpu_count() or 1, "measured (os.cpu_count)"
    if hasattr(os, "sched_getaffinity"):
        allowed = len(os.sched_getaffinity(0))
        if allowed < count:
            count, source = allowed, "measured (CPU affinity)"
    quota = cgroup_cpu_quota()
    if quota is not None and max(1, int(quota)) < count:
        count, source = max(1, int(quota)), f"measured (cgroup CPU quota: {quota:g} CPU time)"
    if not os.cpu_count():
        source = "assumed (the system did not say)"
    return {"count": count, "source": source}


def blas_thread_control(pools: list[dict] | None = None, blas_name: str | None = None) -> dict:
    """Whether threadpoolctl can pin NumPy's BLAS threads: ``{"pinnable": bool, "note": str}``.

    ``pools`` is ``threadpoolctl.threadpool_info()`` and ``blas_name`` NumPy's build-time BLAS
    (``numpy.show_config``), both read here when not given. OpenBLAS, MKL, BLIS and FlexiBLAS can
    be pinned; Apple's Accelerate (NumPy's BLAS on macOS arm64) cannot: it picks its own
    threads, so a "one-thread BLAS" figure there is not one thread. ``note`` is a sentence to
    print next to such a figure ("" when pinning works).
    """
    if pools is None:
        from threadpoolctl import threadpool_info
        pools = threadpool_info()
    blas = [pool for pool in pools if pool.get("user_api") == "blas"]
    if blas:
        return {"pinnable": True, "note": "",
                "library": ", ".join(pool.get("internal_api", "?") for pool in blas)}
    if blas_name is None:
        try:
            import numpy
            blas_name = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
        except (ImportError, KeyError, TypeError, ValueError):
            blas_name = "unknown"
    what = "Apple's Accelerate" if "accelerate" in str(blas_name).lower() else repr(blas_name)
    return {"pinnable": False, "library": str(blas_name),
            "note": (f"NumPy's BLAS here is {what}, whose threads threadpoolctl cannot pin: BLAS "
                     "curves labelled one thread may use several cores.")}


def describe() -> list[tuple[str, str, str]]:
    """(what, value, source) rows for everything above, each source measured or assumed."""
    features, cpus, blas = cpu_features(), usable_cpus(), blas_thread_control()
    rows = [("CPU", features["name"], features["source"]),
            ("widest vector extension", features["simd"], features["source"]),
            ("vector register bits", str(features["vector_bits"]),
             features["vector_bits_source"]),
            ("usable CPUs", str(cpus["count"]), cpus["source"])]
    for cache in cache_hierarchy():
        source = cache["source"]
        label = ("assumed (typical)" if source.startswith("ASSUMED") else
                 f"faked ({source})" if source == "ACCEL_FAKE_LLC_BYTES" else f"measured ({source})")
        rows.append((f"L{cache['level']} {cache['type'].lower()} cache",
                     f"{cache['bytes'] // KiB} KiB", label))
    cgroup = _cgroup_limit()
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        physical = None
    source = ("measured (cgroup memory limit)" if cgroup and (not physical or cgroup < physical)
              else "measured (physical memory)" if physical else "assumed (Binder's 2 GiB)")
    rows.append(("memory limit", f"{memory_limit_bytes() / GiB:.1f} GiB", source))
    rows.append(("BLAS threads", "pinnable" if blas["pinnable"] else "not pinnable",
                 f"measured ({blas['library']})"))
    return rows
