"""Spec files: where the shipped ``specs/`` folder is, the one safe YAML reader every file kind
goes through (size, depth and alias limits), the shared sources, and the messages that name a
file and a field.

This is the lowest data layer: :mod:`accelspec.hardware`, :mod:`accelspec.model`, the claims,
measurements and prices loaders all read their files here, with the same limits.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import SpecFileError
from .provenance import Source

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_YAML_NODES",
    "catalog_version",
    "display_path",
    "error_location",
    "file_sources",
    "format_validation_error",
    "load_sources",
    "parse_sources",
    "read_yaml",
    "specs_dir",
    "swap_sources",
    "user_path",
]


def specs_dir() -> Path:
    """The shipped ``specs/`` folder: inside the wheel, or at the top of a source checkout."""
    found = _SPECS_DIR
    if found is None:
        here = Path(__file__).resolve().parent
        for candidate in (here / "specs", here.parent / "specs"):
            if (candidate / "sources.yaml").is_file():
                found = candidate
                break
        else:
            raise FileNotFoundError(f"accelspec: shipped specs/ folder not found next to {here}")
    return found


def _found_specs_dir() -> Path | None:
    try:
        return specs_dir()
    except FileNotFoundError:
        return None


_SPECS_DIR: Path | None = None
_SPECS_DIR = _found_specs_dir()  # looked up once: the package does not move while it runs


def _yaml() -> Any:
    """PyYAML, imported on first use: with the parse cache warm it is never needed."""
    import yaml

    return yaml


#: Version of the parse cache's format; bump it when what :func:`read_yaml` returns changes.
_PARSE_CACHE_VERSION = 2


#: Most values a spec file may expand to once YAML aliases are followed.
MAX_YAML_NODES = 1_000_000


def _expanded_size(data: Any) -> int:
    """Number of values in ``data`` with every YAML alias expanded, counted without expanding.

    Memoized on object identity, so a "billion laughs" document (aliases of aliases, whose
    expansion is exponential) is measured in time linear in the file; a recursive alias
    (a list that contains itself) counts as infinite.
    """
    sizes: dict[int, float] = {}
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        key = id(node)
        if done:
            sizes[key] = 1 + sum(sizes.get(id(c), 1) if isinstance(c, (dict, list)) else 1 for c in children)
            continue
        if key in sizes:
            if sizes[key] < 0:  # still being counted: the node contains itself
                return MAX_YAML_NODES + 1
            continue
        sizes[key] = -1
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)))
    total = sizes.get(id(data), 1)
    return int(min(total, MAX_YAML_NODES + 1))


MAX_FILE_BYTES = 16 * 2**20  #: a spec file larger than this is refused unread
MAX_DEPTH = 32  #: deepest nesting of lists and mappings a spec file may have


def _parse_cache_file(raw: bytes) -> Path | None:
    """``<cache>/parsed/<sha256 of the file's bytes>.pickle``, or None when caching is off.

    Keyed on the bytes themselves, so an edited spec file (or a new package whose files
    differ) never reads a stale entry; the cache format version and PyYAML's version are
    part of the key."""
    from .units import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    h = hashlib.sha256(raw)
    h.update(f"|{_PARSE_CACHE_VERSION}".encode())
    return folder / "parsed" / f"{h.hexdigest()}.pickle"


def cache_read(entry: Path | None) -> Any:
    """The object cached at ``entry``, or None: only an entry whose MAC checks out is unpickled
    (:func:`accelspec.units.read_entry`); a damaged, foreign or planted file is discarded."""
    if entry is None:
        return None
    from .units import read_entry

    payload = read_entry(entry)
    if payload is None:
        return None
    try:
        return pickle.loads(payload)  # authenticated: written by accelspec with this user's key
    except Exception:  # written by another version of a class: a cold load rewrites it
        entry.unlink(missing_ok=True)
        return None


def cache_write(entry: Path | None, data: Any, keep: int | None = None) -> None:
    """Pickle ``(data,)`` to ``entry`` as an authenticated entry, atomically; the cache then
    prunes its oldest entries (``keep`` is the folder's count in
    :data:`accelspec.units._ENTRY_KINDS`, kept for callers). A read-only, full or unsafe cache
    folder only means no cache."""
    if entry is None:
        return
    from .units import write_entry

    try:
        write_entry(entry, pickle.dumps((data,), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # an object that will not pickle: carry on uncached
        pass


class _NotPlain(Exception):
    """A YAML document :func:`_plain_data` leaves to PyYAML's own constructor."""


#: PyYAML's safe constructors of the scalar tags :func:`_plain_data` builds itself.
_SCALAR_TAGS = tuple(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp"))


def _load_yaml(yaml: Any, text: str, file: str) -> Any:
    """One YAML document through PyYAML's safe loader (libyaml's parser when present), checked
    against :data:`MAX_DEPTH` and :data:`MAX_YAML_NODES`.

    A document of mappings, sequences and plain scalars with no alias (every spec file) is built
    from the parsed node tree by :func:`_plain_data`, which counts and measures it in the same
    pass and gives exactly what the safe constructor gives, in about half its time; any other
    document (aliases, merge keys, explicit tags such as ``!!binary`` or ``!!set``) goes through
    the safe constructor, then the separate alias-aware checks."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # a safe loader: no Python tags
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _plain_data(node, loader, file)
        except _NotPlain:
            data = loader.construct_document(node)
    finally:
        loader.dispose()
    if _expanded_size(data) > MAX_YAML_NODES:  # first: the depth walk below expands aliases
        raise SpecFileError(file, f"YAML aliases expand to more than {MAX_YAML_NODES:,} values (or refer to "
                            "themselves); refusing the file")
    if _depth(data) > MAX_DEPTH:
        raise SpecFileError(file, f"nested deeper than {MAX_DEPTH} levels")
    return data


def _plain_data(root: Any, loader: Any, file: str) -> Any:
    """The Python value of a composed YAML node tree, as PyYAML's safe constructor builds it, for
    trees of untagged mappings and sequences with string, number, boolean, null and date scalars;
    raises :class:`_NotPlain` for anything else (a node reached twice, i.e. an alias, a merge
    key, another tag, a collection as a key) and :class:`SpecFileError` past :data:`MAX_DEPTH`
    levels or :data:`MAX_YAML_NODES` values."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    str_tag, map_tag, seq_tag = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
    constructors = loader.yaml_constructors
    seen: set[int] = set()
    count = 0

    def scalar(node: Any) -> Any:
        tag = node.tag
        if tag == str_tag:
            return node.value
        if tag in _SCALAR_TAGS:
            return constructors[tag](loader, node)
        raise _NotPlain

    def build(node: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_YAML_NODES:
            raise SpecFileError(file, f"YAML aliases expand to more than {MAX_YAML_NODES:,} values (or refer to "
                                "themselves); refusing the file")
        if isinstance(node, ScalarNode):
            return scalar(node)
        if id(node) in seen:
            raise _NotPlain  # an alias: measured by the alias-aware walk
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise SpecFileError(file, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, MappingNode) and node.tag == map_tag:
            out: dict[Any, Any] = {}
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    raise _NotPlain
                k = key.value if key.tag == str_tag else scalar(key)  # a merge key "<<" is no scalar tag
                out[k] = build(value, depth + 1)
            return out
        if isinstance(node, SequenceNode) and node.tag == seq_tag:
            return [build(item, depth + 1) for item in node.value]
        raise _NotPlain

    return build(root, 1)


def read_yaml(path: Path, *, pending: list[tuple[Path, Any]] | None = None) -> Any:
    """A YAML file through a safe loader (libyaml's when present); every failure is a :class:`SpecFileError` naming
    the file (unreadable, too large, not UTF-8, not YAML, nested deeper than :data:`MAX_DEPTH`,
    aliases expanding past :data:`MAX_YAML_NODES`).

    A file that passed these checks is cached, parsed, in :func:`accelspec.units.cache_dir`
    under the hash of its bytes (``ACCELSPEC_NO_CACHE=1`` turns this off), so later imports skip
    YAML altogether; a read-only or missing cache folder only costs the parse. The entry is
    authenticated (:func:`accelspec.units.read_entry`): a planted or damaged file is never
    unpickled, only discarded and rewritten. With ``pending`` (a list), a file parsed afresh
    adds ``(entry, data)`` there for the caller to :func:`cache_write` later (the default
    catalog does so at exit) instead of writing it now."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SpecFileError(str(path), f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecFileError(str(path), f"cannot read ({exc.strerror})") from None
    entry = _parse_cache_file(raw)
    hit = cache_read(entry)
    if isinstance(hit, tuple) and len(hit) == 1:
        return hit[0]
    yaml = _yaml()
    try:
        text = raw.decode("utf-8")
        data = _load_yaml(yaml, text, str(path))
    except UnicodeDecodeError as exc:
        raise SpecFileError(str(path), f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except yaml.YAMLError as exc:
        raise SpecFileError(str(path), f"not valid YAML: {exc}") from None
    except RecursionError:
        raise SpecFileError(str(path), f"nested deeper than {MAX_DEPTH} levels") from None
    if pending is None:
        cache_write(entry, data)
    elif entry is not None:
        pending.append((entry, data))
    return data


def _depth(data: Any, limit: int = MAX_DEPTH + 1) -> int:
    """Nesting depth of lists and mappings, counted up to ``limit`` (iterative: no recursion)."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        obj, d = stack.pop()
        if isinstance(obj, (dict, list)):
            d += 1
            deepest = max(deepest, d)
            if d >= limit:
                return d
            stack.extend((v, d) for v in (obj.values() if isinstance(obj, dict) else obj))
    return deepest


def user_path(path: str | os.PathLike[str]) -> Path:
    """A path a caller gave a loader, as a :class:`~pathlib.Path`; an empty one is refused.

    ``Path("")`` is the current directory, so ``load_specs("")`` would quietly read every YAML
    file below wherever the program happens to run: a :class:`SpecFileError` instead.
    """
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise SpecFileError(repr(text), "empty path; give a spec file or a folder of them")
    return Path(text)


def file_sources(raw: Any, file: str, error: type[SpecFileError] = SpecFileError) -> dict[str, Source]:
    """The shipped sources (:func:`load_sources`) plus a file's own ``sources:``.

    A file may cite a shipped source by id but never redefine one: an own id that is also in
    ``specs/sources.yaml`` (``S001``, ``N3``) raises ``error`` (a :class:`SpecFileError`)
    naming the file and the source id, so no file can pass its own document off under the id
    of a vendor's official one.
    """
    shared = load_sources()
    own = parse_sources(raw, file, error)
    clash = sorted(set(own) & set(shared))
    if clash:
        raise error(file, f"source id {clash[0]!r} is a shipped source (specs/sources.yaml); cite it by id "
                    "without redefining it, or choose another id", record=f"source {clash[0]}")
    return {**shared, **own}


def parse_sources(raw: Any, file: str, error: type[SpecFileError] = SpecFileError) -> dict[str, Source]:
    """A file's own ``sources:`` mapping (id -> title, url, date, ...) as :class:`Source` records;
    a malformed one raises ``error`` naming the file and the source id."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise error(file, "'sources' must be a mapping of id -> {title, url, date, ...}")
    out: dict[str, Source] = {}
    for sid, body in raw.items():
        if not isinstance(body, dict):
            raise error(file, "source must be a mapping with at least a title", record=f"source {sid}")
        try:
            out[str(sid)] = Source.model_validate({**body, "id": str(sid)})
        except ValidationError as exc:
            raise error(file, format_validation_error(exc), record=f"source {sid}") from None
    return out


_SHARED_SOURCES: dict[str, Source] | None = None
#: Guards the shared sources' first load (and :func:`swap_sources`).
_LOCK = threading.RLock()


def load_sources() -> dict[str, Source]:
    """Sources every spec file may cite by id (seed articles, the reference sheet): ``specs/sources.yaml``."""
    global _SHARED_SOURCES
    shared = _SHARED_SOURCES
    if shared is None:
        with _LOCK:
            if _SHARED_SOURCES is None:
                path = specs_dir() / "sources.yaml"
                _SHARED_SOURCES = parse_sources((read_yaml(path) or {}).get("sources"), display_path(path))
            shared = _SHARED_SOURCES
    return shared


def display_path(path: Path) -> str:
    """A spec file's path relative to the checkout (``specs/chips/nvidia.yaml``) when it is
    shipped, the path as given otherwise: what error messages and provenance show."""
    try:
        return str(path.resolve().relative_to(specs_dir().parent))
    except ValueError:
        return str(path)


def format_validation_error(exc: ValidationError) -> str:
    """pydantic's error list as one line per problem, ``field.path: message``."""
    parts = []
    for err in exc.errors():
        loc = error_location(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def error_location(loc: tuple[Any, ...]) -> str:
    # drop pydantic's union-branch names ("CapacitySpec", "function-plain[...]")
    keep = [str(p) for p in loc if not (isinstance(p, str) and (p[:1].isupper() or "[" in p))]
    return ".".join(keep)


def swap_sources(sources: dict[str, Source] | None) -> dict[str, Source] | None:
    """Replace the shared sources (``None``: load them again on next use); returns the old ones,
    so that a failed catalog reload can put them back."""
    global _SHARED_SOURCES
    with _LOCK:
        old, _SHARED_SOURCES = _SHARED_SOURCES, sources
    return old


_CATALOG_VERSION: str | None = None


def catalog_version() -> str:
    """The shipped catalog's data version, from ``specs/sources.yaml`` (``catalog_version:``).

    Returns
    -------
    str
        A date, ``YYYY.MM.DD``, bumped whenever a figure in ``specs/`` changes; printed by
        ``accelspec list``, the claims report and every export.
    """
    global _CATALOG_VERSION
    if _CATALOG_VERSION is None:
        data = read_yaml(specs_dir() / "sources.yaml") or {}
        _CATALOG_VERSION = str(data.get("catalog_version") or "unversioned")
    return _CATALOG_VERSION
