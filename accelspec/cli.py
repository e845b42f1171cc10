"""The ``accelspec`` command line (also ``python -m accelspec``).

Every subcommand prints a human table by default and JSON with ``--json``. User mistakes
(unknown chip, ``--context -5``) print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import AccelspecError
from .inputs import parse_count

__all__ = ["build_parser", "main"]


class UsageError(Exception):
    """A mistake in the command line; exits 2 with one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _count(what: str):
    def parse(text: str) -> int:
        try:
            return parse_count(text, what)
        except ValueError as exc:  # argparse already names the argument
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{what}: ")) from None

    parse.__name__ = what
    return parse


def _emit(data: Any, as_json: bool, text: str | None = None) -> None:
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(text if text is not None else data)


# --- chips ----------------------------------------------------------------------------
def _cmd_list(args: argparse.Namespace) -> None:
    from . import chips
    from .compare import resolve_field

    found = chips(vendor=args.vendor)
    if args.vendor and not found:
        from .catalog import default_catalog

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
    rows = []
    for c in found:
        row = {"id": c.id, "name": c.name, "vendor": c.vendor, "lifecycle": c.lifecycle}
        if sort_path:
            try:
                row[args.sort] = str(c.field(sort_path))
            except LookupError:
                row[args.sort] = None
        rows.append(row)
    cols = list(rows[0]) if rows else ["id"]
    widths = {k: max(len(k), *(len(str(r[k] or "—")) for r in rows)) for k in cols}
    lines = ["  ".join(k.ljust(widths[k]) for k in cols)]
    lines += ["  ".join(str(r[k] or "—").ljust(widths[k]) for k in cols) for r in rows]
    lines.append(f"{len(rows)} chips")
    _emit(rows, args.json, "\n".join(lines))


def _cmd_show(args: argparse.Namespace) -> None:
    from . import get_chip

    chip = get_chip(args.chip)
    _emit(chip.model_dump(mode="json"), args.json, chip.describe())


def _cmd_compare(args: argparse.Namespace) -> None:
    from .compare import comparison

    fields = [f.strip() for f in args.fields.split(",")] if args.fields else None
    try:
        result = comparison(args.chips, fields, baseline=args.baseline)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    if args.json:
        df = result.frame()
        _emit({"units": df.attrs["units"], "rows": json.loads(df.reset_index().to_json(orient="records")),
               "sources": df.attrs["sources"]}, True)
    else:
        print(result.text())


def _csv_counts(what: str):
    def parse(text: str) -> list[int]:
        try:
            return [parse_count(t, what) for t in text.split(",") if t.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{what}: ")) from None

    parse.__name__ = what
    return parse


def _q(x: Any, unit: str) -> float:
    return float(x.m_as(unit))


# --- models and memory ----------------------------------------------------------------
def _cmd_models(args: argparse.Namespace) -> None:
    from .model_catalog import models

    rows = []
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
    return {"fits": bool(r.fits), "verdict": r.verdict, "chip": r.chip, "n_chips": r.n_chips,
            "parallelism": str(r.parallelism), "required_GB_per_chip": _q(r.required, "GB"),
            "available_GB_per_chip": _q(r.available, "GB"), "available_low_GB": _q(r.available_low, "GB"),
            "available_high_GB": _q(r.available_high, "GB"), "headroom_GB": _q(r.headroom, "GB"),
            "largest_term": r.largest_term,
            "terms_GB": {k: float(np.max(v.m_as("GB"))) for k, v in r.footprint.terms().items()},
            "explanation": r.explanation}


def _cmd_fit(args: argparse.Namespace) -> None:
    from .memory import fits, max_context, min_chips

    kw = {"weight_dtype": args.weights, "kv_dtype": args.kv}
    res = fits(args.model, args.chip, args.context, args.batch, n_chips=args.n_chips,
               parallelism=args.parallelism, **kw)
    longest = max_context(args.model, args.chip, batch=args.batch, n_chips=args.n_chips,
                          parallelism=args.parallelism, **kw)
    fewest = min_chips(args.model, args.chip, args.context, args.batch, **kw)
    data = _fit_dict(res)
    data["max_context_tokens"] = None if math.isinf(longest.value) else int(longest.value)
    data["min_chips"] = fewest.value
    lines = [res.explanation, ""]
    lines += [f"  {k:22} {v:10,.1f} GB" for k, v in data["terms_GB"].items()]
    lines += [f"  {'required per chip':22} {data['required_GB_per_chip']:10,.1f} GB",
              f"  {'available per chip':22} {data['available_GB_per_chip']:10,.1f} GB",
              f"  {'headroom':22} {data['headroom_GB']:10,.1f} GB", "",
              f"longest context here: {longest.explanation}",
              f"fewest chips for {args.context:,} tokens: {fewest.explanation}"]
    _emit(data, args.json, "\n".join(lines))


# --- roofline and bounds ----------------------------------------------------------------
def _roof_dict(r: Any) -> dict[str, Any]:
    unit = "TOPS" if r.precision.is_integer else "TFLOPS"
    lo, hi = r.ridge_point_range
    return {"chip": r.chip, "precision": str(r.precision), f"peak_{unit}": float(r.peak_compute.m),
            "memory_bandwidth_TB_per_s": float(r.memory_bandwidth.m),
            "ridge_point": float(r.ridge_point.m), "ridge_point_range": [float(lo.m), float(hi.m)],
            "ridge_point_unit": f"{r.ridge_point.units:~P}",
            "link_GB_per_s_per_direction": None if r.link_bandwidth is None else float(r.link_bandwidth.m)}


def _cmd_roofline(args: argparse.Namespace) -> None:
    from .roofline import roofline

    roofs = [roofline(c, args.precision) for c in args.chips]
    _emit([_roof_dict(r) for r in roofs], args.json, "\n".join(r.explain() for r in roofs))
    if args.output:
        _plot_roofline(args)


def _bound_dict(b: Any) -> dict[str, Any]:
    lo, hi = b.time_range
    return {"phase": b.phase, "model": b.model, "chip": b.chip, "context_tokens": b.context_tokens,
            "batch": b.batch, "n_chips": b.n_chips, "precision": str(b.precision),
            "layout": b.layout, "assumptions": b.assumptions,
            "time_ms": float(b.time.m_as("ms")), "time_ms_range": [float(lo.m_as("ms")), float(hi.m_as("ms"))],
            "tokens_per_s_per_user": float(b.tokens_per_s_per_user.m_as("token/s")),
            "tokens_per_s_per_chip": float(b.tokens_per_s_per_chip.m_as("token/s")),
            "limiter": b.limiter, "intensity_FLOP_per_B": float(b.intensity.m), "explanation": b.explain()}


def _cmd_bound(args: argparse.Namespace) -> None:
    from .bounds import decode_bound, prefill_bound

    fn = prefill_bound if args.prefill else decode_bound
    n = None if args.parallelism and args.n_chips == 1 else args.n_chips
    b = fn(args.model, args.chip, args.context, args.batch, n, parallelism=args.parallelism, weight_dtype=args.weights,
           kv_dtype=args.kv, compute_efficiency=args.compute_eff, bandwidth_efficiency=args.bandwidth_eff,
           link_efficiency=args.link_eff)
    _emit(_bound_dict(b), args.json, b.explain())


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


# --- plots ------------------------------------------------------------------------------
def _savefig(ax: Any, path: str) -> None:
    ax.figure.savefig(path, dpi=args_dpi, bbox_inches="tight")
    print(f"wrote {path}", file=sys.stderr)


args_dpi = 130


def _plot_roofline(args: argparse.Namespace) -> None:
    from . import plot

    _savefig(plot.roofline(args.chips, args.precision), args.output)


def _cmd_plot(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from . import plot

    if args.kind == "roofline":
        ax = plot.roofline(args.chips, args.precision)
    elif args.kind == "compare":
        fields = [f.strip() for f in args.fields.split(",")] if args.fields else \
            ["capacity", "bandwidth", "bf16", "scale_up_per_direction"]
        ax = plot.compare(args.chips, fields, baseline=args.baseline)
    elif args.kind == "memory":
        ax = plot.memory_vs_context(args.model, args.chips, n_chips=args.n_chips, weight_dtype=args.weights,
                                    kv_dtype=args.kv, batch=args.batch)
    else:
        from .sweep import sweep

        df = sweep(args.models, args.chips, args.context, args.batch, on_missing="nan",
                   weight_dtype=args.weights, kv_dtype=args.kv)
        if args.value not in df.columns:
            raise UsageError(f"--value {args.value!r} is not a sweep column; columns: {', '.join(df.columns)}")
        ax = plot.sweep_heatmap(df, args.x, args.y, args.value)
    _savefig(ax, args.output)
    if args.json:
        _emit({"output": args.output, "kind": args.kind}, True)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="accelspec", description="Published AI-accelerator specs with units and sources.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
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
    sp.set_defaults(func=_cmd_show)

    sp = add("compare", "compare chips side by side")
    sp.add_argument("chips", nargs="+")
    sp.add_argument("--fields", help="comma-separated: capacity,bandwidth,bf16,fp8,int8,scale_up,tdp or dotted paths")
    sp.add_argument("--baseline", help="chip to show ratios against")
    sp.set_defaults(func=_cmd_compare)

    sp = add("models", "list the models in the catalog")
    sp.set_defaults(func=_cmd_models)

    def model_args(sp: argparse.ArgumentParser, context: bool = True) -> None:
        if context:
            sp.add_argument("--context", type=_count("--context"), required=True, help="tokens: 8192, 128k, 1M")
        sp.add_argument("--batch", type=_count("--batch"), default=1)
        sp.add_argument("--n-chips", type=_count("--n-chips"), default=1)
        sp.add_argument("--weights", default="bf16", help="weight dtype: bf16, fp8, int4, mxfp4, native, ...")
        sp.add_argument("--kv", default="bf16", help="KV cache dtype")

    sp = add("fit", "does a model with a context fit in a chip's memory?")
    sp.add_argument("model")
    sp.add_argument("--chip", required=True)
    model_args(sp)
    sp.add_argument("--parallelism", default=None, help="auto (default), tp, pp, tp+ep, or tp=4,pp=2")
    sp.set_defaults(func=_cmd_fit)

    sp = add("roofline", "roofline of chips: peak, bandwidth, ridge point")
    sp.add_argument("chips", nargs="+")
    sp.add_argument("--precision", default="bf16")
    sp.add_argument("-o", "--output", help="also write the roofline plot (PNG, SVG, PDF)")
    sp.set_defaults(func=_cmd_roofline)

    sp = add("bound", "lower bound on decode step time / time to first token")
    sp.add_argument("model")
    sp.add_argument("--chip", required=True)
    model_args(sp)
    sp.add_argument("--prefill", action="store_true", help="bound the prefill (time to first token)")
    sp.add_argument("--parallelism", default=None, help="auto (default: the layout fit chooses), tp, pp, "
                    "tp+ep, or tp=4,pp=2")
    for name in ("compute-eff", "bandwidth-eff", "link-eff"):
        sp.add_argument(f"--{name}", type=float, default=1.0, help="achieved fraction of peak (0, 1]")
    sp.set_defaults(func=_cmd_bound)

    sp = add("claims", "check the vendor claims against the catalog")
    sp.add_argument("path", nargs="?", default=None, help="claim file or folder (default: the shipped claims)")
    sp.add_argument("--markdown", action="store_true")
    sp.set_defaults(func=_cmd_claims)

    sp = add("plot", "write a chart: roofline, compare, memory, heatmap")
    kinds = sp.add_subparsers(dest="kind", metavar="KIND", parser_class=_Parser)
    kinds.required = True

    def kind(name: str, help: str) -> argparse.ArgumentParser:
        kp = kinds.add_parser(name, help=help, description=help)
        kp.add_argument("-o", "--output", required=True, help="file to write (PNG, SVG, PDF)")
        kp.add_argument("--json", action="store_true")
        kp.set_defaults(func=_cmd_plot)
        return kp

    kp = kind("roofline", "log-log roofline of chips")
    kp.add_argument("chips", nargs="+")
    kp.add_argument("--precision", default="bf16")
    kp = kind("compare", "bars comparing chips, optionally as ratios to a baseline")
    kp.add_argument("chips", nargs="+")
    kp.add_argument("--fields")
    kp.add_argument("--baseline")
    kp = kind("memory", "memory per chip against context length")
    kp.add_argument("model")
    kp.add_argument("--chips", nargs="+", required=True)
    model_args(kp, context=False)
    kp = kind("heatmap", "a decode bound over two sweep axes")
    kp.add_argument("--models", nargs="+", required=True)
    kp.add_argument("--chips", nargs="+", required=True)
    kp.add_argument("--context", type=_csv_counts("--context"), default=[8192, 131072, 1_000_000])
    kp.add_argument("--batch", type=_csv_counts("--batch"), default=[1, 8, 64])
    kp.add_argument("--weights", default="bf16")
    kp.add_argument("--kv", default="bf16")
    kp.add_argument("--x", default="context_tokens")
    kp.add_argument("--y", default="chip")
    kp.add_argument("--value", default="tokens_per_s_per_user [token/s]")
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
    except (AccelspecError, ValueError, LookupError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"accelspec: error: {msg}".splitlines()[0], file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0
