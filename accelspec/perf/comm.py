"""The communication model: a two-tier fabric and the least traffic of each collective.

A deployment's chips sit in scale-up domains (NVLink, UB, ICI: ``D`` chips sharing one
memory-semantic fabric, ``L_up`` bytes/s per chip per direction) joined by a scale-out network
(``L_out`` bytes/s per chip per direction = NICs per chip x NIC line rate). A collective over
a group of ``n`` chips of which ``d`` share each domain (``g = n / d`` domains) costs, per chip
and direction:

* **all-reduce** of an ``m``-byte message, hierarchically (reduce-scatter inside the domain,
  all-reduce of the ``m / d`` shard across domains, all-gather inside the domain):

  - scale-up: ring / tree ``2 (d-1)/d x m`` (the bandwidth-optimal point-to-point figure,
    Patarasuk & Yuan, JPDC 69(2), 2009); with **in-network reduction** (NVLink SHARP / NVLS on
    third-generation NVSwitch and later) ``1 x m``: each chip sends its message once and
    receives the reduced result once. A chip must receive at least one value per output
    element, so ``m`` is also the least any algorithm achieves; the smaller of the two is used
    (they are equal at ``d = 2``);
  - scale-out: ``2 (g-1)/g x m / d`` (ring across domains, each chip's NIC carrying a ``1/d``
    shard); no in-network reduction is assumed on the scale-out network.

* **all-to-all** (expert-parallel dispatch and combine) of ``V`` bytes a chip spreads evenly over
  the ``n`` chips of its group: ``V (d-1)/n`` on scale-up and ``V (n-d)/n`` on scale-out.

* **ring pass** (context-parallel prefill, each chip needs every other chip's KV block of ``b``
  bytes): a domain must take in the ``n - d`` foreign blocks at least once over its ``d`` NICs,
  ``(n-d)/d x b`` per chip on scale-out, and every chip must receive the remaining
  ``(n - 1 - (n-d)/d) x b`` over scale-up.

The two tiers are separate links, so with ``overlap`` their times overlap
(``t_comm = max(up / L_up, out / L_out)``), otherwise they add.

Placement (the most favourable, as a lower bound needs): the chips of a pipeline stage
(``tp x cp x dp``) are consecutive; inside a stage, TP groups and EP groups are blocks of
consecutive chips and CP groups stride over TP groups. A group of ``n`` chips with stride
``s`` has ``d = min(n, max(1, floor(D / s)))`` chips in each domain. A pipeline handoff runs on
scale-out only when a stage is at least a domain wide (otherwise it may stay inside one).

Without a system (a chip alone) the domain is taken as unbounded: every group is assumed to
fit within the chip's scale-up link, and the result says so. In-network reduction is then
assumed where some catalog system built of that chip records it (the least traffic that
chip's fabric achieves), and the result names that system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CommArgumentError

if TYPE_CHECKING:
    from ..hardware.chip import Chip
    from ..hardware.system import System
    from .memory import Parallelism

__all__ = ["COLLECTIVES", "ROUTINGS", "CommArgumentError", "Fabric", "allreduce_bytes", "alltoall_bytes",
           "fabric_numbers", "group_domain_share", "ring_pass_bytes"]

#: ``collective`` choices: "auto" = the least traffic the fabric supports
COLLECTIVES = ("auto", "ring", "in-network")
#: ``routing`` choices for MoE expert reads and expert-parallel traffic
ROUTINGS = ("balanced", "best-case")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` normalised (lower case, ``_`` as ``-``) if it is one of ``choices``."""
    v = value.strip().lower().replace("_", "-") if isinstance(value, str) else value
    if v not in choices:
        raise CommArgumentError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return v


@dataclass(frozen=True)
class Fabric:
    """The communication roofs of one deployment as floats: bytes/s per chip per direction,
    each ``(low, nominal, high)``; ``out`` is ``nan`` where the scale-out bandwidth is unknown."""

    up: tuple[float, float, float]
    out: tuple[float, float, float]
    domain: float  #: chips per scale-up domain (``inf``: every group assumed within one domain)
    in_network: bool  #: all-reduce may use in-network reduction on the scale-up switch
    system: str = ""  #: the system id, or "" for a chip alone
    up_label: str = ""
    out_label: str = ""
    note: str = ""  #: where the domain and in-network figures come from

    @property
    def has_out(self) -> bool:
        return not math.isnan(self.out[1])


def _per_dir_triple(spec: Any) -> tuple[float, float, float]:
    if spec is None:
        return (math.nan,) * 3
    return (spec.low.m_as("B/s"), spec.q.m_as("B/s"), spec.high.m_as("B/s"))


def _fmt_bw(x: float) -> str:
    return f"{x / 1e9:.4g} GB/s"


_FCACHE: dict[tuple, tuple[Any, Any, Fabric]] = {}


def fabric_numbers(chip: Chip, system: System | None, link: tuple[float, float, float],
                   collective: str = "auto") -> Fabric:
    """The :class:`Fabric` of ``system`` (or of ``chip`` alone, whose scale-up roofs are
    ``link``, from :func:`~accelspec.perf.roofline.chip_numbers`). ``collective``: "auto"
    (in-network reduction where the switch record says so), "ring" (point-to-point only) or
    "in-network" (assume it, a what-if)."""
    key = (id(chip), id(system), collective, tuple(link))
    hit = _FCACHE.get(key)
    if hit is not None and hit[0] is chip and hit[1] is system:
        return hit[2]
    fab = _fabric(chip, system, link, check_choice("collective", collective, COLLECTIVES))
    if len(_FCACHE) > 1024:
        _FCACHE.clear()
    _FCACHE[key] = (chip, system, fab)
    return fab


def _fabric(chip: Chip, system: System | None, link: tuple[float, float, float], collective: str) -> Fabric:
    if system is not None:
        up_spec = system.scale_up_per_direction()
        up = _per_dir_triple(up_spec) if up_spec is not None else link
        out = _per_dir_triple(system.scale_out_per_direction())
        dom = system.domain_size
        domain = float(dom) if dom is not None else float(system.n_chips)
        inn = system.in_network_reduction
        su = system.scale_up
        name = (su.name if su and su.name else "scale-up")
        up_label = f"{name} {_fmt_bw(up[1])} per chip per direction"
        so = system.scale_out
        out_label = (f"{(so.name if so and so.name else 'scale-out')} {_fmt_bw(out[1])} per chip per direction"
                     if not math.isnan(out[1]) else "scale-out bandwidth not published")
        note = f"system {system.id}: scale-up domain {int(domain)} chips"
        if dom is None:
            note += " (domain size not published: the whole system taken as one domain)"
        if inn:
            src = su.in_network_reduction.source.id if su and su.in_network_reduction else ""
            note += f", in-network reduction per the record [{src}]"
    else:
        from ..hardware.system import systems

        up, out, domain = link, (math.nan,) * 3, math.inf
        with_inr = [s.id for s in systems() if s.chip == chip.id and s.in_network_reduction]
        inn = bool(with_inr)
        up_label = f"scale-up {_fmt_bw(up[1])} per chip per direction"
        out_label = "scale-out not used"
        note = "no system given: every group assumed within one scale-up domain at the chip's scale-up bandwidth"
        if inn:
            note += f"; in-network reduction as in system {with_inr[0]}"
    if collective == "ring":
        inn = False
    elif collective == "in-network":
        inn = True
    return Fabric(up=up, out=out, domain=domain, in_network=inn, system=system.id if system else "",
                  up_label=up_label, out_label=out_label, note=note)


# --- collectives (floats or numpy arrays alike) -------------------------------------------------
def group_domain_share(n: Any, stride: Any, domain: Any) -> Any:
    """Chips of a group of ``n`` (stride ``stride``) inside one scale-up domain of ``domain``
    chips: ``min(n, max(1, floor(domain / stride)))`` (``domain`` may be ``inf``)."""
    if isinstance(domain, float):  # the scalar path of the bounds
        return n if domain == math.inf else min(n, max(1.0, float(math.floor(domain / stride))))
    with np.errstate(invalid="ignore", over="ignore"):
        return np.minimum(n, np.maximum(1.0, np.floor(np.divide(domain, stride))))


def allreduce_bytes(msg: Any, n: Any, d: Any, in_network: Any) -> tuple[Any, Any]:
    """``(scale-up, scale-out)`` bytes per chip per direction of an all-reduce of ``msg`` bytes
    over ``n`` chips with ``d`` per domain: scale-up ``2(d-1)/d msg`` (ring) or ``min(that, msg)``
    with in-network reduction; scale-out ``2(g-1)/g msg/d``, ``g = n/d``."""
    ring = 2.0 * (d - 1.0) / d * msg
    if isinstance(in_network, bool) and isinstance(d, float):  # scalar path; d is whole, so ring >= msg iff d >= 2
        up = msg if in_network and d >= 2.0 else ring
    else:
        up = np.where(np.asarray(in_network, dtype=bool) & (d > 1.0), np.minimum(ring, msg), ring)
    g = n / d
    out = 2.0 * (g - 1.0) / g * msg / d
    return up, out


def alltoall_bytes(vol: Any, n: Any, d: Any) -> tuple[Any, Any]:
    """``(scale-up, scale-out)`` bytes per chip per direction of an all-to-all in which each chip
    spreads ``vol`` bytes evenly over the ``n`` chips of its group (``d`` per domain)."""
    return vol * (d - 1.0) / n, vol * (n - d) / n


def ring_pass_bytes(block: Any, n: Any, d: Any) -> tuple[Any, Any]:
    """``(scale-up, scale-out)`` bytes per chip per direction for every chip of ``n`` to receive
    every other chip's ``block``: ``(n-d)/d`` blocks on scale-out, the rest on scale-up."""
    out = (n - d) / d * block
    return (n - 1.0) * block - out, out


def describe(lay: Parallelism, fabric: Fabric, is_moe: bool, phase: str, routing: str) -> str:
    """One line naming each collective, its algorithm and the tier it runs on."""
    D = fabric.domain
    parts = []

    def tier(n: int, stride: int = 1) -> str:
        d = float(group_domain_share(float(n), float(stride), D))
        if d >= n:
            return "scale-up"
        return f"{d:g} chips per domain x {n / d:.3g} domains (scale-up + scale-out)"

    if lay.tp > 1:
        d = float(group_domain_share(float(lay.tp), 1.0, D))
        alg = ("in-network (NVLS) 1x msg" if fabric.in_network and d > 2 else
               f"ring 2(n-1)/n = {2 * (d - 1) / d:.3g}x msg" if d > 1 else "none inside a domain")
        parts.append(f"TP all-reduce (tp={lay.tp}): {alg} on {tier(lay.tp)}")
    if is_moe and lay.ep > 1:
        parts.append(f"EP all-to-all (ep={lay.ep}, {routing} routing) on {tier(lay.ep)}")
    if lay.cp > 1:
        what = "combine" if phase == "decode" else "KV ring pass"
        parts.append(f"CP {what} (cp={lay.cp}) on {tier(lay.cp, lay.tp)}")
    if lay.pp > 1:
        stage = lay.tp * lay.cp * lay.dp
        parts.append(f"PP handoff on {'scale-out' if stage >= D else 'scale-up'}")
    if not parts:
        return ""
    links = fabric.up_label
    if any("scale-out" in p for p in parts):
        links += f"; {fabric.out_label}"
    return "; ".join(parts) + f" [{links}; {fabric.note}]"
