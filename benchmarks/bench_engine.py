"""The engine's speed on what users call, as ratios to one single-chip ``fits`` call timed in the
same run (the machines are shared and noisy: no absolute time is a goal).

    python benchmarks/bench_engine.py [--calls 20] [--quick]

Every timed call gets arguments it has not seen before (a new context length each time), so no
memoised repeat is timed; the first call on a model and system, which builds the layout tables
the later calls reuse, is timed apart, in fresh interpreters. Goals (issue 22):

==================================================  ==========
call                                                goal
==================================================  ==========
``plan`` over the whole catalog                     <= 300x
``cost_bound("deepseek-v3", "cloudmatrix384")``     <= 100x
``fits`` on a system                                <= 10x
``decode_bound`` on a system, new arguments         <= 10x
system sweep, per scenario                          <= 5x single-chip sweep per scenario
cold-cache ``import accelspec`` + first lookup      <= 2x ``import numpy, pint, pydantic``
==================================================  ==========

Not run by the test suite.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

_COUNTER = itertools.count(1)


def fresh_context() -> int:
    """A context length no earlier call used (so no cache answers it)."""
    return 4096 + 7 * next(_COUNTER)


def median_time(fn: Callable[[], object], calls: int) -> float:
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def compile_package() -> None:
    """Write accelspec's bytecode, as pip does when it installs a wheel: without it (an editable
    install under ``PYTHONDONTWRITEBYTECODE``) every import compiles the package from source,
    which no installed user pays, while numpy, pint and pydantic come precompiled."""
    import compileall
    from pathlib import Path

    import accelspec

    compileall.compile_dir(str(Path(accelspec.__file__).parent), quiet=1)


def cold_import(repeat: int) -> tuple[float, float, float]:
    """Median seconds of ``import accelspec; get_chip("h100")`` with an empty cache folder, of
    the same with the cache that run left (warm), and of ``import numpy, pint, pydantic``, in
    fresh interpreters taken in turn (bytecode compiled first, as an installed package has it)."""
    compile_package()
    ours, warm, theirs = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "XDG_CACHE_HOME": cache, "ACCELSPEC_CACHE_DIR": cache}
            for code, out in (("import accelspec as a; a.get_chip('h100')", ours),
                              ("import accelspec as a; a.get_chip('h100')", warm),
                              ("import numpy, pint, pydantic", theirs)):
                wrapped = f"import time; t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
                r = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, check=True,
                                   env=env)
                out.append(float(r.stdout.strip().splitlines()[-1]))
    return statistics.median(ours), statistics.median(warm), statistics.median(theirs)


#: calls timed once each in a fresh interpreter (after the catalogs are loaded): the first call on
#: a model and system builds its layout and footprint tables, which later calls reuse
FIRST_CALLS = (
    ("decode_bound deepseek-v3 on gb200-nvl72", "a.decode_bound('deepseek-v3', 'gb200-nvl72', 5000, batch=8)"),
    ("decode_bound deepseek-v3 on cloudmatrix384", "a.decode_bound('deepseek-v3', 'cloudmatrix384', 5000, batch=8)"),
    ("fits kimi-k2 on cloudmatrix384", "a.fits('kimi-k2', 'cloudmatrix384', 5000)"),
    ("cost_bound deepseek-v3 on cloudmatrix384", "a.cost_bound('deepseek-v3', 'cloudmatrix384', context_tokens=5000)"),
    ("plan llama-3.1-70b over the catalog", "a.plan('llama-3.1-70b', 5000, 256, ttft='1 s', tpot='30 ms')"),
)

_FIRST = """
import statistics, sys, time
import accelspec as a
a.fits('llama-3.1-8b', 'h100', 1024)  # the catalogs load: not timed
unit = []
for i in range(20):
    t = time.perf_counter(); a.fits('llama-3.1-70b', 'h100', 4096 + 7 * i); unit.append(time.perf_counter() - t)
t = time.perf_counter()
{call}
print(time.perf_counter() - t, statistics.median(unit))
"""


def first_call(call: str, repeat: int) -> tuple[float, float]:
    """Median seconds of ``call`` as the first call of a fresh interpreter (catalogs loaded, no
    table built) and its median ratio to a single-chip ``fits`` timed in the same interpreter."""
    secs, ratios = [], []
    for _ in range(repeat):
        r = subprocess.run([sys.executable, "-c", _FIRST.format(call=call)], capture_output=True, text=True,
                           check=True)
        t, unit = (float(x) for x in r.stdout.split()[-2:])
        secs.append(t)
        ratios.append(t / unit)
    return statistics.median(secs), statistics.median(ratios)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="fewer calls of the slow entries")
    args = ap.parse_args()
    slow = 2 if args.quick else 3

    import accelspec as a

    a.fits("llama-3.1-8b", "h100", 1024)  # first use loads the catalogs: not what is timed
    base = median_time(lambda: a.fits("llama-3.1-70b", "h100", fresh_context()), args.calls)
    rows: list[tuple[str, float, str]] = []

    def add(name: str, seconds: float, goal: str) -> None:
        rows.append((name, seconds, goal))

    add("fits, one chip (the unit)", base, "")
    add("fits on gb200-nvl72 (system)",
        median_time(lambda: a.fits("deepseek-v3", "gb200-nvl72", fresh_context()), args.calls), "<= 10x")
    add("fits on cloudmatrix384 (system)",
        median_time(lambda: a.fits("deepseek-v3", "cloudmatrix384", fresh_context()), args.calls), "<= 10x")
    add("decode_bound on gb200-nvl72, new args",
        median_time(lambda: a.decode_bound("deepseek-v3", "gb200-nvl72", fresh_context(), batch=8), args.calls),
        "<= 10x")
    add("decode_bound 8 x h200, new args",
        median_time(lambda: a.decode_bound("deepseek-v3", "h200", fresh_context(), batch=8, n_chips=8), args.calls),
        "<= 10x")
    add("cost_bound deepseek-v3 on cloudmatrix384, new args",
        median_time(lambda: a.cost_bound("deepseek-v3", "cloudmatrix384", context_tokens=fresh_context()), slow),
        "<= 100x")
    add("plan llama-3.1-70b over the catalog, new args",
        median_time(lambda: a.plan("llama-3.1-70b", input_tokens=fresh_context(), output_tokens=256,
                                   ttft="1 s", tpot="30 ms"), slow), "<= 300x")
    for moe in ("deepseek-v3", "gpt-oss-120b"):  # MoE: more layouts (every ep), no goal of its own
        add(f"plan {moe} over the catalog, new args",
            median_time(lambda moe=moe: a.plan(moe, input_tokens=fresh_context(), output_tokens=256,
                                               ttft="1 s", tpot="30 ms"), slow), "(MoE, shown)")

    contexts = [fresh_context() for _ in range(50)]
    batches = list(range(1, 41))
    n_single = 2 * len(contexts) * len(batches)
    t_single = median_time(lambda: a.sweep(["llama-3.1-70b"], ["h100", "h200"], contexts, batches, [8]), slow)
    t_system = median_time(lambda: a.sweep(["llama-3.1-70b"], ["gb200-nvl72", "hgx-h200"], contexts, batches, [8]),
                           slow)
    add(f"sweep single chips, per scenario ({n_single:,} rows)", t_single / n_single, "")
    add(f"sweep systems, per scenario ({n_single:,} rows)", t_system / n_single, "<= 5x single-chip row")

    cold, warm, floor = cold_import(3 if args.quick else 5)
    firsts = [(name, *first_call(call, slow)) for name, call in FIRST_CALLS]
    print(f"{'call':<56}{'median':>12}{'x fits':>10}  goal")
    for name, sec, goal in rows:
        print(f"{name:<56}{sec * 1e3:>10.4g}ms{sec / base:>10.3g}  {goal}")
    print("\nfirst call in a fresh interpreter (tables built; ratio to fits in that interpreter):")
    for name, sec, ratio in firsts:
        print(f"{name:<56}{sec * 1e3:>10.3f}ms{ratio:>10.1f}  (shown)")
    ratio = t_system / t_single
    print(f"\nsystem sweep / single-chip sweep per scenario: {ratio:.2f}x (goal <= 5x)")
    print(f"cold-cache import + get_chip: {cold * 1e3:.0f} ms; import numpy, pint, pydantic: {floor * 1e3:.0f} ms; "
          f"ratio {cold / floor:.2f}x (goal <= 2x)")
    print(f"warm-cache import + get_chip: {warm * 1e3:.0f} ms; ratio {warm / floor:.2f}x")


if __name__ == "__main__":
    main()
