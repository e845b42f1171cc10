"""Every code block in README.md and docs/*.md runs, so the examples cannot rot.

Rules (also in docs/index.md, "Examples that run"):

* Every fence names its language; a bare ````` fence fails (``text`` for output or synopses).
* ``python`` / ``pycon`` blocks run in one namespace per file, in order, with the working
  directory a fresh temporary folder. A block with ``>>>`` prompts is a doctest: the output it
  shows is compared (``...`` matches anything, whitespace is normalised, an exception is
  compared by its type and message).
* ``console`` / ``bash`` / ``sh`` / ``shell`` blocks run each command: ``accelspec ...`` as
  ``python -m accelspec ...`` (this checkout), ``python``/``python3 ...`` with this interpreter.
  In a block with ``$`` prompts the lines after a command are its expected output (stdout then
  stderr; a line ``...`` matches any lines); the exit status must be 0, or N where the command
  ends with the comment ``# exit N``. Any other command (pip, .ci/run) fails the test unless the
  block is illustrative.
* A block preceded by the line ``<!-- illustrative -->`` is not run (install commands,
  fragments of YAML, pseudo-code). Other languages (``yaml``, ``json``, ``text``) are not run.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON = {"python", "pycon", "py"}
SHELL = {"console", "bash", "sh", "shell"}
ILLUSTRATIVE = "<!-- illustrative -->"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    illustrative: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def executed(self) -> bool:
        return not self.illustrative and (self.lang in PYTHON or self.lang in SHELL)


def parse_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with their language and illustrative mark."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group("indent"), m.group("fence"), m.group("info").strip()
        j = i + 1
        while j < len(lines) and not re.match(rf"^{re.escape(indent)}{fence[0]}{{{len(fence)},}}\s*$", lines[j]):
            j += 1
        if j == len(lines):
            raise AssertionError(f"{path.name}:{i + 1}: unclosed code fence")
        prev = next((ln.strip() for ln in reversed(lines[:i]) if ln.strip()), "")
        body = [ln[len(indent):] if ln.startswith(indent) else ln for ln in lines[i + 1:j]]
        lang = info.split()[0].lower() if info else ""
        blocks.append(Block(path, i + 1, lang, "\n".join(body) + "\n",
                            prev == ILLUSTRATIVE or "illustrative" in info))
        i = j + 1
    return blocks


ALL_BLOCKS = [b for p in DOC_FILES for b in parse_blocks(p)]
EXECUTED = [b for b in ALL_BLOCKS if b.executed]


def test_every_fence_names_its_language():
    bare = [b.id for b in ALL_BLOCKS if not b.lang]
    assert not bare, f"code fences without a language (use text for output or synopses): {bare}"


def test_docs_have_executed_blocks():
    # a floor, so that a parser regression cannot silently run nothing
    assert len(EXECUTED) >= 18, len(EXECUTED)


# ---------------------------------------------------------------------------------------------
# python

_NAMESPACES: dict[Path, tuple[dict, set[int]]] = {}
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _run_python(block: Block, namespace: dict) -> None:
    if re.search(r"^\s*>>> ", block.code, re.M):
        test = doctest.DocTestParser().get_doctest(block.code, namespace, block.id, str(block.path), block.line)
        out: list[str] = []
        runner = doctest.DocTestRunner(optionflags=_FLAGS)
        runner.run(test, out=out.append, clear_globs=False)
        namespace.update(test.globs)  # DocTest works on a copy; later blocks see its names
        assert runner.failures == 0, f"{block.id}: doctest output differs\n" + "".join(out)
    else:
        code = compile(block.code, f"{block.id}", "exec")
        exec(code, namespace)


def _python_namespace(block: Block, tmp_path_factory) -> dict:
    """The file's namespace with every earlier python block of the file already run."""
    if block.path not in _NAMESPACES:
        _NAMESPACES[block.path] = ({"__name__": "__docs__"}, set())
    namespace, done = _NAMESPACES[block.path]
    for earlier in EXECUTED:
        if earlier.path == block.path and earlier.lang in PYTHON and earlier.line < block.line \
                and earlier.line not in done:
            _run_python(earlier, namespace)
            done.add(earlier.line)
    return namespace


# ---------------------------------------------------------------------------------------------
# shell

def _argv(command: str, block: Block) -> list[str]:
    words = shlex.split(command, comments=True)
    if not words:
        return []
    if words[0] == "accelspec":
        return [sys.executable, "-m", "accelspec", *words[1:]]
    if words[0] in ("python", "python3"):
        return [sys.executable, *words[1:]]
    raise AssertionError(f"{block.id}: cannot run {command!r} (only accelspec and python commands run); "
                         f"mark the block with {ILLUSTRATIVE} if it is not meant to run")


def _shell_steps(block: Block) -> list[tuple[str, list[str] | None]]:
    """(command, expected output lines or None) for each command of a shell block."""
    lines = block.code.splitlines()
    if not any(ln.startswith("$ ") for ln in lines):
        return [(ln.strip(), None) for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    steps: list[tuple[str, list[str] | None]] = []
    for ln in lines:
        if ln.startswith("$ "):
            steps.append((ln[2:].strip(), []))
        elif steps:
            steps[-1][1].append(ln)  # type: ignore[union-attr]
    return steps


def _matches(expected: list[str], actual: str) -> bool:
    want = "\n".join(ln.rstrip() for ln in expected).strip("\n") + "\n"
    return doctest.OutputChecker().check_output(want, actual.strip("\n") + "\n",
                                                doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)


def _run_shell(block: Block, cwd: Path) -> None:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg", "COLUMNS": "200"}
    env.pop("ACCELSPEC_PATH", None)
    for command, expected in _shell_steps(block):
        argv = _argv(command, block)
        if not argv:
            continue
        m = re.search(r"#\s*exit\s+(?:status\s+)?(\d+)", command)
        want_rc = int(m.group(1)) if m else 0
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == want_rc, (f"{block.id}: `{command}` exited {proc.returncode}, expected "
                                            f"{want_rc}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        if expected:
            actual = proc.stdout + proc.stderr
            assert _matches(expected, actual), (f"{block.id}: `{command}` printed\n{actual}\n"
                                                f"the docs show\n" + "\n".join(expected))


# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("block", EXECUTED, ids=[b.id for b in EXECUTED])
def test_doc_block_runs(block: Block, tmp_path, monkeypatch, tmp_path_factory, restore_catalog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACCELSPEC_PATH", raising=False)
    # examples/ and specs/ resolve from the scratch folder as from the repository root
    for name in ("examples", "specs", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    if block.lang in PYTHON:
        try:
            import matplotlib

            matplotlib.use("Agg")  # a block that plots writes files, never opens a window
        except ImportError:
            pass
        namespace = _python_namespace(block, tmp_path_factory)
        _run_python(block, namespace)
        _NAMESPACES[block.path][1].add(block.line)
    else:
        _run_shell(block, tmp_path)
