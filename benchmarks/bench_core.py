"""The core's speed in one run: import, first lookup, CLI wall time, one memory footprint and
one fit, one scalar decode bound, and a sweep beside a hand-written numpy floor.

    python benchmarks/bench_core.py [--repeat 7] [--calls 2000]

Every figure is a median measured in this run, and the goals are printed as ratios between
figures of the same run (the machines are shared and noisy; no absolute time is a goal):

- ``import accelspec`` + first ``get_chip("h100")`` within 1.5x of ``import numpy, pint, pydantic``;
- ``accelspec show h100`` / ``accelspec list`` wall time beside ``python -c "import pint"``;
- ``sweep(..., output="arrays")`` within 3x of a hand-written numpy evaluation of the same
  formulas over the same grid, two ways: the default sweep (every column) against a floor that
  writes every one of those columns by hand (checked equal to the sweep's arrays first), and
  ``columns=["time [s]"]`` against the one-formula floor (weights + KV cache read once per
  step over the chip's bandwidth, against the compute term).

Not run by the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np


def fresh(code: str, repeat: int) -> float:
    """Median seconds of ``code`` timed inside fresh interpreters."""
    return fresh_paired([code], repeat)[0]


def fresh_paired(codes: list[str], repeat: int, stat: Any = statistics.median) -> list[float]:
    """``stat`` (median) of the seconds of each of ``codes``, timed inside fresh interpreters taken in turn
    (code 1, code 2, ..., code 1, ...), so that a load that comes and goes on a shared machine
    weighs on every figure alike. One untimed run of each first (warms the OS file cache and
    accelspec's own caches, as any second use does)."""
    times = fresh_times(codes, repeat)
    return [stat(t) for t in times]


def fresh_times(codes: list[str], repeat: int) -> list[list[float]]:
    """Every timing of :func:`fresh_paired`, per code."""
    times: list[list[float]] = [[] for _ in codes]
    for rep in range(repeat + 1):
        for i, code in enumerate(codes):
            wrapped = f"import time; t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
            out = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, check=True)
            if rep:
                times[i].append(float(out.stdout.strip().splitlines()[-1]))
    return times


def compile_package() -> None:
    """Write accelspec's bytecode, as pip does when it installs a wheel: without it (an editable
    install under ``PYTHONDONTWRITEBYTECODE``) every import compiles the package from source,
    which no installed user pays, while numpy, pint and pydantic come precompiled."""
    import compileall
    from pathlib import Path

    import accelspec

    compileall.compile_dir(str(Path(accelspec.__file__).parent), quiet=1)


def wall(cmd: list[str], repeat: int) -> float:
    """Median wall seconds of a whole command, interpreter start included."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def per_call(fn, calls: int) -> float:
    """Median seconds per call over 5 batches of ``calls // 5`` calls."""
    n = max(1, calls // 5)
    fn()
    out = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - t) / n)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="fresh interpreters per import/CLI figure")
    ap.add_argument("--calls", type=int, default=2000, help="calls per scalar figure")
    args = ap.parse_args(argv)
    r = args.repeat

    compile_package()
    # pint and pydantic import lazily: "import pydantic" loads almost nothing, and pint parses
    # its definitions only when a registry is built. The second line pays what using them costs.
    runs = fresh_times([
        "import numpy, pint, pydantic",
        "import numpy, pint, pydantic\npint.UnitRegistry(cache_folder=':auto:')\n"
        "class M(pydantic.BaseModel):\n    x: int\nM(x=1)",
        "import accelspec",
        "import accelspec as a\na.get_chip('h100')",
    ], r)
    base, used, imp, first = (statistics.median(t) for t in runs)
    fastest = [min(t) for t in runs]
    print("import and first lookup (median of fresh interpreters)")
    print(f"  import numpy, pint, pydantic          {base * 1e3:8.1f} ms")
    print(f"  ... + a UnitRegistry and a BaseModel  {used * 1e3:8.1f} ms   x{used / base:.2f}")
    print(f"  import accelspec                      {imp * 1e3:8.1f} ms   x{imp / base:.2f}")
    print(f"  import accelspec + get_chip('h100')   {first * 1e3:8.1f} ms   x{first / base:.2f}  (goal <= x1.5)"
          f"; x{first / used:.2f} of the libraries in use")
    print(f"  the same, fastest run of each (least disturbed by other load): x{fastest[3] / fastest[0]:.2f} "
          f"({fastest[3] * 1e3:.1f} / {fastest[0] * 1e3:.1f} ms); "
          f"x{fastest[3] / fastest[1]:.2f} of the libraries in use")

    pint_wall = wall([sys.executable, "-c", "import pint"], r)
    show = wall([sys.executable, "-m", "accelspec", "show", "h100"], r)
    lst = wall([sys.executable, "-m", "accelspec", "list"], r)
    print("CLI wall time (median, interpreter start included)")
    print(f"  python -c 'import pint'               {pint_wall * 1e3:8.1f} ms")
    print(f"  accelspec show h100                   {show * 1e3:8.1f} ms   x{show / pint_wall:.2f}")
    print(f"  accelspec list                        {lst * 1e3:8.1f} ms   x{lst / pint_wall:.2f}")

    import accelspec as a

    m, c = a.get_model("llama-3.1-8b"), a.get_chip("h200")
    dsv3 = a.get_model("deepseek-v3")
    t_fp = per_call(lambda: a.memory_footprint(m, 8192, 1), args.calls)
    t_fit = per_call(lambda: a.fits(m, c, 8192), args.calls)
    t_fit6 = per_call(lambda: a.fits(dsv3, c, 1_000_000, n_chips=6, weight_dtype="native"), max(50, args.calls // 20))
    t_bound = per_call(lambda: a.decode_bound(m, c, context_tokens=4096, batch=1), args.calls)
    print("one scenario (median per call)")
    print(f"  memory_footprint(llama-3.1-8b, h200)  {t_fp * 1e6:8.1f} us")
    print(f"  fits(llama-3.1-8b, h200)              {t_fit * 1e6:8.1f} us")
    print(f"  fits(deepseek-v3, 6 x h200, search)   {t_fit6 * 1e6:8.1f} us")
    print(f"  decode_bound(llama-3.1-8b, h200)      {t_bound * 1e6:8.1f} us")

    # sweep vs the numpy floor: one model, one chip, bf16, context x batch grid, decode. Two floors
    # (benchmarks/bench_sweep.py: numpy_floors): the one decode formula, for columns=["time [s]"];
    # every column of the default sweep written by hand with the library's formulas, for the default.
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_sweep import check_floor, numpy_floors

    contexts = np.linspace(128, 131072, 1000).round().astype(np.int64)
    batches = np.arange(1, 1001)
    floor_one, floor_full = numpy_floors("llama-3.1-8b", "h200", contexts, batches)
    bad = check_floor(floor_full(), a.sweep([m], [c], contexts, batches, output="arrays"))
    if bad:
        raise SystemExit(f"the hand-written floor is not the sweep's formulas: {bad}")
    t_sweep = per_call(lambda: a.sweep([m], [c], contexts, batches, output="arrays"), 10)
    t_full = per_call(floor_full, 10)
    t_sweep1 = per_call(lambda: a.sweep([m], [c], contexts, batches, output="arrays", columns=["time [s]"]), 10)
    t_floor = per_call(floor_one, 10)
    n = contexts.size * batches.size
    print(f"sweep over {n:,} scenarios (one model, one chip; floors checked equal to the sweep's arrays)")
    print(f"  numpy floor, every default column     {t_full * 1e3:8.2f} ms")
    print(f"  sweep(..., output='arrays')           {t_sweep * 1e3:8.2f} ms   x{t_sweep / t_full:.2f}  (goal <= x3)")
    print(f"  numpy floor, one decode formula       {t_floor * 1e3:8.2f} ms")
    print(f"  sweep(..., columns=['time [s]'])      {t_sweep1 * 1e3:8.2f} ms   x{t_sweep1 / t_floor:.2f}  (goal <= x3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
