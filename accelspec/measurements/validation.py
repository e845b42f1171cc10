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

* decode metrics of rows without an output length, or with a published mean KV length
  (``context_tokens``): one :func:`~accelspec.decode_bound` step at that context (or at
  ``S_in + floor((S_out + 1) / 2)``; the step bound is affine in context, hence convex, so by
  Jensen the mean over the steps is at least the bound at the mean context);
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
* prefill metrics: TTFT is at least the prompt's own prefill (batch 1: a request's first
  token needs its whole prompt processed, whatever else was batched or interleaved with it);
  input tokens/s is the prefill of the stated input length at the stated batch.
* whole requests (the row gives ``output_tokens``): :func:`~accelspec.perf.request.request_bound`'s
  formulas: TPOT and per-user rows the decode phase (``1 / TPOT``), end-to-end latency a static
  batch (``batch``) or steady state (``concurrency``), throughput rows steady state at the
  stated batch or concurrency (prefill interleaved unless ``disaggregated``);
* layouts: the row's published ``tp``/``pp``/``ep``/``dp`` with its link term (data-parallel
  attention + expert parallel rows carry the all-to-all, not a tensor-parallel all-reduce),
  timed as the bounds time a layout (:func:`~accelspec.perf.bounds.layout_times`): pipeline
  stages micro-batched, the chip's fabric as ``decode_bound`` sees it alone (one scale-up
  domain, in-network reduction where a system of the chip has the switch), an on-chip SRAM
  tier read first; rows without a layout spread the work evenly over the chips with no link
  term, and say so.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import SpecFileError
from ..specfiles import read_yaml, specs_dir, user_path

__all__ = ["Measurement", "MeasurementCheck", "ValidationReport", "load_measurements", "plot_efficiency", "validate"]


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
    tp: int | None = Field(default=None, ge=1)
    pp: int | None = Field(default=None, ge=1)
    ep: int | None = Field(default=None, ge=1)
    dp: int | None = Field(default=None, ge=1)


class Formats(_Strict):
    """Number formats as published (``None``: not stated)."""

    weights: str | None = None
    kv_cache: str | None = None
    activations: str | None = None
    #: the routed experts' format when it differs from ``weights`` (bf16 attention, MXFP4 experts)
    experts: str | None = None


#: the most tokens one verification step may keep (speculative decoding / MTP): published
#: methods keep well under 8; a larger figure is a typo or a fake number, not a measurement
MAX_ACCEPTED_TOKENS_PER_STEP = 16.0


class Speculative(_Strict):
    method: str  #: e.g. "Medusa", "EAGLE", "draft model", "MTP"
    draft_length: int | None = Field(default=None, ge=1)
    #: mean tokens kept per verification step, if published or derived (with basis in note)
    accepted_tokens_per_step: float | None = Field(default=None, ge=1.0)
    basis: str | None = None

    @model_validator(mode="after")
    def _within_draft(self) -> Speculative:
        a, k = self.accepted_tokens_per_step, self.draft_length
        if a is not None and k is not None and a > k + 1:
            raise ValueError(f"accepted_tokens_per_step {a} exceeds draft_length + 1 = {k + 1}")
        if a is not None and a > MAX_ACCEPTED_TOKENS_PER_STEP:
            raise ValueError(f"accepted_tokens_per_step {a:g} exceeds the {MAX_ACCEPTED_TOKENS_PER_STEP:g} tokens "
                             "one verification step can keep (speculative decoding / MTP)")
        if a is not None and not self.basis:
            raise ValueError("accepted_tokens_per_step needs a basis (where the number comes from)")
        return self


class Techniques(_Strict):
    speculative: Speculative | None = None
    prefix_caching: bool | None = None
    chunked_prefill: bool | None = None
    disaggregated: bool | None = None  #: prefill and decode on separate chips
    #: chips in the prefill and in the decode pool of a disaggregated run, and the tier between them
    prefill_chips: int | None = Field(default=None, ge=1)
    decode_chips: int | None = Field(default=None, ge=1)
    pool_link: str | None = None  #: e.g. "RDMA 400 Gb/s per GPU", "NVLink (same rack)"
    other: list[str] = Field(default_factory=list)


class Slo(_Strict):
    """Latency limits a run had to meet (e.g. MLPerf Server: p99 TTFT <= 2,000 ms, p99 TPOT <= 200 ms)."""

    ttft_ms: float | None = Field(default=None, gt=0)
    tpot_ms: float | None = Field(default=None, gt=0)
    percentile: float | None = Field(default=None, gt=0, le=100)  #: the limits hold at this percentile (99 for MLPerf)


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
    figure_chips: int | None = Field(default=None, ge=1)
    layout: Layout = Layout()
    model: str  #: id in the model catalog
    model_as_published: str
    formats: Formats = Formats()
    batch: int | None = Field(default=None, ge=1)
    #: whether ``batch`` counts the sequences of the whole instance or of one data-parallel rank
    #: (SGLang and vLLM wide-EP runs publish "batch per rank"): the bound uses ``batch x dp``
    batch_scope: Literal["total", "per_rank"] = "total"
    #: ``input_tokens`` / ``output_tokens`` are the published lengths of every request ("fixed"),
    #: or a data set's mean lengths ("dataset_mean", as MLPerf publishes): the bound at the mean
    #: lengths is still a bound (decode work is linear in the context; prefill work is convex in it,
    #: so the mean length understates the work)
    lengths: Literal["fixed", "dataset_mean"] = "fixed"
    concurrency: int | None = Field(default=None, ge=1)
    input_tokens: int | None = Field(default=None, ge=1)
    output_tokens: int | None = Field(default=None, ge=1)
    #: mean KV length per output token when published (overrides the input/output rule)
    context_tokens: int | None = Field(default=None, ge=1)
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
        if self.batch_scope == "per_rank" and self.batch is None:
            raise ValueError("batch_scope per_rank needs batch")
        t = self.techniques
        if (t.prefill_chips or t.decode_chips) and not t.disaggregated:
            raise ValueError("prefill_chips / decode_chips describe a disaggregated run: set disaggregated: true")
        if t.decode_chips is not None and t.decode_chips != self.n_chips and self.phase == "decode":
            raise ValueError(f"decode_chips {t.decode_chips} differs from n_chips {self.n_chips}: n_chips is the "
                             "decode pool for a decode figure")
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

    Parameters
    ----------
    path : str or Path, optional
        A measurement file, or a folder of ``*.yaml`` files (default: the shipped
        ``specs/measurements/``).

    Returns
    -------
    list of LoadedMeasurement
        Every row (the published figure with its workload, formats and layout), its source
        and the file it came from.

    Raises
    ------
    SpecFileError
        A file cannot be read, is not valid YAML or breaks the schema; an id repeats; a row
        names an unknown source, chip or model.
    """
    from ..hardware.catalog import get_chip
    from ..model.catalog import get_model

    p = user_path(path) if path is not None else specs_dir() / "measurements"
    files = sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    out: list[LoadedMeasurement] = []
    seen: dict[str, str] = {}
    for f in files:
        name = str(f)
        raw = read_yaml(f)  # the one reader: size, depth and alias limits, as for every spec file
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
    #: True when the bound charges the row's published layout its link traffic; False when the
    #: layout is not published (work spread evenly over the chips, no link term; ``explain`` says so)
    communication: bool = False

    @property
    def violation(self) -> bool:
        return self.excluded is None and self.efficiency > 1.0 + 1e-9


@dataclass(frozen=True)
class _RowLayout:
    """How a row's chips are modelled: ``parallelism`` (with its link term) or ``None`` (the
    work spread evenly over ``n`` chips, no link bytes), and the sentence that says so."""

    parallelism: Any
    note: str
    comm: bool


def _row_layout(m: Measurement, batch: int) -> _RowLayout:
    """The row's published layout as a :class:`~accelspec.perf.memory.Parallelism`.

    * no layout published: ``None``: compute and memory totals of one chip at the whole batch,
      spread evenly over the ``n`` chips, no link bytes. No layout needs less of either (tensor
      parallel shards the same totals, data parallel replicates weights), so this is a bound
      for every layout; the communication term is left out and the report says so.
    * a layout: ``tp``, ``pp``, ``ep``, ``dp`` as published; ``dp`` not given is
      ``n / (tp pp)`` (an ``ep``-only row such as "EP320" runs attention data parallel). The
      link term then follows the layout: all-reduces for ``tp`` > 1 only, an all-to-all
      for ``ep`` (DP attention + EP has no tensor-parallel all-reduce).
    * an ``ep`` that does not divide the experts or the chips (DeepSeek's 256 experts + 32
      redundant over 144 GPUs; EP320 over 160 two-die 910C packages) is kept: each chip is
      charged ``1/ep`` of the routed expert bytes (the balanced share, never more than a chip holds).
    * per-user rows at a batch below ``dp``: only ``batch`` replicas are busy (``dp = batch``),
      so the experts read are those of ``batch`` tokens, not of one token per replica.
    """
    from ..model.catalog import get_model
    from ..perf.memory import InvalidArgumentError, Parallelism

    lay, n = m.layout, m.n_chips
    if all(getattr(lay, k) is None for k in ("tp", "pp", "ep", "dp")):
        return _RowLayout(None, "layout not published: communication left out (work spread evenly over "
                          f"the {n} chips, which no layout beats)" if n > 1 else "one chip", False)
    tp, pp, ep = lay.tp or 1, lay.pp or 1, lay.ep or 1
    dp = lay.dp or (n // (tp * pp) if n % (tp * pp) == 0 else 0)
    if tp * pp * dp != n:
        return _RowLayout(None, f"layout {lay.model_dump(exclude_none=True)} does not cover the {n} chips: "
                          "communication left out", False)
    par = Parallelism(tp=tp, pp=pp, ep=ep, dp=dp)
    note = f"layout {par} as published; communication included"
    try:
        par.check(get_model(m.model))
    except InvalidArgumentError as exc:
        if "ep=" not in str(exc):
            return _RowLayout(None, f"layout {par}: {exc}; communication left out", False)
        note += f" ({exc}: each chip charged 1/{ep} of the routed expert bytes, the balanced share)"
    if dp > batch:
        par = Parallelism(tp=tp, pp=pp, ep=ep, dp=batch)
        note += f"; batch {batch} keeps {batch} of the {dp} data-parallel replicas busy"
    return _RowLayout(par, note, True)


@dataclass(frozen=True)
class _RowBound:
    bound: float  #: in the metric's unit
    speed: float  #: bounded speed (token/s, or 1/s for a latency)
    limiter: str
    explain: str
    comm: bool


def _assumed_format(m: Measurement, what: str) -> str | None:
    """The format named by an ``assumed`` entry ``"<what>: <format> (reason)"``."""
    for a in m.assumed:
        if a.startswith(what + ":"):
            return a.split(":", 1)[1].strip().split()[0]
    return None


def _bound_for(m: Measurement, accepted: float) -> _RowBound:
    """The bound of one row (module docstring): a request bound
    (:func:`~accelspec.perf.request.request_bound`) where the row gives its output length,
    else one decode step or one prefill (:mod:`accelspec.perf.bounds`)."""
    from ..hardware.catalog import get_chip
    from ..perf.bounds import layout_numbers, layout_times
    from ..perf.comm import fabric_numbers
    from ..perf.memory import Parallelism
    from ..perf.request import request_times
    from ..perf.roofline import chip_numbers

    f = m.formats
    w = f.weights or _assumed_format(m, "weights") or "native"  # the checkpoint's format: the one default
    kv = f.kv_cache or _assumed_format(m, "kv_cache") or (w if w != "native" else "bf16")
    kind = m.metric.kind
    per_user = kind in ("tpot", "output_tokens_per_s_per_user", "e2e_latency", "ttft")
    stated = m.batch or m.concurrency
    if m.batch_scope == "per_rank" and m.batch is not None:
        lay = m.layout
        ranks = lay.dp or max(1, m.n_chips // ((lay.tp or 1) * (lay.pp or 1)))
        stated = m.batch * ranks  # the instance decodes batch x dp sequences
    batch = stated or (1 if per_user else UNBOUNDED_BATCH)
    if kind == "ttft":
        batch = 1  # a mean TTFT is at least the prompt's own prefill, whatever was batched with it
    kw: dict[str, Any] = {"kv_dtype": kv}
    if f.experts:
        kw["expert_dtype"] = f.experts
    # activations set the matmul format below 8-bit weights (fp4 weights with fp4 activations run fp4 GEMMs)
    act = f.activations or _assumed_format(m, "activations")
    if act:
        kw["activation_dtype"] = act
    rl = _row_layout(m, batch)
    n = m.n_chips
    ln = layout_numbers(m.model, rl.parallelism or Parallelism(), w, **kw)
    cn = chip_numbers(m.chip, ln.dtypes.precision)
    if rl.comm and n > 1 and not cn.has_link:
        rl = _RowLayout(None, rl.note.replace("communication included", "communication left out (no link "
                                              "bandwidth published)"), False)
        ln = layout_numbers(m.model, Parallelism(), w, **kw)
    scale = 1.0 if rl.comm else float(n)  # spread-evenly rows: one chip's times / n
    n_lay = float(rl.parallelism.n_chips) if rl.comm else 1.0  # chips the times below are per
    # the fabric of decode_bound on the chip alone: one scale-up domain, in-network reduction
    # where a system of the chip has the switch; pipelines micro-batched, as every bound
    fab = fabric_numbers(get_chip(m.chip) if isinstance(m.chip, str) else m.chip, None, cn.link, "auto")
    peak, bw, link = cn.peak[1], cn.bandwidth[1], fab.up[1]
    fast = cn.fast_tier(chips=scale)  # an SRAM read before the memory roof (the SN40L's)
    lt_kw: dict[str, Any] = {"fast": fast, "microbatch": True, "domain": fab.domain, "in_network": fab.in_network}
    figure = m.figure_chips or n
    lead = rl.note + ". "

    if m.phase == "prefill":
        S = m.input_tokens or 1  # prefill work per token grows with length: 1 token is the looser
        tc, tm, tl, t, *_ = (float(x) for x in layout_times(ln, "prefill", float(S), float(batch), peak, bw, link,
                                                                 **lt_kw))
        t /= scale
        lim = ("compute", "memory", "interconnect")[int(np.argmax([tc, tm, tl]))]
        if kind == "ttft":
            return _RowBound(t * 1e3, 1.0 / t, lim, lead + f"prefill of {S} tokens at batch {batch}: "
                             f">= {t * 1e3:.4g} ms", rl.comm)
        per_chip = batch * S / ((n_lay if rl.comm else float(n)) * t)
        text = lead + f"prefill of {S} tokens at batch {batch}: <= {per_chip:.4g} input token/s per chip"
        if kind == "input_tokens_per_s_total":
            return _RowBound(per_chip * figure, per_chip, lim, text, rl.comm)
        return _RowBound(per_chip, per_chip, lim, text, rl.comm)

    if m.output_tokens is not None and m.context_tokens is None:
        # a whole request: static batch, or steady state at the concurrency / for throughput figures
        S, n_out = m.input_tokens or 1, m.output_tokens
        steady = m.concurrency is not None or not per_user
        colocated = not m.techniques.disaggregated  # disaggregated: prefill runs on other chips
        r = request_times(ln, cn, S, n_out, batch, "steady" if steady else "static", accepted, True, (1.0, 1.0, 1.0),
                          colocated_prefill=colocated, fabric=fab)
        ttft, dec = r.ttft_s[0] / scale, r.decode_s[0] / scale
        text = lead + "; ".join(x.strip() for x in r.explain().splitlines())
        lim = r.limiter if n_out > 1 else r.prefill_limiter
        if kind == "e2e_latency":
            e2e = ttft + dec
            return _RowBound(e2e, n_out / e2e, lim, text, rl.comm)
        if kind in ("tpot", "output_tokens_per_s_per_user"):
            if n_out < 2:
                raise SpecFileError(m.id, f"{kind} needs output_tokens >= 2")
            user = (n_out - 1) / dec
            return _RowBound(1e3 / user if kind == "tpot" else user, user, lim, text, rl.comm)
        chips = n_lay * scale if rl.comm else float(n)
        if steady and n_out > 1:
            per_chip = batch * n_out / (chips * dec)  # C a n_out / ((n_out-1) n t_round): dec = (n_out-1) t_round / a
        else:
            per_chip = batch * n_out / (chips * (ttft + dec))
        if kind == "output_tokens_per_s_total":
            return _RowBound(per_chip * figure, per_chip, lim, text, rl.comm)
        return _RowBound(per_chip, per_chip, lim, text, rl.comm)

    # one decode step at the published mean context (or at the shortest context the row allows)
    s_in = m.input_tokens or 0
    s_out = m.output_tokens or 1
    ctx = m.context_tokens or max(1, s_in + (s_out + 1) // 2)
    tc, tm, tl, t, *_ = (float(x) for x in layout_times(ln, "decode", float(ctx), float(batch), peak, bw, link,
                                                                 **lt_kw))
    t /= scale
    lim = ("compute", "memory", "interconnect")[int(np.argmax([tc, tm, tl]))]
    user = accepted / t
    per_chip = accepted * batch / ((n_lay if rl.comm else float(n)) * t)
    spec = (f"{accepted:g} accepted tokens per step" if accepted != 1.0 else
            "1 token per step (no speculative decoding / MTP assumed)")
    text = (lead + f"one decode step at context {ctx:,}, batch {batch}: >= {t * 1e3:.4g} ms ({lim}-bound); "
            f"<= {user:.4g} token/s per user, <= {per_chip:.4g} token/s per chip; {spec}")
    if kind == "tpot":
        return _RowBound(1e3 / user, user, lim, text, rl.comm)
    if kind == "output_tokens_per_s_per_user":
        return _RowBound(user, user, lim, text, rl.comm)
    if kind == "e2e_latency":
        return _RowBound(s_out / user, user, lim, text, rl.comm)
    if kind == "output_tokens_per_s_per_chip":
        return _RowBound(per_chip, per_chip, lim, text, rl.comm)
    return _RowBound(per_chip * figure, per_chip, lim, text, rl.comm)


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
    causes.append("a spec in the catalog (peak, bandwidth or link too low) or a formula in accelspec.perf.opcost")
    return f"beats the bound by {eff:.3g}x; likely: " + "; or ".join(causes)


def check_measurement(lm: LoadedMeasurement) -> MeasurementCheck:
    """One row's bound and efficiency."""
    m = lm.row
    spec = m.techniques.speculative
    accepted = spec.accepted_tokens_per_step if spec and spec.accepted_tokens_per_step else 1.0
    rb = _bound_for(m, accepted)
    plain = None
    if accepted != 1.0:
        plain = _bound_for(m, 1.0).bound
    eff = _measured_speed(m) / rb.speed
    excluded = None
    if spec is not None and spec.accepted_tokens_per_step is None and m.phase == "decode":
        excluded = (f"speculative decoding ({spec.method}) with accepted tokens per step not published: "
                    f"the bound assumes 1 token per step")
    check = MeasurementCheck(
        id=m.id, publisher=lm.publisher, chip=m.chip, n_chips=m.n_chips, model=m.model, metric=m.metric.kind,
        measured=m.metric.value, unit=m.metric.unit, bound=rb.bound, efficiency=eff, limiter=rb.limiter,
        explain=rb.explain, excluded=excluded, accepted_tokens_per_step=accepted, bound_plain=plain,
        communication=rb.comm)
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
                 f"communication term: included for {sum(c.communication for c in self.checks)} rows (their "
                 f"published layout), left out for {sum(not c.communication and c.n_chips > 1 for c in self.checks)}"
                 " multi-chip rows (layout not published: work spread evenly over the chips)",
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

    Parameters
    ----------
    path : str or Path, optional
        Measurement file or folder, as :func:`load_measurements` reads it (default: the
        shipped ``specs/measurements/``).
    rows : iterable of LoadedMeasurement, optional
        Rows already loaded (then ``path`` is not read).

    Returns
    -------
    ValidationReport
        Per row the bound (in the unit of the published metric), the efficiency (measured /
        bound speed, at most 1) and the limiter; the groups by publisher and chip; the
        violations.

    Raises
    ------
    SpecFileError
        A file is malformed (see :func:`load_measurements`), or a row's bound is not finite.
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
    publisher, on a log axis with the bound (1.0) drawn. Circles: the bound charges the row's
    published layout its link traffic; triangles: layout not published (no link term); hollow:
    excluded from the violation test. Returns the axes."""
    import matplotlib.pyplot as plt

    report = report or validate()
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.8))
    chips = report.chips
    pubs = report.publishers
    ncol = 10 if len(pubs) <= 10 else 20  # one colour per publisher up to 20
    cmap = plt.get_cmap(f"tab{ncol}")
    for j, p in enumerate(pubs):
        for excluded in (False, True):
            for comm, marker in ((True, "o"), (False, "^")):
                rows = [c for c in report.checks if c.publisher == p and bool(c.excluded) == excluded
                        and (c.communication or c.n_chips == 1) == comm]
                if not rows:
                    continue
                xs = [chips.index(c.chip) + (j - (len(pubs) - 1) / 2) * 0.07 for c in rows]
                ys = [c.efficiency for c in rows]
                ax.scatter(xs, ys, s=26, marker=marker, edgecolors=cmap(j % ncol),
                           facecolors="none" if excluded else cmap(j % ncol), linewidths=1.2)
    ax.axhline(1.0, color="k", lw=1)
    ax.text(-0.45, 1.08, "bound (efficiency 1)", ha="left", va="bottom", fontsize=8)
    ax.set_yscale("log")
    lo = min(c.efficiency for c in report.checks)
    ax.set_ylim(min(lo, 0.05) / 1.5, 2.0)
    ax.set_xlim(-0.6, len(chips) - 0.4)
    ax.set_xticks(range(len(chips)), chips, rotation=30, ha="right")
    ax.set_ylabel("measured / bounded speed")
    ax.set_title(f"{len(report.checks)} published measurements against accelspec's bounds "
                 f"({len(report.violations)} violations)", fontsize=11)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="", marker="o", color=cmap(j % ncol), label=p) for j, p in enumerate(pubs)]
    handles += [Line2D([], [], ls="", marker="o", color="0.4",
                       label="link term charged (layout published) or one chip"),
                Line2D([], [], ls="", marker="^", color="0.4", label="no link term (layout not published)"),
                Line2D([], [], ls="", marker="o", mfc="none", color="0.4", label="excluded (speculative, "
                       "acceptance unpublished)")]
    ax.legend(handles=handles, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", which="both", alpha=0.25)
    ax.figure.tight_layout()
    return ax
