"""The roofline the reference solution draws on this machine, for the README.

Runs notebook 04 (the reference answers, full sizes, as a learner would) in a fresh kernel, and
keeps what it produced: the figure (docs/roofline.png) and its kernel table
(bench/results/roofline.md).

    python bench/readme_roofline.py
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    os.environ.pop("NBGRADER_EXECUTION", None)
    nb = nbformat.read(ROOT / "source" / "acceleration" / "04_roofline.ipynb", 4)
    with tempfile.TemporaryDirectory() as scratch:
        for sibling in ("01_vectorization", "02_kernel_fusion", "03_cache_tiling"):  # kernels_from
            shutil.copy2(ROOT / "source" / "acceleration" / f"{sibling}.ipynb", scratch)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": scratch}}).execute()
        seconds = time.perf_counter() - start
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copy2(Path(scratch) / "roofline.png", ROOT / "docs" / "roofline.png")
    table = next(out.text for cell in nb.cells for out in cell.get("outputs", [])
                 if out.get("name") == "stdout" and "of roof" in out.get("text", ""))
    lines = table.strip().splitlines()
    md = [f"Command: `python bench/readme_roofline.py` ({time.strftime('%Y-%m-%d')}, "
          f"notebook 04 ran in {seconds:.0f} s)", "", lines[0], "",
          "| kernel | dtype | compulsory FLOP/byte | operational FLOP/byte | GFLOP/s | roof at that intensity (GFLOP/s) | fraction of roof | fraction of FMA peak | bound by |",
          "|---|---|---|---|---|---|---|---|---|"]
    for line in lines[3:]:
        parts = line.split()
        if not parts:
            break  # the table ends at the first blank line
        # the kernel name may contain spaces: the last eight columns are words and numbers
        name = " ".join(parts[:-8])
        md.append(f"| {name} | " + " | ".join(parts[-8:]) + " |")
    md += [""] + [line for line in lines[3:] if line.startswith("fused_gelu_loop moves")]
    markers = ("FMA loop, one thread", "ridge point", "thread(s): compiled triad", "FLOP/byte   GFLOP/s", "KiB:")
    extra = [out.text for cell in nb.cells for out in cell.get("outputs", [])
             if out.get("name") == "stdout" and any(m in out.get("text", "") for m in markers)]
    md += ["", "```"] + [t.strip() for t in extra] + ["```"]
    out = ROOT / "bench" / "results" / "roofline.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
