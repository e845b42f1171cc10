"""The performance model: one deployment, what it needs in memory, and how fast it can go at best.

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.deployment`        :class:`Deployment` (chip or system, chip count, layout, dtype bundle) and
                          the named dtype presets (``"w8a8-kv8"``, ``"w4a16"``, ``"native"``, ...)
:mod:`.memory`            :class:`Parallelism`, the memory footprint and its layout search
                          (:func:`fits`, :func:`min_chips`, :func:`max_batch`, :func:`max_context`)
:mod:`.opcost`            FLOPs and bytes per operation and per step (:func:`step_cost`)
:mod:`.roofline`          a chip's roofline (:func:`roofline`): peak compute over memory bandwidth
:mod:`.bounds`            lower bounds on step time (:func:`decode_bound`, :func:`prefill_bound`)
:mod:`.request`           bounds on whole requests: TTFT, TPOT, latency, throughput (:func:`request_bound`)
:mod:`.sweep`             the same bounds vectorised over grids of scenarios (:func:`sweep`)
:mod:`.plan`              service-level planning over the catalog: TTFT / TPOT targets -> chips,
                          layout, batch (:func:`plan`), and the throughput-interactivity frontier
:mod:`.session`           the long agent session: per-turn time, KV memory, energy, cost
                          (:func:`agent_session`)
:mod:`.comm`              collectives over a system's fabric tiers (all-reduce, all-to-all, ring)
:mod:`.training`          training memory (ZeRO stages), chips and time at an MFU, published runs
:mod:`.kernels`           the shared kernels: expected distinct experts, step time and limiter,
                          expert sharding, layout enumeration and preference (one place each)
:mod:`.estimate`          the calibrated estimate beside a bound (:func:`estimate`), read from
                          ``specs/calibration.json``
:mod:`.distributed`       sweeps on Dask (:func:`sweep_dask`, :func:`best_layouts`)
========================  ==========================================================================

Import order is one way: ``deployment`` and ``opcost`` <- ``memory`` <- ``bounds`` <- ``sweep``; none
of them imports the claims engine, the CLI or plotting. The names below are re-exported by
:mod:`accelspec`, which stays the single public surface.
"""

from __future__ import annotations

from .bounds import Bound, decode_bound, prefill_bound
from .deployment import DTYPE_PRESETS, Deployment, DeploymentError, DTypes
from .memory import (
    ChipCount,
    FitResult,
    Footprint,
    Limit,
    Parallelism,
    fits,
    max_batch,
    max_context,
    memory_footprint,
    min_chips,
)
from .opcost import OpCost, StepCost, attention_cost, expected_unique_experts, gemm_cost, step_cost
from .plan import Plan, PlanRow, plan
from .request import RequestBound, request_bound
from .roofline import Roofline, roofline
from .session import AgentSession, SessionBound, agent_session
from .sweep import sweep, sweep_iter

__all__ = [
    "DTYPE_PRESETS",
    "AgentSession",
    "Bound",
    "ChipCount",
    "DTypes",
    "Deployment",
    "DeploymentError",
    "FitResult",
    "Footprint",
    "Limit",
    "OpCost",
    "Parallelism",
    "Plan",
    "PlanRow",
    "RequestBound",
    "Roofline",
    "SessionBound",
    "StepCost",
    "agent_session",
    "attention_cost",
    "decode_bound",
    "expected_unique_experts",
    "fits",
    "gemm_cost",
    "max_batch",
    "max_context",
    "memory_footprint",
    "min_chips",
    "plan",
    "prefill_bound",
    "request_bound",
    "roofline",
    "step_cost",
    "sweep",
    "sweep_iter",
]
