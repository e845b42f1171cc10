"""Worked numbers for the paths a mutation run of the suite once left untested (issue 23): each
test states the number a user sees and fails if the formula behind it is bent."""

from __future__ import annotations

import pytest

import accelspec as a


def test_tied_embedding_counted_once_on_one_chip():
    """Gemma-3-27B ties its input and output embeddings: 27,009,002,240 parameters x 2 B =
    54.02 GB of bf16 weights on one chip (counting the tied matrix twice gives ~56.8 GB)."""
    m = a.get_model("gemma-3-27b")
    assert m.params_total() == 27_009_002_240
    f = a.memory_footprint("gemma-3-27b", 1024, weight_dtype="bf16")
    assert f.weights.m_as("GB") == pytest.approx(2 * 27_009_002_240 / 1e9, rel=1e-9)


def test_batch_over_data_parallel_replicas_rounds_up():
    """3 sequences on 2 data-parallel replicas: the busier replica holds ceil(3/2) = 2 sequences'
    KV cache, as with 4 sequences, twice that of 2 (floor would give 1 and an optimistic fit)."""
    kw = {"parallelism": "tp=1,dp=2", "n_chips": 2}
    kv = {b: a.memory_footprint("llama-3.1-8b", 1024, batch=b, **kw).kv_cache.m_as("GB") for b in (2, 3, 4)}
    assert kv[3] == pytest.approx(kv[4]) == pytest.approx(2 * kv[2])


def test_tokens_per_joule_divide_by_every_chip():
    """tokens per joule = output tokens/s of the deployment / (n x chip TDP): 8 x H100 at 700 W."""
    c = a.cost_bound("llama-3.1-70b", "h100", n_chips=8)
    want = c.output_tokens_per_s.m_as("token/s") / (8 * c.tdp.m_as("W"))
    assert c.tokens_per_joule.m_as("token/J") == pytest.approx(want, rel=1e-12)


def test_usd_per_mtok_range_pairs_the_right_ends():
    """Low end: lowest price with the highest throughput; high end: highest price with the lowest."""
    c = a.cost_bound("llama-3.1-70b", "h100", n_chips=8)
    p_lo, p_hi = (p.m_as("USD/hour") for p in c.price_range)
    r_lo, r_hi = (r.m_as("token/s") for r in c.output_tokens_per_s_range)
    lo, hi = (u.m_as("USD") for u in c.usd_per_m_output_range)
    assert lo == pytest.approx(p_lo * 8 / (3600 * r_hi) * 1e6, rel=1e-9)
    assert hi == pytest.approx(p_hi * 8 / (3600 * r_lo) * 1e6, rel=1e-9)


def test_scale_out_counts_every_nic_of_a_chip():
    """A chip's scale-out bandwidth is NICs per chip x bandwidth per NIC (DGX H100: 1 x 400 Gb/s
    = 50 GB/s), never one NIC's whatever the count."""
    so = a.get_system("dgx-h100").scale_out
    k = so.nics_per_chip.value.m_as("")
    assert so.chip_bandwidth().value.m_as("GB/s") == pytest.approx(k * so.per_nic.value.m_as("GB/s"))


def test_user_override_keeps_its_note(tmp_path):
    """An override's note is shown with the value (not dropped for the shipped one)."""
    f = tmp_path / "o.yaml"
    f.write_text("schema: 1\nsources:\n  MINE: {title: my measurement, url: 'https://example.org', date: '2026'}\n"
                 "overrides:\n  - {chip: h100-sxm, field: memory.bandwidth, value: 3.0 TB/s, source: MINE, "
                 "status: reported, note: measured with a stream benchmark}\n", encoding="utf-8")
    cat = a.Catalog.load(f)
    spec = cat.get("h100").provenance("memory.bandwidth")
    assert spec.note and "stream benchmark" in spec.note
    assert "stream benchmark" in spec.describe()
