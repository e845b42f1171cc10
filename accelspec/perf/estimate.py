"""Expected performance: a calibrated estimate with an out-of-sample interval beside a bound.

A bound says what the silicon allows at best; published runs reach a fraction of it, the
*efficiency* ``measured speed / bounded speed``. The estimate multiplies the bound by an
efficiency fitted on the shipped measurements (:mod:`accelspec.measurements.calibration`)::

    log(efficiency) = mu + regime + limiter + batch + architecture + vendor + chip + engine

a ridge (Gaussian random-effects) regression on log efficiency: the binding term of the bound
(compute, memory or interconnect) divided by a fitted efficiency, by regime (prefill, decode at
low latency, decode at throughput), shrunk toward the vendor and the whole field where a chip or
an engine has few rows. A chip with no measurement gets its vendor's and the field's effects and
the wider interval measured by leaving whole chips out; a measured chip gets the interval
measured by leaving whole publishers out. The estimate is never faster than the bound.

The fit is data, not code run at import: ``specs/calibration.json`` is written by
``python -m accelspec.measurements.calibration`` from the shipped measurements (a test checks
that a refit reproduces it), so this module, below the measurements layer, only reads numbers.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InvalidArgumentError
from ..specfiles import specs_dir

__all__ = [
    "CALIBRATION_FILE",
    "LATENCY_BATCH",
    "REGIMES",
    "BoundEstimate",
    "Calibration",
    "Estimate",
    "batch_bucket",
    "calibration",
    "engine_family",
    "estimate",
    "estimate_speed",
    "regime",
]

#: The regimes an efficiency is fitted for.
REGIMES = ("prefill", "decode-latency", "decode-throughput")
#: Where the fitted calibration lives, relative to ``specs/``.
CALIBRATION_FILE = "calibration.json"

_ENGINES = (("tensorrt", "tensorrt-llm"), ("trt", "tensorrt-llm"), ("vllm", "vllm"), ("sglang", "sglang"),
            ("jetstream", "jetstream"), ("maxtext", "jetstream"), ("tgi", "tgi"), ("text generation", "tgi"),
            ("mindie", "mindie"), ("optimum", "optimum-habana"), ("rtp", "rtp-llm"), ("neuron", "neuron"),
            ("deepspeed", "deepspeed"), ("lmdeploy", "lmdeploy"), ("xinference", "other"))


def regime(phase: str, per_user: bool) -> str:
    """The regime of a figure: ``"prefill"`` (prompt processing, TTFT, input tokens/s),
    ``"decode-latency"`` (per-user speed, TPOT, end-to-end latency) or ``"decode-throughput"``
    (output tokens/s per chip or in total).

    Parameters
    ----------
    phase : {"prefill", "decode"}
        Which phase the figure measures.
    per_user : bool
        True for a per-user figure (TPOT, tokens/s per user, latency), False for throughput.

    Returns
    -------
    str
        One of :data:`REGIMES`.
    """
    if phase not in ("prefill", "decode"):
        raise InvalidArgumentError("phase", f"must be 'prefill' or 'decode', got {phase!r}")
    if phase == "prefill":
        return "prefill"
    return "decode-latency" if per_user else "decode-throughput"


def batch_bucket(batch: int | None) -> str:
    """The batch (or concurrency) as a level of the fit: ``"1"``, ``"2-8"``, ``"9-64"``,
    ``"65-512"``, ``">512"``, or ``"unstated"`` (a throughput figure with no batch published)."""
    if batch is None:
        return "unstated"
    if batch <= 1:
        return "1"
    for hi, label in ((8, "2-8"), (64, "9-64"), (512, "65-512")):
        if batch <= hi:
            return label
    return ">512"


def engine_family(engine: str | None) -> str:
    """A serving engine's family (``"vllm"``, ``"tensorrt-llm"``, ``"sglang"``, ...) from its
    published name (``"vLLM 0.6.3"``, ``"TensorRT-LLM"``, ``"TRT-LLM"``); ``"unknown"`` when none."""
    if not engine:
        return "unknown"
    low = engine.lower()
    for key, fam in _ENGINES:
        if key in low:
            return fam
    return "other"


@dataclass(frozen=True)
class Calibration:
    """The fitted efficiency model: effects on log efficiency, the out-of-sample residual
    quantiles that make the interval, and the cross-validation figures that describe it."""

    intercept: float
    effects: dict[str, dict[str, float]]  #: group -> level -> effect on log efficiency
    level: float  #: coverage the interval aims at (0.8)
    #: ("measured" | "unmeasured") -> regime or "all" -> (low, high) residual quantiles, log scale
    quantiles: dict[str, dict[str, tuple[float, float]]]
    n_rows: int
    publishers: int
    chips: int
    vendors: int
    rows_by: dict[str, dict[str, int]]  #: group -> level -> rows
    cv: dict[str, Any] = field(default_factory=dict)  #: cross-validation tables (see measurements.calibration)
    measurements: tuple[str, ...] = ()  #: ids of the rows the fit rests on

    def predict_log(self, **levels: str) -> tuple[float, list[str]]:
        """Predicted log efficiency for the given group levels, and the groups whose level had no
        row (their effect is the prior, zero)."""
        total, unseen = self.intercept, []
        for group, lvl in levels.items():
            eff = self.effects.get(group, {})
            if lvl in eff:
                total += eff[lvl]
            else:
                unseen.append(group)
        return total, unseen


_CAL: Calibration | None = None
_LOCK = threading.Lock()


def calibration() -> Calibration:
    """The shipped calibration (``specs/calibration.json``), read once.

    Raises
    ------
    FileNotFoundError
        When the file is missing (a checkout without a fitted calibration: run
        ``python -m accelspec.measurements.calibration``).
    """
    global _CAL
    with _LOCK:
        if _CAL is None:
            raw = json.loads((specs_dir() / CALIBRATION_FILE).read_text(encoding="utf-8"))
            _CAL = Calibration(
                intercept=float(raw["intercept"]),
                effects={g: {k: float(v) for k, v in lv.items()} for g, lv in raw["effects"].items()},
                level=float(raw["level"]),
                quantiles={k: {r: (float(q[0]), float(q[1])) for r, q in v.items()}
                           for k, v in raw["quantiles"].items()},
                n_rows=int(raw["n_rows"]), publishers=int(raw["publishers"]), chips=int(raw["chips"]),
                vendors=int(raw["vendors"]), rows_by=raw["rows_by"], cv=raw.get("cv", {}),
                measurements=tuple(raw.get("measurements", ())))
        return _CAL


def reset_calibration() -> None:
    """Forget the loaded calibration (after ``specs/calibration.json`` is rewritten)."""
    global _CAL
    with _LOCK:
        _CAL = None


@dataclass(frozen=True)
class Estimate:
    """An expected speed, its interval and the bound beside it (speeds in token/s, or 1/s).

    ``value`` = ``bound * efficiency`` with the fitted efficiency; ``low`` and ``high`` the
    prediction interval at ``level`` (from out-of-sample residuals), ``high`` never above the bound.
    """

    value: float
    low: float
    high: float
    bound: float
    efficiency: float
    level: float
    regime: str
    limiter: str
    chip_measured: bool
    n_measurements: int
    rows_for_chip: int
    median_error: float  #: out-of-sample median relative error for this case (LOPO or LOCO)
    assumptions: str

    def __str__(self) -> str:
        return (f"estimate ~{self.value:.4g} ({self.level:.0%} interval {self.low:.4g} to {self.high:.4g}; "
                f"bound {self.bound:.4g}); {self.assumptions}")


def estimate_speed(bound_speed: float, *, phase: str, per_user: bool, limiter: str, vendor: str, chip: str,
                   batch: int | None = None, moe: bool = False, engine: str | None = None) -> Estimate:
    """The calibrated estimate of a speed whose bound is ``bound_speed``.

    Parameters
    ----------
    bound_speed : float
        The bound on the speed [token/s, or 1/s for a latency], from :func:`~accelspec.decode_bound`,
        :func:`~accelspec.prefill_bound` or :func:`~accelspec.request_bound`.
    phase : {"prefill", "decode"}
        The phase the speed measures.
    per_user : bool
        Per-user speed (True) or throughput (False).
    limiter : {"compute", "memory", "interconnect"}
        The bound's binding term.
    vendor, chip : str
        The chip's vendor and catalog id (the chip of a system).
    batch : int, optional
        Sequences decoded together (or the concurrency) [sequences]; ``None``: not stated.
    moe : bool
        True for a mixture-of-experts model.
    engine : str, optional
        The serving engine, if known (``"vLLM"``, ``"TensorRT-LLM"``, ...); unknown engines get
        the field's effect.

    Returns
    -------
    Estimate
        ``value <= bound``, with its interval, the rows it rests on and its out-of-sample error.

    Notes
    -----
    ``efficiency = min(1, exp(mu + a[regime] + b[limiter] + c[vendor] + d[chip] + e[engine]))``;
    interval ``bound * exp(log efficiency + q)`` for the residual quantiles ``q`` measured out of
    sample (leave-one-publisher-out when the chip has rows, leave-one-chip-out when it has none),
    the upper end capped at the bound.
    """
    if not (isinstance(bound_speed, (int, float)) and math.isfinite(bound_speed) and bound_speed > 0):
        raise InvalidArgumentError("bound_speed", f"must be a positive finite speed, got {bound_speed!r}")
    cal = calibration()
    reg = regime(phase, per_user)
    fam = engine_family(engine)
    log_eff, unseen = cal.predict_log(regime=reg, limiter=limiter, batch=batch_bucket(batch),
                                      architecture="moe" if moe else "dense", vendor=vendor, chip=chip, engine=fam)
    measured = "chip" not in unseen
    kind = "measured" if measured else "unmeasured"
    qs = cal.quantiles[kind]
    lo_q, hi_q = qs.get(reg, qs["all"])
    eff = min(1.0, math.exp(log_eff))
    value = bound_speed * eff
    low = bound_speed * min(1.0, math.exp(log_eff + lo_q))
    high = bound_speed * min(1.0, math.exp(log_eff + hi_q))
    cv_key = "lopo" if measured else "loco"
    err = cal.cv.get(cv_key, {}).get("by_regime", {}).get(reg, {}).get("median_error")
    if err is None:
        err = cal.cv.get(cv_key, {}).get("all", {}).get("median_error", float("nan"))
    rows_chip = cal.rows_by.get("chip", {}).get(chip, 0)
    prior = "" if measured else f"; no measurement on {chip}: vendor and field effects, wider interval"
    if "vendor" in unseen:
        prior = f"; no measurement from vendor {vendor}: the field's efficiency, widest interval"
    text = (f"estimated as bound x efficiency {eff:.3g} ({reg}, {limiter}-bound, batch {batch_bucket(batch)}, "
            f"{'MoE' if moe else 'dense'}, {fam} engine) fitted on "
            f"{cal.n_rows} published measurements ({rows_chip} on this chip){prior}; out-of-sample median "
            f"error {err:.0%} ({'leave-one-publisher-out' if measured else 'leave-one-chip-out'})")
    return Estimate(value=value, low=low, high=high, bound=bound_speed, efficiency=eff, level=cal.level, regime=reg,
                    limiter=limiter, chip_measured=measured, n_measurements=cal.n_rows, rows_for_chip=rows_chip,
                    median_error=float(err), assumptions=text)


#: A decode step at this batch or below is judged in the low-latency regime; above it, throughput.
LATENCY_BATCH = 16


def _on_partial(e: Estimate, missing: str) -> Estimate:
    """``e`` with a caution when its bound leaves a roofline term out (a chip that publishes no
    compute peak: the memory-only bound): the calibration was fitted on bounds with every term."""
    if not missing:
        return e
    return replace(e, assumptions=e.assumptions + f"; caution: the bound leaves out the {missing}, so this "
                   "estimate rests on the other terms alone (the calibration was fitted on bounds with every "
                   "term) and is optimistic wherever the missing term would limit")


@dataclass(frozen=True)
class BoundEstimate:
    """The estimate beside one :class:`~accelspec.Bound` (a decode step or a prefill): expected
    time and speed with their interval, and the bound."""

    phase: str
    time_s: float  #: expected step time (decode) or time to first token (prefill) [s]
    time_low_s: float  #: interval ends [s]: low = the faster end, never below the bound
    time_high_s: float
    bound_s: float
    speed: Estimate  #: tokens/s per user (decode) or prompt tokens/s (prefill)

    @property
    def time(self) -> Any:
        """Expected time [ms] as a Quantity."""
        from ..units import Q_

        return Q_(self.time_s * 1e3, "ms")

    @property
    def time_interval(self) -> tuple[Any, Any]:
        from ..units import Q_

        return Q_(self.time_low_s * 1e3, "ms"), Q_(self.time_high_s * 1e3, "ms")

    @property
    def assumptions(self) -> str:
        return self.speed.assumptions

    def to_dict(self) -> dict[str, Any]:
        """The JSON form shared by the CLI (``--json``), the HTTP API and the MCP tools."""
        return {"time_ms": self.time_s * 1e3, "time_ms_interval": [self.time_low_s * 1e3, self.time_high_s * 1e3],
                "bound_ms": self.bound_s * 1e3, "level": self.speed.level, "efficiency": self.speed.efficiency,
                "measurements": self.speed.n_measurements, "rows_for_chip": self.speed.rows_for_chip,
                "median_error": self.speed.median_error, "assumptions": self.assumptions, "text": str(self)}

    def __str__(self) -> str:
        what = "per step" if self.phase == "decode" else "to first token"
        return (f"estimate ~{self.time_s * 1e3:.4g} ms {what} ({self.speed.level:.0%} interval "
                f"{self.time_low_s * 1e3:.4g} to {self.time_high_s * 1e3:.4g} ms; "
                f"bound >= {self.bound_s * 1e3:.4g} ms); {self.speed.assumptions}")


def estimate(result: Any, *, engine: str | None = None) -> BoundEstimate:
    """The calibrated estimate beside a bound.

    Parameters
    ----------
    result : Bound
        A result of :func:`~accelspec.decode_bound` or :func:`~accelspec.prefill_bound`.
    engine : str, optional
        The serving engine (``"vLLM"``, ``"SGLang"``, ``"TensorRT-LLM"``, ...), if known.

    Returns
    -------
    BoundEstimate
        Expected step time (decode) or time to first token (prefill) [ms], its prediction
        interval, and the bound beside it; ``str()`` gives one line with the assumptions.

    Notes
    -----
    ``t_estimate = t_bound / efficiency`` with the efficiency of :func:`estimate_speed`; a decode
    step at batch <= :data:`LATENCY_BATCH` is judged in the low-latency regime, above it in the
    throughput regime (the calibration's regimes are by published metric; the batch is the
    closest property a single step has).
    """
    from ..hardware.catalog import get_chip
    from ..model.catalog import get_model

    if not hasattr(result, "t") or not hasattr(result, "phase"):
        raise InvalidArgumentError("result", f"must be a Bound from decode_bound or prefill_bound, got "
                                   f"{type(result).__name__}")
    chip = get_chip(result.chip)
    per_user = result.phase == "prefill" or result.batch <= LATENCY_BATCH
    speed_bound = 1.0 / result.t
    e = estimate_speed(speed_bound, phase=result.phase, per_user=per_user, limiter=result.limiter,
                       vendor=chip.vendor, chip=chip.id, batch=result.batch,
                       moe=get_model(result.model).is_moe, engine=engine)
    e = _on_partial(e, getattr(result, "missing", ""))
    return BoundEstimate(phase=result.phase, time_s=1.0 / e.value, time_low_s=1.0 / e.high,
                         time_high_s=1.0 / e.low, bound_s=result.t, speed=e)


@dataclass(frozen=True)
class RequestEstimate:
    """The estimate beside a :class:`~accelspec.RequestBound`: TTFT and TPOT, each with its
    interval and bound, and the output throughput per chip they imply."""

    ttft: BoundEstimate
    tpot: BoundEstimate | None  #: None for a one-token request
    output_tokens_per_s_per_chip: Estimate

    @property
    def assumptions(self) -> str:
        return self.output_tokens_per_s_per_chip.assumptions

    def to_dict(self) -> dict[str, Any]:
        """The JSON form shared by the CLI (``--json``), the HTTP API and the MCP tools."""
        r = self.output_tokens_per_s_per_chip
        return {"ttft_ms": self.ttft.time_s * 1e3,
                "ttft_ms_interval": [self.ttft.time_low_s * 1e3, self.ttft.time_high_s * 1e3],
                "tpot_ms": None if self.tpot is None else self.tpot.time_s * 1e3,
                "tpot_ms_interval": None if self.tpot is None else [self.tpot.time_low_s * 1e3,
                                                                    self.tpot.time_high_s * 1e3],
                "output_tokens_per_s_per_chip": r.value,
                "output_tokens_per_s_per_chip_interval": [r.low, r.high], "level": r.level,
                "measurements": r.n_measurements, "median_error": r.median_error,
                "assumptions": self.assumptions, "text": str(self)}

    def __str__(self) -> str:
        t = self.ttft
        lines = [f"estimate: TTFT ~{t.time_s * 1e3:.4g} ms (interval {t.time_low_s * 1e3:.4g} to "
                 f"{t.time_high_s * 1e3:.4g} ms; bound >= {t.bound_s * 1e3:.4g} ms)"]
        if self.tpot is not None:
            p = self.tpot
            lines.append(f"TPOT ~{p.time_s * 1e3:.4g} ms (interval {p.time_low_s * 1e3:.4g} to "
                         f"{p.time_high_s * 1e3:.4g} ms; bound >= {p.bound_s * 1e3:.4g} ms)")
        r = self.output_tokens_per_s_per_chip
        lines.append(f"output ~{r.value:.4g} token/s per chip (interval {r.low:.4g} to {r.high:.4g}; "
                     f"bound <= {r.bound:.4g})")
        return "; ".join(lines) + f" ({r.level:.0%} intervals); {r.assumptions}"


def _time_estimate(phase: str, bound_s: float, e: Estimate) -> BoundEstimate:
    return BoundEstimate(phase=phase, time_s=bound_s / e.efficiency, time_low_s=bound_s * e.bound / e.high,
                         time_high_s=bound_s * e.bound / e.low, bound_s=bound_s, speed=e)


def estimate_request(result: Any, *, engine: str | None = None) -> RequestEstimate:
    """The calibrated estimate beside a request bound.

    Parameters
    ----------
    result : RequestBound
        A result of :func:`~accelspec.request_bound`.
    engine : str, optional
        The serving engine, if known.

    Returns
    -------
    RequestEstimate
        TTFT [ms] (prefill regime), TPOT [ms] (decode regime: low latency at a batch or
        concurrency up to :data:`LATENCY_BATCH`, throughput above) and output tokens/s per chip,
        each ``bound / efficiency`` with its interval.
    """
    from ..hardware.catalog import get_chip
    from ..model.catalog import get_model

    if not hasattr(result, "ttft_s") or not hasattr(result, "decode_s"):
        raise InvalidArgumentError("result", f"must be a RequestBound from request_bound, got {type(result).__name__}")
    chip = get_chip(result.chip)
    moe = get_model(result.model).is_moe

    left = "; ".join(n.removeprefix("left out: ") for n in result.notes if n.startswith("left out: "))

    def est(speed: float, phase: str, per_user: bool, limiter: str, batch: int) -> Estimate:
        return _on_partial(estimate_speed(speed, phase=phase, per_user=per_user, limiter=limiter,
                                          vendor=chip.vendor, chip=chip.id, batch=batch, moe=moe, engine=engine),
                           left)

    t0 = float(result.ttft_s[0])
    e_ttft = est(1.0 / t0, "prefill", True, result.prefill_limiter, 1)
    ttft = _time_estimate("prefill", t0, e_ttft)
    per_user = result.batch <= LATENCY_BATCH
    tpot = None
    if result.output_tokens > 1:
        tp = float(result.decode_s[0]) / (result.output_tokens - 1)
        e_tpot = est(1.0 / tp, "decode", per_user, result.limiter, result.batch)
        tpot = _time_estimate("decode", tp, e_tpot)
    rate = float(result.output_tokens_per_s_per_chip.m_as("token/s"))
    e_rate = est(rate, "decode", False, result.limiter, result.batch)
    return RequestEstimate(ttft=ttft, tpot=tpot, output_tokens_per_s_per_chip=e_rate)


def add_estimate_columns(df: Any, *, engine: str | None = None) -> Any:
    """Estimate columns beside a :func:`~accelspec.sweep` DataFrame's bound columns.

    Parameters
    ----------
    df : pandas.DataFrame
        A sweep result (columns ``model``, ``chip``, ``batch``, ``limiter``, ``time [s]``; its
        ``attrs["phase"]``). Not changed: a copy is returned.
    engine : str, optional
        The serving engine, if known.

    Returns
    -------
    pandas.DataFrame
        The copy with ``estimate_time [s]``, ``estimate_time_low [s]``, ``estimate_time_high [s]``
        (the 80% interval; low never below the bound), ``estimate_tokens_per_s_per_user
        [token/s]``, ``estimate_tokens_per_s_per_chip [token/s]`` and ``efficiency``, and
        ``attrs["estimate"]`` saying on how many measurements the calibration rests.

    Notes
    -----
    Row by row the same efficiency as :func:`estimate` (regime by phase and batch, limiter,
    batch bucket, dense or MoE, vendor, chip, engine), computed with numpy over the rows.
    """
    import numpy as np

    from ..hardware.catalog import get_chip
    from ..model.catalog import get_model

    need = {"model", "chip", "batch", "limiter", "time [s]"}
    if not need <= set(df.columns):
        raise InvalidArgumentError("df", f"needs the sweep columns {sorted(need)}; missing "
                                   f"{sorted(need - set(df.columns))}")
    phase = df.attrs.get("phase", "decode")
    cal = calibration()
    eff_tab = cal.effects
    fam = engine_family(engine)
    out = df.copy()
    B = out["batch"].to_numpy(dtype=float)
    per_user = np.ones(len(out), bool) if phase == "prefill" else B <= LATENCY_BATCH
    chip_ids = out["chip"].astype(str).to_numpy()
    models = out["model"].astype(str).to_numpy()
    base = np.zeros(len(out))
    measured = np.zeros(len(out), bool)
    for cid in np.unique(chip_ids):
        rec = get_chip(cid)
        sel = chip_ids == cid
        for mid in np.unique(models[sel]):
            lg, unseen = cal.predict_log(architecture="moe" if get_model(mid).is_moe else "dense", vendor=rec.vendor,
                                         chip=rec.id, engine=fam)
            m = sel & (models == mid)
            base[m] = lg
            measured[m] = "chip" not in unseen
    regimes = np.where(per_user, "prefill" if phase == "prefill" else "decode-latency",
                       "prefill" if phase == "prefill" else "decode-throughput")
    reg = np.array([eff_tab.get("regime", {}).get(r, 0.0) for r in regimes])
    lim = np.array([eff_tab.get("limiter", {}).get(str(x), 0.0) for x in out["limiter"].astype(str)])
    bucket = np.array([eff_tab.get("batch", {}).get(batch_bucket(int(b)), 0.0) for b in B])
    lg = base + reg + lim + bucket
    q = cal.quantiles
    lo = np.array([q["measured" if mm else "unmeasured"].get(r, q["measured" if mm else "unmeasured"]["all"])[0]
                   for mm, r in zip(measured, regimes, strict=True)])
    hi = np.array([q["measured" if mm else "unmeasured"].get(r, q["measured" if mm else "unmeasured"]["all"])[1]
                   for mm, r in zip(measured, regimes, strict=True)])
    eff = np.minimum(1.0, np.exp(lg))
    t = out["time [s]"].to_numpy(dtype=float)
    out["efficiency"] = eff
    out["estimate_time [s]"] = t / eff
    out["estimate_time_low [s]"] = t / np.minimum(1.0, np.exp(lg + hi))
    out["estimate_time_high [s]"] = t / np.minimum(1.0, np.exp(lg + lo))
    for col in ("tokens_per_s_per_user [token/s]", "tokens_per_s_per_chip [token/s]"):
        if col in out.columns:
            out[f"estimate_{col}"] = out[col].to_numpy(dtype=float) * eff
    out.attrs = dict(df.attrs)
    out.attrs["estimate"] = (f"estimate columns: bound / efficiency fitted on {cal.n_rows} published measurements "
                             f"({cal.publishers} publishers, {cal.chips} chips); 80% intervals from out-of-sample "
                             "residuals")
    return out
