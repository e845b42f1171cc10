"""The HTTP API and its page: ``accelspec serve`` (FastAPI over :mod:`accelspec.web.answers`).

Every question the CLI answers is a ``GET /api/...`` whose query string is the question (so
a URL can be shared), answering the CLI's ``--json`` shape; ``POST /api/validate`` checks
an uploaded measurement file. The OpenAPI schema is at ``/openapi.json`` and browsable at
``/docs``. The page (``/``) is plain HTML and JavaScript over the same API, with no file from
outside this package.

Errors: a library error (:class:`accelspec.AccelspecError`) or any other bad input becomes a
4xx JSON body ``{"error": type, "field": argument, "detail": message}`` (404 for an unknown
name, 413 for a body above the limit, 422 otherwise); never a 500.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

import accelspec as a
from accelspec.errors import UnknownNameError

from . import answers as q

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

#: Exceptions that mean "bad input" when a question raises them (the CLI's exit-2 list).
BAD_INPUT: tuple[type[Exception], ...] = (a.AccelspecError, ValueError, LookupError, TypeError,
                                              ArithmeticError, RecursionError)

Str = Annotated[str | None, Query()]


def _static_dir() -> str:
    return str(files("accelspec.web") / "static")


def _error(exc: BaseException, request: Request, status: int | None = None) -> JSONResponse:
    given = dict(request.query_params) | dict(request.path_params)
    field = q.error_field(exc, given)
    if status is None:
        status = 404 if isinstance(exc, UnknownNameError) else 422
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    body: dict[str, Any] = {"error": type(exc).__name__, "field": field,
                            "detail": (msg or type(exc).__name__).splitlines()[0]}
    if isinstance(exc, UnknownNameError):
        body["suggestions"] = exc.suggestions
    return JSONResponse(body, status_code=status)


def create_app() -> FastAPI:
    """The app: the API under ``/api``, the page at ``/``, its files under ``/static``."""
    app = FastAPI(title="accelspec", version=a.__version__,
                  description="Published AI-accelerator specs with units and sources, and what they imply: "
                              "memory fits, roofline bounds, plans, costs, claim checks. Every quantity is a "
                              "{value, unit, status, source, range} record.")

    for exc_type in BAD_INPUT:
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            return _error(exc, request)

        app.add_exception_handler(exc_type, handler)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body")]
        field = loc[-1] if loc else None
        return JSONResponse({"error": "RequestValidationError", "field": field,
                             "detail": f"{field}: {first.get('msg', 'invalid')}" if field else "invalid request"},
                            status_code=422)

    @app.middleware("http")
    async def cap_body(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        cap = q.LIMITS["body_bytes"]
        if length is not None and (not length.isdigit() or int(length) > cap):
            return JSONResponse({"error": "PayloadTooLarge", "field": "file",
                                 "detail": f"request body of {length} bytes is above this server's limit of "
                                           f"{cap:,} bytes"}, status_code=413)
        response: Response = await call_next(request)
        return response

    # --- catalog -----------------------------------------------------------------------------
    @app.get("/api/chips", tags=["catalog"], summary="list the chips")
    def chips(vendor: Str = None) -> dict[str, Any]:
        return q.chips(vendor)

    @app.get("/api/chips/{name}", tags=["catalog"], summary="every field of a chip with its source and status")
    def chip(name: str) -> dict[str, Any]:
        return q.chip(name)

    @app.get("/api/systems", tags=["catalog"], summary="list the systems with derived totals")
    def systems(vendor: Str = None) -> dict[str, Any]:
        return q.systems(vendor)

    @app.get("/api/systems/{name}", tags=["catalog"], summary="a system's record")
    def system(name: str) -> dict[str, Any]:
        return q.system(name)

    @app.get("/api/models", tags=["catalog"], summary="list the models")
    def models() -> dict[str, Any]:
        return q.models()

    @app.get("/api/compare", tags=["catalog"], summary="compare chips side by side")
    def compare(chips: Annotated[str, Query(description="h100,mi300x")], fields: Str = None,
                baseline: Str = None) -> dict[str, Any]:
        return q.compare(chips, fields, baseline)

    # --- memory and bounds -------------------------------------------------------------------
    @app.get("/api/fit", tags=["inference"], summary="does a model with a context fit a chip's memory?")
    def fit(model: str, chip: str, context: Annotated[str, Query(description="tokens: 8192, 8k, 128k, 1M")],
            batch: str = "1", n_chips: Str = None, weights: Str = None, kv: str = "bf16",
            parallelism: Str = None) -> dict[str, Any]:
        return q.fit(model, chip, context, batch, n_chips=n_chips, weights=weights, kv=kv, parallelism=parallelism)

    @app.get("/api/min_chips", tags=["inference"], summary="the fewest chips that hold a model")
    def min_chips(model: str, chip: str, context: str, batch: str = "1", weights: Str = None, kv: str = "bf16",
                  parallelism: Str = None) -> dict[str, Any]:
        return q.min_chips(model, chip, context, batch, weights=weights, kv=kv, parallelism=parallelism)

    @app.get("/api/bound", tags=["inference"], summary="lower bound on a decode step or a prefill")
    def bound(model: str, chip: str, context: str, batch: str = "1",
              phase: Annotated[str, Query(pattern="^(decode|prefill)$")] = "decode", n_chips: Str = None,
              weights: Str = None, kv: str = "bf16", parallelism: Str = None, precision: Str = None,
              routing: str = "balanced", collective: str = "auto", compute_eff: Str = None,
              bandwidth_eff: Str = None, link_eff: Str = None) -> dict[str, Any]:
        return q.bound(model, chip, context, batch, phase=phase, n_chips=n_chips, weights=weights, kv=kv,
                       parallelism=parallelism, precision=precision, routing=routing, collective=collective,
                       compute_eff=compute_eff, bandwidth_eff=bandwidth_eff, link_eff=link_eff)

    @app.get("/api/request", tags=["inference"], summary="bounds on whole requests: TTFT, TPOT, throughput")
    def request_(model: str, chip: str, input: str = "2048", output: str = "256", batch: str = "1",
                 concurrency: Str = None, n_chips: Str = None, weights: Str = None, kv: str = "bf16",
                 parallelism: Str = None, accepted: Str = None) -> dict[str, Any]:
        return q.request(model, chip, input, output, batch, concurrency=concurrency, n_chips=n_chips,
                         weights=weights, kv=kv, parallelism=parallelism, accepted=accepted)

    @app.get("/api/plan", tags=["inference"], summary="which chips meet a TTFT and TPOT target")
    def plan(model: str, input: str, output: str, ttft: Annotated[str, Query(description="1 s, 500 ms")],
             tpot: Annotated[str, Query(description="30 ms")], chips: Str = None, max_chips: str = "64",
             disaggregated: bool = False, decode_context: str = "mean", weights: str | None = None, kv: str = "bf16",
             top: Annotated[int, Query(ge=0, le=1000)] = 10) -> dict[str, Any]:
        return q.plan(model, input, output, ttft, tpot, chips=chips, max_chips=max_chips,
                      disaggregated=disaggregated, decode_context=decode_context, weights=weights, kv=kv, top=top)

    @app.get("/api/frontier", tags=["inference"], summary="tokens/s per chip against tokens/s per user")
    def frontier(model: str, chips: str, input: str = "2048", output: str = "256", n_chips: Str = None,
                 disaggregated: bool = True, weights: str | None = None, kv: str = "bf16") -> dict[str, Any]:
        return q.frontier(model, chips, input, output, n_chips=n_chips, disaggregated=disaggregated,
                          weights=weights, kv=kv)

    @app.get("/api/cost", tags=["money"], summary="best-case $ per 1M tokens and tokens per joule")
    def cost(model: str, chip: str, input: str = "2048", output: str = "256", batch: Str = None,
             n_chips: Str = None, weights: Str = None, kv: str = "bf16", price: str = "min", tier: Str = None,
             system: Str = None) -> dict[str, Any]:
        return q.cost(model, chip, input, output, batch=batch, n_chips=n_chips, weights=weights, kv=kv, price=price,
                      tier=tier, system=system)

    @app.get("/api/train", tags=["training"], summary="training memory per chip")
    def train(model: str, chip: str, n_chips: Str = None, recipe: str = "bf16-adam", zero: str = "1",
              parallelism: Str = None, micro_batch: str = "1", seq_len: str = "8192",
              recompute: str = "none") -> dict[str, Any]:
        return q.train(model, chip, n_chips=n_chips, recipe=recipe, zero=zero, parallelism=parallelism,
                       micro_batch=micro_batch, seq_len=seq_len, recompute=recompute)

    # --- claims and measurements -------------------------------------------------------------
    @app.get("/api/claims", tags=["claims"], summary="the vendor claims checked against the catalog")
    def claims() -> dict[str, Any]:
        return q.claims()

    @app.post("/api/validate", tags=["measurements"], summary="check an uploaded measurement file",
              description="The request body is the file (YAML, as specs/measurements/*.yaml), e.g. "
                          "`curl --data-binary @rows.yaml 'http://127.0.0.1:8000/api/validate?filename=rows.yaml'`.",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/x-yaml": {"schema": {"type": "string", "format": "binary"}}}}})
    async def validate(request: Request, filename: str = "measurements.yaml") -> dict[str, Any]:
        cap = q.LIMITS["body_bytes"]
        body = bytearray()
        async for chunk in request.stream():  # a body without Content-Length is counted as it comes
            body += chunk
            if len(body) > cap:
                return JSONResponse({"error": "PayloadTooLarge", "field": "file",  # type: ignore[return-value]
                                     "detail": f"request body is above this server's limit of {cap:,} bytes"},
                                    status_code=413)
        return q.validate_upload(bytes(body), filename)

    @app.get("/api/version", tags=["catalog"], summary="library and catalog versions")
    def version() -> dict[str, Any]:
        return {"accelspec": a.__version__, "catalog_version": a.catalog_version(), "limits": q.LIMITS}

    # --- the page ----------------------------------------------------------------------------
    app.mount("/static", StaticFiles(directory=_static_dir()), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(f"{_static_dir()}/index.html", media_type="text/html")

    @app.get("/index.html", include_in_schema=False)
    def index_html() -> RedirectResponse:
        return RedirectResponse("/")

    return app


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, log_level: str = "warning") -> None:
    """Run the app with uvicorn until interrupted, saying where it listens (localhost by default).

    Parameters
    ----------
    host : str
        Interface to listen on; ``127.0.0.1`` (default) answers this machine only.
    port : int
        TCP port (default 8000; 0: a free one).
    log_level : str
        uvicorn's log level.
    """
    import uvicorn

    scope = "this machine only" if host in ("127.0.0.1", "localhost", "::1") else "every machine that can reach it"
    print(f"accelspec: serving on http://{host}:{port}/ ({scope}; API at /api, schema at /docs). "
          "Ctrl-C stops it.", file=sys.stderr, flush=True)
    uvicorn.run(create_app(), host=host, port=port, log_level=log_level)
