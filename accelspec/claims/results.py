"""What a check returns: verdicts per reading, implied values, and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pint

from ..provenance import Source, Spec, Status
from ..units import Q_
from .intervals import Interval, num
from .statements import Claim, Verdict


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Implied:
    """A value implied by claims: ``interval`` (in ``unit``) for ``subject``'s ``metric``, from
    the ``chain`` of claim ids (nearest first) applied to the published values in ``bases``."""

    subject: str
    metric: str | None
    unit: str
    interval: Interval
    chain: tuple[str, ...]
    bases: tuple[str, ...]

    @property
    def low(self) -> pint.Quantity:
        return Q_(self.interval.lo, self.unit)

    @property
    def high(self) -> pint.Quantity | None:
        """``None`` when the claims give no upper bound."""
        return Q_(self.interval.hi, self.unit) if self.interval.bounded else None

    @property
    def nominal(self) -> pint.Quantity | None:
        return None if self.interval.nominal is None else Q_(self.interval.nominal, self.unit)

    @property
    def target(self) -> str:
        return f"{self.subject} {self.metric}" if self.metric else self.subject

    def text(self) -> str:
        iv = self.interval
        nom = f"≈ {num(iv.nominal)} {self.unit} " if iv.nominal is not None and not iv.is_point else ""
        rng = f"({iv.text(self.unit)})" if nom else iv.text(self.unit)
        return f"{nom}{rng}".strip()

    def basis(self) -> str:
        return f"claims {' ∘ '.join(self.chain)} applied to {'; '.join(self.bases)}"

    def to_spec(self, source: Source) -> Spec | None:
        """A ``derived`` :class:`~accelspec.provenance.Spec` with this range, or ``None`` when
        the range is open-ended or has no nominal value."""
        iv = self.interval
        if iv.nominal is None or not iv.bounded or iv.lo <= 0:
            return None
        def q(x: float) -> pint.Quantity:  # 12 significant digits: no float noise from unit conversions
            return Q_(float(f"{x:.12g}"), self.unit)

        return Spec(value=q(iv.nominal), range=(q(iv.lo), q(iv.hi)), source=source, status=Status.derived,
                    basis=self.basis(), note=None, quote=None)


@dataclass(frozen=True)
class CrossCheck:
    """The verdict of one reading when its unpublished values take values implied by other claims."""

    values: tuple[Implied, ...]
    ratio: Interval
    verdict: Verdict
    partial: bool

    @property
    def chains(self) -> list[str]:
        return sorted({c for v in self.values for c in v.chain})


@dataclass
class ReadingResult:
    """One reading of a claim: the numbers behind it and the verdict."""

    claim: str
    reading: str
    a: str
    b: str
    ratio: Interval | None
    claimed: Interval | None
    claimed_text: str
    verdict: Verdict
    partial: bool = False
    missing: list[str] = field(default_factory=list)
    implied: list[Implied] = field(default_factory=list)
    cross: list[CrossCheck] = field(default_factory=list)
    note: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    extra: str = ""  #: a short extra column (workload claims: fewest chips and largest memory term)

    @property
    def verdict_text(self) -> str:
        if self.verdict is Verdict.consistent and self.partial:
            return "consistent (partly)"
        return str(self.verdict)


@dataclass
class ClaimResult:
    """A claim, its readings and its verdict (the verdict of the reading taken, the first)."""

    claim: Claim
    readings: list[ReadingResult]

    @property
    def id(self) -> str:
        return self.claim.id

    @property
    def primary(self) -> ReadingResult | None:
        return self.readings[0] if self.readings else None

    @property
    def verdict(self) -> Verdict:
        return self.primary.verdict if self.primary else Verdict.undetermined

    @property
    def consistent_readings(self) -> list[str]:
        return [r.reading for r in self.readings if r.verdict is Verdict.consistent]

    @property
    def inconsistent_readings(self) -> list[str]:
        return [r.reading for r in self.readings if r.verdict is Verdict.inconsistent]

    def reading(self, name: str) -> ReadingResult:
        for r in self.readings:
            if r.reading == name:
                return r
        names = ", ".join(r.reading for r in self.readings)
        raise KeyError(f"claim {self.id}: no reading {name!r} (readings: {names})")


@dataclass
class NodeImplied:
    """Everything the claims imply about one unpublished value, and whether the chains agree."""

    subject: str
    metric: str | None
    unit: str
    chains: list[Implied]
    combined: Interval | None
    conflicts: list[tuple[Implied, Implied]]

    @property
    def target(self) -> str:
        return f"{self.subject} {self.metric}" if self.metric else self.subject


def _result_names(r: ClaimResult) -> list[str]:
    return [r.id]


class ClaimsReport:
    """The result of :func:`check_claims`. ``str(report)`` is a terminal table,
    :meth:`to_markdown` the same in Markdown; ``report["claim-id"]`` is one :class:`ClaimResult`."""

    def __init__(self, results: list[ClaimResult], implied: list[NodeImplied]):
        self.results = results
        self.implied = implied
        self._index: Any = None  # a NamedIndex of the results by claim id, built on first lookup

    def __getitem__(self, claim_id: str) -> ClaimResult:
        """The result of one claim, by id (case and punctuation ignored); an unknown id raises
        :class:`~accelspec.errors.UnknownClaimError` (a ``KeyError``) listing the closest ids."""
        index = self._index
        if index is None:
            from ..errors import UnknownClaimError
            from ..index import NamedIndex

            index = self._index = NamedIndex("claim", UnknownClaimError, _result_names).with_records(
                self.results, "claims report")
        return index.get(claim_id)

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def implied_for(self, subject: str, metric: str | None = None) -> NodeImplied:
        from ..index import normalize_name

        for n in self.implied:
            if normalize_name(n.subject) == normalize_name(subject) and (metric is None or n.metric == metric):
                return n
        raise KeyError(f"nothing implied for {subject} {metric or ''}".strip())

    def implied_specs(self) -> list[tuple[str, Spec]]:
        """``(target, Spec)`` for every implied value with a nominal value and a bounded range:
        status ``derived``, the chain of claims as ``basis``, the source of the chain's first claim."""
        out = []
        by_id = {r.id: r.claim for r in self.results}
        for node in self.implied:
            for imp in node.chains:
                first = by_id.get(imp.chain[0])
                spec = imp.to_spec(first.source) if first is not None else None
                if spec is not None:
                    out.append((imp.target, spec))
        return out

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for r in self.results:
            out[r.verdict.value] += 1
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per (claim, reading): plain values for a DataFrame or JSON."""
        rows = []
        for res in self.results:
            for rr in res.readings:
                rows.append({
                    "claim": res.id, "source": res.claim.source.id, "reading": rr.reading,
                    "taken": rr is res.primary, "a": rr.a, "b": rr.b,
                    "ratio": rr.ratio.text() if rr.ratio else None, "claimed": rr.claimed_text,
                    "verdict": rr.verdict.value, "partial": rr.partial,
                    "implied": [f"{i.target} {i.text()}" for i in rr.implied],
                })
        return rows

    def to_text(self, width: int = 140) -> str:
        from .report import render_text

        return render_text(self, width=width)

    def to_markdown(self) -> str:
        from .report import render_markdown

        return render_markdown(self)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        c = self.counts()
        return (f"<ClaimsReport: {len(self)} claims, {c['consistent']} consistent, "
                f"{c['inconsistent']} inconsistent, {c['undetermined']} undetermined, {c['restated']} restated>")


