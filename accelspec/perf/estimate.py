"""Expected performance: a calibrated estimate with an out-of-sample interval beside a bound.

A bound says what the silicon allows at best; published runs reach a fraction of it, the
*efficiency* ``measured speed / bounded speed``. The estimate multiplies the bound by an
efficiency fitted on the shipped measurements (:mod:`accelspec.measurements.calibration`)::

    log(efficiency) = mu + a[regime] + b[limiter] + c[vendor] + d[chip] + e[engine]

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
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgumentError
from ..specfiles import specs_dir

__all__ = ["CALIBRATION_FILE", "REGIMES", "Calibration", "Estimate", "calibration", "engine_family",
           "estimate_speed", "regime"]

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


def _reset() -> None:
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
        return (f"~{self.value:.4g} (estimate; {self.level:.0%} interval {self.low:.4g} to {self.high:.4g}); "
                f"bound {self.bound:.4g}. {self.assumptions}")


def estimate_speed(bound_speed: float, *, phase: str, per_user: bool, limiter: str, vendor: str, chip: str,
                   engine: str | None = None) -> Estimate:
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
    log_eff, unseen = cal.predict_log(regime=reg, limiter=limiter, vendor=vendor, chip=chip, engine=fam)
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
    text = (f"Estimate: bound x efficiency {eff:.3g} ({reg}, {limiter}-bound, {fam} engine) fitted on "
            f"{cal.n_rows} published measurements ({rows_chip} on this chip){prior}; out-of-sample median "
            f"error {err:.0%} ({'leave-one-publisher-out' if measured else 'leave-one-chip-out'})")
    return Estimate(value=value, low=low, high=high, bound=bound_speed, efficiency=eff, level=cal.level, regime=reg,
                    limiter=limiter, chip_measured=measured, n_measurements=cal.n_rows, rows_for_chip=rows_chip,
                    median_error=float(err), assumptions=text)
