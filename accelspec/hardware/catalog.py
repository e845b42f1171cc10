"""The chip catalog: shipped spec files, user spec files, lookup by id or alias.

Pattern from scikit-hep/particle: the data ships inside the package, loads lazily on first
access, and users may add their own files (``load_specs(path)`` or the ``ACCELSPEC_PATH``
environment variable, a list of files or directories separated by ``os.pathsep``). A user
record with the id of a shipped chip replaces it, and says so in ``chip.overrides`` and in each
value: its source id ends ``(user file ...)`` (``describe()``, ``compare``, ``show --json`` and
exports all show it), as does every user value that cites a shipped source. A user file may cite
a shipped source by id, never redefine one; an empty path is refused.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import SpecFileError, UnknownChipError
from ..index import IndexedCatalog, NamedIndex, matches, normalize_name, paused_gc
from ..provenance import Source, user_marked
from ..specfiles import (
    cache_read,
    cache_write,
    display_path,
    error_location,
    format_validation_error,
    load_sources,
    parse_sources,
    read_yaml,
    specs_dir,
    swap_sources,
    user_path,
)
from ..units import batched_prune
from .chip import Chip

__all__ = [
    "Catalog",
    "chips",
    "default_catalog",
    "get_chip",
    "load_specs",
    "reload",
]

ENV_VAR = "ACCELSPEC_PATH"


#: Version of the catalog cache's format; bump it when what it stores changes shape.
_CATALOG_CACHE_VERSION = 3
#: Catalog cache entries kept (one per package version and set of spec files in use).
_CATALOG_CACHE_KEEP = 8


def _package_stamp() -> str:
    """Path, size and modification time of every module of the package, one per line, sorted."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # accelspec/
    lines = []
    for root, dirs, names in os.walk(package):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                st = os.stat(path)
                lines.append(f"{path[len(package):]}|{st.st_size}|{st.st_mtime_ns}")
    return "\n".join(sorted(lines))


def _catalog_cache_file(files: list[Path]) -> Path | None:
    """``<cache>/catalog/<key>.pickle`` for the shipped chip catalog, or None when caching is off.

    The key is a sha256 over: the cache format, Python's, pydantic's and pint's versions, the
    ``specs/`` folder, the bytes of ``sources.yaml`` and of every chip file, and the path,
    size and modification time of every module of the package (what Python's own bytecode
    cache checks). An edited spec file, a new or edited module, or a new pydantic or pint
    therefore never reads a stale catalog; the entry holds the validated records, so a warm
    start skips YAML and validation (and pydantic builds the validators only when a user file
    is loaded)."""
    import sys

    import pint
    import pydantic

    from ..units import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    try:
        h = hashlib.sha256(f"{_CATALOG_CACHE_VERSION}|{sys.version}|{pydantic.VERSION}|{pint.__version__}|"
                           f"{specs_dir()}".encode())
        for f in [specs_dir() / "sources.yaml", *files]:
            raw = f.read_bytes()
            h.update(f"|{f.name}|{len(raw)}|".encode())
            h.update(raw)
        h.update(_package_stamp().encode())
    except OSError:  # an unreadable file: load the files, which names it
        return None
    return folder / "catalog" / f"{h.hexdigest()}.pickle"


def _chip_names(chip: Chip) -> list[str]:
    return [chip.id, chip.name, *chip.aliases]


def _uncitable(sources: dict[str, Source]) -> dict[str, str]:
    """Source ids no chip value may cite: the internal fact sheet (REF, seed reference/...) is a
    finding aid, never a value's source."""
    return {k: ("the compiled fact sheet is a finding aid; cite the primary document its Src "
                "column names (title, URL, date)")
            for k, v in sources.items()
            if k == "REF" or (getattr(v, "seed", None) or "").startswith("reference/")}


def _plain_names(rec: Any) -> list[str]:
    """A raw chip record's id, name and aliases (what :func:`_chip_names` gives once it is
    validated) when all are plain strings, else ``[]``."""
    if not isinstance(rec, dict):
        return []
    rid, name, aliases = rec.get("id"), rec.get("name"), rec.get("aliases", ())
    if not (isinstance(rid, str) and isinstance(name, str) and isinstance(aliases, (list, tuple))
            and all(isinstance(x, str) for x in aliases)):
        return []
    return [rid, name, *aliases]


def _validate_shipped(rec: dict[str, Any], context: dict[str, Any], file: str) -> Chip:
    """One shipped chip record, validated (on its first read); an invalid one raises
    :class:`SpecFileError` naming the file, the record and the field."""
    try:
        return Chip.model_validate(rec, context=context)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SpecFileError(file, err["msg"].removeprefix("Value error, "), record=str(rec.get("id")),
                            field=error_location(err["loc"]) or None) from None


#: The default catalog loaded cold: (its cache entry, the chip files, its index, its file names,
#: the parse cache entries of the files it parsed), written when the interpreter exits
#: (:func:`_write_pending`).
_PENDING: tuple[Path, list[Path], NamedIndex[Chip], list[str], list[tuple[Path, Any]]] | None = None
_PENDING_REGISTERED = False
_UNREAD: Any = object()  #: :meth:`Catalog._add_file` reads the file itself


def _defer_cache_write(entry: Path, files: list[Path], index: NamedIndex[Chip], names: list[str],
                       parsed: list[tuple[Path, Any]]) -> None:
    global _PENDING, _PENDING_REGISTERED
    with _LOCK:
        _PENDING = (entry, files, index, names, parsed)
        if not _PENDING_REGISTERED:
            import atexit

            atexit.register(_write_pending)
            _PENDING_REGISTERED = True


def _write_pending() -> None:
    """Validate the rest of a lazily loaded default catalog and write it to the catalog cache
    (at interpreter exit; once per package version and set of spec files). Skipped when the
    files or the cache folder changed since the load; any failure only means no cache."""
    global _PENDING
    if not _LOCK.acquire(timeout=5):  # a thread stuck in a load: leave the cache for another run
        return
    try:
        pending, _PENDING = _PENDING, None
    finally:
        _LOCK.release()
    if pending is None:
        return
    entry, files, index, names, parsed = pending
    try:
        if _catalog_cache_file(files) != entry:
            return
        with batched_prune():
            for file_entry, data in parsed:
                cache_write(file_entry, data)
            with paused_gc():
                frozen = index.freeze()
            cache_write(entry, (frozen, names), keep=_CATALOG_CACHE_KEEP)
    except (Exception, KeyboardInterrupt):  # an invalid record, an interrupted exit: no cache this time
        pass


class Catalog(IndexedCatalog[Chip]):
    """A set of chips with lookup by id or alias. Build with :meth:`load`; immutable once built
    except through :meth:`with_files`, which returns a new catalog (a bad file changes nothing)."""

    def __init__(self) -> None:
        self._index: NamedIndex[Chip] = NamedIndex("chip", UnknownChipError, _chip_names)
        self.files: list[str] = []

    # --- building ------------------------------------------------------------------
    @classmethod
    def load(cls, *paths: str | os.PathLike[str], shipped: bool = True, env: bool = True) -> Catalog:
        """Shipped specs, then ``ACCELSPEC_PATH`` (if ``env``), then ``paths``."""
        with paused_gc():
            return cls._load(*paths, shipped=shipped, env=env)

    @classmethod
    def _load(cls, *paths: str | os.PathLike[str], shipped: bool, env: bool, lazy: bool = False) -> Catalog:
        cat = cls()
        if shipped:
            cat._load_shipped(lazy)
        extra: list[str | os.PathLike[str]] = []
        if env and os.environ.get(ENV_VAR):
            extra += [p for p in os.environ[ENV_VAR].split(os.pathsep) if p]
        extra += list(paths)
        seen: dict[str, str] = {}
        for p in extra:
            for f in _spec_files(p):
                cat._add_file(f, user=True, seen=seen)
        return cat

    def _load_shipped(self, lazy: bool = False) -> None:
        """The shipped chip files, from the catalog cache when it holds this exact set of files
        and this exact package (see :func:`_catalog_cache_file`), validated and cached otherwise.

        ``lazy`` (the default catalog): the files are read and every record's names checked now,
        but each record is validated when first read, and the validated catalog is cached when
        the interpreter exits (:func:`_write_pending`), so that a cold first lookup validates
        one chip, not three hundred."""
        files = sorted((specs_dir() / "chips").glob("*.yaml"))
        entry = _catalog_cache_file(files)
        hit = cache_read(entry)
        if isinstance(hit, tuple) and len(hit) == 1 and isinstance(hit[0], tuple) and len(hit[0]) == 2:
            try:
                self._index, self.files = self._index.thaw(hit[0][0]), list(hit[0][1])
                return
            except Exception:  # a foreign or damaged entry: load the files
                pass
        if lazy:
            parsed: list[tuple[Path, Any]] = []
            for f in files:
                self._add_file_lazily(f, parsed)
            if entry is not None:
                _defer_cache_write(entry, files, self._index, list(self.files), parsed)
            return
        with batched_prune():
            for f in files:
                self._add_file(f, user=False)
        cache_write(entry, (self._index.freeze(), list(self.files)), keep=_CATALOG_CACHE_KEEP)

    def with_files(self, *paths: str | os.PathLike[str]) -> Catalog:
        """A new catalog: this one plus user spec files (records with a known id override)."""
        new = Catalog()
        new._index = self._index  # indexes are never changed in place
        new.files = list(self.files)
        seen: dict[str, str] = {}
        for p in paths:
            for f in _spec_files(p):
                new._add_file(f, user=True, seen=seen)
        return new

    def _add_file(self, path: Path, user: bool, seen: dict[str, str] | None = None,
                  data: Any = _UNREAD) -> list[Chip]:
        """Add one file's chips. ``seen``: chip id -> file for the user files of this one load
        (two of them defining the same id is an error, not "the last wins"); ``data``: the file
        already parsed."""
        file = display_path(path)
        if data is _UNREAD:
            data = read_yaml(path)
        if data is None:
            return []
        if not isinstance(data, dict):
            raise SpecFileError(file, "top level must be a mapping with 'sources' and 'chips'")
        if "overrides" in data and not user:
            raise SpecFileError(file, "'overrides:' is for user spec files; edit the shipped record instead")
        if "chips" not in data and "overrides" not in data:
            return []  # a model or claim file sharing the folder
        shared = load_sources()
        own = parse_sources(data.get("sources"), file)
        if user:
            clash = sorted(set(own) & set(shared))
            if clash:
                raise SpecFileError(file, f"source id {clash[0]!r} is a shipped source (specs/sources.yaml); "
                                    "cite it by id without redefining it, or choose another id",
                                    record=f"source {clash[0]}")
        sources = {**shared, **own}
        # the internal fact sheet (REF, seed reference/...) is a finding aid, never a chip value's source
        uncitable = _uncitable(sources)
        # A user file's values say so wherever they appear (source ids end "(user file ...)"):
        # every value of a record that replaces a shipped one, and every value of a new record
        # that cites a shipped source; a new record citing its file's own sources is plainly the user's.
        context_new = {"sources": user_marked(sources, file, only=shared) if user else sources,
                       "uncitable": uncitable}
        context_replacing = {"sources": user_marked(sources, file), "uncitable": uncitable, "user_file": file}
        vendor = data.get("vendor")
        records = data.get("chips", [])
        if not isinstance(records, list):
            raise SpecFileError(file, "'chips' must be a list of chip records")
        staged: dict[str, Chip] = {}
        problems: list[str] = []
        first: tuple[str, str | None, str] | None = None  # (record, field, message)
        for i, rec in enumerate(records):
            label = rec.get("id", f"#{i}") if isinstance(rec, dict) else f"#{i}"
            if not isinstance(rec, dict):
                problems.append(f"{label!r}: a chip record must be a mapping")
                continue
            if user and ("overrides" in rec or "origin" in rec):
                key = "overrides" if "overrides" in rec else "origin"
                problems.append(f"{label!r}: field {key} is set by the loader, not by a spec file")
                continue
            rec = dict(rec)  # the loader adds top-level keys; nested values are only read
            if vendor and "vendor" not in rec:
                rec["vendor"] = vendor
            rec["origin"] = file
            try:
                replacing = user and self._index.by_id(str(rec.get("id"))) is not None
                chip = Chip.model_validate(rec, context=context_replacing if replacing else context_new)
            except ValidationError as exc:
                if first is None:
                    err = exc.errors()[0]
                    first = (str(label), error_location(err["loc"]) or None, err["msg"].removeprefix("Value error, "))
                problems.append(f"{label!r}: {format_validation_error(exc)}")
                continue
            if chip.id in staged:
                problems.append(f"{chip.id!r}: duplicate id in the same file")
                continue
            if seen is not None and chip.id in seen:
                problems.append(f"{chip.id!r}: also defined in {seen[chip.id]}, loaded together with this file")
                continue
            staged[chip.id] = chip
        if problems:
            if len(problems) == 1 and first is not None:
                raise SpecFileError(file, first[2], record=first[0], field=first[1])
            raise SpecFileError(file, f"{len(problems)} invalid chip records", problems=problems)
        # the index is rebuilt, never changed in place: a clash leaves this catalog as it was
        index = self._index
        if "overrides" in data:  # field overrides of chips already loaded (or defined above in this file)
            known = {**{c.id: c for c in index}, **staged}
            changed = []
            for chip in _apply_overrides(data["overrides"], known, file, sources, uncitable, seen, self):
                if chip.id in staged:
                    staged[chip.id] = chip
                else:
                    changed.append(chip)
            index = index.with_records(changed, file, replace=True)
        adding = []
        for chip in staged.values():
            old = index.by_id(chip.id)
            if old is not None and user:  # a user record replaces the shipped one, and says so
                chip = chip.model_copy(update={"overrides": old.origin})
            adding.append(chip)
        self._index = index.with_records(adding, file, replace=user, origin=lambda c: c.origin)
        self.files.append(file)
        if seen is not None:
            seen.update({cid: file for cid in staged})
        return list(staged.values())

    def _add_file_lazily(self, path: Path, parsed: list[tuple[Path, Any]]) -> None:
        """Add a shipped file's chips, each validated on first read (:meth:`NamedIndex.defer`)
        when its id, name and aliases are plain strings (their clashes are checked now all the
        same); a file parsed afresh goes to ``parsed`` for the parse cache, written later."""
        file = display_path(path)
        data = read_yaml(path, pending=parsed)
        records = data.get("chips") if isinstance(data, dict) else None
        names = [_plain_names(rec) for rec in records] if isinstance(records, list) else []
        ids = [n[0] for n in names if n]
        if not (isinstance(data, dict) and isinstance(records, list) and names
                and len(ids) == len(names) == len(set(ids)) and "overrides" not in data):
            self._add_file(path, user=False, data=data)  # anything unusual: validated now, with the usual errors
            return
        sources = {**load_sources(), **parse_sources(data.get("sources"), file)}
        context = {"sources": sources, "uncitable": _uncitable(sources)}
        vendor = data.get("vendor")
        staged = []
        for rec, rec_names in zip(records, names, strict=True):
            rec = {**rec, "origin": file}  # the loader adds top-level keys; nested values are only read
            if vendor and "vendor" not in rec:
                rec["vendor"] = vendor
            staged.append((rec_names, partial(_validate_shipped, rec, context, file)))
        self._index = self._index.defer(staged, file, origin=lambda c: c.origin)
        self.files.append(file)

    # --- lookup ----------------------------------------------------------------------
    def get(self, name: str | Chip) -> Chip:
        """The chip with this id, name or alias; :class:`UnknownChipError` lists near names."""
        if isinstance(name, Chip):
            return name
        return self._index.get(name)

    def chips(self, vendor: str | None = None, where: Callable[[Chip], bool] | None = None,
              **terms: Any) -> list[Chip]:
        """All chips matching ``vendor`` (case-insensitive), a predicate and ``field=value`` terms.

        A predicate that trips on a missing field (``AttributeError``, ``LookupError``,
        ``TypeError`` on ``None``) skips that chip, as particle's ``findall`` does.
        """
        want = normalize_name(vendor) if vendor is not None else None
        return self._index.find(lambda c: (want is None or normalize_name(c.vendor) == want)
                                and (where is None or matches(where, c)), **terms)

    def vendors(self) -> list[str]:
        return sorted({c.vendor for c in self._index})

    def __repr__(self) -> str:
        return f"<Catalog: {len(self)} chips from {len(self.files)} files>"


def _override_path(path: Any) -> tuple[list[str], str | None]:
    """Check a dotted field path against the chip schema: ``(parts, None)`` or ``([], problem)``
    (the problem names the closest field names)."""
    import difflib
    import typing

    from pydantic import BaseModel

    from ..provenance import Fact, Spec
    from .chip import as_precision

    if not isinstance(path, str) or not path.strip():
        return [], f"field must be a dotted path such as 'power.tdp', got {path!r}"
    parts = path.strip().split(".")
    cls: Any = Chip
    for i, part in enumerate(parts):
        if isinstance(cls, type) and issubclass(cls, (Spec, Fact)):
            return [], f"field {path!r}: {'.'.join(parts[:i])} is already a value"
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            fields = cls.model_fields
            if part not in fields:
                close = difflib.get_close_matches(part, list(fields), n=3)
                hint = f"; did you mean {', '.join('.'.join([*parts[:i], c]) for c in close)}?" if close else ""
                return [], f"unknown field {path!r}: {cls.__name__.lower()} has no {part!r}{hint}"
            ann = fields[part].annotation
        elif cls == "precision-map":
            try:
                as_precision(part)
            except (ValueError, LookupError) as exc:
                return [], f"field {path!r}: {exc}"
            ann = _ComputeSpec
        else:
            return [], f"field {path!r}: {'.'.join(parts[:i])} is not a section"
        args = [a for a in typing.get_args(ann) if a is not type(None)] or [ann]
        if typing.get_origin(ann) is dict:
            cls = "precision-map"
        else:
            cls = args[0] if typing.get_origin(ann) in (typing.Union, getattr(__import__("types"), "UnionType", None)) \
                else ann
    if not (isinstance(cls, type) and issubclass(cls, (Spec, Fact))):
        return [], f"field {path!r} is a section, not a value (give e.g. {path}.{_first_value(cls)})"
    return parts, None


def _first_value(cls: Any) -> str:
    fields = getattr(cls, "model_fields", None)
    return next(iter(fields)) if fields else "..."


def _compute_spec() -> Any:
    from .chip import ComputeSpec

    return ComputeSpec


_ComputeSpec = _compute_spec()
_OVERRIDE_KEYS = {"chip", "field", "value", "source", "status", "range", "note", "quote", "basis", "direction"}


def _apply_overrides(raw: Any, known: dict[str, Chip], file: str, sources: dict[str, Source],
                     uncitable: dict[str, str], seen: dict[str, str] | None, catalog: Catalog) -> list[Chip]:
    """The chips of ``known`` with the fields of a user file's ``overrides:`` replaced.

    Each entry: ``chip`` (id, name or alias), ``field`` (dotted path such as ``power.tdp``),
    ``value``, ``source`` (an id from ``specs/sources.yaml`` or from this file's own
    ``sources:``, whose ids may not reuse a shipped id), ``status`` and optionally ``range``,
    ``note``, ``quote``, ``basis`` (``direction`` for a link bandwidth). The new value's note
    starts ``override from <file>``; the record's ``overrides`` names the fields and the file.
    All or nothing: any bad entry raises :class:`SpecFileError` listing every problem.
    """
    import difflib
    import json

    if not isinstance(raw, list) or not raw:
        raise SpecFileError(file, "'overrides' must be a non-empty list of {chip, field, value, source, status}")
    problems: list[str] = []
    pending: dict[str, list[tuple[list[str], dict[str, Any], str]]] = {}
    done: set[tuple[str, str]] = set()
    for i, entry in enumerate(raw):
        label = f"overrides[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a mapping with chip, field, value, source, status")
            continue
        missing = [k for k in ("chip", "field", "value", "source", "status") if k not in entry]
        extra = sorted(set(entry) - _OVERRIDE_KEYS)
        if missing or extra:
            problems.append(f"{label}: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else [])
                + ([f"unknown key {', '.join(extra)} (keys: {', '.join(sorted(_OVERRIDE_KEYS))})"] if extra else [])))
            continue
        name = str(entry["chip"])
        key = normalize_name(name)
        cid = next((c.id for c in known.values() if key in {normalize_name(n) for n in (c.id, c.name, *c.aliases)}),
                   None)
        if cid is None:
            near = catalog.suggest(name) or difflib.get_close_matches(name, list(known), n=5)
            problems.append(f"{label}: unknown chip {name!r}" + (f"; did you mean {', '.join(near)}?" if near else ""))
            continue
        parts, why = _override_path(entry["field"])
        if why:
            problems.append(f"{label} ({cid}): {why}")
            continue
        path = ".".join(parts)
        if (cid, path) in done:
            problems.append(f"{label}: {cid} {path} is overridden twice in this file")
            continue
        if seen is not None and f"{cid}:{path}" in seen:
            problems.append(f"{label}: {cid} {path} is also overridden in {seen[f'{cid}:{path}']}, loaded together")
            continue
        done.add((cid, path))
        spec = {k: v for k, v in entry.items() if k not in ("chip", "field")}
        sid = spec["source"]
        if isinstance(sid, str) and sid in sources and sid not in uncitable:  # the value says it is an override
            spec["source"] = sources[sid].cited_by(file).model_dump()
        elif isinstance(sid, dict) and "id" in sid:
            spec["source"] = {**sid, "user_file": file,
                              "id": f"{sid.get('id')} (user file {file})"}
        note = f"override from {file}"
        spec["note"] = f"{note}; {spec['note']}" if spec.get("note") else note
        pending.setdefault(cid, []).append((parts, spec, label))
    out: list[Chip] = []
    for cid, items in pending.items():
        old = known[cid]
        rec = json.loads(old.model_dump_json())
        for parts, spec, _ in items:
            node = rec
            for part in parts[:-1]:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
            node[parts[-1]] = spec
        paths = ", ".join(".".join(p) for p, _, _ in items)
        prior = f"{old.overrides}; " if old.overrides else ""
        rec["overrides"] = f"{prior}{paths} overridden from {file}"
        try:
            new = Chip.model_validate(rec, context={"sources": sources, "uncitable": uncitable})
        except ValidationError as exc:
            problems.append(f"{', '.join(lbl for _, _, lbl in items)} ({cid}): {format_validation_error(exc)}")
            continue
        out.append(new)
    if problems:
        if len(problems) == 1:
            raise SpecFileError(file, problems[0], field="overrides")
        raise SpecFileError(file, f"{len(problems)} invalid overrides", field="overrides", problems=problems)
    if seen is not None:
        seen.update({f"{cid}:{'.'.join(p)}": file for cid, items in pending.items() for p, _, _ in items})
    return out


def _spec_files(path: Path | str | os.PathLike[str]) -> Iterable[Path]:
    path = user_path(path)  # "" would be the current directory: refused
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if path.is_file():
        return [path]
    raise SpecFileError(str(path), "no such file or directory")


_DEFAULT: Catalog | None = None
#: Guards the default catalog: the first build, load_specs and reload run one at a time, and a
#: reader sees either the old catalog or the new one, never a half-built one.
_LOCK = threading.RLock()


def default_catalog() -> Catalog:
    """The catalog behind :func:`get_chip` and :func:`chips`, loaded on first use (once, under
    a lock: threads that ask at the same time wait for the one build)."""
    global _DEFAULT
    cat = _DEFAULT
    if cat is None:
        with _LOCK:
            if _DEFAULT is None:
                with paused_gc():
                    _DEFAULT = Catalog._load(shipped=True, env=True, lazy=True)
            cat = _DEFAULT
    return cat


def reload() -> Catalog:
    """Load the catalog again (e.g. after changing ``ACCELSPEC_PATH``).

    Returns
    -------
    Catalog
        The new default catalog.

    Raises
    ------
    SpecFileError
        A bad file on the path; the working catalog stays (all or nothing).
    """
    global _DEFAULT
    with _LOCK:
        old_cat, old_sources = _DEFAULT, swap_sources(None)
        try:
            with paused_gc():
                new = Catalog._load(shipped=True, env=True, lazy=True)
        except BaseException:
            swap_sources(old_sources)
            _DEFAULT = old_cat
            raise
        _DEFAULT = new
        return new


def load_specs(*paths: str | os.PathLike[str]) -> list[Chip]:
    """Add user spec files or folders to the default catalog.

    All or nothing: if any file is invalid the catalog is left unchanged. Safe to call from
    several threads: each call builds on the catalog the previous one left. A user record with
    a shipped id replaces it and every output marks the values as the user file's.

    Parameters
    ----------
    *paths : str or os.PathLike
        YAML spec files, or folders of them (format: ``docs/spec-format.md``); never empty.

    Returns
    -------
    list of Chip
        The records the files added or replaced.

    Raises
    ------
    SpecFileError
        A bad file, record or field (named in the message), an empty path, or a source id that
        redefines a shipped one.
    """
    global _DEFAULT
    with _LOCK:
        before = default_catalog()
        after = before.with_files(*paths)
        _DEFAULT = after
    return [c for c in after if before._index.by_id(c.id) is not c]


def get_chip(name: str | Chip) -> Chip:
    """Look up a chip by id, name or alias (case, width and punctuation ignored).

    Parameters
    ----------
    name : str or Chip
        ``"h100"``, ``"H100 SXM"``, ``"真武810E"``; a :class:`~accelspec.Chip` is returned as is.

    Returns
    -------
    Chip
        The shared, immutable record: every number a :class:`~accelspec.Spec` with unit,
        source and status.

    Raises
    ------
    UnknownChipError
        No chip has that name; the message lists the closest names.

    Examples
    --------
    >>> import accelspec as a
    >>> print(a.get_chip("h100").memory.capacity)
    80 GB
    """
    return default_catalog().get(name)


def chips(vendor: str | None = None, where: Callable[[Chip], bool] | None = None, **terms: Any) -> list[Chip]:
    """Chips of the default catalog, in catalog order, filtered.

    Parameters
    ----------
    vendor : str, optional
        Keep one vendor (``"nvidia"``, ``"Huawei"``; case ignored).
    where : callable, optional
        A predicate on a :class:`~accelspec.Chip`; a chip for which it raises because a field
        is not published is left out.
    **terms
        ``field=value`` equality terms on chip attributes (``form_factor="SXM"``).

    Returns
    -------
    list of Chip
    """
    return default_catalog().chips(vendor=vendor, where=where, **terms)
