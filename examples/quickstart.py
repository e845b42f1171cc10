"""Quickstart: the seed chips side by side, with where every number comes from, and a chart.

Run:  python examples/quickstart.py [output.png]     (default: out/quickstart.png)
"""

from __future__ import annotations

import sys
from pathlib import Path

import accelspec as a

SEED_CHIPS = ["zhenwu-m890", "zhenwu-810e", "h20", "h200"]


def main() -> None:
    known = {c.id for c in a.chips()}
    chips = [c for c in SEED_CHIPS if c in known]
    print(f"accelspec {a.__version__}: {len(a.chips())} chips in the catalog\n")
    print("Zhenwu M890 vs 810E vs H20 vs H200 (ratios against the H20)\n")
    fields = ["capacity", "memory_type", "bandwidth", "bf16", "int8", "scale_up_per_direction", "links", "tdp"]
    print(a.compare_table(chips, fields, baseline="h20" if "h20" in chips else None))

    print("\nWhere do the M890 numbers come from?\n")
    m890 = a.get_chip(chips[0])
    print(m890.describe())

    h20 = a.get_chip("h20") if "h20" in chips else None
    if h20 is not None:
        cap = m890.memory.capacity
        print(f"\nM890 memory {cap} = {cap.to('GiB'):.1f} (binary); "
              f"{float(cap / h20.memory.capacity):.2f}x the H20's {h20.memory.capacity}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        from accelspec import plot
    except ImportError:
        print("\n(matplotlib not installed: pip install -e '.[plot]' for the chart)")
        return
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out") / "quickstart.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    ax = plot.compare([*chips, "a800-sxm"], ["capacity", "bandwidth", "bf16", "scale_up_per_direction", "tdp"],
                      baseline="h20")
    ax.figure.savefig(out, dpi=120)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
