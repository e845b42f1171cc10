"""``accelspec mcp``: an MCP client from the SDK spawns ``python -m accelspec mcp`` over stdio,
lists the tools (each with a JSON Schema), calls ``fit`` and ``bound`` and checks the answers
against the library; a bad argument comes back as a tool error naming it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

import accelspec as a

pytest.importorskip("mcp", reason="pip install accelspec[web]")

ROOT = Path(__file__).resolve().parents[1]


def _get(obj, *names):  # mcp 1.x spells fields camelCase, 2.x snake_case
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
    raise AttributeError(names)


async def _session_run(calls):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    params = StdioServerParameters(command=sys.executable, args=["-m", "accelspec", "mcp"], env=env, cwd=str(ROOT))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        results = [await session.call_tool(name, args) for name, args in calls]
    return tools, results


def _json(result):
    structured = _get(result, "structured_content", "structuredContent")
    if structured:
        return structured.get("result", structured) if set(structured) == {"result"} else structured
    return json.loads(_get(result, "content")[0].text)


@pytest.fixture(scope="module")
def exchange():
    calls = [("fit", {"model": "llama-3.1-8b", "chip": "h100", "context": 8192}),
             ("bound", {"model": "llama-3.1-8b", "chip": "h100", "context": "8k", "phase": "prefill"}),
             ("lookup_chip", {"name": "mi300x"}),
             ("fit", {"model": "llama-3.1-8b", "chip": "h1000", "context": 8192}),
             ("fit", {"model": "llama-3.1-8b", "chip": "h100", "context": "-5"})]
    return asyncio.run(asyncio.wait_for(_session_run(calls), timeout=120))


def test_tools_have_json_schemas(exchange):
    from accelspec.mcp_server import TOOLS

    tools, _ = exchange
    listed = {t.name: t for t in tools.tools}
    assert set(listed) == {f.__name__ for f in TOOLS}
    assert {"lookup_chip", "lookup_system", "lookup_model", "compare_chips", "fit", "bound", "request", "plan",
            "cost", "check_claims"} <= set(listed)
    schema = _get(listed["fit"], "input_schema", "inputSchema")
    assert schema["type"] == "object" and {"model", "chip", "context"} <= set(schema["required"])
    assert "8k" in schema["properties"]["context"]["description"]
    assert _get(listed["fit"], "description")


def test_fit_and_bound_answer_as_the_library(exchange):
    _, (fit, bound, chip, *_) = exchange
    lib = a.fits("llama-3.1-8b", "h100", 8192)
    d = _json(fit)
    assert not _get(fit, "is_error", "isError")
    assert d["fits"] is bool(lib.fits) and d["required_GB_per_chip"] == pytest.approx(float(lib.required.m_as("GB")))
    assert d["quantities"]["memory_capacity"]["source"]  # sourced
    b = _json(bound)
    assert b["time_ms"] == pytest.approx(float(a.prefill_bound("llama-3.1-8b", "h100", 8000).time.m_as("ms")))
    assert _json(chip)["fields"]["memory.capacity"]["value"] == 192  # AMD MI300X data sheet: 192 GB


def test_bad_arguments_are_tool_errors_naming_them(exchange):
    _, (*_, unknown, negative) = exchange
    assert _get(unknown, "is_error", "isError") and "(chip)" in _get(unknown, "content")[0].text
    assert "h1000" in _get(unknown, "content")[0].text
    assert _get(negative, "is_error", "isError") and "(context)" in _get(negative, "content")[0].text


def test_docs_list_every_tool():
    from accelspec.mcp_server import TOOLS

    text = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    assert [f.__name__ for f in TOOLS if f"| `{f.__name__}` |" not in text] == []
