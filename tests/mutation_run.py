"""A small mutation run: how many semantic mutants of the package does the suite kill?

    python tests/mutation_run.py [--n 60] [--seed 2026] [--timeout 240]

Picks ``n`` random mutation sites in ``accelspec/`` (seeded): an arithmetic operator swapped
(``+``/``-``, ``*``/``/``), a comparison flipped (``<``/``<=``, ``>``/``>=``, ``==``/``!=``), a
numeric constant changed (``c`` -> ``c + 1``), ``ceil``/``floor`` swapped, ``min``/``max``
swapped. Each mutant is written into a scratch copy of the checkout, and the tests of the
mutated module's folder (mirroring the package: ``accelspec/perf/x.py`` -> ``tests/perf/``)
plus the cross-cutting ones run with ``-x``; a failing run kills the mutant. Not run by the suite.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_SWAP_NAME = {"ceil": "floor", "floor": "ceil", "min": "max", "max": "min"}


@dataclass(frozen=True)
class Mutant:
    path: Path
    lineno: int
    col: int
    kind: str
    text: str  #: the mutated source of the whole file


def _collect(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every mutation site of a module, in ``ast.walk`` order."""
    out: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BIN:
            out.append((node, "binop"))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _SWAP_CMP:
            out.append((node, "compare"))
        elif (isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool)
              and node.value not in (0, 1)):
            out.append((node, "constant"))
        elif isinstance(node, ast.Attribute) and node.attr in _SWAP_NAME:
            out.append((node, "name"))
        elif isinstance(node, ast.Name) and node.id in ("min", "max"):
            out.append((node, "name"))
    return out


def _sites(path: Path) -> list[tuple[ast.AST, str]]:
    return _collect(ast.parse(path.read_text(encoding="utf-8")))


def _mutate(path: Path, index: int) -> Mutant | None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sites = _collect(tree)
    node, kind = sites[index]
    if kind == "binop":
        node.op = _SWAP_BIN[type(node.op)]()  # type: ignore[attr-defined]
    elif kind == "compare":
        node.ops = [_SWAP_CMP[type(node.ops[0])]()]  # type: ignore[attr-defined]
    elif kind == "constant":
        node.value = node.value + 1  # type: ignore[attr-defined]
    elif isinstance(node, ast.Attribute):
        node.attr = _SWAP_NAME[node.attr]
    else:
        node.id = _SWAP_NAME[node.id]  # type: ignore[attr-defined]
    try:
        text = ast.unparse(tree)
    except Exception:
        return None
    return Mutant(path, getattr(node, "lineno", 0), getattr(node, "col_offset", 0), kind, text)


def _tests_for(rel: Path) -> list[str]:
    folder = ROOT / "tests" / rel.parent.relative_to("accelspec") if len(rel.parts) > 2 else ROOT / "tests"
    picked = [str(folder)] if folder.is_dir() and folder != ROOT / "tests" else []
    stem = rel.stem
    own = ROOT / "tests" / f"test_{stem}.py"
    if own.is_file():
        picked.append(str(own))
    picked += [str(ROOT / "tests" / n) for n in ("test_worked_numbers.py", "test_economics.py", "test_errors.py")]
    if not picked:
        picked = [str(ROOT / "tests")]
    return sorted(set(picked))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--timeout", type=int, default=240)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    files = [p for p in sorted((ROOT / "accelspec").rglob("*.py"))
             if p.name not in ("__init__.py", "__main__.py", "cli.py", "plot.py", "testing.py")
             and "io" not in p.relative_to(ROOT).parts]
    pool = [(p, i) for p in files for i in range(len(_sites(p)))]
    chosen = rng.sample(pool, args.n)
    killed = 0
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "repo"
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".git", "__pycache__", "site", "*.egg-info"))
        for k, (path, i) in enumerate(chosen, 1):
            m = _mutate(path, i)
            rel = path.relative_to(ROOT)
            if m is None:
                print(f"{k:>3} {rel}:{i} skipped (cannot unparse)")
                continue
            target = work / rel
            original = target.read_text(encoding="utf-8")
            target.write_text(m.text, encoding="utf-8")
            tests = [str(work / Path(t).relative_to(ROOT)) for t in _tests_for(rel)]
            try:
                r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                                   cwd=work, capture_output=True, text=True, timeout=args.timeout,
                                   env={**os.environ, "PYTHONPATH": str(work), "ACCELSPEC_NO_CACHE": "1"})
                dead = r.returncode != 0
            except subprocess.TimeoutExpired:
                dead = True  # a mutant that hangs the suite is caught too
            finally:
                target.write_text(original, encoding="utf-8")
            killed += dead
            print(f"{k:>3} {rel}:{m.lineno} {m.kind:<8} {'killed' if dead else 'SURVIVED'}", flush=True)
    print(f"\nmutation score: {killed} of {len(chosen)} killed ({killed / len(chosen):.0%}), seed {args.seed}")


if __name__ == "__main__":
    main()
