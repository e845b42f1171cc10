"""Every example script runs from a fresh process, exits 0 and prints its answer
(``make_figures.py`` writes its figures into a temporary folder, not docs/img)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    args = {"make_figures.py": [str(tmp_path / "img")],  # never the tracked docs/img
            "agent_session.py": ["-o", str(tmp_path / "agent_session.png")]}.get(script, [])
    out = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip(), f"{script} printed nothing"
    if script == "make_figures.py":
        assert len(list((tmp_path / "img").glob("*.png"))) >= 4
