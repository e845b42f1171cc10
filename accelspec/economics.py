"""Cost and energy as sourced data and bounds: dated chip-hour prices, tokens per joule, $/Mtok.

Data: ``specs/prices/chip_hours.yaml`` (chip-hour price snapshots: provider, region, tier,
instance, chips per instance, price per instance-hour and per chip-hour, date, source, quote)
and ``specs/prices/api.yaml`` (published API prices per 1M tokens). Nothing is invented: a chip
without a published price is listed under ``no_price`` and reported as missing.

Bounds (all best case, from :func:`accelspec.decode_bound` and :func:`accelspec.prefill_bound`):

* output tokens/s of the whole deployment ``R_out <= batch / t_step`` (decode step at the mean
  context ``S_in + S_out / 2``: step time is linear in context, so this is the mean step time);
* input tokens/s ``R_in <= batch * S_in / t_prefill``;
* ``$ per 1M output tokens >= p * n / (3600 s/h * R_out) * 1e6`` with ``p`` in USD per
  chip-hour and ``n`` chips; the same with ``R_in`` for input tokens;
* ``tokens per joule <= R_out / (n * P_chip)`` with ``P_chip`` the catalog's chip TDP (chip power
  only: host, network and cooling excluded, so a real system draws more and the bound holds);
  ``tokens/s per MW = tokens per joule * 1e6 W``.

Ranges: the price range is min..max over the chip's snapshots; the throughput range is the
bound's own range (from the catalog's spec ranges). The low $/Mtok pairs the lowest price with the
highest throughput, the high end the highest price with the lowest throughput.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import get_chip, read_yaml, specs_dir
from .errors import AccelspecError
from .units import Q_, Quantity, parse_quantity, ureg

__all__ = ["ApiPrice", "CostBound", "PriceSnapshot", "api_prices", "chip_prices",
           "compare_api", "cost_bound", "load_prices"]

_USD_H = "USD/hour"

# Money as its own dimension in the one registry (defined once, here, on first import).
if "USD" not in ureg:
    ureg.define("USD = [currency] = $")


@dataclass(frozen=True)
class PriceSnapshot:
    """One dated chip-hour price. ``per_chip_hour`` is stated by the source (``basis='stated'``)
    or derived as ``per_instance_hour / chips`` (``basis='derived'``)."""

    chip: str
    provider: str
    tier: str
    instance: str
    chips: int
    per_instance_hour: Quantity | None
    per_chip_hour: Quantity
    basis: str
    status: str
    source_title: str
    source_url: str
    date: str
    quote: str = ""
    region: str = ""
    note: str = ""

    def label(self) -> str:
        """``provider tier instance (date)``, for assumption strings and tables."""
        return f"{self.provider} {self.tier} {self.instance} ({self.date})"


@dataclass(frozen=True)
class ApiPrice:
    """A published API price: USD per 1M input and output tokens for one model at one provider."""

    provider: str
    model: str
    usd_per_m_input: float
    usd_per_m_output: float
    date: str
    source_title: str
    source_url: str
    quote: str = ""


def _prices_dir() -> Path:
    return specs_dir() / "prices"


def _usd_h(value: Any, file: str, what: str) -> Quantity:
    q = parse_quantity(str(value)) if not isinstance(value, Quantity) else value
    try:
        return q.to(_USD_H)
    except Exception as exc:  # pint DimensionalityError
        raise AccelspecError(f"{file}: {what}: {value!r} is not a price per hour") from exc


def load_prices(path: str | Path | None = None) -> tuple[list[PriceSnapshot], dict[str, str]]:
    """Read the chip-hour price file: ``(snapshots, no_price)`` where ``no_price`` maps chip id to
    the reason no price is given."""
    p = Path(path) if path else _prices_dir() / "chip_hours.yaml"
    raw = read_yaml(p) or {}
    sources = raw.get("sources") or {}
    out: list[PriceSnapshot] = []
    for i, r in enumerate(raw.get("prices") or []):
        where = f"prices[{i}] ({r.get('chip')})"
        src = sources.get(r.get("source"))
        if src is None:
            raise AccelspecError(f"{p.name}: {where}: field source: unknown source {r.get('source')!r}")
        chips = int(r["chips"])
        inst = _usd_h(r["per_instance_hour"], p.name, where) if r.get("per_instance_hour") is not None else None
        if r.get("per_chip_hour") is not None:
            per_chip = _usd_h(r["per_chip_hour"], p.name, where)
        elif inst is not None:
            per_chip = inst / chips
        else:
            raise AccelspecError(f"{p.name}: {where}: needs per_chip_hour or per_instance_hour")
        out.append(PriceSnapshot(
            chip=get_chip(r["chip"]).id, provider=r["provider"], tier=r["tier"], instance=str(r["instance"]),
            chips=chips, per_instance_hour=inst, per_chip_hour=per_chip, basis=r.get("basis", "stated"),
            status=r["status"], source_title=src["title"], source_url=src["url"], date=str(src["date"]),
            quote=r.get("quote", ""), region=r.get("region", ""), note=r.get("note", "")))
    no_price = {get_chip(k).id: v for k, v in (raw.get("no_price") or {}).items()}
    return out, no_price


def chip_prices(chip: Any) -> list[PriceSnapshot]:
    """All snapshots for one chip (empty when none is published)."""
    cid = get_chip(chip).id
    return [s for s in load_prices()[0] if s.chip == cid]


def api_prices(model: str | None = None, path: str | Path | None = None) -> list[ApiPrice]:
    """Published API prices (``specs/prices/api.yaml``), optionally for one catalog model id."""
    p = Path(path) if path else _prices_dir() / "api.yaml"
    raw = read_yaml(p) or {}
    sources = raw.get("sources") or {}
    out = []
    for r in raw.get("prices") or []:
        src = sources[r["source"]]
        out.append(ApiPrice(provider=r["provider"], model=r["model"], usd_per_m_input=float(r["input"]),
                            usd_per_m_output=float(r["output"]), date=str(src["date"]), source_title=src["title"],
                            source_url=src["url"], quote=r.get("quote", "")))
    return [a for a in out if model is None or a.model == model]


@dataclass(frozen=True)
class CostBound:
    """Best-case throughput, energy and cost of serving ``model`` on ``n_chips`` of ``chip``.

    Quantities are ``None`` where an input is missing; ``missing`` names what (``"price"``,
    ``"power.tdp"``), so nothing is dropped silently."""

    model: str
    chip: str
    n_chips: int
    batch: int
    input_tokens: int
    output_tokens: int
    output_tokens_per_s: Quantity
    output_tokens_per_s_range: tuple[Quantity, Quantity]
    input_tokens_per_s: Quantity
    price_per_chip_hour: Quantity | None
    price_range: tuple[Quantity, Quantity] | None
    prices: tuple[PriceSnapshot, ...]
    usd_per_m_output: Quantity | None
    usd_per_m_output_range: tuple[Quantity, Quantity] | None
    usd_per_m_input: Quantity | None
    tdp: Quantity | None
    tokens_per_joule: Quantity | None
    tokens_per_joule_range: tuple[Quantity, Quantity] | None
    tokens_per_s_per_mw: Quantity | None
    missing: tuple[str, ...]
    assumptions: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        def f(q: Any, fmt: str = ".3g") -> str:
            return "n/a" if q is None else f"{q.magnitude:{fmt}} {q.units:~}"
        def usd(q: Any) -> str:
            return "n/a" if q is None else f"{q.magnitude:.3g}"
        rng = ""
        if self.usd_per_m_output_range:
            lo, hi = self.usd_per_m_output_range
            rng = f" (range {lo.magnitude:.3g}..{hi.magnitude:.3g})"
        miss = f"; missing: {', '.join(self.missing)}" if self.missing else ""
        return (f"{self.model} on {self.n_chips} x {self.chip}, batch {self.batch}: "
                f"<= {f(self.output_tokens_per_s)} out, >= {usd(self.usd_per_m_output)} USD/Mtok out{rng}, "
                f">= {usd(self.usd_per_m_input)} USD/Mtok in, <= {f(self.tokens_per_joule)} out{miss}\n"
                f"  {self.assumptions}")


def _pick_price(snaps: list[PriceSnapshot], price: Any) -> tuple[Quantity | None, str]:
    if isinstance(price, Quantity) or (isinstance(price, str) and price not in ("min", "median", "max")):
        q = _usd_h(price, "price", "price")
        return q, f"price {q.magnitude:.4g} USD/chip-hour (given)"
    if not snaps:
        return None, "no published price"
    vals = sorted(s.per_chip_hour.to(_USD_H).magnitude for s in snaps)
    how = price or "min"
    v = {"min": vals[0], "max": vals[-1], "median": statistics.median(vals)}[how]
    used = [s for s in snaps if abs(s.per_chip_hour.magnitude - v) < 1e-9] or snaps
    srcs = "; ".join(s.label() for s in used) if how != "median" else f"median of {len(snaps)} snapshots"
    return Q_(v, _USD_H), f"price {how} {v:.4g} USD/chip-hour [{srcs}]"


def cost_bound(model: Any, chip: Any, *, n_chips: int = 1, context_tokens: int = 2048, output_tokens: int = 256,
               batch: int | None = None, price: Any = None, weight_dtype: Any = None, kv_dtype: Any = "bf16",
               parallelism: Any = None) -> CostBound:
    """Best-case $ per 1M input/output tokens and tokens per joule (see the module docstring).

    ``context_tokens``: prompt length ``S_in``; ``output_tokens``: generated length ``S_out``.
    ``batch=None`` takes :func:`accelspec.max_batch` at context ``S_in + S_out`` (the largest batch
    that fits, which maximises the throughput bound). ``price``: ``None``/``"min"`` (lowest
    snapshot), ``"median"``, ``"max"``, or a Quantity / string in USD per chip-hour.
    """
    from .model_catalog import get_model
    from .perf.bounds import decode_bound, prefill_bound
    from .perf.memory import max_batch

    m = get_model(model)
    c = get_chip(chip)
    n = int(n_chips)
    s_in, s_out = int(context_tokens), int(output_tokens)
    kw: dict[str, Any] = {"weight_dtype": weight_dtype, "kv_dtype": kv_dtype}
    if batch is None:
        lim = max_batch(m, c, s_in + s_out, n_chips=n, parallelism=parallelism, **kw)
        b = int(lim.value) if lim.value != float("inf") else 1024
        if b < 1:
            raise AccelspecError(f"{m.id} does not fit on {n} x {c.id} at context {s_in + s_out}: "
                                 f"raise n_chips ({lim.explanation})")
    else:
        b = int(batch)
    bkw = {k: v for k, v in kw.items() if v is not None}
    if parallelism is not None:
        bkw["parallelism"] = parallelism
    dec = decode_bound(m, c, s_in + s_out // 2, batch=b, n_chips=n, **bkw)
    pre = prefill_bound(m, c, s_in, batch=b, n_chips=n, **bkw)
    tps = dec.tokens_per_s_per_chip * n
    tlo, thi = (q * n for q in dec.tokens_per_s_per_chip_range)
    tps_in = pre.tokens_per_s_per_chip * n
    missing: list[str] = []
    snaps = chip_prices(c)
    p, price_text = _pick_price(snaps, price)
    usd_out = usd_in = rng_usd = prange = None
    if p is None:
        missing.append("price")
        reason = load_prices()[1].get(c.id)
        price_text = f"no published price for {c.id}" + (f" ({reason})" if reason else "")
    else:
        def per_m(pr: Quantity, rate: Quantity) -> Quantity:
            return (pr * n / rate.to("token/hour") * Q_(1e6, "token")).to("USD")
        usd_out, usd_in = per_m(p, tps), per_m(p, tps_in)
        if snaps and not (isinstance(price, Quantity) or (isinstance(price, str)
                                                          and price not in ("min", "median", "max"))):
            vals = [s.per_chip_hour for s in snaps]
            pmin, pmax = min(vals, key=lambda q: q.magnitude), max(vals, key=lambda q: q.magnitude)
            prange = (pmin, pmax)
            rng_usd = (per_m(pmin, thi), per_m(pmax, tlo))
    tdp = c.power.tdp.to("W") if c.power is not None and c.power.tdp is not None else None
    tpj = tpj_rng = per_mw = None
    if tdp is None:
        missing.append("power.tdp")
        power_text = "power: no TDP published"
    else:
        tdp = Q_(float(tdp.magnitude), "W")
        tpj = (tps / (n * tdp)).to("token/J")
        tpj_rng = ((tlo / (n * tdp)).to("token/J"), (thi / (n * tdp)).to("token/J"))
        per_mw = (tpj * Q_(1, "MW")).to("token/s")
        power_text = f"power: chip TDP {tdp.magnitude:g} W only (host, network, cooling excluded)"
    dates = sorted({s.date for s in snaps})
    layout = "TP" if n > 1 and parallelism is None else (parallelism or "1 chip")
    dt = dec.dtypes
    assumptions = (f"weights {dt.weight.name}, KV {dt.kv.name}, compute {dt.precision.value}; "
                   f"{n} chip(s), layout {layout}; "
                   f"batch {b}, {s_in} in / {s_out} out, decode at mean context {s_in + s_out // 2}; "
                   f"{price_text}{'; snapshots dated ' + ', '.join(dates) if dates else ''}; {power_text}; "
                   f"roofline bound, efficiencies 1.0")
    return CostBound(model=m.id, chip=c.id, n_chips=n, batch=b, input_tokens=s_in, output_tokens=s_out,
                     output_tokens_per_s=tps, output_tokens_per_s_range=(tlo, thi), input_tokens_per_s=tps_in,
                     price_per_chip_hour=p, price_range=prange, prices=tuple(snaps), usd_per_m_output=usd_out,
                     usd_per_m_output_range=rng_usd, usd_per_m_input=usd_in, tdp=tdp, tokens_per_joule=tpj,
                     tokens_per_joule_range=tpj_rng, tokens_per_s_per_mw=per_mw, missing=tuple(missing),
                     assumptions=assumptions)


def compare_api(model: Any, chips: list[Any], **kw: Any) -> list[dict[str, Any]]:
    """Our best-case $/Mtok per chip beside published API prices for the same model (with dates).

    One row per chip (``kind='bound'``, price source and date) and one per API price
    (``kind='api'``). Chips that miss a price or do not fit keep their row with ``note``."""
    from .model_catalog import get_model

    m = get_model(model)
    rows: list[dict[str, Any]] = []
    for ch in chips:
        try:
            cb = cost_bound(m, ch, **kw)
        except AccelspecError as exc:
            rows.append({"kind": "bound", "who": get_chip(ch).id, "usd_per_m_input": None,
                         "usd_per_m_output": None, "date": None, "note": str(exc)})
            continue
        rows.append({"kind": "bound", "who": f"{cb.n_chips} x {cb.chip}",
                     "usd_per_m_input": None if cb.usd_per_m_input is None else cb.usd_per_m_input.magnitude,
                     "usd_per_m_output": None if cb.usd_per_m_output is None else cb.usd_per_m_output.magnitude,
                     "date": ", ".join(sorted({s.date for s in cb.prices})) or None,
                     "note": "no published price" if "price" in cb.missing else cb.assumptions})
    for a in api_prices(m.id):
        rows.append({"kind": "api", "who": a.provider, "usd_per_m_input": a.usd_per_m_input,
                     "usd_per_m_output": a.usd_per_m_output, "date": a.date, "note": a.source_url})
    return rows
