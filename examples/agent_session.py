"""The seed scenario: an agent working for up to 35 hours, over 1,000 tool calls, 1M-token context.

    python examples/agent_session.py [--model qwen3-235b-a22b] [--n-chips 8] [-o docs/img/agent_session.png]

Seed article 000 (Alibaba Cloud Summit): Qwen 3.7-Max "can run continuously on the M890 chip for up
to 35 hours, supports more than 1,000 tool calls, and has a million-token context window". Neither
Qwen 3.7-Max's architecture nor the split of the 1M tokens is published, so:

* the model is a stand-in of published architecture (default Qwen3-235B-A22B, bf16 weights and KV);
  1M tokens is beyond its trained context, which the result notes;
* the session is 10,000 system-prompt tokens + 1,000 turns x (790 tool-output + 200 model-output
  tokens) = 1,000,000 tokens, no compaction: an illustration of the three published totals.

Each chip kind gets 8 chips, in the layout agent_session chooses (the fastest that fits for the
session), with prefix caching and without. The chart: cumulative chip-time estimate (the bound
over a calibrated efficiency) against the turn (the 35 h mark for scale), and memory per chip
against the turn with each chip's capacity. The Zhenwu M890 publishes neither a compute peak nor a
memory bandwidth, so its time, energy and cost stay unknown; its memory (144 GB) is known, so its
fit and the sessions it holds at once are answered.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import accelspec as a
from accelspec.plot import chip_styles

CHIPS = ["zhenwu-m890", "h200-sxm", "h20", "b200", "ascend-910c", "mi300x"]
OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "agent_session.png"


def run(model: str, n_chips: int) -> list[tuple[a.SessionBound, a.SessionBound]]:
    out = []
    for chip in CHIPS:
        cached = a.agent_session(model, chip, n_chips=n_chips)
        again = a.agent_session(model, chip, n_chips=n_chips, prefix_caching=False)
        out.append((cached, again))
    return out


def table(results: list[tuple[a.SessionBound, a.SessionBound]]) -> str:
    def h(s: a.SessionBound) -> str:
        return "unknown" if s.total_time_s is None else f"{s.total_time_s / 3600:.3g}"

    lines = [f"{'chip':<16} {'chips':>5} {'layout':<10} {'~h (cache)':>14} {'~h (re-prefill)':>19} "
             f"{'KV GB/chip':>10} {'sessions':>8} {'~kWh @TDP':>9} {'~USD':>8}"]
    for s, r in results:
        e = "n/a" if s.energy_j is None else f"{s.energy_j[0] / 3.6e6:.3g}"
        c = "n/a" if s.cost_usd is None else f"{s.cost_usd[0]:.3g}"
        lines.append(f"{s.chip_name[:16]:<16} {s.n_chips:>5} {s.layout:<10} {h(s):>14} {h(r):>19} "
                     f"{s.kv_gb_per_chip[-1]:>10.4g} {int(s.sessions_at_once or 0):>8} {e:>9} {c:>8}")
    return "\n".join(lines)


def chart(results: list[tuple[a.SessionBound, a.SessionBound]], path: Path) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    chips = [a.get_chip(s.chip) for s, _ in results]
    unknown = []
    for (s, r), (color, ls) in zip(results, chip_styles(chips), strict=True):
        turns = np.arange(1, len(s.context) + 1)
        if s.cumulative_s is None:
            unknown.append(s.chip_name)
        else:
            ax1.plot(turns, s.cumulative_s / 3600, color=color, ls="-", lw=2, label=f"{s.chip_name}: prefix caching")
            ax1.plot(turns, r.cumulative_s / 3600, color=color, ls="--", lw=1.2, label=f"{s.chip_name}: re-prefill")
        if s.capacity_gb:
            ax2.axhline(s.capacity_gb, color=color, ls=ls, lw=1.5, label=f"{s.chip_name}: {s.capacity_gb:.4g} GB")
    s0 = results[0][0]
    ax2.stackplot(np.arange(1, len(s0.context) + 1), s0.memory_gb_per_chip - s0.kv_gb_per_chip, s0.kv_gb_per_chip,
                  labels=["weights, activations, reserve", "KV cache"], colors=["#9ecae1", "#fdae6b"], alpha=0.9)
    ax1.axhline(35, color="black", lw=1, ls=":")
    ax1.annotate("35 h (reported wall-clock)", (len(s0.context), 35), fontsize=8, va="bottom", ha="right")
    ax1.set_yscale("log")
    ax1.set_xlabel("turn (tool call)")
    ax1.set_ylabel("cumulative chip time, estimate [h]\n(bound / calibrated efficiency)")
    ax1.set_title(f"{s0.model} on {s0.n_chips} chips per deployment ({s0.layout}): time", fontsize=10)
    if unknown:
        ax1.text(0.01, 0.99, "no time bound (no compute peak, no memory bandwidth published): " + ", ".join(unknown),
                 transform=ax1.transAxes, ha="left", va="top", fontsize=8)
    ax1.grid(True, which="both", alpha=0.25)
    ax1.legend(fontsize=7, ncol=2, loc="lower right")
    ax2.set_xlabel("turn (tool call)")
    ax2.set_ylabel(f"memory per chip [GB] ({s0.n_chips} chips, {s0.layout})")
    ax2.set_title(f"one session: context {s0.scenario.system_prompt_tokens:,} -> {int(s0.context[-1]):,} tokens; "
                  "capacities as lines", fontsize=10)
    ax2.grid(True, alpha=0.25)
    ax2.legend(fontsize=7, loc="lower right")
    fig.suptitle("Seed scenario: 1,000 tool calls, 1M-token context (10k prompt + 1,000 x (790 tool + 200 out)); "
                 "calibrated estimates (accelspec.agent_session, basis='estimate'), checkpoint formats", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="qwen3-235b-a22b")
    ap.add_argument("--n-chips", type=int, default=8)
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()
    results = run(args.model, args.n_chips)
    print(table(results))
    print()
    for s, _ in results:
        print(s.summary())
        print()
    chart(results, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
