"""The roofline the reference solution draws on this machine, for the README.

Runs notebooks 04 and 05 (the reference answers, full sizes, as a learner would) in fresh
kernels and keeps one run's results: every code cell's printed text, the date, the command, the
CPU model and the load average (bench/results/roofline.json), and 04's figure
(docs/roofline.png). From
that file alone it then writes bench/results/roofline.md and the README's roofline section
(between the `roofline:begin` and `roofline:end` markers): no hand-edited figures.

It also checks what notebook 04 promises and exits with status 1 when one fails:
every kernel at or below 100% of its roof, and the all-threads roofs at or above the
one-thread roofs; and what issue 18 promises of 05: the reference micro-kernel reaches at least
50% of the one-thread float32 FMA roof at N = 512. The fused loop's fraction of the memory roof
(or its compute-bound verdict) is reported, not checked: it is a measurement of the machine.

    python bench/readme_roofline.py                 # run notebooks 04 and 05, then write the tables
    python bench/readme_roofline.py --render-only   # rewrite the tables from the results file
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "roofline.json"
COMMAND = "python bench/readme_roofline.py"
BEGIN, END = "<!-- roofline:begin (bench/readme_roofline.py) -->", "<!-- roofline:end -->"


def cpu_model() -> str:
    """The CPU's model name as the OS reports it (Linux /proc/cpuinfo, else platform)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def execute(name: str, siblings: tuple[str, ...] = (), keep: tuple[str, ...] = ()) -> tuple[list[str], float]:
    """Execute the solved notebook `name` (with `siblings` beside it, for kernels_from) in a
    scratch folder; each code cell's printed text, and the seconds it took. Files named in
    `keep` are copied to docs/."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "source" / "acceleration" / f"{name}.ipynb", 4)
    with tempfile.TemporaryDirectory() as scratch:
        for sibling in siblings:
            shutil.copy2(ROOT / "source" / "acceleration" / f"{sibling}.ipynb", scratch)
        start = time.perf_counter()
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": scratch}}).execute()
        seconds = time.perf_counter() - start
        (ROOT / "docs").mkdir(exist_ok=True)
        for file in keep:
            shutil.copy2(Path(scratch) / file, ROOT / "docs" / file)
    printed = ["".join(out.get("text", "") for out in cell.get("outputs", [])
                       if out.get("name") == "stdout")
               for cell in nb.cells if cell.cell_type == "code"]
    return printed, seconds


def run_notebook() -> dict:
    """Notebook 04, then 05, as a learner runs them; the results as a dict."""
    os.environ.pop("NBGRADER_EXECUTION", None)
    load_before = os.getloadavg()
    printed, seconds = execute("04_roofline", ("01_vectorization", "02_kernel_fusion", "03_cache_tiling"),
                               keep=("roofline.png",))
    printed_05, seconds_05 = execute("05_microkernels")
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "command": COMMAND,
            "cpu": cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "seconds": round(seconds, 1), "printed": printed,
            "seconds_05": round(seconds_05, 1), "printed_05": printed_05}


def _number(pattern: str, text: str) -> float | None:
    match = re.search(pattern, text)
    return float(match.group(1)) if match else None


def analyse(results: dict) -> dict:
    """The kernel table, the roofs and the checks, parsed from one run's printed text."""
    text = "\n".join(results["printed"])
    table_text = next(t for t in results["printed"] if "of roof" in t and "bound by" in t)
    lines = table_text.strip().splitlines()
    header = next(i for i, line in enumerate(lines) if "of roof" in line)
    rows = []
    for line in lines[header + 1:]:
        parts = line.split()
        if not parts:
            break  # the table ends at the first blank line
        # the kernel name may contain spaces: the last eight columns are words and numbers
        rows.append([" ".join(parts[:-8]), *parts[-8:]])
    roofs = {"B": _number(r"memory roof\s+B\s+=\s+([\d.]+)", text),
             "P32": _number(r"compute roof\s+P32\s+=\s+([\d.]+)", text),
             "P64": _number(r"compute roof\s+P64\s+=\s+([\d.]+)", text),
             "B_all": _number(r"all-threads roofs: B = ([\d.]+)", text),
             "P32_all": _number(r"all-threads roofs: B = [\d.]+ GB/s, P32 = ([\d.]+)", text)}
    above = [row[0] for row in rows if float(row[6].rstrip("%")) > 100]
    above += [line.split(":", 1)[1].split("(")[0].strip() for line in text.splitlines()
              if line.startswith("Above 100% of a roof:") and "see the table" in line]
    checks = [("every kernel at or below 100% of its roof",
               not above, "all are" if not above else "above: " + ", ".join(above))]
    if roofs["B_all"] is not None:
        ok = roofs["B_all"] >= roofs["B"] and roofs["P32_all"] >= roofs["P32"]
        checks.append(("all-threads roofs at or above the one-thread roofs", ok,
                       f"B {roofs['B_all']:.1f} vs {roofs['B']:.1f} GB/s, "
                       f"P32 {roofs['P32_all']:.1f} vs {roofs['P32']:.1f} GFLOP/s"))
    fused = [line.strip() for line in text.splitlines()
             if line.startswith(("fused_gelu_loop executes", "executed intensity",
                                 "one thread: ridge", "could not read this CPU"))
             or re.match(r"all \d+ threads: ridge", line)]
    if "printed_05" in results:
        text_05 = "\n".join(results["printed_05"])
        roof_05 = _number(r"compute roof \(float32 FMAs[^)]*\): ([\d.]+) GFLOP/s", text_05)
        matmul_512 = _number(r"matmul N=512 \(\w+\)\s+[\d.]+ FLOP/byte\s+([\d.]+) GFLOP/s", text_05)
        ok = roof_05 is not None and matmul_512 is not None and matmul_512 >= 0.5 * roof_05
        detail = (f"{matmul_512:.1f} of {roof_05:.1f} GFLOP/s, {100 * matmul_512 / roof_05:.0f}%"
                  if roof_05 and matmul_512 is not None else "not found in 05's output")
        checks.append(("05: the micro-kernel at N=512 float32 reaches 50% of the one-thread FMA roof",
                       ok, detail))
    return {"rows": rows, "roofs": roofs, "checks": checks, "fused": fused}


def render(results: dict) -> str:
    """Markdown for the README and bench/results/roofline.md, from the results alone."""
    found = analyse(results)
    load = results["load_average_before"]
    md = [f"Command: `{results['command']}` ({results['date']}; {results['cpu']}, "
          f"{results['cpus']} CPU(s), Python {results['python']}; notebook 04 ran in "
          f"{results['seconds']:.0f} s; load average {load[0]:.1f} before the run, "
          f"{results['load_average_after'][0]:.1f} after, on a shared machine). Results: "
          f"`bench/results/roofline.json`.", "",
          "Bytes are counted with write-allocate: one sweep per array read, two per array written.",
          "",
          "| kernel | dtype | compulsory FLOP/byte | operational FLOP/byte | GFLOP/s | roof at that "
          "intensity (GFLOP/s) | fraction of roof | fraction of compute roof | bound by |",
          "|---|---|---|---|---|---|---|---|---|"]
    md += ["| " + " | ".join(row) + " |" for row in found["rows"]]
    md += ["", "Checks on this run:", ""]
    md += [f"- {name}: {'yes' if ok else 'NO'} ({detail})" for name, ok, detail in found["checks"]]
    md += ["", "The fused GELU loop, as the notebook decided from this run:", ""]
    md += [f"- {line}" for line in found["fused"]]
    markers = ("FMA loop, one thread", "loop ", "numba used", "memory roof", "compute roof", "BLAS ",
               "ridge point", "thread(s): compiled triad", "all-threads roofs", "from 1 to",
               "Memory bandwidth grew", "code only", "read  ", "fill  ", "scale-copy ",
               "fill: ", "scale-copy: ", "The notebook counts the write-allocate", "FLOP/byte   GFLOP/s",
               "Batch ", "From batch", "The ridge (", "No batch", "KiB:", "weights ",
               "above a roof", "roofs now", "Above 100%")
    extra = [line.rstrip() for block in results["printed"] for line in block.splitlines()
             if line.lstrip().startswith(markers) or re.match(r"\s+\d+\s+[\d.]+\s+[\d.]+", line)]
    md += ["", "```", *extra, "```"]
    if "printed_05" in results:
        markers_05 = (" chain(s):", "FMA latency", "ns per load", "L1 (", "L2 (", "L3 (",
                      "largest working set", "read bandwidth", "the pointer chase keeps",
                      "float32 register-blocked", "float32 BLAS", "float64 register-blocked",
                      "float64 BLAS", "compute roof (float32", "L1   read", "L2   read", "L3   read",
                      "DRAM read", "matmul N=", "read sum")
        lines_05 = [line.rstrip() for block in results["printed_05"] for line in block.splitlines()
                    if any(marker in line for marker in markers_05)]
        md += ["", f"Notebook 05 in the same run ({results['seconds_05']:.0f} s): FMA chains, "
               f"latency by working set, Little's law, the register-blocked micro-kernel against "
               f"BLAS, and the cache-aware roofline's roofs and points.", "", "```", *lines_05, "```"]
    return "\n".join(md) + "\n"


def write_readme(section: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} markers: add them where the "
                         f"roofline section belongs")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + BEGIN + "\n" + section + END + tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--render-only", action="store_true",
                        help="do not run the notebook; rewrite the tables from the results file")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results file (JSON)")
    args = parser.parse_args()
    if args.render_only:
        results = json.loads(args.results.read_text())
    else:
        results = run_notebook()
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=1) + "\n")
    section = render(results)
    (ROOT / "bench" / "results" / "roofline.md").write_text(section)
    write_readme(section)
    print(section)
    failed = [name for name, ok, _ in analyse(results)["checks"] if not ok]
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
