"""``accelspec mcp``: the questions the CLI answers, as MCP tools over stdio.

An agent or an editor starts ``python -m accelspec mcp`` (or ``accelspec mcp``) and calls
tools whose arguments have JSON Schemas (from the type hints below) and whose answers are the
CLI's ``--json`` shapes (:mod:`accelspec.web.answers`), every quantity with its unit, status
and source. A bad argument (unknown chip, ``context=-5``) comes back as a tool error naming the
argument.

Uses the ``mcp`` SDK: ``MCPServer`` (mcp 2.x) or ``FastMCP`` (mcp 1.x).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from .web import answers as q

__all__ = ["TOOLS", "create_server", "run"]

Tokens = Annotated[int | str, Field(description="a token count: 8192, '8k', '128k', '32Ki', '1M'")]
Count = Annotated[int | str, Field(description="a count: 1, 8, 64, '1k'")]
Chip = Annotated[str, Field(description="a chip or a system name: h100, mi300x, gb200-nvl72")]
Model = Annotated[str, Field(description="a model in the catalog: llama-3.1-8b, deepseek-v3, ...")]
Opt = Annotated[str | None, Field(description="optional; omit for the library's default")]
OptCount = Annotated[int | str | None, Field(description="optional count; omit for the library's default")]


def _tool_error() -> type[Exception]:
    """The SDK's ``ToolError``: its message reaches the client (another exception's is hidden)."""
    try:
        mod = importlib.import_module("mcp.server.mcpserver.exceptions")  # mcp >= 2
    except ImportError:
        mod = importlib.import_module("mcp.server.fastmcp.exceptions")  # mcp 1.x
    error: type[Exception] = mod.ToolError
    return error


def _tool(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn the library's input errors into one-line tool errors that name the argument."""
    tool_error = _tool_error()
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return fn(*args, **kwargs)
        except (ValueError, LookupError, TypeError, ArithmeticError, RecursionError) as exc:
            field = q.error_field(exc, kwargs)
            msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            raise tool_error(f"{type(exc).__name__} ({field or 'input'}): {msg.splitlines()[0]}") from None

    return wrapper


def lookup_chip(name: Chip) -> dict[str, Any]:
    """Every published field of a chip with its unit, status (official / reported / derived /
    estimated) and source."""
    return q.chip(name)


def lookup_system(name: Annotated[str, Field(description="a system: gb200-nvl72, hgx-h100, cloudmatrix384")]
                  ) -> dict[str, Any]:
    """A system's record (chip, count, scale-up and scale-out fabric, power) and derived totals."""
    return q.system(name)


def lookup_model(name: Model) -> dict[str, Any]:
    """A model's row: parameters (total and active), attention kind, KV cache bytes per token."""
    rows = [m for m in q.models()["models"] if m["id"] == name]
    if not rows:
        import accelspec as a

        m = a.get_model(name)  # raises UnknownModelError with suggestions; aliases resolve here
        rows = [r for r in q.models()["models"] if r["id"] == m.id]
    return rows[0]


def list_catalog(vendor: Opt = None) -> dict[str, Any]:
    """The chips (with memory, bandwidth and bf16 peak, sourced), the systems and the models."""
    return {"chips": q.chips(vendor)["chips"], "systems": q.systems(vendor)["systems"],
            "models": [m["id"] for m in q.models()["models"]]}


def compare_chips(chips: Annotated[str, Field(description="chips, commas: h100,mi300x,b200")],
                  fields: Opt = None, baseline: Opt = None) -> dict[str, Any]:
    """Chips side by side: capacity, bandwidth, compute by precision, scale-up, power, each
    with its source; ratios to ``baseline`` when given."""
    return q.compare(chips, fields, baseline)


def fit(model: Model, chip: Chip, context: Tokens, batch: Count = 1, n_chips: OptCount = None, weights: Opt = None,
        kv: str = "bf16", parallelism: Opt = None) -> dict[str, Any]:
    """Does the model at this context and batch fit the chip's memory? The verdict, the memory
    breakdown per chip, the longest context, the largest batch and the fewest chips."""
    return q.fit(model, chip, context, batch, n_chips=n_chips, weights=weights, kv=kv, parallelism=parallelism)


def bound(model: Model, chip: Chip, context: Tokens, batch: Count = 1,
          phase: Annotated[str, Field(pattern="^(decode|prefill)$")] = "decode", n_chips: OptCount = None,
          weights: Opt = None, kv: str = "bf16", parallelism: Opt = None, precision: Opt = None) -> dict[str, Any]:
    """Lower bound on a decode step (or the prefill) from the roofline: time, tokens/s per user
    and per chip, the limiter, and the assumptions line."""
    return q.bound(model, chip, context, batch, phase=phase, n_chips=n_chips, weights=weights, kv=kv,
                   parallelism=parallelism, precision=precision)


def request(model: Model, chip: Chip, input: Tokens = 2048, output: Tokens = 256, batch: Count = 1,
            concurrency: OptCount = None, n_chips: OptCount = None) -> dict[str, Any]:
    """Bounds on whole requests: time to first token, time per output token, latency, throughput."""
    return q.request(model, chip, input, output, batch, concurrency=concurrency, n_chips=n_chips)


def plan(model: Model, input: Tokens, output: Tokens,
         ttft: Annotated[str, Field(description="time-to-first-token target: 1 s, 500 ms")],
         tpot: Annotated[str, Field(description="time-per-output-token target: 30 ms")],
         chips: Annotated[str | None, Field(description="chips or systems, commas; omit: the whole catalog")] = None,
         top: Annotated[int, Field(ge=0, le=100)] = 10) -> dict[str, Any]:
    """Which chips meet a TTFT and TPOT target, with how many chips, which layout and batch;
    the entries ruled out say which bound rules them out."""
    return q.plan(model, input, output, ttft, tpot, chips=chips, top=top)


def cost(model: Model, chip: Chip, input: Tokens = 2048, output: Tokens = 256,
         price: Annotated[str, Field(description="min, median, max, or '2.5 USD/hour' per chip")] = "min"
         ) -> dict[str, Any]:
    """Best-case dollars per million output tokens and tokens per joule, with dated price sources."""
    return q.cost(model, chip, input, output, price=price)


def check_claims() -> dict[str, Any]:
    """The shipped vendor claims checked against the catalog: verdict per claim and its source."""
    return q.claims()


#: The tools, in the order they are listed.
TOOLS: list[Callable[..., dict[str, Any]]] = [
    lookup_chip, lookup_system, lookup_model, list_catalog, compare_chips, fit, bound, request, plan, cost,
    check_claims,
]


def create_server() -> Any:
    """The MCP server with :data:`TOOLS` registered (not started)."""
    try:
        server_class = importlib.import_module("mcp.server.mcpserver").MCPServer  # mcp >= 2
    except ImportError:
        server_class = importlib.import_module("mcp.server.fastmcp").FastMCP  # mcp 1.x
    server = server_class("accelspec", instructions=(
        "Published AI-accelerator specs with units and sources, and what they imply: memory fits, roofline "
        "bounds (lower bounds on time, not estimates), plans, costs, vendor-claim checks. Quantities are "
        "{value, unit, status, source, range} records; status says official, reported, derived or estimated."))
    for fn in TOOLS:
        server.tool(name=fn.__name__, description=(fn.__doc__ or "").strip())(_tool(fn))
    return server


def run() -> None:
    """Serve :data:`TOOLS` over stdio until the client closes the connection."""
    create_server().run()
