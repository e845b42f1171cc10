"""One pint registry for the whole library, and the pydantic field type for quantities.

Units follow the vendors' conventions: ``GB``/``TB`` and ``GB/s``/``TB/s`` are decimal
(10^9, 10^12 bytes), ``GiB``/``TiB`` are binary (2^30, 2^40 bytes). pint has no FLOP, so
``FLOP`` is defined on its own dimension ``[compute]`` and integer operations ``OP`` on
``[operation]``: a TOPS figure is never silently compared with a TFLOPS one. ``token`` and
``image`` are dimensions too, so ``B/token`` and ``image/s`` are checked like any other unit.

Pattern from MetPy: build the registry once, set it as pint's application registry, check
dimensions at the boundary, and run numpy on magnitudes inside.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import stat
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pint
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from .errors import FrozenRecordError, UnitError

__all__ = [
    "MAX_MAGNITUDE",
    "Q_",
    "FrozenQuantity",
    "Quantity",
    "UnitError",
    "cache_dir",
    "check_dimension",
    "frozen_quantity",
    "magnitude",
    "parse_quantity",
    "quantity_type",
    "ureg",
]


def _default_definitions() -> list[str]:
    """pint's default definitions with ``bit`` on a dimension of its own.

    pint 0.24+ defines ``bit = []`` (dimensionless), which would let a capacity in GB pass
    where a ratio is expected. Here information is a real dimension, ``[information]``, and
    ``b`` is the bit (``400 Gb/s`` = 50 GB/s), not the barn or the gilbert.
    """
    folder = Path(pint.__file__).parent
    text = (folder / "default_en.txt").read_text(encoding="utf-8")
    constants = (folder / "constants_en.txt").read_text(encoding="utf-8")
    text = text.replace("@import constants_en.txt", constants)
    text = re.sub(r"^bit = \[\]", "bit = [information] = b", text, flags=re.MULTILINE)
    # Networking writes Gb/s and Tb/s: give the symbol b to the bit, not to the barn (Tb would
    # be a terabarn) or the gilbert (Gb), which no accelerator datasheet means.
    text = re.sub(r"^(barn = [^=]+?) = b\b", r"\1", text, flags=re.MULTILINE)
    text = re.sub(r"^(gilbert = [^=]+?) = Gb\b", r"\1", text, flags=re.MULTILINE)
    return _without_blocks(text.splitlines(), _DROPPED_BLOCKS)


#: Blocks of pint's definitions this registry leaves out: physics contexts (spectroscopy,
#: chemistry, Gaussian and ESU electromagnetism...) and the unit systems other than SI and mks
#: (the default, used by ``to_base_units``). Every unit stays; only ``ureg.context("sp")`` and
#: ``default_system = "imperial"`` go, which no accelerator figure needs, and the registry
#: builds in about two thirds of the time.
_DROPPED_BLOCKS = ("@context", "@system cgs", "@system atomic", "@system Planck", "@system imperial", "@system US")


def _without_blocks(lines: list[str], heads: tuple[str, ...]) -> list[str]:
    """``lines`` less every ``@...`` block (up to its ``@end``) whose header starts with one of ``heads``."""
    out: list[str] = []
    skipping = False
    for line in lines:
        stripped = line.strip()
        if skipping:
            skipping = not stripped.startswith("@end")
        elif stripped.startswith(heads):
            skipping = True
        else:
            out.append(line)
    return out


#: Units pint lacks, each on a dimension of its own so that TOPS never compares with TFLOPS.
_EXTRA_DEFINITIONS = (
    "FLOP = [compute] = _ = flop",
    "FLOPS = FLOP / second = _ = flops",
    "OP = [operation] = _ = op",
    "OPS = OP / second = _ = ops",
    "token = [token] = _ = tokens",
    "image = [image] = _ = images",
)


def cache_dir() -> Path | None:
    """The folder for accelspec's caches, or None when caching is off.

    ``ACCELSPEC_CACHE_DIR`` if set (``ACCELSPEC_NO_CACHE=1`` turns caching off), otherwise the
    platform's user cache folder: ``%LOCALAPPDATA%\\accelspec\\Cache`` on Windows,
    ``~/Library/Caches/accelspec`` on macOS, ``$XDG_CACHE_HOME/accelspec`` (default
    ``~/.cache/accelspec``) elsewhere.
    """
    if os.environ.get("ACCELSPEC_NO_CACHE", "").strip() not in ("", "0"):
        return None
    if os.environ.get("ACCELSPEC_CACHE_DIR"):
        return Path(os.environ["ACCELSPEC_CACHE_DIR"])
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "accelspec" / "Cache" if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "accelspec"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "accelspec"


def _definitions_key() -> str:
    """Key of the parsed definitions' cache entry: a hash of pint's version, the size and
    modification time of pint's two definition files and of this module (which edits and parses
    them), so that a new pint or an edited module starts a new entry, and a warm start never
    reads pint's text."""
    folder = Path(pint.__file__).parent
    parts = [pint.__version__]
    for f in (folder / "default_en.txt", folder / "constants_en.txt", Path(__file__)):
        st = f.stat()
        parts.append(f"{f.name}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


# --- the cache folder: every entry authenticated ------------------------------------------------
# A cache is an optimisation: any doubt means a cold load, never a wrong answer and never code
# run from a file someone else put there. Every entry accelspec writes (parsed YAML, the
# validated chip catalog, the registry's parsed unit definitions) is one header
# line, ``# accelspec-cache 1 <HMAC-SHA256 hex>``, then the payload. The MAC's key is 32 random
# bytes in ``<cache>/key`` (mode 0600, owned by this user, never a link), made on first use; it
# covers the entry's folder and name too, so an entry cannot be moved to another name. The cache
# folder is made with mode 0700 and checked on every use (a real folder, owned by this user,
# writable by no one else); otherwise caching is off. An entry is read without following links
# and without blocking (a FIFO at its path is refused, never waited on); any mismatch or error
# discards it (one warning per process) and the caller loads cold and rewrites it. Writes are
# atomic (a private temporary file, then ``os.replace``); pruning deletes only regular files with
# an entry's name pattern and header, oldest first, to keep each folder's count and the whole
# cache's size under their limits.

#: The header line's start; the MAC (64 hex digits) and a newline follow.
_MAGIC = b"# accelspec-cache 1 "
_HEADER_LEN = len(_MAGIC) + 64 + 1
#: Largest entry read back (anything larger is discarded unread).
MAX_ENTRY_BYTES = 32 * 2**20
#: Most bytes all recognised entries of the cache folder may hold together; oldest go first.
MAX_CACHE_BYTES = 128 * 2**20
#: Entry folders (relative to the cache folder; "" is the folder itself): name pattern, most entries.
_ENTRY_KINDS: dict[str, tuple[re.Pattern[str], int]] = {
    "": (re.compile(r"units-[0-9a-f]{16}\.pickle"), 8),
    "parsed": (re.compile(r"[0-9a-f]{64}\.pickle"), 1024),
    "catalog": (re.compile(r"[0-9a-f]{64}\.pickle"), 8),
}
_TMP_RE = re.compile(r"\..+\.\d+\.\d+\.[0-9a-f]{8}\.tmp")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_KEYS: dict[str, bytes] = {}
_KEY_LOCK = threading.Lock()
_WARNED = False


def _warn_once(message: str) -> None:
    """One :class:`RuntimeWarning` per process for a discarded entry or an unsafe cache folder."""
    global _WARNED
    if not _WARNED:
        _WARNED = True
        warnings.warn(f"accelspec cache: {message}; loading from the source files instead "
                      "(further cache problems in this process are not reported)", RuntimeWarning, stacklevel=3)


def _safe_folder(path: Path) -> bool:
    """Make ``path`` (mode 0700) when missing; True when it is a real folder (not a link) owned
    by this user and writable by no one else, the only kind the cache reads from."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        _warn_once(f"{path} is not a folder of this user that only this user can write; caching is off")
        return False
    return True


def _open_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file (at most ``limit``), opened without following a link and
    without blocking; None when missing. Raises OSError/ValueError for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > limit:
            raise ValueError("too large")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise ValueError("owned by another user")
        return fh.read(limit + 1)


def _cache_root() -> Path | None:
    """The cache folder after its safety check, or None (caching off, or an unsafe folder)."""
    folder = cache_dir()
    if folder is None or not _safe_folder(folder):
        return None
    return folder


def _secret(root: Path) -> bytes | None:
    """The MAC key in ``<root>/key``: 32 random bytes, mode 0600, made on first use."""
    path = root / "key"
    cached = _KEYS.get(str(path))
    if cached is not None:
        return cached
    with _KEY_LOCK:
        for _ in range(2):
            try:
                data = _open_regular(path, 64)
                if data is not None:
                    st = os.lstat(path)
                    if len(data) == 32 and not (hasattr(os, "getuid") and st.st_mode & 0o077):
                        _KEYS[str(path)] = data
                        return data
                    raise ValueError("not a private 32-byte key")
            except (OSError, ValueError) as exc:
                _warn_once(f"discarded the cache key {path} ({exc})")
                _discard(path)
            try:  # a new key: written privately, then linked into place (the first process wins)
                tmp = root / f".key.{os.getpid()}.{threading.get_ident()}.{secrets.token_hex(4)}.tmp"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(secrets.token_bytes(32))
                    try:
                        os.link(tmp, path)
                    except FileExistsError:
                        pass
                    except OSError:  # no hard links here: replace (entries of a lost race just heal)
                        os.replace(tmp, path)
                finally:
                    if os.path.lexists(tmp):
                        os.unlink(tmp)
            except OSError:
                return None
    return None


def _label(path: Path) -> bytes:
    return f"{path.parent.name}/{path.name}".encode()


def _mac(key: bytes, path: Path, payload: bytes) -> bytes:
    return hmac.new(key, _label(path) + b"\0" + payload, hashlib.sha256).hexdigest().encode()


def _discard(path: Path) -> None:
    """Remove what sits at an entry's path (a file, link, FIFO or an empty folder), never following a link."""
    try:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


def read_entry(path: Path) -> bytes | None:
    """The payload of an authenticated cache entry.

    Parameters
    ----------
    path : Path
        The entry, inside :func:`cache_dir` (its folder and name are part of the MAC).

    Returns
    -------
    bytes or None
        The payload when the header's MAC checks out; None when the entry is missing, caching
        is off or the folder is unsafe, or the entry is damaged or foreign (a bad MAC, a short
        or oversized file, a link, a FIFO, a folder, another owner): then it is discarded, with
        one warning per process, and the caller loads cold and rewrites it. Never follows a
        link, never blocks.
    """
    root = _cache_root()
    key = _secret(root) if root is not None else None
    if key is None or (path.parent != root and not _safe_folder(path.parent)):
        return None
    try:
        data = _open_regular(path, MAX_ENTRY_BYTES + _HEADER_LEN)
        if data is None:
            return None
        if not (data.startswith(_MAGIC) and data[_HEADER_LEN - 1:_HEADER_LEN] == b"\n"):
            raise ValueError("no accelspec header")
        payload = data[_HEADER_LEN:]
        if not hmac.compare_digest(data[len(_MAGIC):_HEADER_LEN - 1], _mac(key, path, payload)):
            raise ValueError("its MAC does not match")
        return payload
    except (OSError, ValueError) as exc:
        _warn_once(f"discarded the damaged or foreign entry {path} ({exc})")
        _discard(path)
        return None


def write_entry(path: Path, payload: bytes) -> bool:
    """Write an authenticated cache entry, atomically, then :func:`prune` the cache.

    Parameters
    ----------
    path : Path
        The entry, inside :func:`cache_dir`; its folder is made with mode 0700.
    payload : bytes
        What :func:`read_entry` gives back.

    Returns
    -------
    bool
        True when written (mode 0600, through a private temporary file and ``os.replace``, so
        readers see the old entry or the whole new one); False when caching is off or the
        folder is read-only or unsafe: the caller simply carries on uncached.
    """
    root = _cache_root()
    key = _secret(root) if root is not None else None
    if key is None or root is None or not _safe_folder(path.parent):
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + _mac(key, path, payload) + b"\n")
                fh.write(payload)
            if os.path.isdir(path) and not os.path.islink(path):
                _discard(path)  # a folder planted at the entry's name: heal it if empty
            os.replace(tmp, path)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
    except OSError:
        return False
    with _PRUNE_LOCK:
        held = _PRUNE_HELD > 0
        if held:
            _PRUNE_DUE.add(root)
    if not held:
        prune(root)
    return True


_PRUNE_HELD = 0  #: open :func:`batched_prune` blocks: writes leave the pruning to the block's end
_PRUNE_DUE: set[Path] = set()
_PRUNE_LOCK = threading.Lock()


@contextmanager
def batched_prune() -> Iterator[None]:
    """Writes inside this block prune the cache once, at its end, instead of after each entry
    (a cold catalog load writes some thirty entries)."""
    global _PRUNE_HELD
    with _PRUNE_LOCK:
        _PRUNE_HELD += 1
    try:
        yield
    finally:
        with _PRUNE_LOCK:
            _PRUNE_HELD -= 1
            due = set() if _PRUNE_HELD else set(_PRUNE_DUE)
            if not _PRUNE_HELD:
                _PRUNE_DUE.clear()
        for root in due:
            prune(root)


def prune(root: Path | None = None) -> None:
    """Delete the oldest cache entries beyond each folder's count and :data:`MAX_CACHE_BYTES`.

    Parameters
    ----------
    root : Path, optional
        The cache folder (default: :func:`cache_dir`, after its safety check).

    Notes
    -----
    Only what accelspec wrote and can recognise is deleted: a regular file (never a link) whose
    name has an entry's pattern (:data:`_ENTRY_KINDS`) and whose first bytes are an entry
    header, and temporary files of ours an hour old (left by a process that died mid-write).
    """
    import time

    root = root or _cache_root()
    if root is None:
        return
    found: list[tuple[float, int, Path]] = []
    for sub, (pattern, keep) in _ENTRY_KINDS.items():
        folder = root / sub if sub else root
        mine: list[tuple[float, int, Path]] = []
        try:
            with os.scandir(folder) as it:
                for e in it:
                    if not e.is_file(follow_symlinks=False):
                        continue
                    st = e.stat(follow_symlinks=False)
                    if pattern.fullmatch(e.name):
                        mine.append((st.st_mtime, st.st_size, Path(e.path)))
                    elif _TMP_RE.fullmatch(e.name) and time.time() - st.st_mtime > 3600:
                        _discard(Path(e.path))  # left by a process that died mid-write
        except OSError:
            continue
        mine.sort(reverse=True)
        for entry in mine[keep:]:
            _remove_entry(entry[2])
        found += mine[:keep]
    found.sort(reverse=True)
    total = 0
    for _, size, path in found:
        total += size
        if total > MAX_CACHE_BYTES:
            _remove_entry(path)


def _remove_entry(path: Path) -> None:
    """Delete ``path`` if it is a regular file that starts with an entry header (never a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
        with os.fdopen(fd, "rb") as fh:
            ours = stat.S_ISREG(os.fstat(fh.fileno()).st_mode) and fh.read(len(_MAGIC)) == _MAGIC
        if ours:
            os.unlink(path)
    except OSError:
        pass


def _definitions_text() -> str:
    return "\n".join([*_default_definitions(), *_EXTRA_DEFINITIONS]) + "\n"


def _definitions_entry() -> Path | None:
    """``<cache>/units-<key>.pickle``: the parsed definitions (:func:`_parsed_definitions`), or
    None when caching is off or the cache folder is unsafe."""
    root = _cache_root()
    return None if root is None else root / f"units-{_definitions_key()}.pickle"


def _parsed_definitions(reg: pint.UnitRegistry) -> list[Any]:
    """pint's definition objects for :func:`_definitions_text`, in order: from the cache when an
    authenticated entry holds them (a damaged or planted one is discarded unread, see
    :func:`read_entry`); otherwise from the shipped :data:`DEFINITIONS_TABLE` when it was made
    from this very text, else parsed by :func:`_parse_definitions`; then cached."""
    import pickle

    entry = _definitions_entry()
    payload = read_entry(entry) if entry is not None else None
    if payload is not None:
        try:
            defs = pickle.loads(payload)  # authenticated: written by accelspec with this user's key
            if isinstance(defs, list):
                return defs
        except Exception:  # written by another pint: parse again
            pass
    text = _definitions_text()
    defs = _table_definitions(text)
    if defs is None:
        defs = _parse_definitions(text.splitlines(), reg)
    if entry is not None:
        write_entry(entry, pickle.dumps(defs, protocol=pickle.HIGHEST_PROTOCOL))
    return defs


#: The parsed unit definitions as JSON, shipped with the package so that a first start skips the
#: parse: made for one pint version by :func:`write_definitions_table` (``python -m
#: accelspec.io.docgen``) and used only when its key (the definitions text, the table format and
#: pint's version) matches; otherwise the definitions are parsed as usual.
DEFINITIONS_TABLE = Path(__file__).with_name("unit_definitions.json")
_TABLE_FORMAT = 1


def _table_key(text: str) -> str:
    return hashlib.sha256(f"{_TABLE_FORMAT}|{pint.__version__}|{text}".encode()).hexdigest()


def _table_classes() -> dict[str, type]:
    """The only classes a definitions table may name: pint's definition and converter types."""
    from pint.delegates.txt_defparser import plain, system
    from pint.facets.group.definitions import GroupDefinition
    from pint.facets.nonmultiplicative.definitions import LogarithmicConverter, OffsetConverter
    from pint.facets.plain.definitions import DefaultsDefinition, ScaleConverter
    from pint.facets.system.definitions import SystemDefinition

    classes: list[type] = [plain.AliasDefinition, plain.DerivedDimensionDefinition, plain.DimensionDefinition,
                           plain.PrefixDefinition, plain.UnitDefinition, system.BaseUnitRule, GroupDefinition,
                           SystemDefinition, DefaultsDefinition, ScaleConverter, OffsetConverter,
                           LogarithmicConverter]
    return {f"{c.__module__}.{c.__qualname__}": c for c in classes}


def definitions_table() -> dict[str, Any]:
    """The registry's parsed definitions as JSON-ready data (see :data:`DEFINITIONS_TABLE`).

    Returns
    -------
    dict
        ``format``, ``pint`` (version), ``key`` and ``definitions``: each definition a mapping
        ``{"$": class, "f": [its constructor arguments]}``, a unit container
        ``{"$": "units", "d": {name: exponent}}``, a tuple a list.
    """
    import dataclasses

    classes = {c: k for k, c in _table_classes().items()}

    def encode(obj: Any) -> Any:
        if isinstance(obj, pint.util.UnitsContainer):
            return {"$": "units", "d": dict(obj)}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {"$": classes[type(obj)], "f": [encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                                                   if f.init]}
        if isinstance(obj, tuple):
            return [encode(x) for x in obj]
        if obj is None or isinstance(obj, (str, int, float)):
            return obj
        raise TypeError(f"cannot write {type(obj).__name__} to the definitions table")

    text = _definitions_text()
    defs = _parse_definitions(text.splitlines(), ureg)
    return {"format": _TABLE_FORMAT, "pint": pint.__version__, "key": _table_key(text),
            "definitions": [encode(d) for d in defs]}


def write_definitions_table(path: Path | None = None) -> bool:
    """Write :func:`definitions_table` to a file, one definition a line.

    Parameters
    ----------
    path : Path, optional
        Where (default :data:`DEFINITIONS_TABLE`, the table shipped with the package).

    Returns
    -------
    bool
        True when the file changed.
    """
    import json

    path = path or DEFINITIONS_TABLE
    table = definitions_table()
    defs = table.pop("definitions")
    head = json.dumps(table)[:-1]
    body = ",\n".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in defs)
    text = f'{head}, "definitions": [\n{body}\n]}}\n'
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _table_definitions(text: str) -> list[Any] | None:
    """The shipped table's definitions when it was made from ``text`` by this pint, else None
    (also for a table that names a class outside :func:`_table_classes`, or any other fault)."""
    import json

    try:
        table = json.loads(DEFINITIONS_TABLE.read_text(encoding="utf-8"))
        if not (isinstance(table, dict) and table.get("key") == _table_key(text)):
            return None
        classes = _table_classes()
        units_container = pint.util.UnitsContainer

        def decode(obj: Any) -> Any:
            if isinstance(obj, list):
                return tuple(decode(x) for x in obj)
            if isinstance(obj, dict):
                if obj["$"] == "units":
                    return units_container(obj["d"])
                return classes[obj["$"]](*(decode(x) for x in obj["f"]))  # a KeyError for any other class
            return obj

        return [decode(d) for d in table["definitions"]]
    except Exception:  # missing, unreadable or foreign: parse the text
        return None


def _parse_definitions(lines: list[str], reg: pint.UnitRegistry) -> list[Any]:
    """pint's definition objects for definition-file ``lines``, as pint's own parser gives them.

    Each line goes straight to the pint statement class its form names (``name- = ...`` a
    prefix, ``[dim]`` a dimension, ``@alias``, a unit otherwise; ``@group`` blocks are built
    from their unit lines); the few ``@system`` and ``@defaults`` blocks go through pint's
    parser. pint's generic parser tries every statement class on every line, which made it
    most of a cold start. Raises ValueError on any line these classes refuse (the caller then
    hands the whole text to pint's parser, whose message names the line)."""
    from pint.delegates.base_defparser import ParserConfig
    from pint.delegates.txt_defparser import group, plain
    from pint.facets.group.definitions import GroupDefinition

    config = ParserConfig(reg.non_int_type)

    def statement(s: str) -> Any:
        d: Any
        if s.startswith("@alias "):
            d = plain.AliasDefinition.from_string(s)
        elif s.startswith("["):
            d = (plain.DerivedDimensionDefinition.from_string_and_config(s, config) if "=" in s
                 else plain.DimensionDefinition.from_string(s))
        elif s.split("=", 1)[0].strip().endswith("-"):
            d = plain.PrefixDefinition.from_string_and_config(s, config)
        else:
            d = plain.UnitDefinition.from_string_and_config(s, config)
        if d is None or isinstance(d, Exception):
            raise ValueError(f"cannot parse {s!r}: {d}")
        return d

    out: list[Any] = []
    block: list[str] | None = None  # an open @group/@system/@defaults block: header, then lines
    for raw in lines:
        s = raw.split("#", 1)[0].strip()
        if not s:
            continue
        if block is None:
            if s.startswith("@") and not s.startswith("@alias "):
                block = [s]
            else:
                out.append(statement(s))
        elif s.startswith("@end"):
            head, body = block[0], block[1:]
            if head.startswith("@group"):
                opening = group.BeginGroup.from_string(head)
                if not isinstance(opening, group.BeginGroup):
                    raise ValueError(f"cannot parse {head!r}")
                out.append(GroupDefinition(opening.name, opening.using_group_names,
                                           tuple(statement(b) for b in body)))
            else:
                parser = reg._def_parser
                if parser is None:
                    raise ValueError("the registry has no definitions parser")
                out.extend(parser.iter_parsed_project(parser.parse_string("\n".join([*block, "@end"]))))
            block = None
        else:
            block.append(s)
    if block is not None:
        raise ValueError(f"{block[0]!r} has no @end")
    return out


class _Definitions:
    """Stands for :func:`_definitions_text` in :meth:`_Registry.load_definitions` (read only
    when the parsed definitions are not in the cache)."""


_TABLE_LOCK = threading.Lock()


class _Registry(pint.UnitRegistry):  # type: ignore[misc]
    """pint's registry, built faster, with every answer pint's own.

    * The definitions are parsed line by line by :func:`_parse_definitions` (and cached, see
      :func:`_parsed_definitions`) instead of by pint's generic parser.
    * The conversion cache starts empty: pint computes each unit's root units and
      dimensionality on first use and memoises them, as it does for any compound unit, instead
      of for all ~1000 units at start-up. Only :meth:`get_compatible_units` needs the whole
      table; its first call builds it.
    """

    _complete = False  #: whether the conversion table holds every unit (see _get_compatible_units)

    def load_definitions(self, file: Any, is_resource: bool = False) -> Any:
        if isinstance(file, _Definitions):
            try:
                defs = _parsed_definitions(self)
            except Exception:  # a form this parser does not know (another pint): pint's parser
                return super().load_definitions(_definitions_text().splitlines(), is_resource)
            for definition in defs:
                self._helper_dispatch_adder(definition)
            return None
        return super().load_definitions(file, is_resource)

    def _build_cache(self, loaded_files: Any = None) -> None:
        from pint.facets.plain.registry import RegistryCache

        self._cache = RegistryCache()
        self._caches[()] = self._cache  # what pint's context facet keeps as the base cache
        self._complete = False

    def _get_compatible_units(self, input_units: Any, group_or_system: Any = None) -> Any:
        if not self._complete:
            with _TABLE_LOCK:
                if not self._complete:
                    base, active = self._caches[()], self._cache
                    super()._build_cache()  # pint's full table, into a new cache object
                    full = self._cache
                    for name in ("dimensional_equivalents", "root_units", "dimensionality"):
                        getattr(base, name).update(getattr(full, name))
                    self._cache, self._caches[()] = active, base
                    self._complete = True
        return super()._get_compatible_units(input_units, group_or_system)


def _build_registry() -> pint.UnitRegistry:
    """The registry, built from pint's definitions plus :data:`_EXTRA_DEFINITIONS`.

    pint's own parser and its start-up conversion table cost about 180 ms per import; the
    direct parser and the on-demand table of :class:`_Registry` about 50 ms, and a warm start
    (the parsed definitions read back from :func:`cache_dir`) about 10 ms. A missing or
    read-only cache folder only costs the parse.
    """
    reg = _Registry(_Definitions(), cache_folder=None)
    reg.formatter.default_format = "~P"
    _abbreviate_partial_specs(reg)
    _memoize_unit_parsing(reg)
    return reg


#: Most entries each unit memo keeps (a caller feeding endless distinct strings cannot grow them).
_CACHE_MAX = 4096


def _memoize_unit_parsing(reg: pint.UnitRegistry) -> None:
    """Remember parsed unit expressions (``"GB"``, ``"B/s"``) on this registry.

    pint's own memo is skipped for prefixed units (``"GB"`` is not a defined name), so every
    ``Q_(x, "GB")`` and ``q.m_as("B")`` re-ran its parser (~100 us, most of a memory footprint's
    time). Parsed units are immutable ``UnitsContainer`` values and this registry defines no
    contexts, so the memo cannot go stale; it is bounded like the other unit caches."""
    parse = reg._parse_units_as_container
    memo: dict[tuple[str, bool, bool], Any] = {}

    def parse_memoized(input_string: str, as_delta: bool = True, case_sensitive: bool = True) -> Any:
        key = (input_string, as_delta, case_sensitive)
        hit = memo.get(key)
        if hit is None:
            hit = parse(input_string, as_delta, case_sensitive)
            if len(memo) < _CACHE_MAX:
                memo[key] = hit
        return hit

    reg._parse_units_as_container = parse_memoized  # type: ignore[method-assign]


def _abbreviate_partial_specs(reg: pint.UnitRegistry) -> None:
    """``f"{q:.1f}"`` gives ``134.1 GiB`` like ``str(q)``, not ``134.1 gibibyte``: pint applies
    its default format only to an empty spec, so a numeric-only spec gets ``~P`` appended."""
    formatter = reg.formatter
    original = formatter.format_quantity

    def format_quantity(quantity: Any, spec: str = "", **kw: Any) -> str:
        if spec and not any(ch in spec for ch in "~PCDHL"):
            spec += "~P"
        return original(quantity, spec, **kw)

    setattr(formatter, "format_quantity", format_quantity)  # noqa: B010 - an instance attribute over the method


ureg: pint.UnitRegistry = _build_registry()
pint.set_application_registry(ureg)
Q_ = ureg.Quantity
Quantity = ureg.Quantity


def _read_only(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise FrozenRecordError("this quantity belongs to a shared catalog record and is read-only: "
                            "use .to(unit) for a converted copy (or copy.copy(q) for a mutable one)")


class FrozenQuantity(Quantity):  # type: ignore[misc,valid-type]
    """A read-only Quantity: what every catalog record holds (see :func:`frozen_quantity`).

    Records are shared by every caller, so nothing a caller does to a value may reach the
    record: the in-place conversions (``ito``, ``ito_base_units``, ``ito_reduced_units``...)
    and item writes raise :class:`~accelspec.errors.FrozenRecordError`, in-place operators
    (``q += x``) rebind the name to a new quantity, an array magnitude is a read-only view.
    Everything else is the registry's Quantity: arithmetic, ``to``, ``m_as`` and ``copy``
    give plain (mutable) quantities, since pint builds results with ``self.__class__``.
    """

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # results of arithmetic, to(), copy() are plain quantities
        return Quantity  # type: ignore[no-any-return]

    ito = ito_base_units = ito_reduced_units = ito_root_units = ito_preferred = _read_only
    __setitem__ = put = fill = _NumpyQuantity__ito_if_needed = _read_only

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("_magnitude", "_units", "magnitude", "m", "units", "u"):
            _read_only(self)
        object.__setattr__(self, name, value)  # pint's own memos (dimensionality) stay allowed

    def __iadd__(self, other: Any) -> Any:
        return self + other

    def __isub__(self, other: Any) -> Any:
        return self - other

    def __imul__(self, other: Any) -> Any:
        return self * other

    def __itruediv__(self, other: Any) -> Any:
        return self / other

    def __ifloordiv__(self, other: Any) -> Any:
        return self // other

    def __imod__(self, other: Any) -> Any:
        return self % other

    def __ipow__(self, other: Any) -> Any:
        return self**other

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_frozen, (self._magnitude, self._units))


def _unpickle_frozen(magnitude: Any, units: Any) -> FrozenQuantity:
    for name in units:  # as pint's own unpickling does: registers prefixed names ("terabyte")
        ureg.parse_units(name)
    return frozen_quantity(Q_(magnitude, units))


def frozen_quantity(q: pint.Quantity) -> FrozenQuantity:
    """``q`` as a :class:`FrozenQuantity` (a new object; ``q`` itself is left as it is).

    An array magnitude is copied and made read-only, so ``q.magnitude[0] = x`` cannot reach
    the record either."""
    if type(q) is FrozenQuantity:
        return q
    m = q._magnitude
    if isinstance(m, np.ndarray):
        m = np.array(m, copy=True)
        m.flags.writeable = False
    out = object.__new__(FrozenQuantity)
    object.__setattr__(out, "_magnitude", m)
    object.__setattr__(out, "_units", q._units)
    return out


#: Largest magnitude accepted as written (``1e30 GB`` passes, ``1e31 GB`` is refused): far beyond
#: any hardware figure, far below where float arithmetic (products of two such values) overflows.
MAX_MAGNITUDE = 1e30
#: Longest quantity string accepted; pint's parser is never handed anything longer.
MAX_TEXT = 100

# A quantity string is a plain number and a unit expression, nothing else: no ``**`` between
# numbers (pint would evaluate ``9**9**9``), no constants (``pi``), no bare unit, no trailing
# number. Thousands separators must group by three (``1,000 GB``); ``1,5 GB`` is refused.
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d{1,3})?|[+-]?\.\d+(?:[eE][+-]?\d{1,3})?"
_NAME = r"[A-Za-z_\u00b5\u03bc\u00b0\u2126%][A-Za-z0-9_\u00b5\u03bc]*"
_POWER = r"(?:\s*(?:\*\*|\^)\s*[+-]?[1-9])?"
_UNIT = rf"\(?\s*{_NAME}{_POWER}\s*\)?(?:\s*(?:/|\*|\u00b7|\s)\s*\(?\s*{_NAME}{_POWER}\s*\)?)*"
_QUANTITY_RE = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})?\s*$")
_UNIT_RE = re.compile(rf"^\s*(?:{_UNIT})?\s*$")


#: Parsed units by their text, and dimensions by unit: units are immutable, and pint's own
#: parser costs ~200 us per call, which made the first catalog load spend most of its time here.
#: Bounded, so that a caller feeding endless distinct strings cannot grow them without limit.
_UNIT_CACHE: dict[str, pint.Unit] = {}
_DIM_CACHE: dict[Any, Any] = {}


def _parse_unit(text: str, what: str, original: Any) -> pint.Unit:
    unit = _UNIT_CACHE.get(text)
    if unit is not None:
        return unit
    unit = _parse_unit_uncached(text, what, original)
    if len(_UNIT_CACHE) < _CACHE_MAX:
        _UNIT_CACHE[text] = unit
    return unit


def _dimensionality(units: Any) -> Any:
    """Dimensionality of a unit container (or unit text), memoised."""
    dim = _DIM_CACHE.get(units)
    if dim is None:
        dim = (ureg.Unit(units) if isinstance(units, str) else ureg.Quantity(1, units)).dimensionality
        if len(_DIM_CACHE) < _CACHE_MAX:
            _DIM_CACHE[units] = dim
    return dim


def _parse_unit_uncached(text: str, what: str, original: Any) -> pint.Unit:
    if len(text) > MAX_TEXT or not _UNIT_RE.match(text) or text.count("(") != text.count(")"):
        raise UnitError(f"{what}: cannot parse {original!r}: units must be unit names joined by '/', '*' "
                        "or spaces, with small integer powers (e.g. 'GB/s', 'B/token')")
    if not text.strip():
        return ureg.dimensionless
    try:
        return ureg.Unit(text)
    except Exception as exc:  # undefined unit, tokenizer errors and the like
        raise UnitError(f"{what}: cannot parse {original!r} as a unit ({exc})") from None


def _check_magnitude(m: Any, what: str, original: Any) -> Any:
    """Refuse non-finite and absurdly large magnitudes (scalars and numeric arrays)."""
    if isinstance(m, bool):
        raise UnitError(f"{what}: magnitude must be a number, got {original!r}")
    if isinstance(m, int):
        if abs(m) > MAX_MAGNITUDE:
            raise UnitError(f"{what}: {original!r} is too large (limit {MAX_MAGNITUDE:g})")
        return m
    if isinstance(m, (float, np.floating)):
        if not math.isfinite(m):
            raise UnitError(f"{what}: {original!r} is not a finite number")
        if abs(m) > MAX_MAGNITUDE:
            raise UnitError(f"{what}: {original!r} is too large (limit {MAX_MAGNITUDE:g})")
        return m
    if isinstance(m, np.integer):
        return _check_magnitude(int(m), what, original)
    if isinstance(m, np.ndarray) and m.dtype.kind in "iuf":
        if m.dtype.kind == "f" and not np.all(np.isfinite(m)):
            raise UnitError(f"{what}: {original!r} holds values that are not finite")
        if m.size and float(np.max(np.abs(m))) > MAX_MAGNITUDE:
            raise UnitError(f"{what}: {original!r} holds values that are too large (limit {MAX_MAGNITUDE:g})")
        return m
    return m


def _parse_text(value: str, what: str) -> pint.Quantity:
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise UnitError(f"{what}: quantity text is longer than {MAX_TEXT} characters")
    m = _QUANTITY_RE.match(text)
    if not m:
        raise UnitError(f"{what}: cannot parse {value!r} as a quantity: give a number and a unit, "
                        "e.g. '80 GB' or '3.35 TB/s'")
    num = m.group("num").replace(",", "")
    unit = _parse_unit(m.group("unit") or "", what, value)
    if re.fullmatch(r"[+-]?\d+", num):
        if len(num.lstrip("+-")) > 31:
            raise UnitError(f"{what}: {value!r} is too large (limit {MAX_MAGNITUDE:g})")
        mag: Any = int(num)
    else:
        mag = float(num)
        _check_magnitude(mag, what, value)
        if mag.is_integer() and abs(mag) < 1e15:
            mag = int(mag)  # "1e3 GB" is 1000, "900 GB/s" stays 900, not 900.0
    _check_magnitude(mag, what, value)
    return Q_(mag, unit)


def parse_quantity(value: Any, expected: str | None = None, what: str = "value") -> pint.Quantity:
    """Turn a Quantity, a string like ``"3.35 TB/s"`` or a ``{magnitude, units}`` mapping into
    a Quantity of this registry, checking its dimension against ``expected`` (a unit string).

    Bare numbers are refused: a number without a unit is the bug this library exists to stop.
    Strings must be a plain number and a unit (``"80 GB"``, ``"1,000 GB"``, ``"3.35e3 GB/s"``):
    expressions (``"9**9**9 GB"``), constants (``"pi GB"``), a unit with no number (``"GB"``)
    and stray text (``"5 GB 5"``, ``"1,5 GB"``) are refused, never evaluated. Every magnitude
    must be finite and at most :data:`MAX_MAGNITUDE` in absolute value; anything else raises
    :class:`UnitError` (an :class:`~accelspec.errors.AccelspecError`) naming ``what``.

    Parameters
    ----------
    value : str, Quantity, Spec or mapping
        ``"3.35 TB/s"``, a pint Quantity, a sourced Spec, or ``{"magnitude": 3.35, "units": "TB/s"}``.
    expected : str, optional
        A unit whose dimension the value must have (``"GB/s"``); ``""`` for a count.
    what : str
        The argument's name, for the error message.

    Returns
    -------
    Quantity
        A quantity of accelspec's registry, in the unit as written.

    Raises
    ------
    UnitError
        No unit, a wrong dimension, an expression, a non-finite or huge magnitude, or an
        ``expected`` that is no unit.

    Examples
    --------
    >>> import accelspec as a
    >>> print(a.parse_quantity("400 Gb/s", "GB/s").to("GB/s"))
    50.0 GB/s
    """
    if hasattr(value, "q") and isinstance(value.q, pint.Quantity):
        value = value.q  # a Spec with provenance
    if isinstance(value, pint.Quantity):
        _check_magnitude(value.magnitude, what, value)
        q = value if value._REGISTRY is ureg else Q_(value.magnitude, str(value.units))
    elif isinstance(value, str):
        q = _parse_text(value, what)
    elif isinstance(value, Mapping) and "magnitude" in value and "units" in value:
        mag, units = value["magnitude"], value["units"]
        if isinstance(mag, bool) or not isinstance(mag, (int, float)):
            raise UnitError(f"{what}: magnitude must be a number, got {type(mag).__name__} {mag!r}")
        if not isinstance(units, str):
            raise UnitError(f"{what}: units must be a string such as 'GB', got {type(units).__name__} {units!r}")
        _check_magnitude(mag, what, dict(value))
        q = Q_(mag, _parse_unit(units, what, dict(value)))
    elif expected == "" and isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        q = Q_(_check_magnitude(value, what, value), "")  # a count: a bare number is what it is
    elif isinstance(value, (bool, int, float, np.number, np.ndarray, list, tuple)):
        hint = f", e.g. '{value!s} {expected}'" if expected and np.isscalar(value) else ""
        raise UnitError(f"{what}: got a bare number {value!r}; give it a unit{hint}")
    else:
        raise UnitError(f"{what}: expected a quantity with units, got {type(value).__name__} {value!r}")
    if expected is not None:
        check_dimension(q, expected, what)
    return q


def check_dimension(q: pint.Quantity, expected: str, what: str = "value") -> None:
    """Raise :class:`UnitError` unless ``q`` has the dimension of the unit ``expected`` (also when
    ``expected`` itself is no unit of the registry)."""
    try:
        want = _dimensionality(expected) if expected else ureg.dimensionless.dimensionality
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError,
            ValueError) as exc:
        raise UnitError(f"{what}: expected unit {expected!r} is not a unit ({exc})") from None
    if _dimensionality(q._units) != want:
        raise UnitError(
            f"{what}: expected a quantity like {expected!r} ({_dim_str(want)}), "
            f"got {q:~P} ({_dim_str(q.dimensionality)})"
        )


def _dim_str(dim: Any) -> str:
    text = str(dim)
    return "dimensionless" if text in ("", "dimensionless") else text


def magnitude(value: Any, unit: str, what: str = "value") -> Any:
    """Magnitude of ``value`` in ``unit`` after a dimension check (the boundary of fast code)."""
    q = parse_quantity(value, unit, what)
    return q.m_as(unit)


def quantity_type(unit: str, *, convert: bool = False) -> Any:
    """A pydantic v2 field type for quantities with the dimension of ``unit``.

    Accepts a Quantity, a string such as ``"3.35 TB/s"`` or ``{"magnitude": .., "units": ..}``;
    refuses bare numbers; checks the dimension; keeps the unit as written (the vendor's
    unit is part of the provenance) unless ``convert=True``. JSON dumps to ``"3.35 TB/s"``.

    Parameters
    ----------
    unit : str
        A unit of the wanted dimension (``"GB/s"``, ``"FLOP/s"``).
    convert : bool
        Convert every value to ``unit`` (default: keep the unit as written).

    Returns
    -------
    typing.Annotated
        A type to use in a pydantic model field.
    """

    def validate(value: Any) -> pint.Quantity:
        q = parse_quantity(value, unit, "quantity")
        return frozen_quantity(q.to(unit) if convert else q)  # a record's value: read-only, never the caller's

    def serialize(q: pint.Quantity) -> str:
        return format_quantity(q)

    return Annotated[
        pint.Quantity,
        PlainValidator(validate),
        PlainSerializer(serialize, when_used="json"),
        WithJsonSchema({"type": "string", "description": f"quantity with the dimension of {unit}"}),
    ]


def format_quantity(q: pint.Quantity) -> str:
    """Exact, re-parseable text for a quantity: ``"3.35 TB/s"`` (``repr`` of the float)."""
    m = q.magnitude
    if isinstance(m, float) and m.is_integer() and abs(m) < 1e15:
        text = str(int(m))
    else:
        text = repr(m) if isinstance(m, float) else str(m)
    units = f"{q.units:~C}"
    return f"{text} {units}" if units else text
