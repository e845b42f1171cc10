"""A chip or a system written for neighbouring tools, keeping where each figure comes from.

* **NVIDIA AIConfigurator** system YAML (``src/aiconfigurator/systems/<name>.yaml`` in
  github.com/ai-dynamo/aiconfigurator): sections ``gpu`` (``mem_bw`` [B/s], ``mem_capacity``
  [B], ``bfloat16_tc_flops`` / ``fp8_tc_flops`` / ``int8_tc_flops`` / ``fp4_tc_flops``
  [FLOP/s], ``power`` [W]), ``node`` (``num_gpus_per_node``, ``intra_node_bw`` and
  ``inter_node_bw`` [B/s per GPU, one direction]) and ``misc``. Each value carries a comment
  with its status and source; :func:`aiconfigurator_yaml` writes it.
* **llm-d inference simulator (BLIS)** ``hardware_config.json``
  (github.com/inference-sim/inference-sim): a map from a GPU name to ``HardwareCalib``:
  ``TFlopsPeak`` (bf16 dense) and ``TFlopsFP8`` [TFLOP/s], ``BwPeakTBs`` [TB/s],
  ``MemoryGiB`` [GiB], and the optional pair ``IntraNodeBwGBps`` / ``InterNodeBwGBps``
  [GB/s per GPU, one direction] (both or neither, as BLIS requires). JSON has no comments:
  the provenance rides in an extra ``_accelspec`` object per entry, which BLIS's decoder
  (Go's ``json.Unmarshal``) ignores; :func:`blis_json` writes it.

Only published peaks are written (accelspec computes bounds, not estimates). The tools'
calibration fields (AIConfigurator's ``mem_bw_empirical_scaling_factor``, ``p2p_latency``,
``nccl_mem``, ``other_mem``, ``sm_version``; BLIS's ``mfuPrefill`` / ``mfuDecode``) are left out
unless given, because no spec sheet publishes them; the header says which.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["aiconfigurator_system", "aiconfigurator_yaml", "blis_hardware_config", "blis_json", "write_aiconfigurator",
           "write_blis"]

#: AIConfigurator ``gpu`` keys for the dense tensor-core peaks, by accelspec precision.
AIC_FLOPS = {"bf16": "bfloat16_tc_flops", "fp16": "float16_tc_flops", "fp8": "fp8_tc_flops",
             "int8": "int8_tc_flops", "fp4": "fp4_tc_flops"}
#: Calibration fields of AIConfigurator's system file that no spec sheet publishes.
AIC_CALIBRATION = ("gpu.mem_bw_empirical_scaling_factor", "gpu.mem_empirical_constant_latency", "gpu.sm_version",
                   "node.p2p_latency", "node.pcie_bw", "misc.nccl_mem", "misc.other_mem", "misc.nccl_version")
#: BLIS calibration fields left for the user.
BLIS_CALIBRATION = ("mfuPrefill", "mfuDecode", "BwEffConstant", "TOverheadMicros", "perLayerOverhead")


class _Entry:
    """One written value: the number in the tool's unit and where it comes from."""

    def __init__(self, value: float | int, cell: Any, unit: str, note: str = "", status: str = "catalog record"):
        from ..provenance import quantity_out

        self.value = value
        rec = quantity_out(cell) if cell is not None else {}
        self.status = rec.get("status") or status
        self.source = rec.get("source")
        self.source_record = getattr(cell, "source", None)  # the Source itself (title, URL)
        self.basis = rec.get("basis")
        self.published = "" if cell is None else f"{cell}"
        self.unit = unit
        self.note = note

    def comment(self, sources: Mapping[str, Any]) -> str:
        src = self.source_record if getattr(self.source_record, "title", None) else sources.get(self.source or "")
        where = f"[{self.source}] {getattr(src, 'title', '') or ''} {getattr(src, 'url', '') or ''}".strip() \
            if self.source else "accelspec catalog"
        parts = [f"{self.status}", f"published {self.published}" if self.published else "", self.note, where]
        return "; ".join(p for p in parts if p)

    def record(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "status": self.status, "source": self.source,
                "basis": self.basis, "published": self.published or None, "note": self.note or None}


def _resolve(hardware: Any) -> tuple[Any, Any]:
    from ..hardware.system import resolve_hardware

    return resolve_hardware(hardware)


def _gpu_entries(chip: Any) -> dict[str, _Entry]:
    """AIConfigurator ``gpu`` values of ``chip`` (base units: B/s, B, FLOP/s, W)."""
    out: dict[str, _Entry] = {}
    mem = chip.memory
    if mem.bandwidth is not None:
        out["mem_bw"] = _Entry(round(float(mem.bandwidth.q.m_as("B/s"))), mem.bandwidth, "B/s")
    if mem.capacity is not None:
        out["mem_capacity"] = _Entry(round(float(mem.capacity.q.m_as("B"))), mem.capacity, "B")
    dense = {str(getattr(p, "value", p)): v for p, v in chip.compute.dense.items()}
    for prec, key in AIC_FLOPS.items():
        cell = dense.get(prec)
        if cell is not None:
            out[key] = _Entry(round(float(cell.q.to_base_units().m)), cell, "FLOP/s",
                              "dense (no sparsity)")
    tdp = chip.power.tdp if chip.power is not None else None
    if tdp is not None:
        out["power"] = _Entry(round(float(tdp.q.m_as("W"))), tdp, "W")
    return out


def _links(chip: Any, system: Any) -> tuple[Any, Any]:
    """(scale-up, scale-out) per chip, one direction, as specs (either may be ``None``)."""
    up = system.scale_up_per_direction() if system is not None else None
    if up is None and chip.interconnect.scale_up is not None:
        up = chip.interconnect.scale_up.per_direction()
    out = system.scale_out_per_direction() if system is not None else None
    return up, out


def _aic_entries(hardware: Any, gpus_per_node: int | None) -> tuple[Any, Any, dict[str, dict[str, Any]]]:
    chip, system = _resolve(hardware)
    sections: dict[str, dict[str, Any]] = {"gpu": _gpu_entries(chip), "node": {}, "misc": {}}
    node = sections["node"]
    if gpus_per_node is not None:
        node["num_gpus_per_node"] = _Entry(int(gpus_per_node), None, "", status="given by the caller")
    elif system is not None and system.kind in ("board", "desktop system"):
        node["num_gpus_per_node"] = _Entry(system.n_chips, None, "", f"{system.name}: {system.n_chips} chips")
    if system is not None and system.kind not in ("board", "desktop system"):
        node["num_gpus_per_rack"] = _Entry(system.n_chips, None, "", f"{system.name} ({system.kind}): "
                                                                       f"{system.n_chips} chips")
    up, out = _links(chip, system)
    if up is not None:
        node["intra_node_bw"] = _Entry(round(float(up.q.m_as("B/s"))), up, "B/s",
                                       "scale-up per GPU, one direction")
    if out is not None:
        node["inter_node_bw"] = _Entry(round(float(out.q.m_as("B/s"))), out, "B/s",
                                       "scale-out per GPU, one direction")
    return chip, system, sections


def aiconfigurator_system(hardware: Any, *, gpus_per_node: int | None = None,
                          calibration: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """``hardware`` as AIConfigurator's system mapping (``gpu``, ``node``, ``misc``), plain values.

    Parameters
    ----------
    hardware : str, Chip or System
        A chip or a system (its chip for ``gpu``; its fabric and size for ``node``).
    gpus_per_node : int, optional
        ``node.num_gpus_per_node`` [chips]; default: a board's chip count, else left out.
    calibration : mapping, optional
        Values no spec sheet publishes, by section (``{"gpu": {"sm_version": 90}, "misc": ...}``),
        merged in as given.

    Returns
    -------
    dict
        ``{"data_dir": "data/<id>", "gpu": {...}, "node": {...}, "misc": {...}}``; bandwidths
        [B/s], capacity [B], peaks [FLOP/s], power [W].
    """
    chip, system, sections = _aic_entries(hardware, gpus_per_node)
    name = (system.id if system is not None else chip.id).replace("-", "_")
    out: dict[str, Any] = {"data_dir": f"data/{name}"}
    for sec, entries in sections.items():
        out[sec] = {k: e.value for k, e in entries.items()}
    for sec, values in (calibration or {}).items():
        out.setdefault(sec, {}).update(values)
    return {k: v for k, v in out.items() if v != {}}


def aiconfigurator_yaml(hardware: Any, *, gpus_per_node: int | None = None,
                        calibration: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """:func:`aiconfigurator_system` as YAML text, each value with a comment giving its status,
    the published figure and its source (title and URL), and a header saying what is left out."""
    import yaml

    from ..specfiles import catalog_version

    chip, system, sections = _aic_entries(hardware, gpus_per_node)
    data = aiconfigurator_system(hardware, gpus_per_node=gpus_per_node, calibration=calibration)
    sources = dict(chip.sources())
    if system is not None:
        from ..specfiles import load_sources

        sources.update(load_sources())
    given = {f"{s}.{k}" for s, v in (calibration or {}).items() for k in v}
    missing = [f for f in AIC_CALIBRATION if f not in given]
    what = f"{system.name} ({system.n_chips} x {chip.name})" if system is not None else chip.name
    lines = [f"# {what}: AIConfigurator system file written by accelspec (catalog {catalog_version()}).",
             "# Published peaks only: every value below says its status and source.",
             f"# Not published, left for you to calibrate: {', '.join(missing) or 'none'}.",
             f"data_dir: {data['data_dir']} # relative to systems_dir", ""]
    for sec in ("gpu", "node", "misc"):
        values = data.get(sec) or {}
        if not values:
            continue
        lines.append(f"{sec}:")
        for key, value in values.items():
            text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
            entry = sections.get(sec, {}).get(key)
            note = entry.comment(sources) if entry is not None else "given by the caller"
            lines.append(f"  {key}: {text} # {note}".replace("\n", " "))
        lines.append("")
    return "\n".join(lines)


def blis_hardware_config(hardware: Any, *, name: str | None = None, mfu_prefill: float | None = None,
                         mfu_decode: float | None = None, provenance: bool = True) -> dict[str, dict[str, Any]]:
    """``hardware`` as one entry of BLIS's ``hardware_config.json``: ``{name: HardwareCalib}``.

    Parameters
    ----------
    hardware : str, Chip or System
        A chip or a system (a system adds its scale-out bandwidth: ``InterNodeBwGBps``).
    name : str, optional
        The GPU key (default: the chip's name without spaces, ``H100-SXM``).
    mfu_prefill, mfu_decode : float, optional
        BLIS's calibration fractions, written only when given.
    provenance : bool
        Add the ``_accelspec`` object (status and source of each value).

    Returns
    -------
    dict
        ``{name: {"TFlopsPeak": [TFLOP/s], "TFlopsFP8": [TFLOP/s], "BwPeakTBs": [TB/s],
        "MemoryGiB": [GiB], "IntraNodeBwGBps"/"InterNodeBwGBps": [GB/s] (both or neither), ...}}``.
    """
    chip, system = _resolve(hardware)
    entries: dict[str, _Entry] = {}
    dense = {str(getattr(p, "value", p)): v for p, v in chip.compute.dense.items()}
    if dense.get("bf16") is not None:
        entries["TFlopsPeak"] = _Entry(float(dense["bf16"].q.to_base_units().m) / 1e12, dense["bf16"], "TFLOP/s",
                                       "bf16 dense")
    if dense.get("fp8") is not None:
        entries["TFlopsFP8"] = _Entry(float(dense["fp8"].q.to_base_units().m) / 1e12, dense["fp8"], "TFLOP/s",
                                      "fp8 dense")
    mem = chip.memory
    if mem.bandwidth is not None:
        entries["BwPeakTBs"] = _Entry(float(mem.bandwidth.q.m_as("TB/s")), mem.bandwidth, "TB/s")
    if mem.capacity is not None:
        entries["MemoryGiB"] = _Entry(float(mem.capacity.q.m_as("GiB")), mem.capacity, "GiB")
    up, out = _links(chip, system)
    if up is not None and out is not None:  # BLIS refuses one without the other
        entries["IntraNodeBwGBps"] = _Entry(float(up.q.m_as("GB/s")), up, "GB/s", "peak, one direction (BLIS wants "
                                                                                  "achievable; only the ratio is used)")
        entries["InterNodeBwGBps"] = _Entry(float(out.q.m_as("GB/s")), out, "GB/s", "peak, one direction")
    body: dict[str, Any] = {k: e.value for k, e in entries.items()}
    if mfu_prefill is not None:
        body["mfuPrefill"] = float(mfu_prefill)
    if mfu_decode is not None:
        body["mfuDecode"] = float(mfu_decode)
    if provenance:
        from ..specfiles import catalog_version

        left = [f for f in BLIS_CALIBRATION if f not in body]
        if up is None or out is None:
            left += ["IntraNodeBwGBps", "InterNodeBwGBps"]
        sources = dict(chip.sources())
        body["_accelspec"] = {
            "catalog_version": catalog_version(), "chip": chip.id, "system": system.id if system is not None else None,
            "values": {k: e.record() for k, e in entries.items()},
            "sources": {e.source: {"title": getattr(e.source_record, "title", None) or getattr(sources.get(e.source),
                                                                                            "title", None),
                                   "url": getattr(e.source_record, "url", None) or getattr(sources.get(e.source),
                                                                                        "url", None)}
                        for e in entries.values() if e.source},
            "not_published": left}
    key = name or (system.id if system is not None else chip.name.replace(" ", "-"))
    return {key: body}


def blis_json(hardware: Any, **kwargs: Any) -> str:
    """:func:`blis_hardware_config` as JSON text (indented, ``\\n``-terminated)."""
    return json.dumps(blis_hardware_config(hardware, **kwargs), indent=2, ensure_ascii=False) + "\n"


def write_aiconfigurator(hardware: Any, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`aiconfigurator_yaml` to ``path``; returns the path."""
    p = Path(path)
    p.write_text(aiconfigurator_yaml(hardware, **kwargs), encoding="utf-8")
    return p


def write_blis(hardware: Any, path: str | Path, **kwargs: Any) -> Path:
    """Add (or replace) ``hardware``'s entry in the ``hardware_config.json`` at ``path``
    (created when missing), keeping the other GPUs' entries; returns the path."""
    p = Path(path)
    data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
    if not isinstance(data, dict):
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError("path", f"{str(p)!r} is not a hardware_config.json (expected a JSON object)")
    data.update(blis_hardware_config(hardware, **kwargs))
    p.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return p
