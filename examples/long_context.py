"""Longest context each catalog model fits on 1 and on 8 chips, and the chips a 1M-token context needs.

    python examples/long_context.py [--weight-dtype fp8] [--kv-dtype bf16] [--tokens 1000000]

Seed chips (Zhenwu M890, Zhenwu 810E, H20, H200) and peers; chips missing from the catalog
are skipped, chips whose capacity is unpublished are listed as such. Memory only: a context
beyond a model's trained length (max_position_embeddings) is marked with "*". Layouts are
chosen per case ("auto": the layout of the chip count that needs least memory per chip);
batch 1; framework reserve 2 GiB per chip (see docs/memory.md for every assumption).
"""

from __future__ import annotations

import argparse
import math

import accelspec as a

CHIPS = ["zhenwu-m890", "zhenwu-810e", "h20", "h200", "h100-sxm", "b200", "mi300x", "ascend-910c", "tpu7x"]


def _chips() -> list[a.Chip]:
    out = []
    for name in CHIPS:
        try:
            out.append(a.get_chip(name))
        except a.UnknownChipError:
            print(f"(skipping {name}: not in the catalog)")
    return out


def _weights(model: a.Model, wanted: str) -> str:
    """The requested weight dtype, or the checkpoint's own formats when they are smaller."""
    if model.native_dtypes and model.weight_bytes("native").m < model.weight_bytes(wanted).m:
        return "native"
    return wanted


def _ctx(lim: a.Limit, model: a.Model) -> str:
    if lim.value == math.inf:
        return "unbounded"
    if lim.value == 0:
        return "-"
    star = "*" if model.max_context and lim.value > model.max_context else ""
    text = f"{lim.value / 1e6:.2f}M" if lim.value >= 1e6 else f"{lim.value / 1e3:.0f}k"
    if lim.low != lim.value:
        text += f" (>={lim.low / 1e3:.0f}k)"
    return text + star


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weight-dtype", default="fp8")
    ap.add_argument("--kv-dtype", default="bf16")
    ap.add_argument("--tokens", type=int, default=1_000_000)
    args = ap.parse_args()
    chips = _chips()
    tables: dict[str, list[list[str]]] = {"one": [], "eight": [], "need": []}
    for model in a.models():
        wd = _weights(model, args.weight_dtype)
        rows = {k: [f"{model.id} ({wd})"] for k in tables}
        for chip in chips:
            if chip.memory.capacity is None:
                for k in tables:
                    rows[k].append("cap. n/p")
                continue
            kw = {"weight_dtype": wd, "kv_dtype": args.kv_dtype}
            rows["one"].append(_ctx(a.max_context(model, chip, **kw), model))
            rows["eight"].append(_ctx(a.max_context(model, chip, n_chips=8, **kw), model))
            need = a.min_chips(model, chip, args.tokens, max_chips=256, **kw)
            rows["need"].append(str(need.value) if need.value else ">256")
        for k in tables:
            tables[k].append(rows[k])
    titles = {"one": "Longest context on 1 chip (tokens)", "eight": "Longest context on 8 chips (tokens)",
              "need": f"Chips needed for a {args.tokens:,}-token context"}
    print(f"weights {args.weight_dtype} (the checkpoint's own formats where smaller: 'native'), "
          f"KV {args.kv_dtype}, batch 1, layout 'auto', reserve 2 GiB per chip\n")
    names = [c.id for c in chips]
    for k, title in titles.items():
        print(title)
        print(f"{'model':30}" + "".join(f"{n:>19}" for n in names))
        for row in tables[k]:
            print(f"{row[0]:30}" + "".join(f"{cell:>19}" for cell in row[1:]))
        print()
    print("* beyond the model's max_position_embeddings (memory would allow it; the model was not trained for it)")
    print("(>=...) the low end of the chip's published capacity range gives a shorter context")


if __name__ == "__main__":
    main()
