"""The calibration behind :mod:`accelspec.perf.estimate`: efficiencies fitted on the shipped
measurements, and how well they predict runs the fit has not seen.

Each row (not excluded from the violation test, with a finite efficiency) gives
``y = log(measured speed / bounded speed)`` and its levels: regime (prefill, decode at low
latency, decode at throughput), the bound's limiter, the batch (bucketed), dense or MoE, the chip's vendor,
the chip, the engine family. The fit is a ridge regression (the MAP of Gaussian random effects): unpenalised
intercept, each group's effects shrunk toward zero with a penalty ``LAMBDA[group]``, so a chip
with few rows stays near its vendor and the field.

Honest error, never in-sample:

* **leave-one-publisher-out** (LOPO): every publisher's rows predicted from a fit on the others;
* **leave-one-chip-out** (LOCO): every chip's rows predicted with no row of that chip (the
  case of a chip nobody has measured).

The prediction interval (80 %) uses quantiles of out-of-sample residuals, and its coverage is
itself measured out of sample: for each held-out group the interval comes from a nested
cross-validation over the remaining groups only. The tables report the median absolute relative
error of the speed (``|estimate / measured - 1|``) and the coverage, per vendor and regime.

``python -m accelspec.measurements.calibration`` refits and writes ``specs/calibration.json``;
``tests/measurements/test_calibration.py`` checks that the shipped file is what a refit gives.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..hardware.catalog import get_chip
from ..model.catalog import get_model
from ..perf.estimate import CALIBRATION_FILE, REGIMES, batch_bucket, engine_family, regime, reset_calibration
from ..specfiles import specs_dir
from .validation import LoadedMeasurement, MeasurementCheck, check_measurement, load_measurements

__all__ = ["GROUPS", "LAMBDA", "LEVEL", "Row", "calibrate", "cross_validate", "fit", "rows", "write"]

#: The groups of levels, in design-matrix order.
GROUPS = ("regime", "limiter", "batch", "architecture", "vendor", "chip", "engine")
#: Ridge penalty per group (on log efficiency; larger = more shrinkage toward zero).
LAMBDA = {"regime": 0.5, "limiter": 1.0, "batch": 1.0, "architecture": 1.0, "vendor": 2.0, "chip": 4.0, "engine": 4.0}
#: Coverage the prediction interval aims at.
LEVEL = 0.8
_PER_USER = {"tpot", "output_tokens_per_s_per_user", "e2e_latency", "ttft"}


@dataclass(frozen=True)
class Row:
    """One measurement as the fit sees it."""

    id: str
    publisher: str
    levels: dict[str, str]
    y: float  #: log efficiency


def _usable(loaded: Sequence[LoadedMeasurement] | None) -> Iterator[tuple[LoadedMeasurement, MeasurementCheck]]:
    """``(measurement, its check)`` of the shipped measurements (or ``loaded``) not excluded from
    the violation test and with a finite positive efficiency: the rows the calibration rests on."""
    for lm in loaded if loaded is not None else load_measurements():
        c = check_measurement(lm)
        if not c.excluded and math.isfinite(c.efficiency) and c.efficiency > 0:
            yield lm, c


def rows(loaded: Sequence[LoadedMeasurement] | None = None) -> list[Row]:
    """The rows the calibration rests on: shipped measurements (or ``loaded``) not excluded from
    the violation test and with a finite positive efficiency."""
    out = []
    for lm, c in _usable(loaded):
        m = lm.row
        chip = get_chip(m.chip)
        levels = {"regime": regime(m.phase, m.metric.kind in _PER_USER), "limiter": c.limiter,
                  "batch": batch_bucket(1 if m.metric.kind == "ttft" else (m.batch or m.concurrency)),
                  "architecture": "moe" if get_model(m.model).is_moe else "dense",
                  "vendor": chip.vendor, "chip": chip.id, "engine": engine_family(m.engine)}
        out.append(Row(id=m.id, publisher=lm.publisher, levels=levels, y=math.log(min(c.efficiency, 1.0))))
    return out


@dataclass(frozen=True)
class Fit:
    intercept: float
    effects: dict[str, dict[str, float]]

    def predict(self, levels: dict[str, str]) -> float:
        return self.intercept + sum(self.effects[g].get(levels[g], 0.0) for g in GROUPS)


class _Design:
    """The design matrix of every row once; fits on subsets solve the ridge normal equations
    ``(X'X + L) beta = X'y`` over the rows kept. A level with no row kept has only its penalty,
    so its effect is exactly the prior, zero: a held-out chip is predicted as an unseen one."""

    def __init__(self, data: Sequence[Row]):
        self.data = list(data)
        self.cols: list[tuple[str, str]] = []
        for g in GROUPS:
            self.cols += [(g, lvl) for lvl in sorted({r.levels[g] for r in self.data})]
        index = {c: i + 1 for i, c in enumerate(self.cols)}
        n, p = len(self.data), len(self.cols) + 1
        self.X = np.zeros((n, p))
        self.X[:, 0] = 1.0
        for i, r in enumerate(self.data):
            for g in GROUPS:
                self.X[i, index[(g, r.levels[g])]] = 1.0
        self.y = np.array([r.y for r in self.data])
        self.penalty = np.diag([0.0] + [LAMBDA[g] for g, _ in self.cols])
        self.penalty[0, 0] = 1e-9  # keeps the system solvable when every row is held out of a group

    def solve(self, keep: np.ndarray) -> np.ndarray:
        Xk = self.X[keep]
        return np.linalg.solve(Xk.T @ Xk + self.penalty, Xk.T @ self.y[keep])

    def fit(self, keep: np.ndarray | None = None) -> Fit:
        beta = self.solve(np.ones(len(self.data), bool) if keep is None else keep)
        effects: dict[str, dict[str, float]] = {g: {} for g in GROUPS}
        for j, (g, lvl) in enumerate(self.cols):
            effects[g][lvl] = float(beta[j + 1])
        return Fit(float(beta[0]), effects)

    def oos(self, keys: np.ndarray, within: np.ndarray) -> np.ndarray:
        """Residuals ``y - prediction`` for the rows of ``within``, each group of ``keys`` held
        out of a fit on the other rows of ``within`` (NaN outside ``within``)."""
        res = np.full(len(self.data), np.nan)
        for k in np.unique(keys[within]):
            test = within & (keys == k)
            train = within & (keys != k)
            if train.any():
                beta = self.solve(train)
                res[test] = self.y[test] - self.X[test] @ beta
        return res


def fit(data: Sequence[Row]) -> Fit:
    """Ridge fit of log efficiency on the group levels of ``data``.

    Minimises ``sum (y - mu - sum_g b_g[level])^2 + sum_g LAMBDA[g] * sum b_g^2`` in closed
    form (the normal equations)."""
    if not data:
        raise ValueError("fit: no rows")
    return _Design(data).fit()


def _keys(data: Sequence[Row], by: str) -> np.ndarray:
    return np.array([r.publisher if by == "publisher" else r.levels["chip"] for r in data])


def _quantiles(res: Sequence[float] | np.ndarray) -> tuple[float, float]:
    a = (1.0 - LEVEL) / 2.0
    return float(np.quantile(res, a)), float(np.quantile(res, 1.0 - a))


def _interval_by_regime(data: Sequence[Row], res: np.ndarray, mask: np.ndarray) -> dict[str, tuple[float, float]]:
    """Residual quantiles per regime (where it has 20+ rows) and over all rows of ``mask``."""
    ok = mask & np.isfinite(res)
    out = {"all": _quantiles(res[ok])}
    regimes = np.array([r.levels["regime"] for r in data])
    for reg in REGIMES:
        sel = ok & (regimes == reg)
        if sel.sum() >= 20:
            out[reg] = _quantiles(res[sel])
    return out


def cross_validate(data: Sequence[Row], by: str = "publisher") -> dict[str, Any]:
    """Out-of-sample error and interval coverage, holding out one ``by`` group at a time
    (``"publisher"`` or ``"chip"``).

    For each held-out group the estimate comes from a fit on the other groups, and its interval
    from quantiles of residuals that are themselves out of sample within those other groups
    (nested), so neither the estimate nor the interval has seen the group it predicts.

    Returns ``{"all": {...}, "by_vendor": {...}, "by_regime": {...}}``, each entry with ``rows``,
    ``median_error`` (median ``|estimate/measured - 1|``) and ``coverage``.
    """
    design = _Design(data)
    keys = _keys(data, by)
    everything = np.ones(len(data), bool)
    errors = np.full(len(data), np.nan)
    covered = np.zeros(len(data), bool)
    for k in np.unique(keys):
        test = keys == k
        train = ~test
        if train.sum() < 10:
            continue
        pred = design.X[test] @ design.solve(train)
        qs = _interval_by_regime(data, design.oos(keys, train), train)
        y = design.y[test]
        for j, i in enumerate(np.flatnonzero(test)):
            lo, hi = qs.get(data[int(i)].levels["regime"], qs["all"])
            errors[i] = abs(math.exp(min(pred[j], 0.0) - y[j]) - 1.0)  # the estimate never beats the bound
            covered[i] = pred[j] + lo <= y[j] <= pred[j] + hi  # y <= 0: the cap at the bound uncovers no row
    done = np.isfinite(errors) & everything

    def summary(sel: np.ndarray) -> dict[str, float]:
        return {"rows": int(sel.sum()), "median_error": float(np.median(errors[sel])),
                "coverage": float(np.mean(covered[sel]))}

    def table(group: str) -> dict[str, dict[str, float]]:
        levels = np.array([r.levels[group] for r in data])
        return {str(lvl): summary(done & (levels == lvl)) for lvl in sorted(set(levels[done]))}

    return {"held_out": by, "all": summary(done), "by_vendor": table("vendor"), "by_regime": table("regime")}


def calibrate(loaded: Sequence[LoadedMeasurement] | None = None) -> dict[str, Any]:
    """The whole calibration as JSON-ready data: the fit on every row, the interval quantiles
    (LOPO residuals for measured chips, LOCO for unmeasured ones), and both cross-validations."""
    data = rows(loaded)
    design = _Design(data)
    f = design.fit()
    everything = np.ones(len(data), bool)
    lopo = design.oos(_keys(data, "publisher"), everything)
    loco = design.oos(_keys(data, "chip"), everything)
    rows_by: dict[str, dict[str, int]] = {g: {} for g in GROUPS}
    for r in data:
        for g in GROUPS:
            rows_by[g][r.levels[g]] = rows_by[g].get(r.levels[g], 0) + 1

    def rnd(x: float) -> float:
        return round(x, 6)

    return {
        "note": "Generated by `python -m accelspec.measurements.calibration` from specs/measurements; do not edit.",
        "model": ("log(efficiency) = intercept + regime + limiter + batch + architecture + vendor + chip + engine "
                  "(ridge; LAMBDA per group)"),
        "lambda": LAMBDA, "level": LEVEL, "intercept": rnd(f.intercept),
        "effects": {g: {k: rnd(v) for k, v in sorted(e.items())} for g, e in f.effects.items()},
        "quantiles": {"measured": {k: [rnd(a), rnd(b)] for k, (a, b) in
                                   _interval_by_regime(data, lopo, everything).items()},
                      "unmeasured": {k: [rnd(a), rnd(b)] for k, (a, b) in
                                     _interval_by_regime(data, loco, everything).items()}},
        "n_rows": len(data), "publishers": len({r.publisher for r in data}),
        "chips": len(rows_by["chip"]), "vendors": len(rows_by["vendor"]),
        "rows_by": {g: dict(sorted(v.items())) for g, v in rows_by.items()},
        "cv": {"lopo": _rounded(cross_validate(data, "publisher")), "loco": _rounded(cross_validate(data, "chip"))},
        "measurements": sorted(r.id for r in data),
    }


def _rounded(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


def render(cal: dict[str, Any] | None = None) -> str:
    """The calibration file's text."""
    return json.dumps(cal if cal is not None else calibrate(), indent=1, sort_keys=False) + "\n"


def write(path: Path | None = None) -> Path:
    """Refit and write ``specs/calibration.json`` (or ``path``); returns the path written."""
    out = path or specs_dir() / CALIBRATION_FILE
    out.write_text(render(), encoding="utf-8")
    reset_calibration()
    return out


def cv_markdown(cal: dict[str, Any]) -> str:
    """The cross-validation tables for the docs: median error and coverage, per vendor and regime."""
    lines = []
    for key, title in (("lopo", "leave one publisher out"), ("loco", "leave one chip out")):
        cv = cal["cv"][key]
        a = cv["all"]
        lines += [f"**{title}**: {a['rows']} rows, median error {a['median_error']:.0%}, "
                  f"{cal['level']:.0%} interval covers {a['coverage']:.0%}", "",
                  "| | rows | median error | coverage |", "|---|---:|---:|---:|"]
        for group in ("by_vendor", "by_regime"):
            for lvl, v in cv[group].items():
                lines.append(f"| {lvl} | {v['rows']} | {v['median_error']:.0%} | {v['coverage']:.0%} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    p = write()
    sys.stdout.write(f"wrote {p}\n")


# --- your own measurements: efficiency against the bound, error against the estimate -----------
@dataclass(frozen=True)
class RowEstimate:
    """One measurement against its bound and against the shipped estimate (speeds in token/s,
    or 1/s for latencies)."""

    id: str
    chip: str
    engine: str
    regime: str
    measured_speed: float
    bound_speed: float
    estimate_speed: float
    low_speed: float
    high_speed: float
    efficiency: float  #: measured / bound (<= 1)
    vs_estimate: float  #: measured / estimate: above 1 beats the typical published run
    in_interval: bool
    in_calibration: bool  #: True when this very row is one the shipped fit rests on

    def verdict(self) -> str:
        where = "inside" if self.in_interval else ("above" if self.measured_speed > self.high_speed else "below")
        return (f"{self.efficiency:.1%} of the bound; {self.vs_estimate:.2f}x the estimate "
                f"({where} its interval)")


def row_estimates(loaded: Sequence[LoadedMeasurement] | None = None) -> list[RowEstimate]:
    """Each measurement (the shipped ones, or ``loaded``, e.g. ``load_measurements(path)`` of your
    own file) against its bound and against the shipped calibrated estimate: "how good is my
    deployment?". Rows excluded from the violation test are skipped.

    Returns
    -------
    list of RowEstimate
        ``vs_estimate`` > 1: faster than the typical published run of the same regime, batch,
        chip and engine; ``in_interval``: inside the estimate's 80% prediction interval.
    """
    from ..perf.estimate import calibration, estimate_speed

    shipped = set(calibration().measurements)
    out = []
    for lm, c in _usable(loaded):
        m = lm.row
        chip = get_chip(m.chip)
        measured = c.efficiency * _bound_speed(c)
        bound = _bound_speed(c)
        e = estimate_speed(bound, phase=m.phase, per_user=m.metric.kind in _PER_USER, limiter=c.limiter,
                           vendor=chip.vendor, chip=chip.id,
                           batch=1 if m.metric.kind == "ttft" else (m.batch or m.concurrency),
                           moe=get_model(m.model).is_moe, engine=m.engine)
        out.append(RowEstimate(id=m.id, chip=chip.id, engine=engine_family(m.engine), regime=e.regime,
                               measured_speed=measured, bound_speed=bound, estimate_speed=e.value, low_speed=e.low,
                               high_speed=e.high, efficiency=c.efficiency, vs_estimate=measured / e.value,
                               in_interval=e.low <= measured <= e.high, in_calibration=m.id in shipped))
    return out


def _bound_speed(c: Any) -> float:
    """A check's bounded speed (the efficiency's denominator) in token/s or 1/s."""
    if c.metric in ("tpot", "ttft"):
        return 1e3 / c.bound
    if c.metric == "e2e_latency":
        return 1.0 / c.bound
    return float(c.bound)


def leaderboard(estimates: Sequence[RowEstimate] | None = None) -> list[dict[str, Any]]:
    """Efficiency per chip, engine and regime: rows, median and best efficiency against the
    bound, median ratio to the estimate; sorted by median efficiency, best first."""
    est = list(estimates) if estimates is not None else row_estimates()
    groups: dict[tuple[str, str, str], list[RowEstimate]] = {}
    for r in est:
        groups.setdefault((r.chip, r.engine, r.regime), []).append(r)
    out = [{"chip": k[0], "engine": k[1], "regime": k[2], "rows": len(v),
            "median_efficiency": float(np.median([r.efficiency for r in v])),
            "best_efficiency": float(max(r.efficiency for r in v)),
            "median_vs_estimate": float(np.median([r.vs_estimate for r in v]))} for k, v in groups.items()]
    return sorted(out, key=lambda d: -d["median_efficiency"])


def leaderboard_text(board: Sequence[dict[str, Any]], top: int | None = None) -> str:
    """The leaderboard as a fixed-width table."""
    lines = [f"{'chip':<16}{'engine':<16}{'regime':<19}{'rows':>5}{'median eff':>12}{'best':>8}{'x estimate':>12}"]
    for d in list(board)[:top]:
        lines.append(f"{d['chip']:<16}{d['engine']:<16}{d['regime']:<19}{d['rows']:>5}{d['median_efficiency']:>12.1%}"
                     f"{d['best_efficiency']:>8.1%}{d['median_vs_estimate']:>12.2f}")
    return "\n".join(lines)


def plot_leaderboard(board: Sequence[dict[str, Any]] | None = None, *, min_rows: int = 3, top: int = 30,
                     ax: Any = None) -> Any:
    """Horizontal bars: the median efficiency (measured / bound) of each chip x engine x regime with
    at least ``min_rows`` rows, the best row as a tick, coloured by regime, on a log axis with the
    bound at 1. Returns the axes."""
    import matplotlib.pyplot as plt

    rows = [d for d in (board if board is not None else leaderboard()) if d["rows"] >= min_rows][:top]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.28 * len(rows) + 1.6))
    colours = {"prefill": "tab:orange", "decode-latency": "tab:blue", "decode-throughput": "tab:green"}
    ys = np.arange(len(rows))[::-1]
    for y, d in zip(ys, rows, strict=True):
        ax.barh(y, d["median_efficiency"], color=colours[d["regime"]], alpha=0.8, height=0.7)
        ax.plot([d["best_efficiency"]] * 2, [y - 0.35, y + 0.35], color="k", lw=1.2)
    ax.set_yticks(ys, [f"{d['chip']} · {_engine_label(d['engine'])} ({d['rows']})" for d in rows], fontsize=7.5)
    ax.set_xscale("log")
    ax.axvline(1.0, color="k", lw=1)
    ax.text(1.02, ys[0] + 0.5, "bound", fontsize=8, va="bottom")
    ax.set_xlim(min(d["median_efficiency"] for d in rows) / 2, 1.6)
    ax.set_xlabel("efficiency: measured speed / accelspec bound (median bar, best row tick)")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=r) for r, c in colours.items()], fontsize=8, loc="lower right")
    ax.set_title(f"Efficiency leaderboard: chip · engine (rows), at least {min_rows} published rows", fontsize=10)
    ax.grid(axis="x", which="both", alpha=0.25)
    ax.figure.tight_layout()
    return ax


def _engine_label(family: str) -> str:
    return {"unknown": "engine not stated", "other": "other engine"}.get(family, family)
