"""The calibration: reproducible from the shipped measurements, honest about its error, and an
estimate that never beats its bound."""

import json
import math

import pytest

import accelspec as a
from accelspec.measurements import calibration as cal
from accelspec.perf import estimate as est
from accelspec.specfiles import specs_dir


@pytest.fixture(scope="module")
def fitted():
    return cal.calibrate()


def test_shipped_calibration_is_a_refit_of_the_shipped_measurements(fitted):
    shipped = json.loads((specs_dir() / est.CALIBRATION_FILE).read_text())
    assert shipped == json.loads(cal.render(fitted)), "run `python -m accelspec.measurements.calibration`"


def test_fit_recovers_known_effects():
    """Rows built from known effects (no noise, light penalty) give those effects back."""
    rows = []
    truth = {"decode-latency": -0.2, "decode-throughput": -1.0}
    for reg, eff in truth.items():
        for chip, d in (("h100-sxm", 0.3), ("mi300x", -0.3)):
            for i in range(30):
                rows.append(cal.Row(id=f"{reg}{chip}{i}", publisher=f"p{i % 5}",
                                    levels={"regime": reg, "limiter": "memory", "batch": "1", "architecture": "dense",
                                            "vendor": "V", "chip": chip, "engine": "vllm"}, y=-1.0 + eff + d))
    f = cal.fit(rows)
    pred = {(r.levels["regime"], r.levels["chip"]): f.predict(r.levels) for r in rows}
    for (reg, chip), p in pred.items():
        want = -1.0 + truth[reg] + (0.3 if chip == "h100-sxm" else -0.3)
        assert p == pytest.approx(want, abs=0.05)


def test_cross_validation_is_out_of_sample(fitted):
    """Held-out error is reported, and it is worse than the in-sample fit (else it leaked)."""
    data = cal.rows()
    f = cal.fit(data)
    in_sample = sorted(abs(math.exp(min(f.predict(r.levels), 0) - r.y) - 1) for r in data)[len(data) // 2]
    assert fitted["cv"]["lopo"]["all"]["median_error"] > in_sample
    assert fitted["cv"]["lopo"]["all"]["rows"] >= 100
    assert 0 < fitted["cv"]["lopo"]["all"]["coverage"] <= 1


def test_estimate_never_beats_the_bound_and_has_an_interval():
    b = a.decode_bound("llama-3.1-8b", "h100", context_tokens=4096, batch=1)
    bound = b.tokens_per_s_per_user.m_as("token/s")
    e = est.estimate_speed(bound, phase="decode", per_user=True, limiter="memory", vendor="NVIDIA",
                           chip="h100-sxm", engine="vLLM")
    assert e.value <= bound and e.low <= e.value <= e.high <= bound
    assert e.chip_measured and e.rows_for_chip > 0
    assert "estimate" in str(e) and "published measurements" in e.assumptions


def test_unmeasured_chip_says_so_with_a_wider_interval():
    e = est.estimate_speed(100.0, phase="decode", per_user=True, limiter="memory", vendor="Alibaba T-Head",
                           chip="zhenwu-m890")
    assert not e.chip_measured and "no measurement" in e.assumptions
    assert e.value <= 100.0


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_bad_bound_is_refused(bad):
    with pytest.raises(a.InvalidArgumentError, match="bound_speed"):
        est.estimate_speed(bad, phase="decode", per_user=True, limiter="memory", vendor="NVIDIA", chip="h100-sxm")


def test_unknown_phase_is_refused():
    with pytest.raises(a.InvalidArgumentError, match="phase"):
        est.regime("training", True)


def test_engine_families():
    assert est.engine_family("vLLM 0.6.3") == "vllm"
    assert est.engine_family("TRT-LLM") == "tensorrt-llm"
    assert est.engine_family(None) == "unknown"


def test_request_estimate_is_slower_than_its_bounds():
    r = a.request_bound("llama-3.1-70b", "mi300x", 2048, 128, n_chips=8, concurrency=64, mode="steady")
    e = est.estimate_request(r, engine="vLLM")
    assert e.ttft.time_s >= e.ttft.bound_s and e.tpot is not None and e.tpot.time_s >= e.tpot.bound_s
    assert e.output_tokens_per_s_per_chip.value <= r.output_tokens_per_s_per_chip.m_as("token/s")
    assert e.ttft.time_low_s >= e.ttft.bound_s * (1 - 1e-12)
    assert "TTFT" in str(e) and "estimate" in str(e)


def test_bound_estimate_interval_brackets_the_estimate():
    b = a.decode_bound("llama-3.1-70b", "h100", context_tokens=2048, batch=1, n_chips=4, parallelism="tp=4")
    e = est.estimate(b, engine="vLLM")
    assert b.t <= e.time_low_s <= e.time_s <= e.time_high_s
    with pytest.raises(a.InvalidArgumentError, match="result"):
        est.estimate("not a bound")


def test_sweep_estimate_columns_match_the_scalar_estimate():
    df = a.sweep(["llama-3.1-8b", "qwen3-30b-a3b"], ["h100", "mi300x"], [4096], [1, 64], estimate=True)
    assert {"estimate_time [s]", "estimate_time_low [s]", "estimate_time_high [s]", "efficiency"} <= set(df.columns)
    assert (df["estimate_time [s]"] >= df["time [s]"]).all()
    assert (df["estimate_time_low [s]"] >= df["time [s]"] * (1 - 1e-12)).all()
    row = df[(df["model"] == "qwen3-30b-a3b") & (df["chip"] == "mi300x") & (df["batch"] == 64)].iloc[0]
    one = est.estimate(a.decode_bound("qwen3-30b-a3b", "mi300x", 4096, 64))
    assert row["estimate_time [s]"] == pytest.approx(one.time_s, rel=1e-9)
    assert "published measurements" in df.attrs["estimate"]
    with pytest.raises(a.InvalidArgumentError, match="estimate"):
        a.sweep(["llama-3.1-8b"], ["h100"], [4096], [1], estimate=True, output="arrays")
