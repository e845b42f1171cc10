"""Check the claims of the seed articles against the spec catalog and print the report.

Run:  python examples/check_claims.py              terminal table
      python examples/check_claims.py --markdown   Markdown (e.g. > claims.md)
      python examples/check_claims.py my_claims/   your own claim files (format: docs/claims.md)
"""

from __future__ import annotations

import sys

import accelspec as a


def _cross(rr: a.claims.ReadingResult) -> str:
    return ", ".join(f"{cc.verdict}{' (partly)' if cc.partial else ''} with {'+'.join(cc.chains)}" for cc in rr.cross)


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    paths = [x for x in argv if not x.startswith("--")]
    try:
        claims = a.load_claims(*paths)
    except a.SpecFileError as exc:  # ClaimFileError: names the file, the claim and the field
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = a.check_claims(claims)
    print(report.to_markdown() if markdown else report)
    if markdown:
        return 0

    # The questions the seeds raise, answered from the report.
    print("\nAnswers")
    cluster = report["thead-sanjiangyuan-1945p"]
    per_card = cluster.primary.values["b"]
    print(f"- 1945P / 16,384 cards = {per_card.nominal:.1f} T per card (precision not stated). By reading:")
    for rr in cluster.readings:
        print(f"    {rr.reading:20} {_cross(rr) or 'nothing to compare'}")
    print("- '810E better than A800', by reading:")
    for rr in report["810e-above-a800"].readings:
        more = f"; with values other claims imply: {_cross(rr)}" if rr.cross else ""
        print(f"    {rr.reading:36} {rr.verdict_text} ({rr.a} vs {rr.b}){more}")
    hg = report["hanguang-800-efficiency"].primary
    print(f"- Hanguang 800: 78,563 IPS at 500 IPS/W implies {hg.values['b'].nominal:.1f} W; TDP {hg.a}: {hg.verdict}")
    wl = report["qwen37max-1m-context-m890"]
    ok = [r.reading for r in wl.readings if r.verdict is a.Verdict.consistent]
    print(f"- 1M-token context on one M890 (144 GB), memory only: fits for {', '.join(ok) or 'no catalog model'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
