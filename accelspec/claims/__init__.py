"""Claims from the seed articles, as data, checked against the spec catalog.

A claim is a sentence from a source (a seed article, its date, the quote in its original
language) plus a typed statement about chips and their fields: "M890 = 3 x 810E on
performance", "810E > A800", "16,384 cards deliver 1945P". Claims live in
``specs/claims/*.yaml`` (format: ``docs/claims.md``); :func:`check_claims` checks them.

Every statement compiles to constraints of one shape, an interval C for the ratio of two
operands of the same dimension (chip fields, or numbers the claim states):

=============  ===========================  ======================================================
kind           says                         constraint
=============  ===========================  ======================================================
ratio          a = f x b, tolerance t       a / b in [f(1-t), f(1+t)]
approx         a ~ b, tolerance t           a / b in [1-t, 1+t]
order          a > b (within t)             a / b in (1, inf)  or (1, 1+t];  a < b: (0, 1) or [1-t, 1)
value          a = v +- t, or lo <= a <= hi  a / v in [1-t, 1+t];  a in [lo, hi]
total          N units give T in all        chip / (T / N) in [1-t, 1+t]  (T is N x the peak)
efficiency     throughput X at E per watt   chip power / (X / E) in [1, inf)  (power drawn <= TDP)
sum            parts add up to at most whole  whole / sum(parts) in [1, inf)
workload       model at context on chip     memory needed vs chip memory (:mod:`accelspec.perf.memory`)
=============  ===========================  ======================================================

Verdict, from published values only. Each value is an interval [low, high] (a point when the
spec has no range); R = [a_low / b_high, a_high / b_low]. **consistent** when R and C overlap
(``partly`` when R is not inside C: true for some of the published range only),
**inconsistent** when they do not, **undetermined** when a value is not published, and
**restated** when consistent only because every value checked cites the claim's own source.

Implied values, by interval arithmetic on positive intervals: a in C x b =
[c_lo b_lo, c_hi b_hi] and b in a / C = [a_lo / c_hi, a_hi / c_lo]. Chains of claims compose
the same way (M890 bf16 = 3 x 810E, 810E ~ H20, H20 = 148 TFLOPS published); each chain is
reported with its claims, and chains that do not overlap are reported as a conflict.

Units: pint at the boundary only. Each constraint is converted once to the canonical unit of
its metric (GB, GB/s, TFLOPS, TOPS, W) and all comparisons run on float magnitudes, so a
verdict does not depend on whether a spec was written in GB or GiB, TFLOPS or PFLOPS.
"""


from __future__ import annotations

from .engine import check_claims
from .intervals import Interval
from .results import ClaimResult, ClaimsReport, CrossCheck, Implied, NodeImplied, ReadingResult
from .statements import (
    KINDS,
    METRIC_ALIASES,
    Citation,
    Claim,
    ClaimFileError,
    Stated,
    Statement,
    StatementSpec,
    Verdict,
    claims_dir,
    load_claims,
    metric_unit,
)

__all__ = [
    "KINDS",
    "METRIC_ALIASES",
    "Citation",
    "Claim",
    "ClaimFileError",
    "ClaimResult",
    "ClaimsReport",
    "CrossCheck",
    "Implied",
    "Interval",
    "NodeImplied",
    "ReadingResult",
    "Stated",
    "Statement",
    "StatementSpec",
    "Verdict",
    "check_claims",
    "claims_dir",
    "load_claims",
    "metric_unit",
]
