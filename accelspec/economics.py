"""Cost and energy as sourced data and bounds: dated chip-hour prices, tokens per joule, $/Mtok.

Data: ``specs/prices/chip_hours.yaml`` (chip-hour price snapshots: provider, region, tier,
instance, chips per instance, price per instance-hour and per chip-hour, date, source, quote)
``specs/prices/api.yaml`` (published API prices per 1M tokens) and ``specs/prices/list_prices.yaml``
(vendor purchase list prices, rare). Nothing is invented: a chip without a published price is
listed under ``no_price`` and reported as missing.

Basis: :func:`cost_bound` gives the calibrated estimate by default (``basis="estimate"``: the
decode and prefill rates below multiplied by the efficiency of
:func:`accelspec.perf.estimate.estimate` for that chip, regime, batch and limiter, so $/Mtok is
higher and tokens per joule lower), and the bounds below with ``basis="bound"`` (the best case).

Bounds (all best case, from :func:`accelspec.decode_bound` and :func:`accelspec.prefill_bound`):

* output tokens/s of the whole deployment ``R_out <= batch / t_step`` (decode step at the mean
  context ``S_in + S_out / 2``: step time is linear in context, so this is the mean step time);
* input tokens/s ``R_in <= batch * S_in / t_prefill``;
* ``$ per 1M output tokens >= p * n / (3600 s/h * R_out) * 1e6`` with ``p`` in USD per
  chip-hour and ``n`` chips; the same with ``R_in`` for input tokens;
* ``tokens per joule <= R_out / (n * P_chip)`` with ``P_chip`` the catalog's chip TDP (chip power
  only: host, network and cooling excluded, so a real system draws more and the bound holds);
  ``tokens/s per MW = tokens per joule * 1e6 W``;
* ``tokens/s per MW of rack power <= R_out / (n * P_sys / N_sys) * 1e6 W`` with ``P_sys`` the
  published power of a catalog system (board, rack, supernode) built of ``N_sys`` of the chip
  (``specs/systems``): the chip's share of its system's power, host, switches and (where the
  figure covers it) cooling included. Where several systems of the chip publish a power, the
  headline uses the smallest share per chip (the upper bound) and the range spans all of them.

Ranges: the price range is min..max over the chip's snapshots; the throughput range is the
bound's own range (from the catalog's spec ranges). The low $/Mtok pairs the lowest price with the
highest throughput, the high end the highest price with the lowest throughput.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pint

from .errors import AccelspecError
from .hardware.prices import (
    USD_PER_HOUR,
    ListPrice,
    PriceSnapshot,
    chip_prices,
    list_prices,
    load_prices,
    no_price_reason,
    pick_price,
    prices_dir,
    system_power_share,
)
from .specfiles import read_yaml
from .units import Q_

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .hardware.chip import Chip
    from .hardware.system import System
    from .model.architecture import Model
    from .model.datatypes import DType
    from .perf.deployment import Deployment
    from .perf.memory import Parallelism

__all__ = ["ApiPrice", "CostBound", "ListPrice", "PriceSnapshot", "api_prices", "chip_prices", "compare_api",
           "compare_api_text", "cost_bound", "list_prices", "load_prices", "prices_markdown", "system_power_share"]

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
    api_model: str = ""
    status: str = "official"
    origin: str = ""
    note: str = ""


def api_prices(model: str | None = None, path: str | Path | None = None) -> list[ApiPrice]:
    """Published API prices (``specs/prices/api.yaml``), optionally for one catalog model id.

    Parameters
    ----------
    model : str, optional
        A catalog model id: only its prices (default: all).
    path : str or Path, optional
        The price file (default: the shipped ``specs/prices/api.yaml``).

    Returns
    -------
    list of ApiPrice
        Provider, API model, USD per 1M input and output tokens [USD/Mtoken], date and source.

    Raises
    ------
    AccelspecError
        A price names a source the file does not define.
    SpecFileError
        The file is not valid YAML.
    """
    p = Path(path) if path else prices_dir() / "api.yaml"
    raw = read_yaml(p) or {}
    sources = raw.get("sources") or {}
    out = []
    for i, r in enumerate(raw.get("prices") or []):
        src = sources.get(r.get("source"))
        if src is None:
            raise AccelspecError(f"{p.name}: prices[{i}] ({r.get('provider')} {r.get('model')}): field source: "
                                 f"unknown source {r.get('source')!r}")
        out.append(ApiPrice(provider=r["provider"], model=r["model"], usd_per_m_input=float(r["input"]),
                            usd_per_m_output=float(r["output"]), date=str(r.get("date", src["date"])),
                            source_title=src["title"], source_url=src["url"], quote=r.get("quote", ""),
                            api_model=str(r.get("api_model", "")), status=r.get("status", "official"),
                            origin=r.get("origin", ""), note=r.get("note", "")))
    if model is None:
        return out
    from .model.catalog import get_model

    mid = get_model(model).id
    return [a for a in out if a.model == mid]


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
    output_tokens_per_s: pint.Quantity
    output_tokens_per_s_range: tuple[pint.Quantity, pint.Quantity]
    input_tokens_per_s: pint.Quantity
    price_per_chip_hour: pint.Quantity | None
    price_range: tuple[pint.Quantity, pint.Quantity] | None
    prices: tuple[PriceSnapshot, ...]
    usd_per_m_output: pint.Quantity | None
    usd_per_m_output_range: tuple[pint.Quantity, pint.Quantity] | None
    usd_per_m_input: pint.Quantity | None
    tdp: pint.Quantity | None
    tokens_per_joule: pint.Quantity | None
    tokens_per_joule_range: tuple[pint.Quantity, pint.Quantity] | None
    tokens_per_s_per_mw: pint.Quantity | None
    missing: tuple[str, ...]
    assumptions: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    system: str | None = None
    rack_power_per_chip: pint.Quantity | None = None
    tokens_per_s_per_mw_rack: pint.Quantity | None = None
    tokens_per_s_per_mw_rack_range: tuple[pint.Quantity, pint.Quantity] | None = None
    prices_used: tuple[PriceSnapshot, ...] = ()
    #: the system id when the bound was asked of a system (a name, a record, or a Deployment in
    #: one): its chip, fabric and power share; ``system`` (the power source) is then the same
    on_system: str | None = None
    #: ``"estimate"``: the rates are the bound's x the calibrated efficiency (and $/Mtok, tokens
    #: per joule follow); ``"bound"``: the roofline bounds (best case)
    basis: str = "bound"
    efficiency: float | None = None  #: decode efficiency used (estimate basis), else None
    input_efficiency: float | None = None  #: prefill efficiency used (estimate basis), else None
    #: the estimate's 80% interval on $/Mtok out at the price used (low, high); estimate basis only
    usd_per_m_output_interval: tuple[pint.Quantity, pint.Quantity] | None = None
    output_tokens_per_s_bound: pint.Quantity | None = None  #: the bound beside the estimate

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
        rack = ""
        if self.tokens_per_s_per_mw_rack is not None:
            op = "~" if self.basis == "estimate" else "<= "
            rack = f", {op}{self.tokens_per_s_per_mw_rack.m_as('token/s'):.3g} token/s per MW of {self.system} power"
        where = f" in {self.on_system}" if self.on_system else ""
        if self.basis == "estimate":
            ui = self.usd_per_m_output_interval
            iv = f", 80% interval {ui[0].magnitude:.3g}..{ui[1].magnitude:.3g}" if ui else ""
            bnd = (f" (bound <= {f(self.output_tokens_per_s_bound)})" if self.output_tokens_per_s_bound is not None
                   else "")
            return (f"{self.model} on {self.n_chips} x {self.chip}{where}, batch {self.batch}: "
                    f"~{f(self.output_tokens_per_s)} out{bnd}, ~{usd(self.usd_per_m_output)} USD/Mtok out{iv}{rng}, "
                    f"~{usd(self.usd_per_m_input)} USD/Mtok in, ~{f(self.tokens_per_joule)} out{rack}{miss}\n"
                    f"  {self.assumptions}")
        return (f"{self.model} on {self.n_chips} x {self.chip}{where}, batch {self.batch}: "
                f"<= {f(self.output_tokens_per_s)} out, >= {usd(self.usd_per_m_output)} USD/Mtok out{rng}, "
                f">= {usd(self.usd_per_m_input)} USD/Mtok in, <= {f(self.tokens_per_joule)} out{rack}{miss}\n"
                f"  {self.assumptions}")


def cost_bound(model: str | Model, chip: str | Chip | System | Deployment, *, n_chips: int | None = None,
               context_tokens: int = 2048, output_tokens: int = 256, batch: int | None = None,
               price: str | pint.Quantity | None = None, weight_dtype: str | DType | None = None,
               kv_dtype: str | DType | None = "bf16", parallelism: str | Parallelism | Mapping[str, int] | None = None,
               tier: str | None = None, system: str | System | None = None, basis: str = "estimate",
               engine: str | None = None) -> CostBound:
    """Expected (default) or best-case $ per 1M input/output tokens and tokens per joule (see
    the module docstring).

    ``basis="estimate"`` (default): the decode and prefill rates are the bounds' times the
    calibrated efficiency of :func:`accelspec.perf.estimate.estimate` (what published runs reach
    on that chip, regime, batch and limiter), so $/Mtok is higher and tokens per joule lower than
    the bound's; ``usd_per_m_output_interval`` gives the estimate's 80% interval at the price
    used. ``basis="bound"``: the roofline bounds, the optimistic edge (best-case $/Mtok).

    ``context_tokens``: prompt length ``S_in``; ``output_tokens``: generated length ``S_out``.
    ``n_chips=None`` takes the fewest chips on which one sequence of ``S_in + S_out`` tokens fits
    (:func:`accelspec.min_chips`; more chips may allow larger batches, so this is the bound for
    that deployment, not the lowest over every chip count).
    ``batch=None`` takes :func:`accelspec.max_batch` at context ``S_in + S_out`` (the largest batch
    that fits, which maximises the throughput bound). ``price``: ``None``/``"min"`` (lowest
    snapshot), ``"median"``, ``"max"``, or a Quantity / string in USD per chip-hour. ``tier``
    keeps only snapshots of that pricing tier (``"on-demand"``, ``"capacity-block"``, ``"spot"``).
    ``system``: the catalog system whose published power gives the rack-power bound (default: every
    system of the chip that publishes one; see :func:`system_power_share`).

    Hardware, as :func:`accelspec.fits` and :func:`accelspec.decode_bound`: ``chip`` is a chip, a
    **system** (``"hgx-h200"``, ``"gb200-nvl72"``, a :class:`~accelspec.System`; a system name wins
    over a chip alias) or a :class:`~accelspec.Deployment`. A system costs its chip over its fabric,
    ``n_chips`` defaults to **all of the system's chips** (not the fewest that fit: the question is
    what that system costs per token), and the rack-power bound uses that system's published power
    only (``missing`` names ``system.power`` when it publishes none); ``system=`` may only repeat it.
    A deployment fixes chip, chip count, layout and dtypes (its layout ``None``: the one
    :func:`~accelspec.fits` picks); ``n_chips``, ``parallelism``, ``weight_dtype`` or ``kv_dtype``
    given beside it raise :class:`~accelspec.errors.DeploymentError`. ``assumptions`` and
    ``on_system`` name the system or deployment used.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip, System or Deployment
        The hardware, as above.
    n_chips : int, optional
        Chips (default: the fewest that fit, or all of a system's chips).
    context_tokens : int, optional
        Prompt length ``S_in`` [token] (default 2048).
    output_tokens : int, optional
        Generated length ``S_out`` [token] (default 256).
    batch : int, optional
        Sequences served together (default: the largest that fits).
    price : str or Quantity, optional
        ``None`` / ``"min"`` (lowest snapshot), ``"median"``, ``"max"``, or a price [USD/hour]
        per chip.
    weight_dtype : str or DType, optional
        Format of the weights (default ``None``: the checkpoint's own formats).
    kv_dtype : str or DType, optional
        Format of the KV cache (default ``"bf16"``).
    parallelism : str, Parallelism or mapping, optional
        The layout (default: the one :func:`~accelspec.fits` chooses).
    tier : str, optional
        Only price snapshots of this tier (``"on-demand"``, ``"capacity-block"``, ``"spot"``).
    system : str or System, optional
        The system whose published power gives the rack-power bound.
    basis : {"estimate", "bound"}, optional
        ``"estimate"`` (default): rates x calibrated efficiency; ``"bound"``: the bounds.
    engine : str, optional
        The serving engine the estimate assumes (default unknown: the field's effect).

    Returns
    -------
    CostBound
        Throughput bounds [token/s], USD per 1M output and input tokens [USD] (lower bounds),
        tokens per joule at chip TDP [token/J] and per MW of rack power [token/s], their
        ranges, the prices used and what is ``missing``.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model``, ``chip`` or ``system`` names nothing in the catalogs.
    AccelspecError
        The model does not fit on any number of chips, or not at batch 1 on ``n_chips``.
    InvalidArgumentError
        ``system`` is not the system the cost is asked of, or an argument is out of range.
    DeploymentError
        An argument the deployment fixes is given beside it.
    """
    from .hardware.system import resolve_hardware
    from .model.catalog import get_model
    from .perf.bounds import decode_bound, prefill_bound
    from .perf.memory import InvalidArgumentError, is_deployment, max_batch, refuse_fixed

    if basis not in ("estimate", "bound"):
        raise InvalidArgumentError("basis", f"'estimate' or 'bound', got {basis!r}")
    m = get_model(model)
    s_in, s_out = int(context_tokens), int(output_tokens)
    dep = chip if is_deployment(chip) else None
    mkw: dict[str, Any] = {}  # memory-only arguments a deployment fixes (reserve, capacity)
    if dep is not None:
        refuse_fixed(cost_bound, "cost_bound", locals())
        c, on = dep.chip, dep.system
        kw: dict[str, Any] = dep.dtypes.kwargs()
        n_chips, parallelism = dep.n_chips, dep.parallelism
        mkw = {k: v for k, v in (("reserve", dep.reserve), ("capacity", dep.capacity)) if v is not None}
    else:
        c, on = resolve_hardware(chip)
        kw = {"weight_dtype": weight_dtype, "kv_dtype": kv_dtype}
    hw = on or c  # a system: its fabric in the bounds
    if on is not None and system is not None and _system_id(system) != on.id:
        raise InvalidArgumentError("system", f"the cost is asked of system {on.id!r}, whose own power gives the "
                                   f"rack bound; system={_system_id(system)!r} would take another's")
    fewest = n_chips is None and on is None
    n = 0
    if n_chips is None and on is not None:
        n = on.n_chips  # a system: all its chips, as fits and decode_bound
    elif n_chips is None:
        from .perf.memory import min_chips

        if parallelism is not None and not isinstance(parallelism, str):
            raise InvalidArgumentError("parallelism", "a fixed layout needs n_chips; the fewest chips are searched "
                                       "with a strategy name ('auto', 'tp', 'pp', 'tp+ep', ...)")
        need = min_chips(m, c, s_in + s_out, 1, parallelism=parallelism, **kw, **mkw)
        if need.value is None or not need.value:
            raise AccelspecError(f"{m.id} does not fit on any number of {c.id} at context {s_in + s_out} "
                                 f"({need.explanation})")
        n = int(need.value)
    else:
        n = int(n_chips)
    where = f"{n} x {c.id}" + (f" in {on.id}" if on is not None else "")
    if batch is None:
        lim = max_batch(m, hw, s_in + s_out, n_chips=n, parallelism=parallelism, **kw, **mkw)
        b = int(lim.value) if lim.value != float("inf") else 1024
        if b < 1:
            raise AccelspecError(f"{m.id} does not fit on {where} at context {s_in + s_out}: "
                                 f"raise n_chips ({lim.explanation})")
    else:
        b = int(batch)
    bkw = {k: v for k, v in kw.items() if v is not None}
    if dep is not None and dep.dtypes.precision is not None:
        bkw["precision"] = dep.dtypes.precision
    if parallelism is not None:
        bkw["parallelism"] = parallelism
    dec = decode_bound(m, hw, s_in + s_out // 2, batch=b, n_chips=n, **bkw)
    pre = prefill_bound(m, hw, s_in, batch=b, n_chips=n, **bkw)
    tps = dec.tokens_per_s_per_chip * n
    tlo, thi = (q * n for q in dec.tokens_per_s_per_chip_range)
    tps_in = pre.tokens_per_s_per_chip * n
    tps_bound = tps
    eff = eff_in = None
    est_lo = est_hi = 1.0
    basis_clause = ""
    if basis == "estimate":
        from .perf.estimate import LATENCY_BATCH, estimate_speed
        from .perf.plan import basis_text

        # as accelspec.perf.estimate.estimate, with the model in hand (a config-file model too)
        e_dec = estimate_speed(1.0 / dec.t, phase="decode", per_user=b <= LATENCY_BATCH, limiter=dec.limiter,
                               vendor=c.vendor, chip=c.id, batch=b, moe=m.is_moe, engine=engine)
        e_pre = estimate_speed(1.0 / pre.t, phase="prefill", per_user=True, limiter=pre.limiter, vendor=c.vendor,
                               chip=c.id, batch=b, moe=m.is_moe, engine=engine)
        eff, eff_in = e_dec.efficiency, e_pre.efficiency
        est_lo, est_hi = e_dec.low / e_dec.bound, e_dec.high / e_dec.bound
        tps, tps_in = tps * eff, tps_in * eff_in
        tlo, thi = tlo * eff, thi * eff
        basis_clause = (f"decode at efficiency {eff:.3g} ({e_dec.regime}, {e_dec.limiter}-bound), "
                        f"prefill at {eff_in:.3g} ({e_pre.limiter}-bound), 80% interval of the decode "
                        f"efficiency {est_lo:.3g}..{est_hi:.3g}; " + basis_text("estimate", engine))
    else:
        from .perf.plan import basis_text

        basis_clause = basis_text("bound")
    missing: list[str] = []
    snaps = chip_prices(c)
    if tier is not None:
        snaps = [sn for sn in snaps if sn.tier == tier]
    p, price_text = pick_price(snaps, price)
    usd_out = usd_in = rng_usd = prange = usd_iv = None
    if p is None:
        missing.append("price")
        reason = no_price_reason(c)
        if tier is not None and chip_prices(c):
            reason = f"no {tier} snapshot; tiers with one: {', '.join(sorted({sn.tier for sn in chip_prices(c)}))}"
        price_text = f"no published price for {c.id}" + (f" ({reason})" if reason else "")
    used: tuple[PriceSnapshot, ...] = ()
    if p is not None:
        used = tuple(sn for sn in snaps if abs(sn.per_chip_hour.m_as(USD_PER_HOUR) - p.m_as(USD_PER_HOUR)) < 1e-9)

        def per_m(pr: pint.Quantity, rate: pint.Quantity) -> pint.Quantity:
            return (pr * n / rate.to("token/hour") * Q_(1e6, "token")).to("USD")
        usd_out, usd_in = per_m(p, tps), per_m(p, tps_in)
        if eff is not None:
            usd_iv = (per_m(p, tps_bound * est_hi), per_m(p, tps_bound * est_lo))
        if snaps and not (isinstance(price, Q_) or (isinstance(price, str)
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
    shares: list[tuple[str, pint.Quantity]]  # (system id, power per chip)
    if on is not None:  # the system asked of: its own power, or none
        shares = system_power_share(c, on) if on.power is not None else []
    else:
        shares = system_power_share(c, system)
    sys_id = share = per_mw_rack = rack_rng = None
    if shares:
        sys_id, share = min(shares, key=lambda t: t[1].magnitude)
        smax = max(q for _, q in shares)
        per_mw_rack = (tps / (n * share) * Q_(1, "MW")).to("token/s")
        rack_rng = ((tlo / (n * smax) * Q_(1, "MW")).to("token/s"), (thi / (n * share) * Q_(1, "MW")).to("token/s"))
        p_sys, n_sys = _system_power(sys_id)
        power_text += (f"; rack: {sys_id} {p_sys.m_as('kW'):g} kW / {n_sys} chips = "
                       f"{share.m_as('W'):.4g} W per chip ({_system_status(sys_id)})")
    else:
        missing.append("system.power")
        power_text += (f"; rack: system {on.id} publishes no power" if on is not None
                       else f"; rack: no catalog system of {c.id} publishes a power")
    dates = sorted({s.date for s in snaps})
    layout = str(dec.parallelism) + (" (the fewest chips that fit)" if fewest else "")
    if on is not None:
        dom = on.domain_size
        count = ("all its chips" if n == on.n_chips else f"{n} of its {on.n_chips} chips" if n < on.n_chips
                 else f"{n} chips (the system has {on.n_chips})")
        layout += (f"; system {on.name} ({on.id}): {c.id}, {count}, its fabric"
                   + (f" (scale-up domain {dom})" if dom else "") + ", its own power figure")
    if dep is not None:
        layout += f"; deployment {dep.assumptions()}"
    dt = dec.dtypes
    assumptions = (f"weights {dt.weight.name}, KV {dt.kv.name}, compute {dt.precision.value}; "
                   f"{n} chip(s), layout {layout}; "
                   f"batch {b}, {s_in} in / {s_out} out, decode at mean context {s_in + s_out // 2}; "
                   f"{price_text}{'; snapshots dated ' + ', '.join(dates) if dates else ''}; {power_text}; "
                   f"{basis_clause}")
    return CostBound(model=m.id, chip=c.id, n_chips=n, batch=b, input_tokens=s_in, output_tokens=s_out,
                     output_tokens_per_s=tps, output_tokens_per_s_range=(tlo, thi), input_tokens_per_s=tps_in,
                     price_per_chip_hour=p, price_range=prange, prices=tuple(snaps), usd_per_m_output=usd_out,
                     usd_per_m_output_range=rng_usd, usd_per_m_input=usd_in, tdp=tdp, tokens_per_joule=tpj,
                     tokens_per_joule_range=tpj_rng, tokens_per_s_per_mw=per_mw, missing=tuple(missing),
                     assumptions=assumptions, system=sys_id, rack_power_per_chip=share,
                     tokens_per_s_per_mw_rack=per_mw_rack, tokens_per_s_per_mw_rack_range=rack_rng,
                     prices_used=used, on_system=on.id if on is not None else None, basis=basis, efficiency=eff,
                     input_efficiency=eff_in, usd_per_m_output_interval=usd_iv,
                     output_tokens_per_s_bound=tps_bound if eff is not None else None)


def _system_id(value: Any) -> str:
    """The id of a system given by name or record (for ``cost_bound(..., system=...)``)."""
    from .hardware.system import get_system

    return get_system(value).id


def _who(hardware: Any) -> str:
    """A row label for :func:`compare_api`: ``"h200"``, ``"gb200-nvl72"`` or a deployment's line."""
    from .hardware.system import resolve_hardware

    if getattr(hardware, "__accelspec_deployment__", False):
        return hardware.assumptions()
    c, sy = resolve_hardware(hardware)
    return sy.id if sy is not None else c.id


def _system_power(system_id: str) -> tuple[pint.Quantity, int]:
    from .hardware.system import get_system

    sy = get_system(system_id)
    assert sy.power is not None
    return sy.power.value.to("kW"), sy.n_chips


def _system_status(system_id: str) -> str:
    from .hardware.system import get_system

    sy = get_system(system_id)
    return "" if sy.power is None else f"{sy.power.status}, {sy.power.source.id}"


def compare_api(model: str | Model, chips: Iterable[str | Chip | System | Deployment],
                **kw: Any) -> list[dict[str, Any]]:
    """Our $/Mtok per chip (the calibrated estimate by default; ``basis="bound"``: best case)
    beside published API prices for the same model (with dates).

    ``chips``: chips, systems or deployments, each as :func:`cost_bound` takes it.

    One row per chip (``kind='bound'``, price source and date) and one per API price
    (``kind='api'``). Chips that miss a price or do not fit keep their row with ``note``.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chips : iterable of str, Chip, System or Deployment
        The hardware to cost.
    **kw
        Keywords of :func:`cost_bound` (``context_tokens``, ``price``, ``weight_dtype``, ...).

    Returns
    -------
    list of dict
        Rows with ``kind``, ``who``, ``usd_per_m_input`` and ``usd_per_m_output`` [USD per 1M
        tokens], ``date``, ``source`` and ``note``.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or a chip names nothing in the catalogs.
    """
    from .model.catalog import get_model

    m = get_model(model)
    rows: list[dict[str, Any]] = []
    for ch in chips:
        try:
            cb = cost_bound(m, ch, **kw)
        except AccelspecError as exc:
            rows.append({"kind": "bound", "who": _who(ch), "usd_per_m_input": None,
                         "usd_per_m_output": None, "date": None, "note": str(exc)})
            continue
        rows.append({"kind": "bound", "who": f"{cb.n_chips} x {cb.chip}" + (f" in {cb.on_system}"
                                                                           if cb.on_system else ""),
                     "usd_per_m_input": None if cb.usd_per_m_input is None else cb.usd_per_m_input.magnitude,
                     "usd_per_m_output": None if cb.usd_per_m_output is None else cb.usd_per_m_output.magnitude,
                     "date": ", ".join(sorted({s.date for s in (cb.prices_used or cb.prices)})) or None,
                     "note": "no published price" if "price" in cb.missing else cb.assumptions})
    for a in api_prices(m.id):
        note = a.source_url + (f" (origin {a.origin})" if a.origin else "") + (f"; {a.note}" if a.note else "")
        rows.append({"kind": "api", "who": a.provider, "api_model": a.api_model, "status": a.status,
                     "usd_per_m_input": a.usd_per_m_input, "usd_per_m_output": a.usd_per_m_output, "date": a.date,
                     "note": note})
    return rows


def compare_api_text(rows: list[dict[str, Any]]) -> str:
    """Plain-text table of :func:`compare_api` rows: who, USD per 1M input / output tokens, date."""
    def usd(v: Any) -> str:
        return "n/a" if v is None else f"{v:.3g}"
    out = [f"{'kind':5}  {'who':48}  {'in $/Mtok':>9}  {'out $/Mtok':>10}  date"]
    for r in rows:
        who = r["who"] + (f" ({r['api_model']})" if r.get("api_model") else "")
        out.append(f"{r['kind']:5}  {who[:48]:48}  {usd(r['usd_per_m_input']):>9}  {usd(r['usd_per_m_output']):>10}  "
                   f"{r['date'] or '-'}" + ("" if r["kind"] == "api" or r["usd_per_m_output"] is not None
                                            else f"  ({r['note'][:60]})"))
    return "\n".join(out)


def _in(q: pint.Quantity, unit: str) -> float:
    """The magnitude of ``q`` in ``unit`` (a price table's cell)."""
    return float(q.m_as(unit))


def prices_markdown() -> str:
    """The price tables of ``docs/economics.md``: chip-hour snapshots, chips without a price, list
    prices and API prices, each row with its date and source. Generated from ``specs/prices``."""
    snaps, no_price = load_prices()
    lines = ["### Chip-hour prices", "",
             "| chip | provider | region | tier | instance | USD/chip-hour | basis | status | date | source |",
             "|---|---|---|---|---|---:|---|---|---|---|"]
    for sn in sorted(snaps, key=lambda x: (x.chip, _in(x.per_chip_hour, USD_PER_HOUR))):
        inst = sn.instance + (f" ({_in(sn.per_instance_hour, USD_PER_HOUR):g} USD/h / {sn.chips})"
                              if sn.basis == "derived" and sn.per_instance_hour is not None else "")
        lines.append(f"| {sn.chip} | {sn.provider} | {sn.region or '-'} | {sn.tier} | {inst} | "
                     f"{_in(sn.per_chip_hour, USD_PER_HOUR):.4g} | {sn.basis} | {sn.status} | {sn.date} | "
                     f"[{sn.source_title.split(' (')[0]}]({sn.source_url}) |")
    lines += ["", "### Chips without a price", "", "| chip | reason |", "|---|---|"]
    lines += [f"| {cid} | {why} |" for cid, why in sorted(no_price.items())]
    lines += ["", "### List prices", "", "| chip | vendor | item | USD | USD per chip | status | date | source |",
              "|---|---|---|---:|---:|---|---|---|"]
    for lp in list_prices():
        lines.append(f"| {lp.chip} | {lp.vendor} | {lp.item} | {_in(lp.price, 'USD'):,.0f} | "
                     f"{_in(lp.per_chip, 'USD'):,.0f} | {lp.status} | {lp.date} | [{lp.source_title.split(' (')[0]}]"
                     f"({lp.source_url}) |")
    lines += ["", "### API prices (USD per 1M tokens)", "",
              "| model | provider | API model | input | output | status | date | source |",
              "|---|---|---|---:|---:|---|---|---|"]
    for a in sorted(api_prices(), key=lambda x: (x.model, x.usd_per_m_output)):
        lines.append(f"| {a.model} | {a.provider} | {a.api_model or '-'} | {a.usd_per_m_input:g} | "
                     f"{a.usd_per_m_output:g} | {a.status} | {a.date} | [{a.source_title.split(' (')[0]}]"
                     f"({a.source_url}) |")
    return "\n".join(lines) + "\n"
