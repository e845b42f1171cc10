"""Typed JSON for the CLI's ``--json`` output: every quantity is an object with a number, a
unit, a status, a source id and a range, never a string such as ``"96 GB"``.

The pydantic models here are the contract: ``accelspec schema COMMAND`` prints the JSON
Schema generated from them (``docs/json-schema.md`` lists them), and the tests validate the
CLI's output against them with :class:`pydantic.TypeAdapter`.

``status`` is a value's provenance (``official``, ``reported``, ``estimated``, ``derived``)
or, for a value that is absent, why: ``unsupported`` (the chip has no hardware support, e.g.
no fp8 units) or ``not_published`` (the chip may well have it; nobody published a figure).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = ["SCHEMAS", "QuantityOut", "bound_json", "cost_json", "schema", "schema_markdown", "validate_output"]

ValueStatus = Literal["official", "reported", "estimated", "derived", "unsupported", "not_published"]
DirectionOut = Literal["bidirectional", "per_direction", "unspecified"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuantityOut(_Out):
    """One value: ``{"value": 96.0, "unit": "GB", "status": "official", "source": "N6",
    "range": null}``. ``value`` is ``null`` when ``status`` is ``unsupported`` or
    ``not_published``; text facts (memory type) carry a string value and ``unit: null``."""

    value: float | int | str | None
    unit: str | None
    status: ValueStatus
    source: str | None = Field(default=None, description="source id; its citation is under 'sources'")
    range: tuple[float, float] | None = Field(default=None, description="[low, high] in the same unit")
    direction: DirectionOut | None = Field(default=None,
                                           description="interconnect figures only: what the number counts")
    basis: str | None = Field(default=None, description="how a derived or estimated value was obtained")


class SourceOut(_Out):
    id: str
    title: str
    url: str | None = None
    publisher: str | None = None
    date: str | None = None
    compiled: bool = Field(default=False, description="true for the internal fact sheet (REF): a compilation, not a "
                                              "primary document; check the primary source it names")


# --- show -------------------------------------------------------------------------------
class ShowOut(_Out):
    """``accelspec show CHIP --json``: every published field by dotted path."""

    id: str
    name: str
    vendor: str
    aliases: list[str]
    family: str | None
    form_factor: str | None
    device: str | None
    lifecycle: str
    fields: dict[str, QuantityOut]
    unsupported: list[str] = Field(description="precisions with no hardware support")
    supported_unpublished: list[str] = Field(description="precisions supported but with no published peak")
    notes: list[str]
    sources: dict[str, SourceOut]
    spec_file: str | None


# --- list -------------------------------------------------------------------------------
class ListRow(_Out):
    id: str
    name: str
    vendor: str
    lifecycle: str
    sort_value: QuantityOut | None = Field(default=None, description="the --sort field, when given")


class ListOut(_Out):
    """``accelspec list --json``."""

    sort: str | None
    chips: list[ListRow]


# --- compare ----------------------------------------------------------------------------
class CompareField(_Out):
    label: str
    path: str
    unit: str | None


class CompareRow(_Out):
    chip: str
    name: str
    vendor: str
    values: dict[str, QuantityOut] = Field(description="by field label, as published")
    ratios: dict[str, QuantityOut] = Field(
        default_factory=dict,
        description="by field label: value / baseline, unit ''; interconnect per direction on both sides")


class CompareOut(_Out):
    """``accelspec compare CHIPS --json``."""

    baseline: str | None
    fields: list[CompareField]
    rows: list[CompareRow]
    sources: dict[str, SourceOut]
    notes: list[str]


# --- roofline ---------------------------------------------------------------------------
class RoofOut(_Out):
    chip: str
    name: str
    system: str | None = None  #: the system id when the entry named a system (its chip's roof)
    precision: str
    peak_compute: QuantityOut
    memory_bandwidth: QuantityOut
    ridge_point: QuantityOut
    link_per_direction: QuantityOut | None
    comm_ridge_point: QuantityOut | None


class Dropped(_Out):
    chip: str
    system: str | None = None
    reason: str
    status: Literal["unsupported", "not_published"]


class RooflineOut(_Out):
    """``accelspec roofline CHIPS --json``: the chips drawn, and those left out with why."""

    precision: str
    roofs: list[RoofOut]
    dropped: list[Dropped]


SCHEMAS: dict[str, type[BaseModel]] = {"show": ShowOut, "list": ListOut, "compare": CompareOut,
                                       "roofline": RooflineOut}


def schema(command: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12, as pydantic writes it) of ``accelspec COMMAND --json``."""
    if command not in SCHEMAS:
        from ..errors import UnknownNameError

        raise UnknownNameError(command, sorted(SCHEMAS), kind="command with a JSON schema")
    return SCHEMAS[command].model_json_schema()


def schema_markdown() -> str:
    """``docs/json-schema.md``: every ``--json`` schema (regenerate with
    ``python -m accelspec.io.json_out > docs/json-schema.md``; a test checks it is current)."""
    import json

    out = ["# JSON output schemas", "",
           "Generated by `python -m accelspec.io.json_out > docs/json-schema.md` from the pydantic models in",
           "`accelspec/json_out.py`; do not edit. `accelspec schema COMMAND` prints one of them.", "",
           "Every quantity is an object, never a string such as `\"96 GB\"`:", "",
           "```json",
           '{"value": 900.0, "unit": "GB/s", "status": "official", "source": "N3", "range": null,',
           ' "direction": "bidirectional", "basis": null}',
           "```", "",
           "- `status`: `official`, `reported`, `estimated`, `derived`; for an absent value `unsupported`",
           "  (the chip has no hardware support, e.g. no fp8 units) or `not_published` (no source gives a",
           "  figure), with `value: null` and the reason in `basis`.",
           "- `source`: a source id, cited in full under the output's `sources`.",
           "- `range`: `[low, high]` in `unit`, or `null`.",
           "- `direction` (interconnect only): `bidirectional` (both directions added), `per_direction`,",
           "  or `unspecified` (the source does not say). Compare ratios of interconnect figures are",
           "  always per direction on both sides.",
           "- `roofline --json` lists the chips it left out under `dropped`, each with the reason.", ""]
    for name, model in SCHEMAS.items():
        out += [f"## `accelspec {name} --json`", "", (model.__doc__ or "").strip().splitlines()[0], "",
                "```json", json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(out)


def validate_output(command: str, data: object) -> BaseModel:
    """Validate parsed ``--json`` output against its model (raises pydantic ValidationError)."""
    return TypeAdapter(SCHEMAS[command]).validate_python(data)


if __name__ == "__main__":
    import sys

    sys.stdout.write(schema_markdown())


def bound_json(b: Any) -> dict[str, Any]:
    """A :class:`~accelspec.Bound` as ``accelspec bound --json`` gives it (the HTTP API's and
    the MCP tools' bound answers are this dict too)."""
    lo, hi = b.time_range
    missing = {"missing": b.missing} if b.missing else {}  # a term left out (a memory-only bound)
    return {**missing, "phase": b.phase, "model": b.model, "chip": b.chip, "context_tokens": b.context_tokens,
            "batch": b.batch, "n_chips": b.n_chips, "precision": str(b.precision),
            "layout": b.layout, "assumptions": b.assumptions,
            "time_ms": float(b.time.m_as("ms")), "time_ms_range": [float(lo.m_as("ms")), float(hi.m_as("ms"))],
            "tokens_per_s_per_user": float(b.tokens_per_s_per_user.m_as("token/s")),
            "tokens_per_s_per_chip": float(b.tokens_per_s_per_chip.m_as("token/s")),
            "limiter": b.limiter, "intensity_FLOP_per_B": float(b.intensity.m), "explanation": b.explain(),
            "system": b.system or None, "routing": b.routing, "comm_bytes_per_chip": b.comm_bytes,
            "comm_scale_out_bytes_per_chip": b.comm_out_bytes, "comm": b.comm_note}


def cost_json(cb: Any) -> dict[str, Any]:
    """A :class:`~accelspec.economics.CostBound` as ``accelspec cost --json`` gives it (the HTTP
    API's and the MCP tool's cost answers are this dict and their explanation): rates in token/s,
    prices in USD, power in W, the dated price sources."""

    def m(q: Any, unit: str) -> Any:
        return None if q is None else float(q.m_as(unit))

    def pair(qs: Any, unit: str) -> Any:
        return None if qs is None else [m(q, unit) for q in qs]

    return {"model": cb.model, "chip": cb.chip, "on_system": cb.on_system, "n_chips": cb.n_chips, "batch": cb.batch,
            "input_tokens": cb.input_tokens, "output_tokens": cb.output_tokens,
            "output_tokens_per_s": m(cb.output_tokens_per_s, "token/s"),
            "input_tokens_per_s": m(cb.input_tokens_per_s, "token/s"),
            "usd_per_chip_hour": m(cb.price_per_chip_hour, "USD/hour"),
            "usd_per_m_output": m(cb.usd_per_m_output, "USD"), "usd_per_m_input": m(cb.usd_per_m_input, "USD"),
            "usd_per_m_output_range": pair(cb.usd_per_m_output_range, "USD"),
            "tdp_W": m(cb.tdp, "W"), "tokens_per_joule": m(cb.tokens_per_joule, "token/J"),
            "tokens_per_s_per_MW": m(cb.tokens_per_s_per_mw, "token/s"),
            "system": cb.system, "rack_power_per_chip_W": m(cb.rack_power_per_chip, "W"),
            "tokens_per_s_per_MW_rack": m(cb.tokens_per_s_per_mw_rack, "token/s"),
            "prices": [{"provider": s.provider, "tier": s.tier, "instance": s.instance,
                        "usd_per_chip_hour": float(s.per_chip_hour.m_as("USD/hour")), "basis": s.basis,
                        "status": s.status, "date": s.date, "source": s.source_url} for s in cb.prices],
            "missing": list(cb.missing), "assumptions": cb.assumptions, "basis": cb.basis,
            "efficiency": cb.efficiency, "usd_per_m_output_interval": pair(cb.usd_per_m_output_interval, "USD")}
