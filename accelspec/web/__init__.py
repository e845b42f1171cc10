"""accelspec where people work: an HTTP API with a page over it, and the same questions as
MCP tools.

==================  ==========================================================================
module              holds
==================  ==========================================================================
:mod:`.answers`     the questions (chips, systems, models, compare, fit, min chips, bound,
                    request, plan, frontier, cost, train, claims, validate) as functions of
                    plain arguments that return JSON-ready dicts in the CLI's ``--json``
                    shapes; input caps; the field an error is about
:mod:`.app`         the FastAPI app (``create_app``), its error responses and ``serve``
``static/``         the page: ``index.html``, ``app.js`` (with its own SVG chart),
                    ``style.css``; no CDN
==================  ==========================================================================

FastAPI and uvicorn are optional (``pip install accelspec[web]``); :mod:`.answers` needs
neither, and the MCP server (:mod:`accelspec.mcp_server`) uses it too.
"""

from __future__ import annotations

__all__: list[str] = []
