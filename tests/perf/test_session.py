"""The agent session: worked numbers for Llama 3.1 8B on one H100 (3.35 TB/s, 80 GB, 700 W).

Scenario: system prompt 1,000 tokens, 2 turns, 100 tool tokens and 10 output tokens per turn.
Turn 1 reads 1,100 tokens (prompt + task) and decodes at contexts 1,101..1,110; turn 2 reads
100 tokens on top of the cached 1,110 and decodes at 1,211..1,220. Bytes per decode step at
context c (memory-bound): 15,009,849,344 (weights less the input embedding) + 8,192 (one
embedding row) + 131,072 c (KV). See tests/test_plan.py for the figures.
"""

import pytest

import accelspec as a
from accelspec.perf.session import SessionError

W = 15_009_849_344
ROW = 8_192
KV = 131_072
BW = 3.35e12
SC = a.AgentSession(system_prompt_tokens=1000, turns=2, tool_tokens_per_turn=100, output_tokens_per_turn=10,
                    wall_clock="1 hour")


def test_decode_per_turn_is_the_sum_of_the_memory_bound_steps():
    s = a.agent_session("llama-3.1-8b", "h100-sxm", SC, basis="bound")
    assert s.n_chips == 1 and list(s.context) == [1110, 1220]
    # sum over c = 1101..1110 is 11,055; over 1211..1220 is 12,155
    assert s.decode_s[0] == pytest.approx((10 * (W + ROW) + 11_055 * KV) / BW, rel=1e-9)
    assert s.decode_s[1] == pytest.approx((10 * (W + ROW) + 12_155 * KV) / BW, rel=1e-9)


def test_prefix_caching_prefill_reads_the_cache_and_runs_only_new_tokens():
    s = a.agent_session("llama-3.1-8b", "h100-sxm", SC, basis="bound")
    # turn 1 is a plain prefill of 1,100 tokens (compute-bound)
    assert s.prefill_s[0] == pytest.approx(a.prefill_bound("llama-3.1-8b", "h100-sxm", 1100).t, rel=1e-12)
    # turn 2: 100 new tokens, memory-bound: weights + 100 embedding rows + the KV of all 1,210 tokens
    assert s.prefill_s[1] == pytest.approx((W + 100 * ROW + 1210 * KV) / BW, rel=1e-9)
    assert list(s.prefill_tokens) == [1100, 100]
    re = a.agent_session("llama-3.1-8b", "h100-sxm", SC, prefix_caching=False, basis="bound")
    assert re.prefill_s[1] == pytest.approx(a.prefill_bound("llama-3.1-8b", "h100-sxm", 1210).t, rel=1e-12)
    assert re.total_time_s > s.total_time_s


def test_memory_energy_cost_and_sessions_at_once():
    s = a.agent_session("llama-3.1-8b", "h100-sxm", SC)
    assert s.kv_gb_per_chip[-1] == pytest.approx(1220 * KV / 1e9)
    assert s.fits is True
    assert s.sessions_at_once == a.max_batch("llama-3.1-8b", "h100-sxm", 1220).value
    t = s.total_time_s
    assert s.energy_j[0] == pytest.approx(700 * t)  # n x TDP x t
    assert s.cost_usd[0] == pytest.approx(3.20 * t / 3600)  # lowest H100 snapshot, Hyperstack 2026-08-26
    assert s.busy_fraction == pytest.approx(t / 3600)
    assert "energy at TDP" in s.summary() and "not a bound" in s.summary()


def test_lockstep_sessions_share_energy_and_cost():
    one = a.agent_session("llama-3.1-8b", "h100-sxm", SC)
    four = a.agent_session("llama-3.1-8b", "h100-sxm", SC, sessions=4)
    # memory-bound: four sessions read the weights once per step, so each costs less
    assert four.total_time_s > one.total_time_s
    assert four.cost_usd[0] < one.cost_usd[0]


def test_m890_says_which_bound_is_unknown():
    s = a.agent_session("qwen3-235b-a22b", "zhenwu-m890", n_chips=8)
    assert s.total_time_s is None and s.energy_j is None and s.cost_usd is None
    assert "neither a dense bf16 peak nor a memory bandwidth is published" in s.unknown[0]
    assert s.fits is True and s.sessions_at_once >= 1  # memory is known: 144 GB per chip
    assert int(s.context[-1]) == 1_000_000
    text = s.summary()
    assert "time: unknown" in text and "no TDP published" in text and "no published chip-hour price" in text


def test_partial_roofline_when_one_roof_is_missing():
    # MetaX C500 publishes a bf16 peak but no memory bandwidth: the compute term alone
    s = a.agent_session("llama-3.1-8b", "metax-c500", SC)
    assert s.total_time_s is not None and s.partial == ("memory term (no memory bandwidth published)",)


def test_system_and_bad_inputs():
    s = a.agent_session("llama-3.1-8b", "hgx-h200", SC)
    assert s.system == "hgx-h200" and s.deployments_per_system == 8
    with pytest.raises(SessionError, match="exceeds the 8 chips"):
        a.agent_session("llama-3.1-8b", "hgx-h200", SC, n_chips=16)
    with pytest.raises(SessionError, match="turns"):
        a.agent_session("llama-3.1-8b", "h100", a.AgentSession(turns=0))


def test_cost_is_the_rental_divided_by_the_sessions_sharing_the_chips():
    # four sessions in lockstep on one H100: each decode step reads the weights once, four
    # embedding rows and four KV caches; turn 1 decodes at contexts 1,101..1,110 (sum 11,055),
    # turn 2 at 1,211..1,220 (sum 12,155), all memory-bound at batch 4
    four = a.agent_session("llama-3.1-8b", "h100-sxm", SC, sessions=4, basis="bound")
    dec = (20 * (W + 4 * ROW) + 4 * (11_055 + 12_155) * KV) / BW
    assert float(four.decode_s.sum()) == pytest.approx(dec, rel=1e-9)
    t = four.total_time_s
    # cost = price per chip-hour x n x t / sessions: 3.20 USD/h x 1 chip x t / 4
    assert four.cost_usd[0] == pytest.approx(3.20 * 1 * t / 3600 / 4, rel=1e-12)
    assert four.energy_j[0] == pytest.approx(700 * 1 * t / 4, rel=1e-12)
    # the four together pay exactly one chip's rental for the batch's time
    assert 4 * four.cost_usd[0] == pytest.approx(3.20 * t / 3600, rel=1e-12)


def test_session_defaults_to_the_checkpoints_format():
    # gpt-oss-120b stores its experts in mxfp4: the session sizes and times those bytes, as fits does
    s = a.agent_session("gpt-oss-120b", "h100-sxm", SC)
    assert s.n_chips == a.min_chips("gpt-oss-120b", "h100-sxm", 1220).value == 1
    assert any("experts mxfp4" in n for n in s.notes)
    b16 = a.agent_session("gpt-oss-120b", "h100-sxm", SC, weight_dtype="bf16")
    assert b16.n_chips > 1


def test_estimate_basis_is_slower_than_the_bound_and_says_so():
    import numpy as np

    from accelspec.perf.estimate import calibration

    est = a.agent_session("llama-3.1-8b", "h100-sxm", SC)
    bnd = a.agent_session("llama-3.1-8b", "h100-sxm", SC, basis="bound")
    assert est.basis == "estimate" and bnd.basis == "bound"
    assert est.bound_time_s == pytest.approx(bnd.total_time_s, rel=1e-12)
    assert est.total_time_s > bnd.total_time_s
    assert np.all(est.prefill_s >= bnd.prefill_s) and np.all(est.decode_s >= bnd.decode_s)
    lo, hi = est.time_interval_s
    assert bnd.total_time_s <= lo <= est.total_time_s <= hi
    assert est.cost_usd[0] >= bnd.cost_usd[0]
    text = est.summary()
    assert "time ~" in text and "80% interval" in text and f"{calibration().n_rows} published" in text
    assert "time >=" in bnd.summary() and "basis: bound" in bnd.summary()
    assert est.to_dict()["basis"] == "estimate" and est.to_dict()["bound_time_h"] > 0


# --- the layout: the fastest that fits for the whole session (issue 22) -----------------------------
def test_session_default_layout_is_the_fastest_that_fits():
    """Without a layout on several chips, the session's bound is the least total over the
    layouts that fit at the final context (a session keeps one deployment), named, the first in
    the search's preference among equal totals, with the memory fit's layout and its own total
    beside it; every candidate's own session (parallelism given) is no faster."""
    from accelspec.perf.kernels import LAYOUT_TIE, layout_preference
    from accelspec.perf.memory import layouts

    sc = a.AgentSession(system_prompt_tokens=2000, turns=12, tool_tokens_per_turn=300, output_tokens_per_turn=40,
                        wall_clock=None)
    model, chip, n = "qwen3-235b-a22b", "h200-sxm", 8
    s = a.agent_session(model, chip, sc, n_chips=n, basis="bound")
    final = sc.final_context
    m = a.get_model(model)
    every = sorted(enumerate(layouts(m, n, every_ep=True)), key=lambda x: (*layout_preference(x[1]), x[0]))
    totals = {}
    for _, lay in every:
        if lay.cp > final or lay.dp > 1 or not a.fits(model, chip, final, n_chips=n, parallelism=lay):  # 1 session
            continue
        totals[str(lay)] = a.agent_session(model, chip, sc, n_chips=n, parallelism=lay, basis="bound").total_time_s
    best = min(totals.values())
    first = next(k for k, v in totals.items() if v <= best * (1 + LAYOUT_TIE))
    assert s.layout == first and s.total_time_s == totals[first]
    f = a.fits(model, chip, final, n_chips=n)
    assert s.memory_layout == str(f.parallelism) != s.layout
    assert s.memory_layout_time_s == totals[s.memory_layout] > s.total_time_s
    assert s.notes[0].startswith(f"layout {s.layout}: the fastest of {len(totals)} layouts of 8 chips that fit")
    assert f"the memory fit's layout {s.memory_layout}" in s.notes[0]
    assert s.to_dict()["memory_layout"] == s.memory_layout
    # the memory (KV, fit, sessions at once) is that of the deployment's layout
    assert s.sessions_at_once == a.max_batch(model, chip, final, n_chips=n, parallelism=s.layout).value
    given = a.agent_session(model, chip, sc, n_chips=n, parallelism=s.memory_layout, basis="bound")
    assert given.memory_layout == "" and given.layout == s.memory_layout


def test_session_pipeline_is_micro_batched_as_the_bounds():
    """A pipeline layout runs micro-batches, as decode_bound and prefill_bound: four sessions in
    lockstep on 2 x H100 as pp=2 decode each step in decode_bound's time at batch 4, and
    re-prefill each turn in prefill_bound's (not the two stages' times added up)."""
    s = a.agent_session("llama-3.1-8b", "h100-sxm", SC, n_chips=2, parallelism="pp=2", sessions=4,
                        prefix_caching=False, basis="bound")
    for turn, ctxs in ((0, range(1101, 1111)), (1, range(1211, 1221))):
        want = sum(a.decode_bound("llama-3.1-8b", "h100-sxm", c, 4, 2, parallelism="pp=2").t for c in ctxs)
        assert s.decode_s[turn] == pytest.approx(want, rel=1e-12)
    for turn, ctx in ((0, 1100), (1, 1210)):
        want = a.prefill_bound("llama-3.1-8b", "h100-sxm", ctx, 4, 2, parallelism="pp=2")
        assert s.prefill_s[turn] == pytest.approx(want.t, rel=1e-12)
        stages = a.prefill_bound("llama-3.1-8b", "h100-sxm", ctx, 4, 1).t
        assert want.t < stages  # two stages overlap: less than one chip doing both
