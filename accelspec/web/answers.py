"""The questions the CLI answers, as functions of plain arguments returning JSON-ready dicts.

One place for the HTTP API (:mod:`accelspec.web.app`) and the MCP tools
(:mod:`accelspec.mcp_server`): each function resolves its inputs (counts such as ``"8k"``,
capped), calls the library through ``import accelspec as a`` and returns the shape that the
CLI's ``--json`` output has (tests/web/test_answers.py runs the CLI and compares), with every quantity
also given as a ``{value, unit, status, source, range, direction, basis}`` record
(:func:`accelspec.provenance.quantity_out`: a published value keeps its source id; a
computed one says ``derived`` and how it was derived). No formula is written here.

Input limits (:data:`LIMITS`) keep one request small: a count above its cap, or a list
longer than its cap, raises :class:`accelspec.InvalidArgumentError` naming the argument.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import accelspec as a
from accelspec.errors import AccelspecError, InvalidArgumentError, UnknownNameError
from accelspec.inputs import parse_count
from accelspec.io.json_out import bound_json, cost_json
from accelspec.provenance import quantity_out, source_out

__all__ = [
    "LIMITS", "bound", "chip", "chips", "claims", "compare", "cost", "error_field", "finite", "fit",
    "frontier", "min_chips", "models", "plan", "request", "system", "systems", "train", "validate_upload",
]

#: The largest value (counts) or length (lists) each argument accepts in one request.
LIMITS: dict[str, int] = {
    "context": 16 * 2**20,       # tokens: 16 Mi
    "input": 16 * 2**20,
    "output": 1 * 2**20,
    "seq_len": 2 * 2**20,
    "batch": 65_536,
    "concurrency": 65_536,
    "micro_batch": 4_096,
    "n_chips": 65_536,
    "max_chips": 256,            # plan and the fewest-chips search: the largest deployment tried
    "chips": 32,                 # compare / plan / frontier: names in one question
    "frontier_chips": 8,
    "body_bytes": 2 * 2**20,     # an uploaded measurement file
}


# --- inputs --------------------------------------------------------------------------------
def _count(value: Any, what: str) -> int | None:
    """A count (``8192``, ``"8k"``, ``"32Ki"``) within :data:`LIMITS`; ``None``/``""`` -> ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    n = parse_count(value, what)
    cap = LIMITS.get(what)
    if cap is not None and n > cap:
        raise InvalidArgumentError(what, f"{n:,} is above this server's limit of {cap:,}")
    return n


def _n(value: Any, what: str, default: int) -> int:
    """:func:`_count` with a default: always a count."""
    n = _count(value, what)
    return default if n is None else n


def _need(value: Any, what: str) -> int:
    """:func:`_count` of a required argument."""
    n = _count(value, what)
    if n is None:
        raise InvalidArgumentError(what, "required: give a count such as 8192 or 8k")
    return n


def _names(value: Any, what: str, cap: int | None = None) -> list[str]:
    """``"h100,h200"``, ``"h100 h200"`` or a list -> names, at most ``cap``."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    out = [str(v).strip() for v in items if str(v).strip()]
    cap = LIMITS["chips"] if cap is None else cap
    if len(out) > cap:
        raise InvalidArgumentError(what, f"{len(out)} names given; this server takes at most {cap}")
    return out


def _opt(value: Any) -> Any:
    """``""`` -> ``None`` (an empty form field means the library's default)."""
    return None if isinstance(value, str) and not value.strip() else value


def _fraction(value: Any, what: str, default: float = 1.0) -> float:
    if value is None or value == "":
        return default
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(what, f"expected a number in [1e-6, 1], got {value!r}") from None
    if not 1e-6 <= v <= 1.0:
        raise InvalidArgumentError(what, f"must be in [1e-6, 1] (achieved fraction of peak), got {value!r}")
    return v


def finite(data: Any) -> Any:
    """JSON has no Infinity or NaN: non-finite floats become ``None`` (as the CLI's output)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, Mapping):
        return {str(k): finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(v) for v in data]
    if hasattr(data, "tolist") and not isinstance(data, (str, bytes)):  # numpy scalars and arrays
        return finite(data.tolist())
    return data


def derived(q: Any, unit: str, basis: str, rng: Iterable[Any] | None = None) -> dict[str, Any]:
    """A computed quantity in the ``QuantityOut`` shape: status ``derived``, no source of its
    own (its inputs carry theirs), ``basis`` saying how it was derived."""
    import numpy as np

    value = float(np.max(q.m_as(unit)))
    r = None if rng is None else [float(np.max(x.m_as(unit))) for x in rng]
    if r is not None and r[0] == r[1]:
        r = None
    return {"value": value, "unit": unit, "status": "derived", "source": None, "range": r, "direction": None,
            "basis": basis}


def error_field(exc: BaseException, given: Mapping[str, Any]) -> str | None:
    """The argument an error is about: the library's ``argument`` / ``field`` attribute, the
    ``"what: ..."`` prefix of its message when that names an argument, or for an unknown name the
    argument whose value holds that name."""
    for attr in ("argument", "field"):
        v = getattr(exc, attr, None)
        if isinstance(v, str) and v:
            return v.lstrip("-").replace("-", "_")
    msg = str(exc.args[0]) if exc.args else str(exc)
    head = msg.split(":", 1)[0].strip().lstrip("-").replace("-", "_")
    if ":" in msg and head in given:
        return head
    if isinstance(exc, UnknownNameError):
        name = str(exc.name).lower()
        for key, value in given.items():
            if value is not None and name in [n.lower() for n in _names(value, key, cap=10**6)]:
                return key
        return {"chip": "chip", "system": "chip", "hardware": "chip", "model": "model"}.get(exc.kind, exc.kind)
    return None


# --- catalog -------------------------------------------------------------------------------
def chips(vendor: str | None = None) -> dict[str, Any]:
    """The chips (``accelspec list --json`` rows), each with its memory capacity, bandwidth and
    dense bf16 peak as sourced quantities."""
    from accelspec.hardware.comparison import lookup_value

    found = a.chips(vendor=_opt(vendor))
    rows = []
    for c in sorted(found, key=lambda c: (c.vendor, c.name)):
        rows.append({"id": c.id, "name": c.name, "vendor": c.vendor, "lifecycle": c.lifecycle,
                     "memory_capacity": quantity_out(lookup_value(c, "memory.capacity"), "GB"),
                     "memory_bandwidth": quantity_out(lookup_value(c, "memory.bandwidth"), "TB/s"),
                     "bf16_dense": quantity_out(lookup_value(c, "compute.dense.bf16"), "TFLOPS")})
    return {"catalog_version": a.catalog_version(), "vendor": _opt(vendor), "chips": rows}


def chip(name: str) -> dict[str, Any]:
    """One chip: every field with its source and status (``accelspec show CHIP --json``)."""
    c = a.get_chip(name)
    comp = c.compute
    return {"id": c.id, "name": c.name, "vendor": c.vendor, "aliases": c.aliases, "family": c.family,
            "form_factor": c.form_factor, "device": c.device, "lifecycle": c.lifecycle,
            "fields": {p: quantity_out(v) for p, v in c.fields()},
            "unsupported": [str(p) for p in comp.unsupported],
            "supported_unpublished": [str(p) for p in comp.supported if p not in comp.dense],
            "notes": c.notes, "sources": {k: source_out(s) for k, s in c.sources().items()},
            "spec_file": c.origin}


def systems(vendor: str | None = None) -> dict[str, Any]:
    """The systems (``accelspec systems --json`` rows) with their derived totals as quantities."""
    rows = []
    for s in a.systems(vendor=_opt(vendor)):
        hbm, bf16 = s.total_hbm, s.total_bf16
        rows.append({"id": s.id, "name": s.name, "vendor": s.vendor, "chip": s.chip, "count": s.n_chips,
                     "total_hbm": None if hbm is None else quantity_out(hbm, "TB"),
                     "total_bf16_dense": None if bf16 is None else quantity_out(bf16, "PFLOP/s")})
    return {"catalog_version": a.catalog_version(), "systems": rows}


def system(name: str) -> dict[str, Any]:
    """One system's record (``accelspec show-system NAME --json``) and its summary line."""
    s = a.get_system(name)
    return {**s.model_dump(mode="json"), "summary": s.summary()}


def models() -> dict[str, Any]:
    """The models (``accelspec models --json`` rows)."""
    rows = []
    m: Any
    for m in a.models():
        rows.append({"id": m.id, "name": m.name, "params_total": m.params_total(),
                     "params_active": m.params_active(), "attention": m.attention_variant,
                     "kv_bf16_B_per_token": float(m.kv_cache_per_token("bf16").m_as("B/token"))})
    return {"models": rows}


def compare(chips: Any, fields: Any = None, baseline: str | None = None) -> dict[str, Any]:
    """Chips side by side (``accelspec compare --json``)."""
    names = _names(chips, "chips")
    if not names:
        raise InvalidArgumentError("chips", "give at least one chip, e.g. h100,mi300x")
    return dict(a.comparison(names, _names(fields, "fields", cap=64) or None, baseline=_opt(baseline)).to_json())


# --- memory --------------------------------------------------------------------------------
def _gb(q: Any) -> float:
    import numpy as np

    return float(np.max(q.m_as("GB")))


def _fit_record(r: Any) -> dict[str, Any]:
    """A :class:`~accelspec.perf.memory.FitResult` in the shape of ``accelspec fit --json``
    (tests/web/test_answers.py checks the two agree key for key)."""
    return {"fits": bool(r.fits), "verdict": r.verdict, "chip": r.chip, "system": getattr(r, "system", "") or None,
            "n_chips": r.n_chips, "parallelism": str(r.parallelism), "required_GB_per_chip": _gb(r.required),
            "available_GB_per_chip": _gb(r.available), "available_low_GB": _gb(r.available_low),
            "available_high_GB": _gb(r.available_high), "headroom_GB": _gb(r.headroom),
            "largest_term": r.largest_term, "terms_GB": {k: _gb(v) for k, v in r.footprint.terms().items()},
            "explanation": r.explanation, "assumptions": getattr(r, "assumptions", ""),
            "warnings": list(getattr(r, "warnings", ())), "weight_source": getattr(r, "weight_source", ""),
            "weight_format": r.footprint.dtypes.get("weight_format")}


def _chip_of(name: str) -> Any:
    try:
        return a.get_chip(name)
    except LookupError:
        return None


def fit(model: str, chip: str, context: Any, batch: Any = 1, *, n_chips: Any = None, weights: str | None = None,
        kv: str = "bf16", parallelism: str | None = None) -> dict[str, Any]:
    """Does ``model`` at ``context`` tokens and ``batch`` fit ``chip`` (a chip or a system)?
    ``accelspec fit --json``: the verdict, the memory breakdown, the longest context, largest
    batch and fewest chips (searched up to ``LIMITS["max_chips"]``; ``None`` beyond), and the
    quantities with their sources."""
    ctx = _need(context, "context")
    b = _n(batch, "batch", 1)
    n = _count(n_chips, "n_chips")
    kw: dict[str, Any] = {"weight_dtype": _opt(weights), "kv_dtype": _opt(kv) or "bf16"}
    par = _opt(parallelism)
    res = a.fits(model, chip, ctx, b, n_chips=n, parallelism=par, **kw)
    longest = a.max_context(model, chip, batch=b, n_chips=n, parallelism=par, **kw)
    widest = a.max_batch(model, chip, ctx, n_chips=n, parallelism=par, **kw)
    fewest = a.min_chips(model, chip, ctx, b, max_chips=LIMITS["max_chips"], **kw)
    data = _fit_record(res)
    data["max_context_tokens"] = None if math.isinf(longest.value) else int(longest.value)
    data["max_batch"] = None if math.isinf(widest.value) else int(widest.value)
    data["min_chips"] = fewest.value
    data["limits"] = {"max_context": longest.explanation, "max_batch": widest.explanation,
                      "min_chips": fewest.explanation}
    c = _chip_of(res.chip)
    q: dict[str, Any] = {
        "required_per_chip": derived(res.required, "GB", "sum of the memory terms per chip"),
        "available_per_chip": derived(res.available, "GB", "memory capacity less the reserve",
                                      (res.available_low, res.available_high)),
        "headroom": derived(res.headroom, "GB", "available - required"),
        "terms": {k: derived(v, "GB", f"memory term {k}") for k, v in res.footprint.terms().items()},
    }
    if c is not None:
        q["memory_capacity"] = quantity_out(c.memory.capacity, "GB") if c.memory.capacity is not None else None
    data["quantities"] = q
    data["inputs"] = {"model": model, "chip": chip, "context": ctx, "batch": b, "n_chips": n,
                      "weights": kw["weight_dtype"], "kv": kw["kv_dtype"], "parallelism": par}
    return finite(data)


def min_chips(model: str, chip: str, context: Any, batch: Any = 1, *, weights: str | None = None,
              kv: str = "bf16", parallelism: str | None = None) -> dict[str, Any]:
    """The fewest chips that hold ``model`` at ``context`` and ``batch`` (searched up to
    ``LIMITS["max_chips"]``; ``None`` beyond)."""
    ctx = _need(context, "context")
    b = _n(batch, "batch", 1)
    r = a.min_chips(model, chip, ctx, b, parallelism=_opt(parallelism), max_chips=LIMITS["max_chips"],
                    weight_dtype=_opt(weights),
                    kv_dtype=_opt(kv) or "bf16")
    return finite({"model": model, "chip": chip, "context_tokens": ctx, "batch": b, "min_chips": r.value,
                   "explanation": r.explanation})


# --- bounds --------------------------------------------------------------------------------
def bound(model: str, chip: str, context: Any, batch: Any = 1, *, phase: str = "decode", n_chips: Any = None,
          weights: str | None = None, kv: str = "bf16", parallelism: str | None = None,
          precision: str | None = None, routing: str = "balanced", collective: str = "auto",
          compute_eff: Any = None, bandwidth_eff: Any = None, link_eff: Any = None) -> dict[str, Any]:
    """Lower bound on a decode step or a prefill (``accelspec bound --json``), with its
    assumptions line and the roofs it rests on (peak compute, memory bandwidth: sourced)."""
    if phase not in ("decode", "prefill"):
        raise InvalidArgumentError("phase", f"expected decode or prefill, got {phase!r}")
    if routing not in ("balanced", "best-case"):
        raise InvalidArgumentError("routing", f"expected balanced or best-case, got {routing!r}")
    if collective not in ("auto", "ring", "in-network"):
        raise InvalidArgumentError("collective", f"expected auto, ring or in-network, got {collective!r}")
    fn = a.prefill_bound if phase == "prefill" else a.decode_bound
    ctx = _need(context, "context")
    b = _n(batch, "batch", 1)
    res = fn(model, chip, ctx, b, _count(n_chips, "n_chips"), parallelism=_opt(parallelism),
             weight_dtype=_opt(weights) or "native", kv_dtype=_opt(kv) or "bf16", precision=_opt(precision),
             compute_efficiency=_fraction(compute_eff, "compute_eff"),
             bandwidth_efficiency=_fraction(bandwidth_eff, "bandwidth_eff"),
             link_efficiency=_fraction(link_eff, "link_eff"), routing=routing, collective=collective)
    data = bound_json(res)
    q: dict[str, Any] = {
        "time": derived(res.time, "ms", f"{res.phase} bound, limited by {res.limiter}", res.time_range),
        "tokens_per_s_per_user": derived(res.tokens_per_s_per_user, "token/s", "1 / step time"),
        "tokens_per_s_per_chip": derived(res.tokens_per_s_per_chip, "token/s", "batch / step time / chips"),
    }
    c = _chip_of(res.chip)
    if c is not None:
        from accelspec.hardware.comparison import lookup_value

        q["memory_bandwidth"] = quantity_out(lookup_value(c, "memory.bandwidth"), "TB/s")
        q["peak_compute"] = quantity_out(lookup_value(c, f"compute.dense.{res.precision}"))
    data["quantities"] = q
    data["estimate"] = _estimate_record(res)
    return finite(data)


def _estimate_record(res: Any) -> dict[str, Any] | None:
    """The calibrated estimate beside a bound, as the CLI's ``--json`` gives it (``None`` when
    the calibration cannot judge it)."""
    try:
        return a.estimate(res).to_dict()
    except (FileNotFoundError, LookupError, AccelspecError):
        return None


def request(model: str, chip: str, input: Any = 2048, output: Any = 256, batch: Any = 1, *,
            concurrency: Any = None, n_chips: Any = None, weights: str | None = None, kv: str = "bf16",
            parallelism: str | None = None, accepted: Any = None) -> dict[str, Any]:
    """Bounds on whole requests: TTFT, TPOT, latency, throughput (``accelspec request --json``)."""
    conc = _count(concurrency, "concurrency")
    acc = 1.0 if accepted in (None, "") else float(accepted)
    if not (math.isfinite(acc) and 1.0 <= acc <= 64.0):
        raise InvalidArgumentError("accepted", f"accepted tokens per step must be in [1, 64], got {accepted!r}")
    r = a.request_bound(model, chip, _n(input, "input", 2048), _n(output, "output", 256),
                        _n(batch, "batch", 1), _count(n_chips, "n_chips"), parallelism=_opt(parallelism),
                        weight_dtype=_opt(weights) or "native", kv_dtype=_opt(kv) or "bf16",
                        mode="steady" if conc else "static", concurrency=conc, accepted_tokens_per_step=acc)
    try:
        estimate: dict[str, Any] | None = a.estimate_request(r).to_dict()
    except (FileNotFoundError, LookupError, AccelspecError):
        estimate = None
    return finite({**r.to_dict(), "explanation": r.explain(), "estimate": estimate})


def plan(model: str, input: Any, output: Any, ttft: str, tpot: str, *, chips: Any = None, max_chips: Any = 64,
         disaggregated: bool = False, decode_context: str = "mean", weights: str | None = None, kv: str = "bf16",
         top: int = 10, basis: str = "estimate") -> dict[str, Any]:
    """Which chips meet a TTFT and TPOT target, with how many chips, layout and batch
    (``accelspec plan --json``); ``chips`` defaults to the whole catalog. ``basis``:
    ``"estimate"`` (default, the calibrated estimate) or ``"bound"`` (the optimistic edge)."""
    names = _names(chips, "chips") or None
    if decode_context not in ("mean", "final"):
        raise InvalidArgumentError("decode_context", f"expected mean or final, got {decode_context!r}")
    p = a.plan(model, _need(input, "input"), _need(output, "output"), ttft=ttft, tpot=tpot, chips=names,
               max_chips=_n(max_chips, "max_chips", 64), disaggregated=bool(disaggregated),
               decode_context=decode_context, weight_dtype=_opt(weights) or "native", kv_dtype=_opt(kv) or "bf16",
               basis=_basis(basis))
    data = p.to_records()
    if top:
        keep = [r for r in data["rows"] if r["status"] == "meets"][:top]
        data["rows"] = keep + [r for r in data["rows"] if r["status"] != "meets"]
    return finite(data)


def _basis(basis: Any) -> str:
    """``"estimate"`` or ``"bound"`` (the planner's ``basis``), refused otherwise."""
    b = _opt(basis) or "estimate"
    if b not in ("estimate", "bound"):
        raise InvalidArgumentError("basis", f"expected estimate or bound, got {basis!r}")
    return b


def frontier(model: str, chips: Any, input: Any = 2048, output: Any = 256, *, n_chips: Any = None,
             disaggregated: bool = True, weights: str | None = None, kv: str = "bf16",
             basis: str = "estimate") -> dict[str, Any]:
    """Per chip the curve (tokens/s per chip against tokens/s per user, batch swept), as
    ``accelspec plot frontier`` draws it, for the page's chart: with ``basis="estimate"``
    (default) the calibrated estimate, its 80% interval (``low_*``, ``high_*``) and the bound
    beside it (``bound_*``); with ``"bound"`` the bound alone."""
    from accelspec.perf.plan import frontier as _frontier

    names = _names(chips, "chips", cap=LIMITS["frontier_chips"])
    if not names:
        raise InvalidArgumentError("chips", "give at least one chip")
    curves = _frontier(model, names, _n(input, "input", 2048), _n(output, "output", 256),
                       n_chips=_count(n_chips, "n_chips"), disaggregated=bool(disaggregated),
                       weight_dtype=_opt(weights) or "native", kv_dtype=_opt(kv) or "bf16", basis=_basis(basis))
    keys = ("chip", "name", "n_chips", "batch", "tokens_per_s_per_user", "tokens_per_s_per_chip", "fits", "layout",
            "missing", "basis", *(f"{k}_tokens_per_s_per_{w}" for k in ("bound", "low", "high")
                                  for w in ("user", "chip")))
    return finite({"model": model, "input_tokens": _n(input, "input", 2048),
                   "output_tokens": _n(output, "output", 256), "disaggregated": bool(disaggregated),
                   "basis": basis,
                   "units": {"tokens_per_s_per_user": "token/s", "tokens_per_s_per_chip": "token/s"},
                   "curves": [{k: c.get(k) for k in keys if k in c} for c in curves]})


# --- money and training --------------------------------------------------------------------
def cost(model: str, chip: str, input: Any = 2048, output: Any = 256, *, batch: Any = None, n_chips: Any = None,
         weights: str | None = None, kv: str = "bf16", price: str = "min", tier: str | None = None,
         system: str | None = None) -> dict[str, Any]:
    """Best-case $ per 1M tokens and tokens per joule, with dated price sources
    (``accelspec cost --json``)."""
    cb: Any = a.cost_bound(model, chip, n_chips=_count(n_chips, "n_chips"), context_tokens=_n(input, "input", 2048),
                      output_tokens=_n(output, "output", 256), batch=_count(batch, "batch"),
                      price=_opt(price) or "min", weight_dtype=_opt(weights), kv_dtype=_opt(kv) or "bf16",
                      tier=_opt(tier), system=_opt(system))

    def dq(q: Any, unit: str, basis: str) -> Any:
        return None if q is None else derived(q, unit, basis)

    return finite({
        **cost_json(cb), "explanation": str(cb),
        "quantities": {"usd_per_m_output": dq(cb.usd_per_m_output, "USD", "chip-hour price x chips / output rate"),
                       "tokens_per_joule": dq(cb.tokens_per_joule, "token/J", "output rate / (TDP x chips)")},
    })


def train(model: str, chip: str, *, n_chips: Any = None, recipe: str = "bf16-adam", zero: str = "1",
          parallelism: str | None = None, micro_batch: Any = 1, seq_len: Any = 8192,
          recompute: str = "none") -> dict[str, Any]:
    """Training memory per chip (``accelspec train MODEL --chip CHIP --json``)."""
    f: Any = a.training_fits(model, chip, _count(n_chips, "n_chips"), recipe=recipe, zero_stage=zero,
                        parallelism=_opt(parallelism), micro_batch=_n(micro_batch, "micro_batch", 1),
                        seq_len=_n(seq_len, "seq_len", 8192), recompute=recompute)
    return finite({"fits": f.fits, "verdict": f.verdict, "chip": f.chip, "system": f.system or None,
                   "n_chips": f.n_chips, "required_GB": float(f.required.m_as("GB")),
                   "available_GB": float(f.available.m_as("GB")), "assumptions": f.assumptions,
                   "breakdown_GB": {k: float(v.m_as("GB")) for k, v in f.memory.terms().items()},
                   "explanation": f.explanation,
                   "quantities": {"required": derived(f.required, "GB", "sum of the training memory terms"),
                                  "available": derived(f.available, "GB", "memory capacity less the reserve")}})


# --- claims and measurements ---------------------------------------------------------------
def claims() -> dict[str, Any]:
    """The shipped vendor claims checked against the catalog (``accelspec claims --json``),
    with a count per verdict and the sources the claims cite."""
    report = a.check_claims()
    rows = report.to_records()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    from accelspec.specfiles import load_sources

    shared = load_sources()
    cited = {r["source"] for r in rows if r.get("source") in shared}
    return finite({"catalog_version": a.catalog_version(), "verdicts": counts, "claims": rows,
                   "sources": {k: source_out(shared[k]) for k in sorted(cited)}})


def validate_upload(data: bytes, filename: str = "measurements.yaml") -> dict[str, Any]:
    """Check an uploaded measurement file against its bounds (``accelspec validate FILE --json``).

    The bytes are written to a new temporary folder under a fixed name (only the suffix of
    ``filename``, ``.yaml`` or ``.yml``, is kept) and read there with the library's loader; the
    folder is removed afterwards."""
    if len(data) > LIMITS["body_bytes"]:
        raise InvalidArgumentError("file", f"{len(data):,} bytes is above this server's limit of "
                                           f"{LIMITS['body_bytes']:,}")
    if not data.strip():
        raise InvalidArgumentError("file", "the uploaded file is empty")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ("", ".yaml", ".yml"):
        raise InvalidArgumentError("file", f"expected a measurement YAML file (.yaml), got {filename!r}")
    with tempfile.TemporaryDirectory(prefix="accelspec-upload-") as folder:
        path = Path(folder) / "upload.yaml"
        path.write_bytes(data)
        report = a.validate(path)
        return finite({"rows": len(report.checks), "publishers": report.publishers, "chips": report.chips,
                       "violations": [c.id for c in report.violations],
                       "excluded": [c.id for c in report.excluded],
                       "by_publisher": {p: dict(zip(("rows", "median", "min", "max"), v, strict=True))
                                        for p, v in report.by_publisher().items()},
                       "summary": report.summary(), "checks": report.to_records()})
