"""Plots run headless (Agg) and draw what the input asks for; no pixel comparison."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import accelspec as a
from accelspec import plot


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_roofline_one_roof_per_chip_and_labels():
    chips = ["h200", "h100-sxm", "mi300x", "hanguang-800"]  # Hanguang publishes no bf16: skipped
    ax = plot.roofline(chips, "bf16", workloads={"decode, batch 1": 1.0, "decode, batch 64": a.Q_(60, "FLOP/B")})
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(labels) == 3 and labels[0].startswith("H200 SXM")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "FLOP/B" in ax.get_xlabel() and "TFLOP/s" in ax.get_ylabel()
    note = [t.get_text() for t in ax.texts if t.get_text().startswith("left out")]
    assert ax.dropped == ["hanguang-800"] and "Hanguang 800: dense bf16 peak is" in note[0]
    assert len(ax.texts) == 3  # one label per workload, and the note naming the chip left out
    assert len(ax.get_legend().get_texts()) == 3


def test_roofline_accepts_ax_and_refuses_nothing_to_draw():
    _fig, ax = plt.subplots()
    assert plot.roofline(["h200"], ax=ax) is ax
    with pytest.raises(a.AccelspecError, match="no chip publishes"):
        plot.roofline(["hanguang-800"], "bf16")


def test_compare_bars_match_input():
    chips = ["zhenwu-m890", "zhenwu-810e", "h20", "h200"]
    fields = ["capacity", "bandwidth", "scale_up_per_direction"]
    ax = plot.compare(chips, fields, baseline="h20")
    df = a.compare(chips, fields)
    published = int(df[[c for c in df.columns if "[" in c]].notna().to_numpy().sum())
    assert len(ax.patches) == published
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["capacity", "bandwidth",
                                                                           "scale up per direction"]
    assert ax.get_yscale() == "log" and "H20" in ax.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"Zhenwu M890", "H20", "reported"} <= set(legend)


def test_vendor_colours_are_stable():
    assert plot.vendor_color("NVIDIA") == plot.vendor_color("NVIDIA")
    assert plot.vendor_color("Someone New") == plot.vendor_color("Someone New")


def test_import_accelspec_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, accelspec; print('matplotlib' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_heatmap_title_names_the_aggregation_and_the_models():
    df = a.sweep(["llama-3.1-8b", "qwen3-32b"], ["h100", "h200"], [8192, 131072], [1, 8], None, on_missing="nan")
    ax = plot.sweep_heatmap(df, "context_tokens", "chip", "tokens_per_s_per_user [token/s]")
    title = ax.get_title()
    assert "max over model (llama-3.1-8b, qwen3-32b), batch (1, 8)" in title
    one = plot.sweep_heatmap(df[df["model"] == "qwen3-32b"], "context_tokens", "chip",
                             "tokens_per_s_per_user [token/s]", agg="min")
    assert "model qwen3-32b" in one.get_title() and "min over batch (1, 8)" in one.get_title()


def test_frontier_draws_the_estimate_solid_with_its_band_and_the_bound_dashed():
    from matplotlib.patches import Polygon

    ax = plot.plot_frontier("llama-3.1-70b", ["h100-sxm", "mi300x"], 2048, 256, tpot="30 ms")
    lines = ax.get_lines()
    solid = [ln for ln in lines if ln.get_linestyle() == "-" and ln.get_label() in ("H100 SXM x 2",
                                                                                    "Instinct MI300X x 1")]
    dashed = [ln for ln in lines if ln.get_linestyle() == "--" and ln.get_label().startswith("_")]
    assert len(solid) == 2 and len(dashed) >= 2  # two bounds (and the TPOT line)
    assert sum(isinstance(p, Polygon) for p in ax.patches) == 2  # one band per chip
    assert "(estimate)" in ax.get_ylabel() and "dashed: the bound" in ax.get_title()
    # each chip's estimate lies left of and below its bound
    for est, bnd in zip(solid, dashed[:2], strict=True):
        import numpy as np

        assert np.nanmax(est.get_xdata()) <= np.nanmax(bnd.get_xdata())
        assert np.nanmax(est.get_ydata()) <= np.nanmax(bnd.get_ydata())
    plt.close("all")
    b = plot.plot_frontier("llama-3.1-70b", ["h100-sxm"], 2048, 256, basis="bound")
    assert "(upper bound)" in b.get_ylabel() and not b.patches
