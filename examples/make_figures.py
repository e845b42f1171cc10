"""Regenerate the README's figures into docs/img/ (one command: python examples/make_figures.py).

- roofline.png: the seed chips and their peers, dense bf16, with decode workloads marked
- compare.png: the seed chips as ratios to the H20
- memory_vs_context.png: Qwen3-235B-A22B (fp8 weights, bf16 KV) on 8 chips, per chip
- sweep_heatmap.png: the decode bound (tokens/s per user) over chips and context lengths, batch 8;
  deployments that do not fit in memory are grey and hatched
- validation_efficiency.png: every published measurement against its bound (accelspec.validate()),
  per chip and publisher
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import accelspec as a
from accelspec import plot

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "img"
SEED = ["zhenwu-m890", "zhenwu-810e", "h20", "h200-sxm"]
PEERS = ["a800-sxm", "h100-sxm", "b200", "mi300x", "ascend-910c", "tpu-v5p"]


def save(ax, name: str) -> None:
    path = OUT / name
    ax.figure.savefig(path, dpi=110, bbox_inches="tight")
    matplotlib.pyplot.close(ax.figure)
    print(f"wrote {path}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    model = a.get_model("llama-3.1-8b")
    workloads = {}
    for batch in (1, 8, 64):
        b = a.decode_bound(model, "h200-sxm", 8192, batch)
        workloads[f"Llama 3.1 8B decode, batch {batch}"] = b.intensity
    save(plot.roofline(SEED + PEERS, "bf16", workloads=workloads), "roofline.png")
    save(plot.compare([*SEED, "a800-sxm"], ["capacity", "bandwidth", "bf16", "scale_up_per_direction", "tdp"],
                      baseline="h20"), "compare.png")
    save(plot.memory_vs_context("qwen3-235b-a22b", ["zhenwu-m890", "h200-sxm", "h20", "zhenwu-810e"], n_chips=8,
                                weight_dtype="fp8", kv_dtype="bf16"), "memory_vs_context.png")
    df = a.sweep(["llama-3.1-8b"], ["h20", "h200-sxm", "a800-sxm", "mi300x", "ascend-910c", "tpu-v5p", "b200"],
                 [4096, 16384, 32768, 65536, 131072], [8], on_missing="nan")
    ax = plot.sweep_heatmap(df, "context_tokens", "chip", "tokens_per_s_per_user [token/s]")
    ax.set_title("Llama 3.1 8B (bf16 weights and KV), batch 8, one chip: decode upper bound per user\n"
                 "grey, hatched: the deployment does not fit in the chip's memory", fontsize=10)
    save(ax, "sweep_heatmap.png")
    from accelspec.measurements.validation import plot_efficiency

    save(plot_efficiency(a.validate()), "validation_efficiency.png")
    from accelspec.measurements.calibration import plot_leaderboard

    save(plot_leaderboard(), "efficiency_leaderboard.png")


if __name__ == "__main__":
    main()
