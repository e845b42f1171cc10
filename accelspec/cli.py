"""The ``accelspec`` command line (also ``python -m accelspec``).

Every subcommand prints a human table by default and JSON with ``--json``. User mistakes
(unknown chip, ``--context -5``) print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

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
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

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
    from .compare import compare

    fields = [f.strip() for f in args.fields.split(",")] if args.fields else None
    try:
        result = compare(args.chips, fields, baseline=args.baseline)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    if args.json:
        df = result.frame()
        _emit({"units": df.attrs["units"], "rows": json.loads(df.reset_index().to_json(orient="records")),
               "sources": df.attrs["sources"]}, True)
    else:
        print(result.text())


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
