"""The cache folder cannot lie or run code (issue 23).

Every entry accelspec keeps in :func:`accelspec.units.cache_dir` (parsed YAML, the validated
chip catalog, pint's parsed definitions, the unit definitions text) carries an HMAC under a
private random key: a planted, edited, truncated or swapped entry is discarded (one warning),
the caller loads cold and the entry is rewritten. Reads never follow links and never block.
"""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

import accelspec as a
from accelspec import specfiles, units

posix_only = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")


class _Evil:
    """Unpickling this creates ``marker``: what a planted pickle could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ACCELSPEC_CACHE_DIR", str(folder))
    monkeypatch.delenv("ACCELSPEC_NO_CACHE", raising=False)
    monkeypatch.setattr(units, "_WARNED", False, raising=False)
    return folder


def _spec(tmp_path: Path, name: str = "doc.yaml", body: str = "a: 1\nb: [x, y]\n") -> Path:
    f = tmp_path / name
    f.write_text(body, encoding="utf-8")
    return f


def _run(code: str, folder: Path, timeout: float = 120) -> str:
    env = {**os.environ, "ACCELSPEC_CACHE_DIR": str(folder)}
    env.pop("ACCELSPEC_NO_CACHE", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                          timeout=timeout).stdout.strip()


# --- poisoning ------------------------------------------------------------------------------------
def test_a_planted_pickle_in_the_parse_cache_is_never_loaded(tmp_path, cache):
    """Fails before issue 23: read_yaml pickle.load-ed whatever sat at the predictable entry name."""
    f = _spec(tmp_path)
    marker = tmp_path / "PWNED"
    entry = specfiles._parse_cache_file(f.read_bytes())
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(pickle.dumps((_Evil(marker),)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert specfiles.read_yaml(f) == {"a": 1, "b": ["x", "y"]}
    assert not marker.exists(), "a planted pickle ran"


def test_a_planted_entry_with_a_header_but_no_key_is_never_loaded(tmp_path, cache):
    f = _spec(tmp_path)
    marker = tmp_path / "PWNED"
    specfiles.read_yaml(f)  # a real entry, and the key
    entry = specfiles._parse_cache_file(f.read_bytes())
    assert units.read_entry(entry) is not None
    entry.write_bytes(units._MAGIC + b"0" * 64 + b"\n" + pickle.dumps((_Evil(marker),)))
    with pytest.warns(RuntimeWarning, match="MAC does not match"):
        assert specfiles.read_yaml(f) == {"a": 1, "b": ["x", "y"]}
    assert not marker.exists()
    assert units.read_entry(entry) is not None  # healed: rewritten, authenticated


def test_a_valid_entry_moved_to_another_name_is_refused(tmp_path, cache):
    f1, f2 = _spec(tmp_path, "one.yaml", "x: 1\n"), _spec(tmp_path, "two.yaml", "x: 2\n")
    specfiles.read_yaml(f1)
    e1, e2 = specfiles._parse_cache_file(f1.read_bytes()), specfiles._parse_cache_file(f2.read_bytes())
    e2.write_bytes(e1.read_bytes())  # an authentic entry, under the other file's name
    with pytest.warns(RuntimeWarning):
        assert specfiles.read_yaml(f2) == {"x": 2}


def test_a_planted_catalog_entry_is_never_loaded(tmp_path, cache):
    import accelspec.hardware.catalog as catmod

    files = sorted((catmod.specs_dir() / "chips").glob("*.yaml"))
    entry = catmod._catalog_cache_file(files)
    marker = tmp_path / "PWNED"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(pickle.dumps((_Evil(marker),)))
    with pytest.warns(RuntimeWarning):
        cat = catmod.Catalog.load(env=False)
    assert not marker.exists()
    assert cat.get("h100").memory.capacity.q == a.Q_("80 GB")
    assert units.read_entry(entry) is not None


def _byte_scale(defs: list) -> float:
    (byte,) = [d for d in defs if getattr(d, "name", None) == "byte"]
    return byte.converter.scale


def test_an_edited_unit_definitions_entry_changes_no_answer(cache):
    """The parsed definitions entry with ``byte = 9 * bit`` under its old MAC: discarded, never read."""
    import dataclasses

    code = "import accelspec as a; print(a.Q_('400 Gb/s').to('GB/s'))"
    assert _run(code, cache) == "50.0 GB/s"
    (entry,) = cache.glob("units-*.pickle")
    raw = entry.read_bytes()
    header, payload = raw[:units._HEADER_LEN], raw[units._HEADER_LEN:]
    defs = pickle.loads(payload)  # the test's own entry, just written
    assert _byte_scale(defs) == 8
    edited = [dataclasses.replace(d, converter=type(d.converter)(9)) if getattr(d, "name", None) == "byte" else d
              for d in defs]
    entry.write_bytes(header + pickle.dumps(edited))
    assert _run(code, cache) == "50.0 GB/s"  # the edit is discarded, never read
    assert _byte_scale(pickle.loads(units.read_entry(entry))) == 8  # and the entry is rewritten


def test_a_planted_unit_definitions_pickle_is_never_loaded(tmp_path, cache):
    code = "import accelspec as a; print(a.Q_('400 Gb/s').to('GB/s'))"
    assert _run(code, cache) == "50.0 GB/s"
    marker = tmp_path / "PWNED"
    entries = list(cache.glob("units-*.pickle"))
    assert entries
    for e in entries:
        e.write_bytes(pickle.dumps(_Evil(marker)))
    assert _run(code, cache) == "50.0 GB/s"
    assert not marker.exists()


# --- damage heals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "directory", "symlink"])
def test_a_damaged_entry_is_discarded_and_rewritten(tmp_path, cache, damage):
    f = _spec(tmp_path)
    specfiles.read_yaml(f)
    entry = specfiles._parse_cache_file(f.read_bytes())
    good = entry.read_bytes()
    if damage == "flip":
        raw = bytearray(good)
        raw[-3] ^= 0x01
        entry.write_bytes(bytes(raw))
    elif damage == "truncate":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "directory":
        entry.unlink()
        entry.mkdir()
    else:
        outside = tmp_path / "outside.bin"
        outside.write_bytes(good)
        entry.unlink()
        entry.symlink_to(outside)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert specfiles.read_yaml(f) == {"a": 1, "b": ["x", "y"]}
    assert len(seen) <= 1
    assert entry.is_file() and not entry.is_symlink()
    assert units.read_entry(entry) is not None  # healed


@posix_only
def test_a_fifo_at_an_entry_path_does_not_hang_and_heals(tmp_path, cache):
    f = _spec(tmp_path)
    entry = specfiles._parse_cache_file(f.read_bytes())
    entry.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(entry)
    code = (f"import warnings; warnings.simplefilter('ignore'); from pathlib import Path; "
            f"from accelspec.specfiles import read_yaml; print(read_yaml(Path({str(f)!r})))")
    assert _run(code, cache, timeout=60) == "{'a': 1, 'b': ['x', 'y']}"
    assert stat.S_ISREG(os.lstat(entry).st_mode)
    assert units.read_entry(entry) is not None


def test_one_warning_per_process(tmp_path, cache):
    files = [_spec(tmp_path, f"f{i}.yaml", f"v: {i}\n") for i in range(4)]
    for f in files:
        specfiles.read_yaml(f)
        specfiles._parse_cache_file(f.read_bytes()).write_bytes(b"junk")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert [specfiles.read_yaml(f) for f in files] == [{"v": i} for i in range(4)]
    assert len([w for w in seen if issubclass(w.category, RuntimeWarning)]) == 1


# --- races ----------------------------------------------------------------------------------------
def test_threads_reading_writing_and_corrupting_entries_get_right_answers(tmp_path, cache):
    files = [_spec(tmp_path, f"f{i}.yaml", f"v: {i}\nw: [{i}, {i + 1}]\n") for i in range(6)]
    entries = [specfiles._parse_cache_file(f.read_bytes()) for f in files]
    stop = threading.Event()
    errors: list[BaseException] = []

    def vandal() -> None:
        while not stop.is_set():
            for e in entries:
                try:
                    e.write_bytes(b"\x00garbage")
                except OSError:
                    pass

    def reader() -> None:
        try:
            for _ in range(30):
                for i, f in enumerate(files):
                    assert specfiles.read_yaml(f) == {"v": i, "w": [i, i + 1]}
        except BaseException as exc:
            errors.append(exc)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        threads = [threading.Thread(target=reader) for _ in range(6)]
        bad = threading.Thread(target=vandal)
        bad.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        bad.join()
    assert errors == []


def test_processes_sharing_a_cold_cache_agree(cache):
    code = ("import accelspec as a; c = a.get_chip('h100'); "
            "print(a.Q_('400 Gb/s').to('GB/s'), c.memory.capacity, len(a.chips()))")
    env = {**os.environ, "ACCELSPEC_CACHE_DIR": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(4)]
    outs = {p.communicate(timeout=300)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outs) == 1 and next(iter(outs)).startswith("50.0 GB/s 80 GB")
    assert _run(code, cache) in outs  # and warm


# --- modes, ownership, pruning --------------------------------------------------------------------
@posix_only
def test_modes_are_private(tmp_path, cache):
    specfiles.read_yaml(_spec(tmp_path))
    assert stat.S_IMODE(os.lstat(cache).st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(cache / "parsed").st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(cache / "key").st_mode) == 0o600
    for e in (cache / "parsed").iterdir():
        assert stat.S_IMODE(os.lstat(e).st_mode) == 0o600


@posix_only
def test_a_folder_others_can_write_is_not_used(tmp_path, cache):
    f = _spec(tmp_path)
    specfiles.read_yaml(f)
    entry = specfiles._parse_cache_file(f.read_bytes())
    os.chmod(cache, 0o777)
    try:
        with pytest.warns(RuntimeWarning, match="caching is off"):
            assert units.read_entry(entry) is None
        assert units.write_entry(entry, b"x") is False
        assert specfiles.read_yaml(f) == {"a": 1, "b": ["x", "y"]}  # still right, uncached
    finally:
        os.chmod(cache, 0o700)


@posix_only
def test_a_key_others_can_read_is_replaced(tmp_path, cache):
    f = _spec(tmp_path)
    specfiles.read_yaml(f)
    os.chmod(cache / "key", 0o644)
    units._KEYS.clear()
    with pytest.warns(RuntimeWarning, match="cache key"):
        assert specfiles.read_yaml(f) == {"a": 1, "b": ["x", "y"]}
    assert stat.S_IMODE(os.lstat(cache / "key").st_mode) == 0o600


def test_pruning_deletes_only_recognised_entries_under_a_size_cap(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(units, "MAX_CACHE_BYTES", 64 * 1024)
    folder = cache / "parsed"
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    units.write_entry(folder / f"{'0' * 64}.pickle", b"first")
    foreign = folder / f"{'f' * 64}.pickle"
    foreign.write_bytes(b"x" * 40_000)  # the right name, no header: not ours
    link = folder / f"{'e' * 64}.pickle"
    link.symlink_to(outside)
    for i in range(1, 20):
        assert units.write_entry(folder / f"{i:064x}.pickle", b"y" * 10_000)
    ours = [p for p in folder.iterdir() if p.is_file() and not p.is_symlink()
            and p.read_bytes().startswith(units._MAGIC)]
    assert sum(p.stat().st_size for p in ours) <= 64 * 1024
    assert foreign.exists() and link.is_symlink() and outside.read_text() == "keep me"
    assert units.read_entry(folder / f"{19:064x}.pickle") == b"y" * 10_000  # the newest stays


def test_a_batch_of_writes_prunes_once_at_its_end(tmp_path, cache, monkeypatch):
    """A cold catalog load writes some thirty entries: inside ``batched_prune`` the cache is
    pruned once, at the end of the block, and still ends under its limits."""
    calls = []
    real = units.prune
    monkeypatch.setattr(units, "prune", lambda root=None: calls.append(root) or real(root))
    monkeypatch.setattr(units, "MAX_CACHE_BYTES", 64 * 1024)
    folder = cache / "parsed"
    with units.batched_prune():
        for i in range(20):
            assert units.write_entry(folder / f"{i:064x}.pickle", b"y" * 10_000)
        assert calls == [] and len(list(folder.iterdir())) == 20
    assert calls == [cache]
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 64 * 1024
    assert units.read_entry(folder / f"{19:064x}.pickle") == b"y" * 10_000  # the newest stays
    units.write_entry(folder / f"{20:064x}.pickle", b"z")  # outside a batch: pruned at once
    assert len(calls) == 2
