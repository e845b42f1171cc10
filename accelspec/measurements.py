"""Published inference measurements as data (``specs/measurements/*.yaml``), checked against
accelspec's bounds.

Each row is one measured result with its source (title, URL, date, a verbatim quote of the
figure), hardware, layout, model, formats, batch, lengths, engine, techniques and the metric.
Files load all or nothing: any bad row raises :class:`~accelspec.errors.SpecFileError` naming
the file, the row and the field.

:func:`validate` computes, for every row, the matching bound and the efficiency
``measured speed / bounded speed`` (speeds: tokens/s, or 1 / time for TTFT, TPOT and
latency). A bound is an upper limit on speed, so every efficiency must be <= 1; a row above 1
is a violation and is reported with its likely cause.

How a row becomes a bound (all choices keep the bound an upper limit on speed):

* decode metrics (TPOT, tokens/s per user, per chip, total, end-to-end latency): one
  :func:`~accelspec.decode_bound` step at the mean decode context ``S_in + floor((S_out + 1) / 2)``
  (the step bound is affine in context, hence convex, so by Jensen the mean over the steps is
  at least the bound at the mean context); end-to-end latency is compared as
  ``S_out / latency`` tokens/s per user (the prefill only adds time);
* batch: the stated batch or concurrency; if neither is published, per-user metrics use
  batch 1 and per-chip / total metrics batch ``2**20`` (per-user speed falls with batch,
  per-chip speed rises with it, so each choice gives the largest bound);
* formats not published take the smallest format the row's notes allow (``assumed`` lists
  them as ``"weights: fp8 (...)"``, ``"kv_cache: ..."``, ``"activations: ..."``): a smaller
  format only raises the bound; below 8-bit weights the activation format is the format the
  matmuls run in (``fp4`` weights and activations: fp4 GEMMs; bf16 activations: w4a16);
* speculative decoding / MTP: ``accepted_tokens_per_step`` multiplies the token rates
  (:func:`~accelspec.decode_bound`); a row whose technique the bound cannot cover (accepted
  tokens unknown) is *excluded* from the violation test and listed as such;
* prefill metrics (TTFT, input tokens/s): :func:`~accelspec.prefill_bound` over the stated
  input length and batch.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import SpecFileError

__all__ = ["Measurement", "MeasurementCheck", "ValidationReport", "load_measurements", "plot_efficiency", "validate"]

_DIR = Path(__file__).resolve().parent.parent / "specs" / "measurements"

#: metric kinds, their unit and whether they are a decode or a prefill figure
METRICS: dict[str, tuple[str, str]] = {
    "tpot": ("ms", "decode"),  # time per output token
    "output_tokens_per_s_per_user": ("token/s", "decode"),
    "output_tokens_per_s_per_chip": ("token/s", "decode"),
    "output_tokens_per_s_total": ("token/s", "decode"),  # whole system of n_chips
    "e2e_latency": ("s", "decode"),  # request latency; needs output_tokens
    "ttft": ("ms", "prefill"),
    "input_tokens_per_s_per_chip": ("token/s", "prefill"),
    "input_tokens_per_s_total": ("token/s", "prefill"),  # over figure_chips
}

UNBOUNDED_BATCH = 2**20


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MSource(_Strict):
    title: str
    url: str
    date: str
    publisher: str

    @field_validator("date", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)


class Layout(_Strict):
    tp: int | None = Field(None, ge=1)
    pp: int | None = Field(None, ge=1)
    ep: int | None = Field(None, ge=1)
    dp: int | None = Field(None, ge=1)


class Formats(_Strict):
    """Number formats as published (``None``: not stated)."""

    weights: str | None = None
    kv_cache: str | None = None
    activations: str | None = None


class Speculative(_Strict):
    method: str  #: e.g. "Medusa", "EAGLE", "draft model", "MTP"
    draft_length: int | None = Field(None, ge=1)
    #: mean tokens kept per verification step, if published or derived (with basis in note)
    accepted_tokens_per_step: float | None = Field(None, ge=1.0)
    basis: str | None = None

    @model_validator(mode="after")
    def _within_draft(self) -> Speculative:
        a, k = self.accepted_tokens_per_step, self.draft_length
        if a is not None and k is not None and a > k + 1:
            raise ValueError(f"accepted_tokens_per_step {a} exceeds draft_length + 1 = {k + 1}")
        if a is not None and not self.basis:
            raise ValueError("accepted_tokens_per_step needs a basis (where the number comes from)")
        return self


class Techniques(_Strict):
    speculative: Speculative | None = None
    prefix_caching: bool | None = None
    chunked_prefill: bool | None = None
    disaggregated: bool | None = None  #: prefill and decode on separate chips
    other: list[str] = Field(default_factory=list)


class Slo(_Strict):
    """Latency limits a run had to meet (e.g. MLPerf Server: p99 TTFT <= 2,000 ms, p99 TPOT <= 200 ms)."""

    ttft_ms: float | None = Field(None, gt=0)
    tpot_ms: float | None = Field(None, gt=0)
    percentile: float | None = Field(None, gt=0, le=100)  #: the limits hold at this percentile (99 for MLPerf)


class Metric(_Strict):
    kind: Literal["tpot", "output_tokens_per_s_per_user", "output_tokens_per_s_per_chip",
                  "output_tokens_per_s_total", "e2e_latency", "ttft", "input_tokens_per_s_per_chip",
                  "input_tokens_per_s_total"]
    value: float = Field(gt=0)
    unit: str
    #: how the figure relates to the truth: "=" measured, "<=" an upper limit (e.g. "TPOT < 50 ms")
    relation: Literal["=", "<=", ">="] = "="

    @model_validator(mode="after")
    def _unit(self) -> Metric:
        want = METRICS[self.kind][0]
        if self.unit != want:
            raise ValueError(f"metric {self.kind} is given in {want}, not {self.unit!r}")
        return self


class Measurement(_Strict):
    """One published inference measurement."""

    id: str
    source: str  #: key into the file's ``sources``
    quote: str = Field(min_length=8)  #: verbatim from the source, the figure included
    chip: str
    n_chips: int = Field(ge=1)  #: chips serving one model instance
    #: chips a ``*_total`` figure covers (default ``n_chips``; e.g. 8 for "per node", 72 for a rack of replicas)
    figure_chips: int | None = Field(None, ge=1)
    layout: Layout = Layout()
    model: str  #: id in the model catalog
    model_as_published: str
    formats: Formats = Formats()
    batch: int | None = Field(None, ge=1)
    concurrency: int | None = Field(None, ge=1)
    input_tokens: int | None = Field(None, ge=1)
    output_tokens: int | None = Field(None, ge=1)
    #: mean KV length per output token when published (overrides the input/output rule)
    context_tokens: int | None = Field(None, ge=1)
    engine: str | None = None
    engine_version: str | None = None
    techniques: Techniques = Techniques()
    metric: Metric
    scenario: str | None = None  #: e.g. "MLPerf Inference v4.1 offline"
    slo: Slo | None = None  #: latency limits the measured run had to meet, if any
    #: what accelspec had to assume because the source does not say
    assumed: list[str] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Measurement:
        if self.metric.kind == "e2e_latency" and self.output_tokens is None:
            raise ValueError("e2e_latency needs output_tokens")
        if self.metric.kind == "ttft" and self.input_tokens is None:
            raise ValueError(f"{self.metric.kind} needs input_tokens")
        if self.formats.weights is None and not any("weight" in a for a in self.assumed):
            raise ValueError("weights format not stated: say in 'assumed' which format the bound uses")
        return self

    @property
    def phase(self) -> str:
        return METRICS[self.metric.kind][1]


class _File(_Strict):
    schema_: int = Field(alias="schema")
    publisher: str
    sources: dict[str, MSource]
    measurements: list[dict[str, Any]]


@dataclass(frozen=True)
class LoadedMeasurement:
    row: Measurement
    source: MSource
    file: str

    @property
    def publisher(self) -> str:
        return self.source.publisher


def _fmt_error(exc: ValidationError) -> tuple[str, str | None]:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or None
    return err["msg"], loc


def load_measurements(path: str | Path | None = None) -> list[LoadedMeasurement]:
    """Every row of ``specs/measurements/*.yaml`` (or of one file / folder), all or nothing.

    Checks: schema, source keys, unique ids, chip ids in the chip catalog, model ids in the
    model catalog. Raises :class:`SpecFileError` naming the file, the row and the field.
    """
    from .catalog import get_chip
    from .model_catalog import get_model

    p = Path(path) if path is not None else _DIR
    files = sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    out: list[LoadedMeasurement] = []
    seen: dict[str, str] = {}
    for f in files:
        name = str(f)
        try:
            raw = yaml.safe_load(f.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SpecFileError(name, f"cannot read ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise SpecFileError(name, f"not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise SpecFileError(name, "top level must be a mapping with schema, publisher, sources, measurements")
        try:
            doc = _File.model_validate(raw)
        except ValidationError as exc:
            msg, loc = _fmt_error(exc)
            raise SpecFileError(name, msg, field=loc) from None
        for i, rec in enumerate(doc.measurements):
            label = str(rec.get("id", f"row {i + 1}")) if isinstance(rec, dict) else f"row {i + 1}"
            try:
                m = Measurement.model_validate(rec)
            except ValidationError as exc:
                msg, loc = _fmt_error(exc)
                raise SpecFileError(name, msg, record=label, field=loc) from None
            if m.id in seen:
                raise SpecFileError(name, f"duplicate id (also in {seen[m.id]})", record=m.id, field="id")
            if m.source not in doc.sources:
                raise SpecFileError(name, f"unknown source {m.source!r} (sources: {', '.join(doc.sources)})",
                                    record=m.id, field="source")
            try:
                get_chip(m.chip)
            except LookupError as exc:
                raise SpecFileError(name, str(exc), record=m.id, field="chip") from None
            try:
                get_model(m.model)
            except LookupError as exc:
                raise SpecFileError(name, str(exc), record=m.id, field="model") from None
            seen[m.id] = name
            out.append(LoadedMeasurement(m, doc.sources[m.source], name))
    return out


# --- validation -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasurementCheck:
    """One row against its bound. Speeds in token/s (or 1/s for latencies)."""

    id: str
    publisher: str
    chip: str
    n_chips: int
    model: str
    metric: str
    measured: float  #: as published, in the metric's unit
    unit: str
    bound: float  #: the bound in the same unit (a floor for times, a ceiling for rates)
    efficiency: float  #: measured speed / bounded speed; > 1 beats the bound
    limiter: str
    explain: str
    excluded: str | None = None  #: why the row is left out of the violation test
    accepted_tokens_per_step: float = 1.0
    bound_plain: float | None = None  #: bound with 1 accepted token per step (speculative rows)
    likely_cause: str | None = None

    @property
    def violation(self) -> bool:
        return self.excluded is None and self.efficiency > 1.0 + 1e-9


def _no_link_safe(fn: Any, args: tuple, kw: dict[str, Any]) -> tuple[Any, float]:
    """``(Bound, scale)`` with the communication term left out.

    The bound is taken on one chip at the whole batch and its times divided by
    ``scale = n``: compute and memory totals are spread evenly over the ``n`` chips
    (``t_n = t_1 / n``), and no bytes are charged to the links. This holds for any layout
    (tensor, pipeline, expert or data parallel, with or without in-network reduction): the
    tensor-parallel all-reduce of :func:`~accelspec.decode_bound` is not a lower bound for a
    data-parallel-attention / expert-parallel deployment, whose chips do not all see every
    token. The per-chip rate of the one-chip bound is already that of ``n`` chips.
    """
    model, chip, ctx, batch, n = args
    return fn(model, chip, ctx, batch, 1, **kw), float(n)


def _assumed_format(m: Measurement, what: str) -> str | None:
    """The format named by an ``assumed`` entry ``"<what>: <format> (reason)"``."""
    for a in m.assumed:
        if a.startswith(what + ":"):
            return a.split(":", 1)[1].strip().split()[0]
    return None


def _bound_for(m: Measurement, accepted: float) -> tuple[float, float, Any]:
    """``(bound in the metric's unit, bounded speed, Bound)`` for one row."""
    from .perf.bounds import decode_bound, prefill_bound

    f = m.formats
    assumed_w = _assumed_format(m, "weights")
    assumed_kv = _assumed_format(m, "kv_cache")
    w = f.weights or assumed_w or "bf16"
    kv = f.kv_cache or assumed_kv or w
    kind = m.metric.kind
    per_user = kind in ("tpot", "output_tokens_per_s_per_user", "e2e_latency", "ttft")
    stated = m.batch or m.concurrency
    batch = stated or (1 if per_user else UNBOUNDED_BATCH)
    n = m.n_chips
    kw: dict[str, Any] = {"weight_dtype": w, "kv_dtype": kv}
    # activations set the matmul format below 8-bit weights (fp4 weights with fp4 activations run fp4 GEMMs)
    act = f.activations or _assumed_format(m, "activations")
    if act:
        kw["activation_dtype"] = act
    per_chip_figure = m.figure_chips or n
    if m.phase == "prefill":
        # input length unknown: 1 token (prefill work per token grows with length)
        b, scale = _no_link_safe(prefill_bound, (m.model, m.chip, m.input_tokens or 1, batch, n), kw)
        if kind == "ttft":
            return b.t / scale * 1e3, scale / b.t, b
        speed = b.tokens_per_s_per_chip.m
        if kind == "input_tokens_per_s_total":
            return speed * per_chip_figure, speed, b
        return speed, speed, b
    s_in = m.input_tokens or 0
    s_out = m.output_tokens or 1
    ctx = m.context_tokens or max(1, s_in + (s_out + 1) // 2)
    b, scale = _no_link_safe(decode_bound, (m.model, m.chip, ctx, batch, n),
                             {**kw, "accepted_tokens_per_step": accepted})
    user = b.tokens_per_s_per_user.m * scale
    chip = b.tokens_per_s_per_chip.m
    if kind == "tpot":
        return 1e3 / user, user, b
    if kind == "output_tokens_per_s_per_user":
        return user, user, b
    if kind == "e2e_latency":
        return s_out / user, user, b  # latency floor (s); speed compared as S_out / latency
    if kind == "output_tokens_per_s_per_chip":
        return chip, chip, b
    return chip * per_chip_figure, chip, b  # total over figure_chips


def _measured_speed(m: Measurement) -> float:
    v, kind = m.metric.value, m.metric.kind
    if kind in ("tpot", "ttft"):
        return 1e3 / v
    if kind == "e2e_latency":
        return (m.output_tokens or 1) / v
    if kind.endswith("_total"):
        return v / (m.figure_chips or m.n_chips)
    return v


def _cause(m: Measurement, eff: float) -> str:
    causes = []
    if m.techniques.speculative and m.techniques.speculative.accepted_tokens_per_step is None:
        causes.append("speculative decoding with unpublished accepted tokens per step (the bound assumes 1)")
    if m.assumed:
        causes.append("an assumption about the measurement (" + "; ".join(m.assumed) + ")")
    if m.techniques.prefix_caching:
        causes.append("prefix caching skips prefill work the bound counts")
    causes.append("a spec in the catalog (peak, bandwidth or link too low) or a formula in accelspec.perf.costs")
    return f"beats the bound by {eff:.3g}x; likely: " + "; or ".join(causes)


def check_measurement(lm: LoadedMeasurement) -> MeasurementCheck:
    """One row's bound and efficiency."""
    m = lm.row
    spec = m.techniques.speculative
    accepted = spec.accepted_tokens_per_step if spec and spec.accepted_tokens_per_step else 1.0
    bound, speed, b = _bound_for(m, accepted)
    plain = None
    if accepted != 1.0:
        plain = _bound_for(m, 1.0)[0]
    eff = _measured_speed(m) / speed
    excluded = None
    if spec is not None and spec.accepted_tokens_per_step is None and m.phase == "decode":
        excluded = (f"speculative decoding ({spec.method}) with accepted tokens per step not published: "
                    f"the bound assumes 1 token per step")
    check = MeasurementCheck(
        id=m.id, publisher=lm.publisher, chip=m.chip, n_chips=m.n_chips, model=m.model, metric=m.metric.kind,
        measured=m.metric.value, unit=m.metric.unit, bound=bound, efficiency=eff, limiter=b.limiter,
        explain=(f"{m.n_chips} chips, communication left out, times / {m.n_chips}: " if m.n_chips > 1 else "")
        + b.explain(), excluded=excluded, accepted_tokens_per_step=accepted, bound_plain=plain)
    if eff > 1.0 + 1e-9:
        check = _replace(check, likely_cause=_cause(m, eff))
    return check


def _replace(c: MeasurementCheck, **kw: Any) -> MeasurementCheck:
    import dataclasses

    return dataclasses.replace(c, **kw)


@dataclass(frozen=True)
class ValidationReport:
    """Every shipped measurement with its bound and efficiency."""

    checks: list[MeasurementCheck]
    groups: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    @property
    def violations(self) -> list[MeasurementCheck]:
        return [c for c in self.checks if c.violation]

    @property
    def excluded(self) -> list[MeasurementCheck]:
        return [c for c in self.checks if c.excluded]

    @property
    def publishers(self) -> list[str]:
        return sorted({c.publisher for c in self.checks})

    @property
    def chips(self) -> list[str]:
        return sorted({c.chip for c in self.checks})

    def by_publisher(self) -> dict[str, tuple[int, float, float, float]]:
        """publisher -> (rows, median, min, max efficiency) over the rows not excluded."""
        out = {}
        for p in self.publishers:
            e = [c.efficiency for c in self.checks if c.publisher == p and not c.excluded]
            if e:
                out[p] = (len(e), statistics.median(e), min(e), max(e))
        return out

    def by_publisher_chip(self) -> dict[tuple[str, str], tuple[int, float, float, float]]:
        out = {}
        for key in sorted({(c.publisher, c.chip) for c in self.checks}):
            e = [c.efficiency for c in self.checks if (c.publisher, c.chip) == key and not c.excluded]
            if e:
                out[key] = (len(e), statistics.median(e), min(e), max(e))
        return out

    def summary(self) -> str:
        lines = [f"{len(self.checks)} measurements, {len(self.publishers)} publishers, {len(self.chips)} chips "
                 f"({', '.join(self.chips)}); violations: {len(self.violations)}; excluded: {len(self.excluded)}",
                 "", f"{'publisher':<28}{'chip':<14}{'rows':>5}{'median':>9}{'min':>8}{'max':>8}"]
        for (p, ch), (k, med, lo, hi) in self.by_publisher_chip().items():
            lines.append(f"{p:<28}{ch:<14}{k:>5}{med:>9.3f}{lo:>8.3f}{hi:>8.3f}")
        lines += ["", f"{'publisher':<42}{'rows':>5}{'median':>9}{'min':>8}{'max':>8}"]
        for p, (k, med, lo, hi) in self.by_publisher().items():
            lines.append(f"{p:<42}{k:>5}{med:>9.3f}{lo:>8.3f}{hi:>8.3f}")
        for c in self.violations:
            lines.append(f"!! VIOLATION {c.id}: measured {c.measured:g} {c.unit}, bound {c.bound:.4g} {c.unit}, "
                         f"efficiency {c.efficiency:.3f} -- {c.likely_cause}")
        for c in self.excluded:
            lines.append(f"-- excluded {c.id}: {c.excluded}; efficiency against the plain bound "
                         f"{c.efficiency:.3f} (measured {c.measured:g} {c.unit}, bound {c.bound:.4g} {c.unit})")
        for c in self.checks:
            if c.bound_plain is not None:
                lines.append(f"-- {c.id}: {c.accepted_tokens_per_step:g} accepted tokens/step: bound "
                             f"{c.bound:.4g} {c.unit} (efficiency {c.efficiency:.3f}); with 1 token/step: "
                             f"{c.bound_plain:.4g} {c.unit}")
        return "\n".join(lines)

    def to_records(self) -> list[dict[str, Any]]:
        import dataclasses

        return [dataclasses.asdict(c) | {"violation": c.violation} for c in self.checks]


def validate(path: str | Path | None = None, *, rows: Iterable[LoadedMeasurement] | None = None) -> ValidationReport:
    """Check every shipped measurement (or those in ``path``) against its bound.

    Returns a :class:`ValidationReport`: per row the bound, the efficiency
    (measured speed / bounded speed; must be <= 1) and the limiter; grouped by publisher and
    chip; violations (efficiency > 1) with their likely cause; rows excluded because the
    bound does not cover a technique they use.
    """
    loaded = list(rows) if rows is not None else load_measurements(path)
    checks = []
    for lm in loaded:
        c = check_measurement(lm)
        if not (math.isfinite(c.efficiency) and c.efficiency > 0):
            raise SpecFileError(lm.file, f"bound is not finite ({c.explain})", record=c.id)
        checks.append(c)
    return ValidationReport(checks)


def plot_efficiency(report: ValidationReport | None = None, ax: Any = None) -> Any:
    """Efficiency (measured / bounded speed) of every row, one column per chip, coloured by
    publisher, on a log axis with the bound (1.0) drawn; excluded rows hollow. Returns the axes."""
    import matplotlib.pyplot as plt

    report = report or validate()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    chips = report.chips
    pubs = report.publishers
    ncol = 10 if len(pubs) <= 10 else 20  # one colour per publisher up to 20
    cmap = plt.get_cmap(f"tab{ncol}")
    for j, p in enumerate(pubs):
        for excluded in (False, True):
            pts = [(chips.index(c.chip) + (j - len(pubs) / 2) * 0.06, c.efficiency) for c in report.checks
                   if c.publisher == p and bool(c.excluded) == excluded]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.scatter(xs, ys, s=22, label=None if excluded else p, edgecolors=cmap(j % ncol),
                           facecolors="none" if excluded else cmap(j % ncol))
    ax.axhline(1.0, color="k", lw=1)
    ax.text(len(chips) - 0.5, 1.05, "bound", ha="right", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(chips)), chips, rotation=30, ha="right")
    ax.set_ylabel("measured / bounded speed")
    ax.set_title(f"{len(report.checks)} published measurements against accelspec's bounds "
                 f"({len(report.violations)} violations; hollow: excluded)")
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    ax.figure.tight_layout()
    return ax
