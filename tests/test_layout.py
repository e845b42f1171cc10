"""The package's shape: no import cycles between its modules."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import accelspec

ROOT = Path(accelspec.__file__).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str, top_level_only: bool) -> set[str]:
    """accelspec modules that ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("accelspec"):
                out.add(target)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("accelspec")}
    return out


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    return {n: {t for t in _imports(p, n, top_level_only) if t in files and t != n} for n, p in files.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                found.append([*stack[stack.index(m):], m])
            elif m not in state:
                visit(m, [*stack, m])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    return found


def test_no_import_cycles_between_modules():
    """Module-level imports form no cycle, the package's own ``__init__`` (which re-exports its
    submodules) aside."""
    graph = _graph(top_level_only=True)
    for n in graph:  # a subpackage's modules may import their siblings; the __init__ only re-exports
        graph[n] = {m for m in graph[n] if not n.startswith(m + ".")}
    assert _cycles(graph) == []


def test_no_import_cycles_even_inside_functions():
    """Imports inside functions (used to keep ``import accelspec`` light) form no cycle either:
    model -> hf_config -> layers, compare -> provenance <- json_out, perf -> ... one way."""
    graph = _graph(top_level_only=False)
    for n in graph:
        graph[n] = {m for m in graph[n] if not n.startswith(m + ".")}
    assert _cycles(graph) == []


def test_claims_engine_is_a_package_without_cycles():
    graph = _graph(top_level_only=False)
    claims = {n: {m for m in e if m.startswith("accelspec.claims.")} for n, e in graph.items()
              if n.startswith("accelspec.claims.")}
    assert set(claims) >= {"accelspec.claims.statements", "accelspec.claims.engine", "accelspec.claims.results",
                           "accelspec.claims.intervals", "accelspec.claims.report", "accelspec.claims.workload"}
    assert _cycles(claims) == []


HEAVY = ("pandas", "xarray", "matplotlib")


@pytest.mark.parametrize(("code", "not_loaded"), [
    ("import accelspec", (*HEAVY, "accelspec.perf", "accelspec.claims", "accelspec.model")),
    ("import accelspec as a; a.get_chip('h100')", (*HEAVY, "accelspec.perf")),
    ("import accelspec as a; a.fits('llama-3.1-8b', 'h100', 8192); a.decode_bound('llama-3.1-8b', 'h100', 8192)",
     HEAVY),
    ("import accelspec as a; r = a.check_claims(); str(r); r.to_markdown()", HEAVY),
])
def test_import_stays_light(code, not_loaded):
    """The one "import stays light" check: plain import, the first lookup, a fit and a bound, the
    claims report. matplotlib, pandas and xarray load only in plotting, frames and sweeps; the
    performance model and the claims engine load on first use."""
    probe = f"{code}\nimport sys; print(','.join(m for m in {not_loaded!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


#: Modules whose tests live in a test module of another name, and where.
TESTED_IN = {
    "catalog_doc": "test_catalog", "chip": "test_catalog", "provenance": "test_catalog", "json_out": "test_compare",
    "inputs": "test_hardening", "hf_config": "test_models", "model": "test_models", "model_catalog": "test_models",
    "layers": "test_models", "system": "test_systems", "site": "test_catalog_page", "testing": "test_units", "__main__": "test_cli",
}


def test_tests_mirror_the_package():
    """One test module per module: ``accelspec/perf/x.py`` -> ``tests/perf/test_x.py``,
    ``accelspec/x.py`` -> ``tests/test_x.py`` (or the module named in :data:`TESTED_IN`)."""
    tests = Path(__file__).parent
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.name == "__init__.py" or (len(rel.parts) > 1 and rel.parts[0] == "claims"):
            continue  # subpackage APIs are locked in test_api; the claims engine is tested in test_claims
        stem = rel.stem
        folder = tests.joinpath(*rel.parts[:-1])
        name = TESTED_IN.get(stem, f"test_{stem}") if len(rel.parts) == 1 else f"test_{stem}"
        if not (folder / f"{name}.py").is_file():
            missing.append(str(rel))
    assert missing == []
