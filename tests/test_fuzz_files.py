"""Fuzz targets for every file kind a user can hand the library, and for the cache.

Each case takes a real shipped record, replaces one value somewhere inside it with junk
(wrong types, huge numbers, NaN, deep nesting, odd text), writes the file and loads it. The
loader must return or raise an ``AccelspecError`` naming the file, within the time limit, and a
refused file changes nothing. ``HYPOTHESIS_PROFILE=long`` runs 1,250 cases per file kind and 500 cache cases.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import accelspec as a
from accelspec.errors import AccelspecError
from accelspec.hardware.system import load_systems, systems
from accelspec.model.catalog import models
from accelspec.specfiles import read_yaml, specs_dir

from .test_hardening import FUZZ, N_CASES, time_limit

#: a file case loads and validates a whole file: 12 cases a kind (1,250 in the long profile)
FILE_FUZZ = FUZZ.__class__(parent=FUZZ, max_examples=max(12, N_CASES // 4))
#: each cache case starts a fresh interpreter: fewer cases (6; 500 in the long profile)
CACHE_FUZZ = FUZZ.__class__(parent=FUZZ, max_examples=max(6, N_CASES // 10))

JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True),
              st.text(max_size=12), st.sampled_from(["1e999 GB", "nan", "-1 W", "9**9**9", "GB", "bf16", ""])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


def _paths(obj, prefix=()):
    """Every path to a value inside a nested record."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _mutate(record, path, junk):
    rec = copy.deepcopy(record)
    if not path:
        return junk
    obj = rec
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = junk
    return rec


def _file(kind: str):
    """(the shipped file's data, the list key, the first record) for one file kind."""
    folder = {"systems": "systems/nvidia.yaml", "models": "models/models.yaml", "claims": "claims/10-zhenwu.yaml",
              "measurements": "measurements/oracle.yaml"}[kind]
    data = read_yaml(specs_dir() / folder)
    key = {"systems": "systems", "models": "models", "claims": "claims", "measurements": "measurements"}[kind]
    return data, key, data[key][0]


def _case(kind: str, tmp_path, data, key, record, path, junk):
    new = copy.deepcopy(data)
    rec = _mutate(record, path, junk)
    if isinstance(rec, dict) and "id" in rec and path != ("id",):
        rec["id"] = f"fuzz-{kind}-x"  # a new record, never a redefinition of a shipped one
    new[key] = [rec]
    if kind == "models":
        new.pop("sources", None)  # the shipped sources may not be redefined: cite them
    else:
        new["sources"] = {f"F{k}": v for k, v in (data.get("sources") or {}).items()}  # own ids, same content
        if isinstance(rec, dict) and isinstance(rec.get("source"), str):
            rec["source"] = f"F{rec['source']}"
    path_ = tmp_path / f"{kind}.yaml"
    path_.write_text(yaml.safe_dump(new, allow_unicode=True), encoding="utf-8")
    if kind == "models":  # configs are relative to the file
        os.symlink(specs_dir() / "models" / "configs", tmp_path / "configs", target_is_directory=True)
    return path_


@pytest.mark.parametrize("kind", ["systems", "models", "claims", "measurements"])
def test_fuzz_file_kinds(kind, tmp_path_factory):
    data, key, record = _file(kind)
    paths = sorted(set(_paths(record)), key=str)
    before = {"systems": [s.id for s in systems()], "models": [m.id for m in models()]}

    @FILE_FUZZ
    @given(path=st.sampled_from(paths), junk=JUNK)
    def one(path, junk):
        tmp = tmp_path_factory.mktemp(kind)
        f = _case(kind, tmp, data, key, record, path, junk)
        loader = {"systems": load_systems, "models": a.load_models, "claims": a.load_claims,
                  "measurements": a.validate}[kind]
        with time_limit():
            try:
                loader(f)
            except AccelspecError as exc:
                assert str(exc)
                assert kind != "systems" or [s.id for s in systems()] == before["systems"]
                assert kind != "models" or [m.id for m in models()] == before["models"]
            finally:
                if kind == "systems":
                    load_systems()  # back to the shipped systems

    one()


@CACHE_FUZZ
@given(blob=st.binary(max_size=2048))
def test_fuzz_cache_entries(tmp_path_factory, monkeypatch_session_cache, blob):
    """Random bytes at every cache entry's path: a fresh process still answers, from the files."""
    folder = monkeypatch_session_cache
    for entry in folder.rglob("*"):
        if entry.is_file() and entry.name != "key":
            entry.write_bytes(blob)
    import subprocess
    import sys

    env = {**os.environ, "ACCELSPEC_CACHE_DIR": str(folder)}
    out = subprocess.run([sys.executable, "-c", "import accelspec as a; print(a.get_chip('h100').memory.capacity)"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-1000:]
    assert out.stdout.strip() == "80 GB"


@pytest.fixture(scope="module")
def monkeypatch_session_cache(tmp_path_factory):
    """A cache folder filled once by a real process (module-wide: each fuzz case overwrites it)."""
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("cache")
    folder.chmod(0o700)
    env = {**os.environ, "ACCELSPEC_CACHE_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", "import accelspec as a; a.get_chip('h100'); a.Q_('1 GB')"], check=True,
                   env=env, timeout=120)
    return folder
