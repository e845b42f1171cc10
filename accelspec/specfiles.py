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
    here = Path(__file__).resolve().parent
    for candidate in (here / "specs", here.parent / "specs"):
        if (candidate / "sources.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"accelspec: shipped specs/ folder not found next to {here}")


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


def read_yaml(path: Path) -> Any:
    """A YAML file through a safe loader (libyaml's when present); every failure is a :class:`SpecFileError` naming
    the file (unreadable, too large, not UTF-8, not YAML, nested deeper than :data:`MAX_DEPTH`,
    aliases expanding past :data:`MAX_YAML_NODES`).

    A file that passed these checks is cached, parsed, in :func:`accelspec.units.cache_dir`
    under the hash of its bytes (``ACCELSPEC_NO_CACHE=1`` turns this off), so later imports skip
    YAML altogether; a read-only or missing cache folder only costs the parse. The entry is
    authenticated (:func:`accelspec.units.read_entry`): a planted or damaged file is never
    unpickled, only discarded and rewritten."""
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
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # a safe loader
    except UnicodeDecodeError as exc:
        raise SpecFileError(str(path), f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except yaml.YAMLError as exc:
        raise SpecFileError(str(path), f"not valid YAML: {exc}") from None
    except RecursionError:
        raise SpecFileError(str(path), f"nested deeper than {MAX_DEPTH} levels") from None
    if _expanded_size(data) > MAX_YAML_NODES:  # first: the depth walk below expands aliases
        raise SpecFileError(str(path), f"YAML aliases expand to more than {MAX_YAML_NODES:,} values (or refer to "
                            "themselves); refusing the file")
    if _depth(data) > MAX_DEPTH:
        raise SpecFileError(str(path), f"nested deeper than {MAX_DEPTH} levels")
    cache_write(entry, data)
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
