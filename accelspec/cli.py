"""The ``accelspec`` command line (also ``python -m accelspec``).

Every subcommand prints a human table by default and JSON with ``--json``. User mistakes
(unknown chip, ``--context -5``) print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from .errors import AccelspecError
from .inputs import parse_count

__all__ = ["build_parser", "main"]


class UsageError(Exception):
    """A mistake in the command line; exits 2 with one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: former spellings of this command's options -> today's (see :func:`_renamed`)
        self.former: dict[str, str] = {}

    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        raise UsageError(message)


if TYPE_CHECKING:  # generic for type checkers only
    _SubParsersAction = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsersAction = argparse._SubParsersAction


class _Commands(_SubParsersAction):
    """Subcommands whose former option spellings still work: before a subcommand parses its
    arguments, each former spelling (``--context``, ``--context=8k``) becomes today's
    (``--context-tokens``), so the value is checked, stored and required exactly as the
    current option, and ``--help`` lists only the current names."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        name, *rest = values
        sub = self.choices.get(name)
        former = sub.former if isinstance(sub, _Parser) else {}
        out: list[str] = []
        for i, arg in enumerate(rest):
            if arg == "--":  # the rest is positional
                out += rest[i:]
                break
            flag, eq, value = arg.partition("=")
            out.append(former[flag] + eq + value if flag in former else arg)
        super().__call__(parser, namespace, [name, *out], option_string)


def _renamed(sp: argparse.ArgumentParser, new: argparse.Action, *old: str) -> argparse.Action:
    """Accept the former spellings ``old`` of the option ``new`` on the command ``sp`` (not
    listed in ``--help``; see :class:`_Commands`)."""
    if isinstance(sp, _Parser):
        sp.former.update(dict.fromkeys(old, new.option_strings[-1]))
    return new


def _count(what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return parse_count(text, what)
        except ValueError as exc:  # argparse already names the argument
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{what}: ")) from None

    parse.__name__ = what
    return parse


def _finite(data: Any) -> Any:
    """JSON has no Infinity or NaN: non-finite floats become null."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def _check_output(path: str | None) -> None:
    """Refuse an output path whose folder does not exist before any work or output is done."""
    if not path:
        return
    from pathlib import Path

    folder = Path(path).expanduser().parent
    if not folder.is_dir():
        raise UsageError(f"-o/--out: folder {str(folder)!r} does not exist")
    if Path(path).is_dir():
        raise UsageError(f"-o/--out: {path!r} is a folder; give a file name such as roofline.png")
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    ext = Path(path).suffix.lstrip(".").lower()
    if ext not in kinds:
        raise UsageError(f"-o/--out: cannot tell the format of {path!r}; end it with one of "
                         f"{', '.join('.' + k for k in sorted(kinds))}")


def _emit(data: Any, as_json: bool, text: str | None = None) -> None:
    if as_json:
        print(json.dumps(_finite(data), indent=2, ensure_ascii=False, default=str, allow_nan=False))
    else:
        print(text if text is not None else data)


# --- chips ----------------------------------------------------------------------------
def _cmd_list(args: argparse.Namespace) -> None:
    from . import chips
    from .hardware.comparison import resolve_field

    if args.vendor is not None and not args.vendor.strip():
        from .hardware.catalog import default_catalog

        raise UsageError(f"--vendor: empty; vendors: {', '.join(default_catalog().vendors())}")
    found = chips(vendor=args.vendor)
    if args.vendor is not None and not found:
        from .hardware.catalog import default_catalog

        raise UsageError(f"no chips from vendor {args.vendor!r}; vendors: {', '.join(default_catalog().vendors())}")
    sort_path, sort_unit = resolve_field(args.sort) if args.sort else (None, None)

    def key(chip: Any) -> tuple[int, float, str]:
        if sort_path is None:
            return (0, 0.0, f"{chip.vendor} {chip.name}")
        try:
            v = chip.field(sort_path)
            return (0, -float(v.q.m_as(sort_unit) if sort_unit else v.q.m), chip.name)
        except (LookupError, AttributeError):
            return (1, 0.0, chip.name)

    found.sort(key=key)
    rows: list[dict[str, str | None]] = []
    records: list[dict[str, Any]] = []
    for c in found:
        row: dict[str, str | None] = {"id": c.id, "name": c.name, "vendor": c.vendor, "lifecycle": c.lifecycle}
        record: dict[str, Any] = dict(row, sort_value=None)
        if sort_path:
            from .hardware.comparison import lookup_value
            from .provenance import quantity_out

            cell = lookup_value(c, sort_path)
            record["sort_value"] = quantity_out(cell, sort_unit)
            row[args.sort] = str(cell) if cell else None
        rows.append(row)
        records.append(record)
    if args.json:
        _emit({"sort": args.sort, "chips": records}, True)
        return
    cols = list(rows[0]) if rows else ["id"]
    widths = {k: max([len(k), *(len(str(r[k] or "—")) for r in rows)]) for k in cols}
    lines = ["  ".join(k.ljust(widths[k]) for k in cols)]
    lines += ["  ".join(str(r[k] or "—").ljust(widths[k]) for k in cols) for r in rows]
    from .specfiles import catalog_version

    lines.append(f"{len(rows)} chips (catalog {catalog_version()})")
    _emit(rows, args.json, "\n".join(lines))


def _cmd_show(args: argparse.Namespace) -> None:
    from . import get_chip

    chip = get_chip(args.chip)
    if args.json and args.record:
        _emit(chip.model_dump(mode="json"), True)
        return
    data = None
    if args.json:
        from .provenance import quantity_out, source_out

        c = chip.compute
        data = {"id": chip.id, "name": chip.name, "vendor": chip.vendor, "aliases": chip.aliases,
                "family": chip.family, "form_factor": chip.form_factor, "device": chip.device,
                "lifecycle": chip.lifecycle, "fields": {p: quantity_out(v) for p, v in chip.fields()},
                "unsupported": [str(p) for p in c.unsupported],
                "supported_unpublished": [str(p) for p in c.supported if p not in c.dense],
                "notes": chip.notes, "sources": {k: source_out(s) for k, s in chip.sources().items()},
                "spec_file": chip.origin}
    _emit(data, args.json, chip.describe())



def _cmd_compare(args: argparse.Namespace) -> None:
    from .hardware.comparison import comparison

    fields = _split(args.fields) or None
    result = comparison(args.chips, fields, baseline=args.baseline)
    _emit(result.to_json() if args.json else None, args.json, result.text())


def _cmd_schema(args: argparse.Namespace) -> None:
    from .io.json_out import schema

    _emit(schema(args.name), True)


def _fraction(text: str) -> float:
    """An efficiency: a finite number in [1e-6, 1]."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [1e-6, 1], got {text!r}") from None
    if not 1e-6 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [1e-6, 1] (achieved fraction of peak), got {text!r}")
    return v


def _csv_counts(what: str) -> Callable[[str], list[int]]:
    def parse(text: str) -> list[int]:
        try:
            return [parse_count(t, what) for t in text.split(",") if t.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{what}: ")) from None

    parse.__name__ = what
    return parse


class _List(argparse.Action):
    """``nargs="+"`` that also splits commas: ``1,8,64``, ``1 8 64`` and ``1,8 64`` are one list
    (a ``type`` that returns a list, such as :func:`_csv_counts`, is flattened)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        out: list[Any] = []
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, list):
                out.extend(v)
            else:
                out.extend(t.strip() for t in str(v).split(",") if t.strip())
        if not out:
            raise UsageError(f"{option_string or self.dest}: give at least one value")
        setattr(namespace, self.dest, out)


def _split(text: str | None) -> list[str]:
    """``"a,b c"`` -> ``["a", "b", "c"]`` (commas or white space)."""
    import re

    return [t for t in re.split(r"[,\s]+", text or "") if t]


def _q(x: Any, unit: str) -> float:
    return float(x.m_as(unit))


# --- models and memory ----------------------------------------------------------------
def _cmd_models(args: argparse.Namespace) -> None:
    from .model.catalog import models

    rows: list[dict[str, Any]] = []
    for m in models():
        rows.append({"id": m.id, "name": m.name, "params_total": m.params_total(),
                     "params_active": m.params_active(), "attention": m.attention_variant,
                     "kv_bf16_B_per_token": _q(m.kv_cache_per_token("bf16"), "B/token")})
    lines = [f"{'id':22} {'params':>9} {'active':>8} {'attention':12} {'KV bf16 [B/token]':>18}"]
    lines += [f"{r['id']:22} {r['params_total'] / 1e9:8.1f}B {r['params_active'] / 1e9:7.2f}B {r['attention']:12} "
              f"{r['kv_bf16_B_per_token']:18,.0f}" for r in rows]
    lines.append(f"{len(rows)} models")
    _emit(rows, args.json, "\n".join(lines))


def _fit_dict(r: Any) -> dict[str, Any]:
    return {"fits": bool(r.fits), "verdict": r.verdict, "chip": r.chip, "system": getattr(r, "system", "") or None,
            "n_chips": r.n_chips,
            "parallelism": str(r.parallelism), "required_GB_per_chip": _q(r.required, "GB"),
            "available_GB_per_chip": _q(r.available, "GB"), "available_low_GB": _q(r.available_low, "GB"),
            "available_high_GB": _q(r.available_high, "GB"), "headroom_GB": _q(r.headroom, "GB"),
            "largest_term": r.largest_term,
            "terms_GB": {k: float(np.max(v.m_as("GB"))) for k, v in r.footprint.terms().items()},
            "explanation": r.explanation, "assumptions": getattr(r, "assumptions", ""),
            "warnings": list(getattr(r, "warnings", ())), "weight_source": getattr(r, "weight_source", ""),
            "weight_format": r.footprint.dtypes.get("weight_format")}


def _fit_model(text: str) -> Any:
    """A catalog name, or a ``config.json`` path / a folder holding one (and hf_quant_config.json)."""
    import os

    from .model.architecture import Model

    if os.path.exists(text):
        if os.path.isdir(text) and not os.path.isfile(os.path.join(text, "config.json")):
            raise UsageError(f"model: folder {text!r} holds no config.json")
        return Model.from_hf_config(text)
    if text.endswith(".json") or os.sep in text:
        raise UsageError(f"model: no such file or folder {text!r}")
    return text


def _chip_with(chip: str, capacity: str | None = None, bandwidth: str | None = None,
               peak: str | None = None, precision: str | None = None) -> tuple[Any, str]:
    """``chip`` with a memory capacity / bandwidth / compute peak given on the command line
    where the chip publishes none (or to try another figure), and the line that says so. The
    value is recorded as an estimate with the command line as its basis, never as the vendor's
    (:func:`accelspec.perf.roofline.with_roofs`)."""
    from . import get_chip
    from .hardware.chip import as_precision
    from .perf.roofline import with_roofs

    if capacity is None and bandwidth is None and peak is None:
        return chip, ""  # resolved by the calculators (a chip or a system name)
    c = get_chip(chip)
    prec = precision or "bf16"
    said = []
    for flag, text, was in (("--capacity", capacity, c.memory.capacity), ("--bandwidth", bandwidth,
                                                                          c.memory.bandwidth),
                            ("--peak", peak, c.compute.dense.get(as_precision(prec)))):
        if text is None:
            continue
        key = {"--capacity": "memory capacity", "--bandwidth": "memory bandwidth",
               "--peak": f"dense {prec} peak"}[flag]
        old = f"published {was.q:~P}" if was is not None else "not published"
        said.append(f"{key} {text} given with {flag} ({c.name}: {old})")
    from .errors import InvalidArgumentError

    try:
        out = with_roofs(c, capacity=capacity, bandwidth=bandwidth, peak=peak, precision=prec,
                         basis="value given on the accelspec command line")
    except InvalidArgumentError as exc:
        raise UsageError(f"--{exc}") from None  # "--bandwidth: must be one positive finite quantity, ..."
    return out, "; ".join(said)


def _cmd_fit(args: argparse.Namespace) -> None:
    from .hardware.chip import NotPublishedError
    from .model.catalog import get_model
    from .perf.memory import fits, max_batch, max_context, min_chips

    model = get_model(_fit_model(args.model))
    kw = {"weight_dtype": args.weight_dtype, "kv_dtype": args.kv_dtype, "capacity": args.capacity}
    try:
        res = fits(model, args.chip, args.context_tokens, args.batch, n_chips=args.n_chips,
                   parallelism=args.parallelism, **kw)
    except NotPublishedError as exc:
        raise UsageError(str(exc).replace("pass capacity='96 GB' (for example)",
                                          "give --capacity '96 GB' (for example)")) from None
    longest = max_context(model, args.chip, batch=args.batch, n_chips=args.n_chips,
                          parallelism=args.parallelism, **kw)
    widest = max_batch(model, args.chip, args.context_tokens, n_chips=args.n_chips, parallelism=args.parallelism, **kw)
    fewest = min_chips(model, args.chip, args.context_tokens, args.batch, **kw)
    data = _fit_dict(res)
    if args.capacity is not None:
        given = f"capacity {args.capacity} per chip given with --capacity"
        data["assumptions"] = f"{data['assumptions']}; {given}" if data["assumptions"] else given
    data["max_context_tokens"] = None if math.isinf(longest.value) else int(longest.value)
    data["max_batch"] = None if math.isinf(widest.value) else int(widest.value)
    data["min_chips"] = fewest.value
    lines = [res.explanation + (f" [{given}]" if args.capacity is not None else ""), ""]
    lines += [f"  {k:22} {v:10,.1f} GB" for k, v in data["terms_GB"].items()]
    lines += [f"  {'required per chip':22} {data['required_GB_per_chip']:10,.1f} GB",
              f"  {'available per chip':22} {data['available_GB_per_chip']:10,.1f} GB",
              f"  {'headroom':22} {data['headroom_GB']:10,.1f} GB", "",
              f"longest context here: {longest.explanation}",
              f"largest batch at {args.context_tokens:,} tokens: {widest.explanation}",
              f"fewest chips for {args.context_tokens:,} tokens: {fewest.explanation}"]
    _emit(data, args.json, "\n".join(lines))


# --- roofline and bounds ----------------------------------------------------------------
def _roof_dict(r: Any) -> dict[str, Any]:
    """A :class:`~accelspec.perf.roofline.Roofline` as :class:`accelspec.io.json_out.RoofOut` data."""
    from . import get_chip
    from .provenance import quantity_out

    chip = get_chip(r.chip)
    cu = r.compute_unit
    peak = chip.compute.peak(r.precision)
    link = chip.interconnect.scale_up.per_direction() if chip.interconnect.scale_up else None
    if r.system is not None and r.system.scale_up_per_direction() is not None:
        link = r.system.scale_up_per_direction()  # the system's scale-up record, as the library's roof

    def derived(q: Any, rng: Any, basis: str) -> dict[str, Any]:
        lo, hi = rng
        return {"value": float(q.m), "unit": f"{q.units:~P}", "status": "derived", "source": None,
                "range": None if lo.m == hi.m else [float(lo.m), float(hi.m)], "direction": None, "basis": basis}

    return {"chip": r.chip, "name": chip.name, "system": r.system.id if r.system is not None else None,
            "precision": str(r.precision),
            "peak_compute": quantity_out(peak, f"T{cu}/s"),
            "memory_bandwidth": quantity_out(chip.memory.bandwidth, "TB/s"),
            "ridge_point": derived(r.ridge_point, r.ridge_point_range, "peak compute / memory bandwidth"),
            "link_per_direction": None if link is None else quantity_out(link, "GB/s"),
            "comm_ridge_point": None if r.comm_ridge_point is None else derived(
                r.comm_ridge_point, (r.comm_ridge_point, r.comm_ridge_point),
                "peak compute / scale-up bandwidth per direction")}


def _cmd_roofline(args: argparse.Namespace) -> None:
    from .perf.roofline import rooflines

    _check_output(args.out)
    roofs, dropped = rooflines(args.chips, args.precision)
    for d in dropped if args.json else ():  # the text output lists them itself
        print(f"accelspec: left out {d}", file=sys.stderr)
    if not roofs:
        raise UsageError(f"no chip has a {args.precision} roofline: " + "; ".join(map(str, dropped)))
    data = {"precision": args.precision, "roofs": [_roof_dict(r) for r in roofs],
            "dropped": [{"chip": d.chip.id, "system": d.system.id if d.system is not None else None,
                         "reason": d.reason, "status": d.status} for d in dropped]}
    text = "\n".join([r.explain() for r in roofs] + [f"left out: {d}" for d in dropped])
    _emit(data, args.json, text)
    if args.out:
        _plot_roofline(args)


def _cmd_bound(args: argparse.Namespace) -> None:
    from .perf.bounds import decode_bound, prefill_bound

    fn = prefill_bound if args.prefill else decode_bound
    n = args.n_chips
    chip, given = _chip_with(args.chip, bandwidth=args.bandwidth, peak=args.peak, precision=args.precision)
    model = _fit_model(args.model)
    kw = {"parallelism": args.parallelism, "kv_dtype": args.kv_dtype, "compute_efficiency": args.compute_efficiency,
          "bandwidth_efficiency": args.bandwidth_efficiency, "link_efficiency": args.link_efficiency,
          "precision": args.precision, "routing": args.routing, "collective": args.collective}
    # default: the checkpoint's formats, as `fit`; the library falls back to bf16 compute where
    # the chip lacks the checkpoint's format and says so in the assumptions
    from .hardware.chip import NotPublishedError

    try:
        b = fn(model, chip, args.context_tokens, args.batch, n, weight_dtype=args.weight_dtype or "native", **kw)
    except NotPublishedError as exc:
        hint = ("; give --bandwidth '2 TB/s' (for example) to assume one" if "memory bandwidth" in str(exc)
                else "; give --bandwidth '4 TB/s' (for example) for the memory-only bound, --peak '500 TFLOP/s' "
                     "(for example) for the full one" if "peak" in str(exc) else "")
        raise UsageError(f"{exc}{hint}") from None
    from .io.json_out import bound_json

    data = bound_json(b)
    text = b.explain()
    if b.missing:  # no compute peak published: the memory-only bound (its assumptions name the term)
        hint = "; give --peak to add it"
        data["assumptions"] += hint
        text += hint
    if given:
        data["assumptions"] += f"; {given}"
        text += f"; {given}"
    est = _estimate_or_none(lambda: _estimate_bound(b, args.engine))
    if est is not None:
        data["estimate"] = est[0]
        text += f"\n{est[1]}"
    _emit(data, args.json, text)


def _estimate_or_none(make: Any) -> Any:
    """The estimate beside a bound, or None where the calibration cannot judge it (a chip given
    on the command line with no vendor in the catalog, no calibration shipped)."""
    try:
        return make()
    except (AccelspecError, FileNotFoundError, LookupError):
        return None


def _estimate_bound(b: Any, engine: str | None) -> tuple[dict[str, Any], str]:
    from .perf.estimate import estimate

    e = estimate(b, engine=engine)
    return e.to_dict(), str(e)


# --- request -------------------------------------------------------------------------------
def _cmd_request(args: argparse.Namespace) -> None:
    from .perf.request import request_bound

    mode = "steady" if args.concurrency else "static"
    n = args.n_chips
    chip, given = _chip_with(args.chip, bandwidth=args.bandwidth, peak=args.peak)
    if n is None and not args.parallelism and not given:
        from .hardware.system import resolve_hardware

        n = None if resolve_hardware(args.chip)[1] is not None else 1  # a system: all its chips
    elif n is None and given:
        n = 1
    r = request_bound(args.model, chip, args.input_tokens, args.output_tokens, args.batch, n,
                      parallelism=args.parallelism, weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype, mode=mode,
                      concurrency=args.concurrency, accepted_tokens_per_step=args.accepted_tokens_per_step)
    data, text = r.to_dict(), r.explain()
    if given:
        data["assumptions"] += f"; {given}"
        text += f"\n  Given: {given}"

    def request_estimate() -> tuple[dict[str, Any], str]:
        from .perf.estimate import estimate_request

        e = estimate_request(r, engine=args.engine)
        return e.to_dict(), f"  {e}"

    est = _estimate_or_none(request_estimate)
    if est is not None:
        data["estimate"] = est[0]
        text += f"\n{est[1]}"
    _emit(data, args.json, text)


# --- cost ---------------------------------------------------------------------------------
def _cmd_cost(args: argparse.Namespace) -> None:
    from .economics import cost_bound
    from .io.json_out import cost_json

    price = args.price
    if args.chip is None and args.system is None:
        raise UsageError("give --chip (a chip or a system) or --system")
    if args.chip is None:  # --system alone names the hardware, as `fit` and `bound` take it
        args.chip, args.system = args.system, None
    cb = cost_bound(_fit_model(args.model), args.chip, n_chips=args.n_chips, context_tokens=args.input_tokens,
                    output_tokens=args.output_tokens, batch=args.batch, price=price, weight_dtype=args.weight_dtype,
                    kv_dtype=args.kv_dtype, tier=args.tier, system=args.system, basis=args.basis)

    d = cost_json(cb)
    text = str(cb) + "".join(f"\n  price: {s.provider} {s.tier} {s.instance} {s.per_chip_hour.m_as('USD/hour'):.4g} "
                             f"USD/chip-hour ({s.basis}, {s.status}) {s.date} {s.source_url}" for s in cb.prices)
    if args.api:
        from .economics import compare_api, compare_api_text

        rows = compare_api(args.model, [args.chip], n_chips=args.n_chips, context_tokens=args.input_tokens,
                           output_tokens=args.output_tokens, batch=args.batch, price=price,
                           weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype, tier=args.tier, system=args.system,
                           basis=args.basis)
        d["api"] = [r for r in rows if r["kind"] == "api"]
        text += "\n" + compare_api_text(rows) if len(rows) > 1 else "\n  api: no published API price for this model"
    _emit(d, args.json, text)


# --- plan ---------------------------------------------------------------------------------
def _cmd_plan(args: argparse.Namespace) -> None:
    from .perf.plan import plan

    p = plan(args.model, args.input_tokens, args.output_tokens, ttft=args.ttft, tpot=args.tpot, chips=args.chips,
             max_chips=args.max_chips, disaggregated=args.disaggregated, decode_context=args.decode_context,
             weight_dtype=args.weight_dtype or "native", kv_dtype=args.kv_dtype, basis=args.basis)
    data = p.to_records()
    if args.top:
        keep = [r for r in data["rows"] if r["status"] == "meets"][: args.top]
        data["rows"] = keep + [r for r in data["rows"] if r["status"] != "meets"]
    _emit(data, args.json, p.table(args.top or None, include_ruled_out=args.all or not p.feasible))


# --- claims -----------------------------------------------------------------------------
def _cmd_claims(args: argparse.Namespace) -> None:
    from .claims import check_claims

    report = check_claims(args.path)
    if args.json:
        _emit(report.to_records(), True)
    elif args.markdown:
        print(report.to_markdown())
    else:
        print(report.to_text())


def _cmd_export(args: argparse.Namespace) -> None:
    from .io.export import export

    n = export(args.format, args.out, sys.stdout)
    if args.out:
        from .specfiles import catalog_version

        print(f"wrote {n} chips (catalog {catalog_version()}) to {args.out}", file=sys.stderr)


# --- plots ------------------------------------------------------------------------------
def _savefig(ax: Any, path: str) -> None:
    try:
        ax.figure.savefig(path, dpi=args_dpi, bbox_inches="tight")
    except (OSError, ValueError) as exc:  # unwritable path, unknown file format
        raise UsageError(f"-o/--out: cannot write {path!r} ({exc})") from None
    print(f"wrote {path}", file=sys.stderr)


args_dpi = 130


def _plot_roofline(args: argparse.Namespace) -> None:
    from . import plot

    _savefig(plot.roofline(args.chips, args.precision), args.out)


def _cmd_plot(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from . import plot

    _check_output(args.out)
    if args.kind == "roofline":
        ax = plot.roofline(args.chips, args.precision)
    elif args.kind == "compare":
        fields = _split(args.fields) or \
            ["capacity", "bandwidth", "bf16", "scale_up_per_direction"]
        ax = plot.compare(args.chips, fields, baseline=args.baseline)
    elif args.kind == "memory":
        ax = plot.memory_vs_context(_fit_model(args.model), args.chips, n_chips=args.n_chips,
                                    weight_dtype=args.weight_dtype or "native", kv_dtype=args.kv_dtype,
                                    batch=args.batch)
    elif args.kind == "frontier":
        ax = plot.plot_frontier(args.model, args.chips, args.input_tokens, args.output_tokens, n_chips=args.n_chips,
                                disaggregated=not args.colocated, tpot=args.tpot,
                                weight_dtype=args.weight_dtype or "native", kv_dtype=args.kv_dtype, basis=args.basis)
    else:
        from .perf.sweep import sweep

        df = sweep([_fit_model(m) for m in args.models], args.chips, args.context_tokens, args.batch, None,
                   on_missing="nan", weight_dtype=args.weight_dtype or "native",
                   kv_dtype=args.kv_dtype)  # n_chips None: a system at its chip count
        if args.value not in df.columns:
            raise UsageError(f"--value {args.value!r} is not a sweep column; columns: {', '.join(df.columns)}")
        ax = plot.sweep_heatmap(df, args.x, args.y, args.value)
    _savefig(ax, args.out)
    if args.json:
        _emit({"output": args.out, "kind": args.kind}, True)


def _tokens(text: str) -> float:
    """``15.6T``, ``2T``, ``500B``, ``1e12`` -> tokens (decimal suffixes)."""
    t = text.strip().upper()
    mult = {"K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}.get(t[-1:], 1.0)
    try:
        v = float(t[:-1] if t[-1:] in "KMBGT" else t) * mult
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a token count such as 15.6T or 2e12, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return v


def _cmd_train(args: argparse.Namespace) -> None:
    from .perf import training as tr

    if args.runs:
        runs = tr.training_runs()
        rows = [{"id": r.id, "model": r.model, "chip": r.chip, "tokens": r.tokens,
                 "reported_chip_hours": r.chip_hours,
                 "bound_chip_hours": _q(r.bound().chip_hours, "hour"),
                 "implied_utilisation": r.implied_utilisation(), "source": r.source.get("url")} for r in runs]
        _emit(rows, args.json, tr.runs_report())
        return
    if args.claim:
        text = tr.check_training_claim()
        t = tr.cluster_training_time()
        text += f"\n1945P over 16,384 cards, Llama 3.1 405B on 15.6T tokens: {t}"
        _emit({"tianchi": text.splitlines(), "sanjiangyuan_days": _q(t.time, "day")}, args.json, text)
        return
    if not args.model or not args.chip:
        raise UsageError("give MODEL and --chip (or --runs, or --claim)")
    args.model = _fit_model(args.model)
    f = tr.training_fits(args.model, args.chip, args.n_chips, recipe=args.recipe, zero_stage=args.zero_stage,
                         parallelism=args.parallelism, micro_batch=args.micro_batch, seq_len=args.seq_len,
                         recompute=args.recompute)
    data: dict[str, Any] = {"fits": f.fits, "verdict": f.verdict, "chip": f.chip, "system": f.system or None,
                            "n_chips": f.n_chips, "required_GB": _q(f.required, "GB"),
                            "available_GB": _q(f.available, "GB"), "assumptions": f.assumptions,
                            "breakdown_GB": {k: _q(v, "GB") for k, v in f.memory.terms().items()}}
    text = f"{f.explanation}\n{f.memory}"
    if args.tokens:
        t = tr.training_time(args.model, args.tokens, chip=args.chip, n_chips=f.n_chips, recipe=args.recipe,
                             seq_len=args.seq_len, recompute=args.recompute, mfu=args.mfu)
        data["time_days"] = _q(t.time, "day")
        data["chip_hours"] = _q(t.chip_hours, "hour")
        text += f"\ntime: {t}"
    _emit(data, args.json, text)

def _cmd_validate(args: argparse.Namespace) -> None:
    from .measurements.validation import validate

    report = validate(args.path)
    if args.json:
        _emit({"rows": len(report.checks), "publishers": report.publishers, "chips": report.chips,
               "violations": [c.id for c in report.violations], "excluded": [c.id for c in report.excluded],
               "by_publisher": {p: dict(zip(("rows", "median", "min", "max"), v, strict=True))
                                for p, v in report.by_publisher().items()},
               "checks": report.to_records()}, True)
    else:
        text = report.summary()
        if args.rows:
            text += "\n\n" + "\n".join(f"{c.id:<48}{c.efficiency:>8.3f}  {c.measured:g} {c.unit} vs bound "
                                        f"{c.bound:.4g} {c.unit} ({c.limiter}"
                                        f"{'' if c.communication or c.n_chips == 1 else ', no link term'})"
                                        for c in report.checks)
        if args.estimate:
            from .measurements.calibration import leaderboard, leaderboard_text, row_estimates
            from .measurements.validation import load_measurements

            est = row_estimates(load_measurements(args.path))
            text += "\n\nagainst the calibrated estimate (vs estimate > 1: faster than the typical published run):\n"
            text += "\n".join(f"{r.id:<48}{r.verdict()}" for r in est)
            text += "\n\nefficiency leaderboard (chip, engine, regime):\n" + leaderboard_text(leaderboard(est))
        _emit(text, False)
    if report.violations:
        raise SystemExit(1)


# --- systems ------------------------------------------------------------------------------
def _cmd_systems(args: argparse.Namespace) -> None:
    from .hardware.system import systems

    if args.vendor is not None and not args.vendor.strip():
        raise UsageError(f"--vendor: empty; vendors: {', '.join(sorted({s.vendor for s in systems()}))}")
    found = systems(vendor=args.vendor)
    if args.vendor is not None and not found:
        raise UsageError(f"--vendor: no system of vendor {args.vendor!r}; vendors: "
                         f"{', '.join(sorted({s.vendor for s in systems()}))}")
    rows: list[dict[str, Any]] = []
    for s in found:
        hbm, bf16 = s.total_hbm, s.total_bf16
        rows.append({"id": s.id, "name": s.name, "vendor": s.vendor, "chip": s.chip, "count": s.n_chips,
                     "total_hbm_TB": None if hbm is None else round(float(hbm.to("TB").magnitude), 3),
                     "total_bf16_dense_PFLOPS": None if bf16 is None else round(float(bf16.to("PFLOPS").magnitude), 2)})
    head = f"{'id':<20}{'chip':<15}{'count':>7}{'HBM TB':>10}{'bf16 PF':>10}  name"
    def num(x: float | None) -> str:
        return "-" if x is None else format(x, ".4g")

    lines = [head] + [f"{r['id']:<20}{r['chip']:<15}{r['count']:>7}{num(r['total_hbm_TB']):>10}"
                      f"{num(r['total_bf16_dense_PFLOPS']):>10}  {r['name']}" for r in rows]
    _emit(rows, args.json, "\n".join(lines))


def _cmd_show_system(args: argparse.Namespace) -> None:
    from .hardware.system import get_system

    s = get_system(args.system)
    _emit(s.model_dump(mode="json"), args.json, s.summary())


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="accelspec", description="Published AI-accelerator specs with units and sources.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"accelspec {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, action=_Commands)
    sub.required = True

    def add(name: str, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.add_argument("--json", action="store_true", help="machine-readable output")
        return sp

    sp = add("list", "list the chips in the catalog")
    sp.add_argument("--vendor")
    sp.add_argument("--sort", help="field to sort by, largest first (bf16, bandwidth, capacity, ...)")
    sp.set_defaults(func=_cmd_list)

    sp = add("show", "every field of a chip with its source and status")
    sp.add_argument("chip")
    sp.add_argument("--record", action="store_true",
                    help="with --json: the spec record itself (loadable with Chip.model_validate_json)")
    sp.set_defaults(func=_cmd_show)

    sp = add("compare", "compare chips side by side")
    sp.add_argument("chips", nargs="+", action=_List, help="chip names: 'h100 h200' or 'h100,h200'")
    sp.add_argument("--fields", help="capacity,bandwidth,bf16,fp8,int8,scale_up,tdp or dotted paths "
                    "(commas, or spaces inside quotes)")
    sp.add_argument("--baseline", help="chip to show ratios against")
    sp.set_defaults(func=_cmd_compare)

    sp = add("systems", "list the systems (boards, racks, pods, supernodes) with derived totals")
    sp.add_argument("--vendor")
    sp.set_defaults(func=_cmd_systems)

    sp = add("show-system", "a system's record: chip, count, scale-up, scale-out, power, derived totals")
    sp.add_argument("system")
    sp.set_defaults(func=_cmd_show_system)

    sp = sub.add_parser("schema", help="JSON Schema of a command's --json output",
                        description="JSON Schema of a command's --json output (show, list, compare, roofline)")
    sp.add_argument("name", metavar="COMMAND", choices=["show", "list", "compare", "roofline"])
    sp.set_defaults(func=_cmd_schema)

    sp = add("models", "list the models in the catalog")
    sp.set_defaults(func=_cmd_models)

    def model_args(sp: argparse.ArgumentParser, context: bool = True) -> None:
        if context:
            _renamed(sp, sp.add_argument("--context-tokens", type=_count("--context-tokens"), required=True,
                                         metavar="N", help="context length in tokens: 8192, 128k, 1M"), "--context")
        sp.add_argument("--batch", type=_count("--batch"), default=1)
        sp.add_argument("--n-chips", type=_count("--n-chips"), default=None,
                        help="default: a system's chip count (or the --parallelism layout's), else 1")
        dtype_args(sp, None, "default: the checkpoint's own format")

    def dtype_args(sp: argparse.ArgumentParser, weights: str | None, weights_help: str) -> None:
        _renamed(sp, sp.add_argument("--weight-dtype", default=weights, metavar="DTYPE",
                                     help=f"weight dtype: bf16, fp8, int4, int4-g128-zp, mxfp4, ... ({weights_help})"),
                 "--weights")
        _renamed(sp, sp.add_argument("--kv-dtype", default="bf16", metavar="DTYPE",
                                     help="KV-cache dtype (default bf16)"), "--kv")

    def token_args(sp: argparse.ArgumentParser, required: bool = False) -> None:
        defaults = {} if required else {"input": 2048, "output": 256}
        _renamed(sp, sp.add_argument("--input-tokens", type=_count("--input-tokens"), required=required, metavar="N",
                                     default=defaults.get("input"),
                                     help="prompt tokens: 2k, 2048, 32Ki" + ("" if required else " (default 2048)")),
                 "--input")
        _renamed(sp, sp.add_argument("--output-tokens", type=_count("--output-tokens"), required=required, metavar="N",
                                     default=defaults.get("output"),
                                     help="generated tokens per request" + ("" if required else " (default 256)")),
                 "--output")

    def out_arg(sp: argparse.ArgumentParser, help: str, required: bool = False) -> None:
        _renamed(sp, sp.add_argument("-o", "--out", metavar="FILE", required=required, help=help), "--output")

    sp = add("fit", "does a model with a context fit in a chip's memory?")
    sp.add_argument("model", help="catalog name, or a config.json path / a folder holding config.json "
                                  "(and hf_quant_config.json)")
    sp.add_argument("--chip", "--system", dest="chip", required=True,
                    help="a chip or a system (gb200-nvl72, cloudmatrix384: its chip, all its chips)")
    model_args(sp)
    sp.add_argument("--parallelism", default=None, help="auto (default), tp, pp, tp+ep, or tp=4,pp=2")
    sp.add_argument("--capacity", default=None, help="memory per chip to assume, e.g. '96 GB' (for a chip that "
                    "publishes none, or another SKU); said in the assumptions")
    sp.set_defaults(func=_cmd_fit)

    sp = add("roofline", "roofline of chips: peak, bandwidth, ridge point")
    sp.add_argument("chips", nargs="+", action=_List, help="chips or systems: 'h100 mi300x' or 'h100,gb200-nvl72' "
                    "(a system: its chip's roof, marked as the system's)")
    sp.add_argument("--precision", default="bf16")
    out_arg(sp, "also write the roofline plot to FILE (PNG, SVG, PDF)")
    sp.set_defaults(func=_cmd_roofline)

    sp = add("bound", "lower bound on decode step time / time to first token")
    sp.add_argument("model")
    sp.add_argument("--chip", "--system", dest="chip", required=True,
                    help="a chip or a system (gb200-nvl72, cloudmatrix384: its chip, chips and fabric)")
    model_args(sp)
    sp.add_argument("--routing", default="balanced", choices=["balanced", "best-case"],
                    help="MoE routing: balanced (expected distinct experts; default) or best-case (fewest "
                         "distinct experts: a bound under any routing)")
    sp.add_argument("--collective", default="auto", choices=["auto", "ring", "in-network"],
                    help="all-reduce algorithm: auto (least traffic the fabric achieves), ring, in-network")
    sp.add_argument("--prefill", action="store_true", help="bound the prefill (time to first token)")
    sp.add_argument("--parallelism", default=None, help="auto (default: the fastest layout that fits, named "
                    "beside the memory fit's), tp, pp, tp+ep, or tp=4,pp=2")
    sp.add_argument("--engine", default=None, help="serving engine for the estimate beside the bound (vLLM, "
                    "SGLang, TensorRT-LLM, ...; default: not stated)")
    sp.add_argument("--precision", default=None, help="compute format (bf16, fp8, int8, ...); default: the "
                    "weights' format, bf16 where the chip has none")
    sp.add_argument("--bandwidth", default=None, help="memory bandwidth to assume, e.g. '1.6 TB/s' (for a chip "
                    "that publishes none); said in the assumptions")
    sp.add_argument("--peak", default=None, help="dense compute peak to assume at --precision (default bf16), "
                    "e.g. '500 TFLOP/s' (for a chip that publishes none: without it such a chip gets the "
                    "memory-only bound); said in the assumptions")
    for name in ("compute", "bandwidth", "link"):
        _renamed(sp, sp.add_argument(f"--{name}-efficiency", type=_fraction, default=1.0, metavar="FRACTION",
                                     help=f"achieved fraction of peak {name} [1e-6, 1] (default 1)"), f"--{name}-eff")
    sp.set_defaults(func=_cmd_bound)

    sp = add("request", "bounds on whole requests: time to first token, TPOT, latency, throughput")
    sp.add_argument("model")
    sp.add_argument("chip")
    token_args(sp)
    sp.add_argument("--batch", type=_count("--batch"), default=1, help="static batch (requests started together)")
    sp.add_argument("--concurrency", type=_count("--concurrency"), default=None,
                    help="steady state with this many requests in flight (instead of a static batch)")
    sp.add_argument("--n-chips", type=_count("--n-chips"), default=None,
                    help="default: a system's chip count (or the --parallelism layout's), else 1")
    sp.add_argument("--parallelism", default=None, help="auto (default), tp, pp, tp+ep, or tp=4,pp=2")
    sp.add_argument("--engine", default=None, help="serving engine for the estimate beside the bounds (vLLM, "
                    "SGLang, TensorRT-LLM, ...; default: not stated)")
    sp.add_argument("--bandwidth", default=None, help="memory bandwidth to assume, e.g. '4 TB/s' (for a chip "
                    "that publishes none); said in the assumptions")
    sp.add_argument("--peak", default=None, help="dense bf16 compute peak to assume, e.g. '500 TFLOP/s' (without "
                    "it a chip that publishes none gets the memory-only bound); said in the assumptions")
    dtype_args(sp, "native", "default: the checkpoint's own format")
    _renamed(sp, sp.add_argument("--accepted-tokens-per-step", type=float, default=1.0,
                                 help="accepted tokens per step (speculative decoding / MTP; default 1: none)"),
             "--accepted")
    sp.set_defaults(func=_cmd_request)

    sp = add("cost", "$ per 1M tokens and tokens per joule (the calibrated estimate; --basis bound: best case), "
                     "with dated price sources")
    sp.add_argument("model")
    sp.add_argument("--chip", default=None, help="a chip or a system (hgx-h200, gb200-nvl72: its chip, all its "
                    "chips, its fabric and its power)")
    token_args(sp)
    sp.add_argument("--batch", type=_count("--batch"), default=None, help="default: the largest that fits")
    sp.add_argument("--n-chips", type=_count("--n-chips"), default=None,
                    help="default: a system's chip count, else the fewest that fit")
    dtype_args(sp, None, "default: the checkpoint's own format")
    sp.add_argument("--price", default="min", help="min, median, max, or e.g. '2.5 USD/hour' per chip")
    sp.add_argument("--tier", default=None, help="only price snapshots of this tier (on-demand, capacity-block, spot)")
    sp.add_argument("--system", default=None, help="alone: the system to cost (as --chip SYSTEM); with a --chip "
                    "chip: the catalog system whose power gives the rack bound")
    sp.add_argument("--api", action="store_true", help="also list published API prices for the model")
    sp.add_argument("--basis", choices=["estimate", "bound"], default="estimate",
                    help="estimate (default): throughput = bound x calibrated efficiency (what published runs "
                         "reach); bound: the roofline bound, the optimistic edge")
    sp.set_defaults(func=_cmd_cost)

    sp = add("plan", "which chips meet a TTFT and TPOT target for a model, with how many chips, layout and batch")
    sp.add_argument("model")
    token_args(sp, required=True)
    sp.add_argument("--ttft", required=True, help="time-to-first-token target, e.g. 1s or 500ms")
    sp.add_argument("--tpot", required=True, help="time-per-output-token target, e.g. 30ms")
    sp.add_argument("--chips", nargs="+", default=None, help="chips or systems (default: the whole catalog)")
    sp.add_argument("--top", type=int, default=10, help="rows that meet the targets to show (0: all)")
    sp.add_argument("--max-chips", type=_count("--max-chips"), default=64)
    sp.add_argument("--disaggregated", action="store_true", help="prefill on its own pool (gives the "
                    "prefill:decode chip ratio)")
    sp.add_argument("--decode-context", choices=["mean", "final"], default="mean")
    dtype_args(sp, None, "default: the checkpoint's own format")
    sp.add_argument("--all", action="store_true", help="also list the entries ruled out, with the bound that rules "
                    "each out (always shown when none meets the targets)")
    sp.add_argument("--basis", choices=["estimate", "bound"], default="estimate",
                    help="estimate (default): every TTFT/TPOT is the bound / calibrated efficiency (what published "
                         "runs reach); bound: the roofline bounds, the optimistic edge")
    sp.set_defaults(func=_cmd_plan)

    sp = add("claims", "check the vendor claims against the catalog")
    sp.add_argument("path", nargs="?", default=None, help="claim file or folder (default: the shipped claims)")
    sp.add_argument("--markdown", action="store_true")
    sp.set_defaults(func=_cmd_claims)

    sp = add("train", "training memory per chip and time bound; --runs: published runs; --claim: seed claims")
    sp.add_argument("model", nargs="?")
    sp.add_argument("--chip", "--system", dest="chip",
                    help="a chip or a system (gb200-nvl72, cloudmatrix384: its chip, all its chips)")
    sp.add_argument("--n-chips", type=_count("--n-chips"), default=None,
                    help="default: a system's chip count (or the --parallelism layout's), else 1")
    sp.add_argument("--recipe", default="bf16-adam", help="bf16-adam, fp8-deepseek-v3, adam-8bit")
    _renamed(sp, sp.add_argument("--zero-stage", default="1", help="ZeRO stage 0-3 or fsdp (default 1)"), "--zero")
    sp.add_argument("--parallelism", default=None, help="tp=8,pp=2,dp=4 (default: all dp)")
    sp.add_argument("--micro-batch", type=_count("--micro-batch"), default=1)
    sp.add_argument("--seq-len", type=_count("--seq-len"), default=8192)
    sp.add_argument("--recompute", default="none", help="none, selective, full")
    sp.add_argument("--tokens", type=_tokens, help="also bound the time for this many tokens (15.6T)")
    sp.add_argument("--mfu", type=float, default=1.0)
    sp.add_argument("--runs", action="store_true", help="published training runs vs the bound")
    sp.add_argument("--claim", action="store_true", help="the seed articles' training claims")
    sp.set_defaults(func=_cmd_train)
    sp = add("validate", "check every published measurement against its bound (efficiency <= 1)")
    sp.add_argument("path", nargs="?", default=None, help="measurement file or folder (default: the shipped ones)")
    sp.add_argument("--rows", action="store_true", help="also list every row with its bound")
    sp.add_argument("--estimate", action="store_true",
                    help="each row against the calibrated estimate too, and the efficiency leaderboard "
                         "(how good is my deployment?)")
    sp.set_defaults(func=_cmd_validate)

    sp = sub.add_parser("export", help="the catalog as a flat table (CSV or JSON), one row per chip",
                        description="the catalog as a flat table: one row per chip, one column per value plus "
                                    "its unit, status, source id and URL, dated with the catalog version")
    sp.add_argument("--format", choices=["csv", "json"], default="csv")
    out_arg(sp, "file to write (default: standard output)")
    sp.set_defaults(func=_cmd_export)

    sp = add("plot", "write a chart: roofline, compare, memory, frontier, heatmap")
    kinds = sp.add_subparsers(dest="kind", metavar="KIND", parser_class=_Parser, action=_Commands)
    kinds.required = True

    def kind(name: str, help: str) -> argparse.ArgumentParser:
        kp = kinds.add_parser(name, help=help, description=help)
        out_arg(kp, "file to write (PNG, SVG, PDF)", required=True)
        kp.add_argument("--json", action="store_true")
        kp.set_defaults(func=_cmd_plot)
        return kp

    kp = kind("roofline", "log-log roofline of chips")
    kp.add_argument("chips", nargs="+", action=_List)
    kp.add_argument("--precision", default="bf16")
    kp = kind("compare", "bars comparing chips, optionally as ratios to a baseline")
    kp.add_argument("chips", nargs="+", action=_List)
    kp.add_argument("--fields")
    kp.add_argument("--baseline")
    kp = kind("memory", "memory per chip against context length")
    kp.add_argument("model")
    kp.add_argument("--chips", nargs="+", action=_List, required=True)
    model_args(kp, context=False)
    kp = kind("frontier", "tokens/s per chip against tokens/s per user, one curve per chip (the estimate with "
                          "its band, the bound dashed), batch swept")
    kp.add_argument("model")
    kp.add_argument("--chips", nargs="+", required=True)
    _renamed(kp, kp.add_argument("--input-tokens", type=_count("--input-tokens"), default=2048,
                                 help="prompt tokens (default 2048)"), "--input")
    _renamed(kp, kp.add_argument("--output-tokens", type=_count("--output-tokens"), default=256,
                                 help="generated tokens per request (default 256)"), "--gen")
    kp.add_argument("--n-chips", type=_count("--n-chips"), default=None,
                    help="chips per deployment (default: per chip, the fewest that hold the model)")
    kp.add_argument("--tpot", default=None, help="draw a TPOT target, e.g. 30ms")
    kp.add_argument("--colocated", action="store_true", help="prefill on the same chips (default: decode pool)")
    kp.add_argument("--basis", choices=["estimate", "bound"], default="estimate",
                    help="estimate (default): the calibrated estimate solid with its 80%% band, the bound dashed "
                         "beside it; bound: the bound curves alone")
    dtype_args(kp, None, "default: the checkpoint's own format")
    kp = kind("heatmap", "a decode bound over two sweep axes")
    kp.add_argument("--models", nargs="+", action=_List, required=True)
    kp.add_argument("--chips", nargs="+", action=_List, required=True)
    _renamed(kp, kp.add_argument("--context-tokens", nargs="+", action=_List, type=_csv_counts("--context-tokens"),
                                 default=[8192, 131072, 1_000_000], help="tokens: '8k 128k 1M' or '8k,128k,1M'"),
             "--context")
    kp.add_argument("--batch", nargs="+", action=_List, type=_csv_counts("--batch"), default=[1, 8, 64])
    dtype_args(kp, None, "default: the checkpoint's own format")
    kp.add_argument("--x", default="context_tokens")
    kp.add_argument("--y", default="chip")
    kp.add_argument("--value", default="tokens_per_s_per_user [token/s]")
    _add_web_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``accelspec`` script and ``python -m accelspec``."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args.func(args)
    except UsageError as exc:
        print(f"accelspec: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except (AccelspecError, ValueError, LookupError, OSError, ArithmeticError, RecursionError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"accelspec: error: {msg or type(exc).__name__}".splitlines()[0], file=sys.stderr)
        return 2
    return 0


# --- serve and mcp (accelspec.web, accelspec.mcp_server) -------------------------------------
def _add_web_commands(sub: Any) -> None:
    """``accelspec serve`` (the HTTP API and its page) and ``accelspec mcp`` (MCP over stdio)."""
    sp = sub.add_parser("serve", help="serve the HTTP API and its page (localhost by default)",
                        description="serve the HTTP API (/api, schema at /docs) and the page (/) with uvicorn; "
                                    "needs pip install accelspec[web]")
    sp.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1: this machine only)")
    sp.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    sp.set_defaults(func=_cmd_serve)
    sp = sub.add_parser("mcp", help="answer the same questions as MCP tools over stdio",
                        description="an MCP server on stdin/stdout (for agents and editors); needs pip install "
                                    "accelspec[web]")
    sp.set_defaults(func=_cmd_mcp)


def _cmd_serve(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: must be in 0..65535, got {args.port}")
    try:
        from .web.app import serve
    except ImportError as exc:
        raise UsageError(f"serve needs FastAPI and uvicorn ({exc}); pip install 'accelspec[web]'") from None
    serve(args.host, args.port)


def _cmd_mcp(args: argparse.Namespace) -> None:
    try:
        from .mcp_server import run
    except ImportError as exc:
        raise UsageError(f"mcp needs the mcp package ({exc}); pip install 'accelspec[web]'") from None
    run()
