"""Training: memory per chip, the time bound, published runs and the seed articles' claims.

Run: ``python examples/training.py``.
"""

from __future__ import annotations

import accelspec as a
from accelspec.perf import training as tr


def main() -> None:
    print("== Llama 3.1 70B on 64 x H100 (tp=8, dp=8), bf16 + fp32 Adam, 8192-token micro-batch of 1 ==")
    for stage in (1, 3):
        fit = a.training_fits("llama-3.1-70b", "h100", 64, zero_stage=stage, parallelism="tp=8,dp=8")
        print(f"-- ZeRO stage {stage}: {fit.verdict}, {fit.required.m_as('GB'):.2f} GB of "
              f"{fit.available.m_as('GB'):.0f} GB")
        print(fit.memory)
    print("assumed:", fit.assumptions)

    _n, _fit, text = a.min_training_chips("llama-3.1-70b", "h100")
    print("\nfewest H100s for Llama 3.1 70B (ZeRO-3, full recompute):", text.split(":")[0])

    print("\n== published training runs vs the bound (MFU 1) ==")
    print(tr.runs_report())

    print("\n== seed claims ==")
    print(a.check_training_claim())
    print("\n1945P over 16,384 cards, Llama 3.1 405B on 15.6T tokens:")
    for mfu in (1.0, 0.4):
        t = tr.cluster_training_time(mfu=mfu)
        print(f"  MFU {mfu:g}: {t.time.m_as('day'):,.0f} days")


if __name__ == "__main__":
    main()
