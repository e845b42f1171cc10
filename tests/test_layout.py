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
    """accelspec modules that ``path`` imports (relative imports resolved). With
    ``top_level_only`` false this also follows imports inside functions, ``importlib.import_module``
    calls and the lazy-name table of the package's ``__init__`` (``_LAZY``): every way a module
    can reach another at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()

    def relative(level: int, module: str | None) -> str:
        base = package.split(".")
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            target = relative(node.level, node.module) if node.level else (node.module or "")
            if target.startswith("accelspec"):
                out.add(target)
                out |= {f"{target}.{a.name}" for a in node.names}  # `from . import plot` imports a module
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("accelspec")}
        elif isinstance(node, ast.Call) and not top_level_only:
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
                spec = str(node.args[0].value)
                level = len(spec) - len(spec.lstrip("."))
                out.add(relative(level, spec.lstrip(".") or None) if level else spec)
        elif isinstance(node, ast.Constant) and not top_level_only and isinstance(node.value, str):
            if path.name == "__init__.py" and node.value.startswith(".") and node.value[1:2].isalpha():
                out.add(relative(1, node.value[1:]))  # the lazy table's ".perf", ".model.catalog", ...
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


#: The layers, lowest first. A module may import from its own layer and the layers below it,
#: never from a layer above (the package's ``__init__``, the facade over all of them, aside).
LAYERS = [
    ("base", ["accelspec.errors", "accelspec.units", "accelspec.index", "accelspec.inputs",
              "accelspec.provenance", "accelspec.specfiles", "accelspec.testing"]),
    ("hardware", ["accelspec.hardware"]),
    ("model", ["accelspec.model"]),
    ("perf", ["accelspec.perf"]),
    ("analysis", ["accelspec.economics", "accelspec.claims", "accelspec.measurements"]),
    ("output", ["accelspec.io", "accelspec.plot"]),
    ("cli", ["accelspec.cli", "accelspec.__main__", "accelspec.web", "accelspec.mcp_server"]),
]


def _layer(module: str) -> int:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def test_no_import_reaches_up_a_layer():
    """Every import edge, including imports inside functions and ``import_module`` calls, points
    to the same layer or a lower one (``System`` no longer builds a ``Deployment``, prices live
    with the hardware, the JSON form of a value with provenance)."""
    graph = _graph(top_level_only=False)
    upward = sorted(f"{n} -> {m}" for n, targets in graph.items() if n != "accelspec"
                    for m in targets if m != "accelspec" and _layer(m) > _layer(n))
    assert upward == []


def test_layer_diagram_of_the_docs_is_the_tree():
    """The base layer and each subpackage named in LAYERS exist, and every module is in a layer."""
    graph = _graph(top_level_only=True)
    assert [n for n in graph if n != "accelspec" and _layer(n) is None] == []


def test_cycle_test_sees_lazy_and_import_module_edges():
    """The graph follows ``importlib.import_module`` and the package's lazy table, so a cycle
    hidden behind either is still found."""
    graph = _graph(top_level_only=False)
    assert "accelspec.perf" in graph["accelspec"] and "accelspec.model.catalog" in graph["accelspec"]


def test_claims_engine_is_a_package_without_cycles():
    graph = _graph(top_level_only=False)
    claims = {n: {m for m in e if m.startswith("accelspec.claims.")} for n, e in graph.items()
              if n.startswith("accelspec.claims.")}
    assert set(claims) >= {"accelspec.claims.statements", "accelspec.claims.engine", "accelspec.claims.results",
                           "accelspec.claims.intervals", "accelspec.claims.report", "accelspec.claims.workload"}
    assert _cycles(claims) == []


HEAVY = ("pandas", "xarray", "matplotlib")


@pytest.mark.parametrize(("code", "not_loaded"), [
    ("import accelspec", (*HEAVY, "accelspec.perf", "accelspec.claims", "accelspec.model.architecture")),
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


#: Modules whose tests live in a test module of another name, and where (paths under tests/).
TESTED_IN = {
    "__main__.py": "test_cli.py", "inputs.py": "test_hardening.py", "specfiles.py": "test_hardening.py",
    "provenance.py": "hardware/test_catalog.py", "testing.py": "test_units.py",
    "hardware/chip.py": "hardware/test_catalog.py", "hardware/prices.py": "test_economics.py",
    "model/architecture.py": "model/test_models.py", "model/catalog.py": "model/test_models.py",
    "model/config.py": "model/test_models.py", "model/layers.py": "model/test_models.py",
    "io/json_out.py": "hardware/test_comparison.py", "io/catalog_doc.py": "hardware/test_catalog.py",
    "io/site.py": "io/test_catalog_page.py",
    **{f"claims/{m}.py": "claims/test_claims.py" for m in ("engine", "intervals", "report", "results",
                                                            "statements", "workload")},
    "claims/speed.py": "claims/test_speed_claims.py",
    "perf/estimate.py": "measurements/test_calibration.py",
}


def test_tests_mirror_the_package():
    """One test module per module, in the same folder: ``accelspec/perf/x.py`` ->
    ``tests/perf/test_x.py``, ``accelspec/x.py`` -> ``tests/test_x.py`` (or the test module named
    in :data:`TESTED_IN`)."""
    tests = Path(__file__).parent
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.name == "__init__.py":
            continue  # subpackage APIs are locked in test_api
        default = Path(*rel.parts[:-1], f"test_{rel.stem}.py")
        name = TESTED_IN.get(rel.as_posix(), default.as_posix())
        if not (tests / name).is_file():
            missing.append(f"{rel} (expected tests/{name})")
    assert missing == []
