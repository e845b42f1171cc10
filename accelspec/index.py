"""One named index for every catalog: chips, models, systems, claims and whatever comes next.

A :class:`NamedIndex` keeps records by id and finds them by id, name or alias, ignoring case,
width and punctuation (``"H100-SXM"`` == ``"h100 sxm"``); an unknown name raises the catalog's
own :class:`~accelspec.errors.UnknownNameError` subclass listing the closest ids. Loading is
all or nothing: :meth:`NamedIndex.with_records` returns a *new* index with the records added
(or raises :class:`~accelspec.errors.SpecFileError` naming the file, the record and the clashing
name), and a loader swaps it in only once every file has been read. Queries follow particle's
``findall``: a predicate that trips on a missing field skips that record.
"""

from __future__ import annotations

import gc
import pickle
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from .errors import SpecFileError, UnknownNameError

__all__ = ["Deferred", "IndexedCatalog", "NamedIndex", "matches", "normalize_name", "paused_gc", "suggest_across",
           "suggest_names"]

R = TypeVar("R")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while loading long-lived records.

    Building the unit registry, the record classes and a catalog allocates some hundred
    thousand objects that live as long as the process; the collector, counting allocations,
    would run a full pass over every object of numpy, pint and pydantic in the middle of
    ``import accelspec`` (about 25 ms, a quarter of the import) and find nothing to free, as
    when loading a large pickle or JSON document. Reference counting still frees everything
    else; the collector is switched back on afterwards (only if it was on: a caller's
    ``gc.disable()`` is kept) and runs again when its own counters say so."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def normalize_name(name: str) -> str:
    """Lookup key: case-, width- and punctuation-insensitive (``"H100-SXM"`` == ``"h100 sxm"``)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def suggest_names(name: str, index: dict[str, str], n: int = 5) -> list[str]:
    """Ids whose names are closest to ``name`` (``index``: normalized name -> id)."""
    import difflib

    key = normalize_name(name)
    hits = difflib.get_close_matches(key, list(index), n=n * 3, cutoff=0.5)
    if not hits and key:
        hits = [k for k in index if key in k or k in key]
    out: list[str] = []
    for h in hits:
        if index[h] not in out:
            out.append(index[h])
    return out[:n]


def suggest_across(name: str, *indexes: NamedIndex[Any], n: int = 5) -> list[str]:
    """Closest ids to ``name`` over several indexes at once (chips and systems: "did you mean")."""
    keys: dict[str, str] = {}
    for index in indexes:
        keys.update(index.keys)
    return suggest_names(name, keys, n)


def matches(where: Callable[[R], bool], record: R) -> bool:
    """``where(record)``, where a predicate that trips on a missing field (``AttributeError``,
    ``LookupError``, ``TypeError`` on ``None``, pint's ``ValueError`` comparing a quantity with
    ``None``) means no match, as in particle's ``findall``."""
    try:
        return bool(where(record))
    except (AttributeError, LookupError, TypeError):
        return False
    except ValueError as exc:  # `None > Q_("1 GB")`: pint's "Cannot compare PlainQuantity and <class 'NoneType'>"
        if "NoneType" in str(exc):
            return False
        raise


#: Guards every :class:`Deferred` build (a record builds in well under a millisecond).
_BUILD_LOCK = threading.RLock()


class Deferred(Generic[R]):
    """A record built on first read: ``make()`` runs once (under a lock, so two threads reading it
    at once get the same object), and every index holding this wrapper then holds the record.

    What a catalog holds until a record is asked for: a validated record unpickled from the
    cache, or a shipped spec file's record validated on first read (:meth:`NamedIndex.defer`).
    An error in ``make`` leaves the record unbuilt: the next read raises it again.
    """

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], R]):
        self._make: Callable[[], R] | None = make
        self._value: R | None = None

    @property
    def built(self) -> bool:
        return self._make is None

    def get(self) -> R:
        if self._make is not None:
            with _BUILD_LOCK:
                make = self._make
                if make is not None:
                    self._value = make()
                    self._make = None
        return self._value  # type: ignore[return-value]

    def __reduce__(self) -> tuple[Any, ...]:  # pickles as the record itself
        return (_identity, (self.get(),))


def _identity(value: Any) -> Any:
    return value


def _built(rec: Any) -> Any:
    return rec.get() if type(rec) is Deferred else rec


class NamedIndex(Generic[R]):
    """Records of one kind by id, with lookup by any of their names.

    ``kind`` names the records in messages ("chip", "model"); ``error`` is the
    :class:`~accelspec.errors.UnknownNameError` subclass raised for an unknown name; ``names``
    gives a record's id followed by its other names (name, aliases, repository id...).
    """

    def __init__(self, kind: str, error: type[UnknownNameError], names: Callable[[R], Iterable[str]]):
        self.kind = kind
        self._error = error
        self._names = names
        self._records: dict[str, R | Deferred[R]] = {}  # id -> record, or a record built on first read
        self._keys: dict[str, str] = {}  # normalized name -> id

    # --- a cached index: names kept, records unpickled one by one when first read ---------------
    def freeze(self) -> tuple[dict[str, str], dict[str, bytes]]:
        """``(names, pickled records)`` for a cache: :meth:`thaw` rebuilds this index from it
        (every deferred record is built first)."""
        return dict(self._keys), {rid: pickle.dumps(_built(rec), protocol=pickle.HIGHEST_PROTOCOL)
                                  for rid, rec in self._records.items()}

    def thaw(self, frozen: tuple[dict[str, str], dict[str, bytes]]) -> NamedIndex[R]:
        """A new index (this one's kind, error and names) holding ``frozen``'s records, each
        unpickled on first read: a lookup reads one record, not the whole catalog."""
        keys, records = frozen
        if not (isinstance(keys, dict) and isinstance(records, dict) and set(keys.values()) <= set(records)):
            raise ValueError("not a frozen NamedIndex")
        new = NamedIndex(self.kind, self._error, self._names)
        new._records = {rid: Deferred(partial(pickle.loads, blob)) for rid, blob in records.items()}
        new._keys = dict(keys)
        return new

    def pending(self) -> int:
        """How many records are still deferred (not built yet)."""
        return sum(1 for r in self._records.values() if type(r) is Deferred and not r.built)

    # --- building (all or nothing) -------------------------------------------------------------
    def with_records(self, records: Iterable[R], file: str, *, replace: bool = False,
                     origin: Callable[[R], str | None] | None = None) -> NamedIndex[R]:
        """A new index holding this one's records and ``records``; this index is unchanged.

        A record whose id is already here raises :class:`SpecFileError` unless ``replace``
        (a user file redefining a shipped record; its old names are dropped first). A name
        or alias used by another record raises :class:`SpecFileError` naming both.
        """
        return self._with(((list(self._names(rec)), rec) for rec in records), file, replace, origin)

    def defer(self, records: Iterable[tuple[list[str], Callable[[], R]]], file: str,
              origin: Callable[[R], str | None] | None = None) -> NamedIndex[R]:
        """:meth:`with_records` for records built on first read: each item is the record's names
        (id first, as ``names`` would give them) and a function that builds it. The names are
        checked now, exactly as :meth:`with_records` checks them; a record is built (and may
        raise) only when something reads it."""
        return self._with(((names, Deferred(make)) for names, make in records), file, False, origin)

    def _with(self, items: Iterable[tuple[list[str], R | Deferred[R]]], file: str, replace: bool,
              origin: Callable[[R], str | None] | None) -> NamedIndex[R]:
        new = NamedIndex(self.kind, self._error, self._names)
        new._records, new._keys = dict(self._records), dict(self._keys)
        for names, rec in items:
            rid, *others = names
            if rid in new._records:
                if not replace:
                    where = origin(_built(new._records[rid])) if origin else None
                    raise SpecFileError(file, f"duplicate {self.kind} id" + (f", already defined in {where}"
                                                                             if where else ""), record=rid)
                new._keys = {k: v for k, v in new._keys.items() if v != rid}
            for name in [rid, *others]:
                key = normalize_name(name)
                owner = new._keys.get(key)
                if owner is not None and owner != rid:
                    where = origin(_built(new._records[owner])) if origin and owner in new._records else None
                    raise SpecFileError(file, f"name or alias {name!r} is already used by {self.kind} {owner!r}"
                                        + (f" ({where})" if where else ""), record=rid, field="aliases")
                new._keys[key] = rid
            new._records[rid] = rec
        return new

    # --- lookup --------------------------------------------------------------------------------
    def get(self, name: str) -> R:
        """The record with this id, name or alias; the catalog's ``Unknown...Error`` lists near ids."""
        rid = self._keys.get(normalize_name(name))
        if rid is None:
            raise self._error(name, self.suggest(name))
        return _built(self._records[rid])  # type: ignore[no-any-return]

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Closest ids to a misspelt name."""
        return suggest_names(name, self._keys, n)

    def find(self, where: Callable[[R], bool] | None = None, **terms: Any) -> list[R]:
        """Records whose attributes equal ``terms`` and for which ``where`` holds (a predicate
        that trips on a missing field skips the record)."""
        return [r for r in self
                if all(getattr(r, k, None) == v for k, v in terms.items())
                and (where is None or matches(where, r))]

    def ids(self) -> list[str]:
        return list(self._records)

    def by_id(self, rid: str) -> R | None:
        """The record whose id is exactly ``rid`` (no name or alias matching), or None."""
        rec = self._records.get(rid)
        return None if rec is None else _built(rec)  # type: ignore[no-any-return]

    @property
    def keys(self) -> Mapping[str, str]:
        """Normalized name -> id, read-only: every name this index answers to."""
        return MappingProxyType(self._keys)

    def key_of(self, name: str) -> str | None:
        """The id ``name`` resolves to, or None."""
        return self._keys.get(normalize_name(name))

    def __iter__(self) -> Iterator[R]:
        return (_built(r) for r in list(self._records.values()))

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._keys

    def __repr__(self) -> str:
        return f"<NamedIndex of {len(self)} {self.kind}s>"


class IndexedCatalog(Generic[R]):
    """Base of the catalogs (chips, models): a :class:`NamedIndex` in ``_index`` and the list of
    files it was loaded from, with lookup, suggestions, iteration, ``len`` and ``in``."""

    _index: NamedIndex[R]
    files: list[str]

    @property
    def index(self) -> NamedIndex[R]:
        """The :class:`NamedIndex` of the records (ids, names, aliases), read-only: a catalog
        replaces its index, never changes it in place."""
        return self._index

    def get(self, name: str) -> R:
        """The record with this id, name or alias; the catalog's ``Unknown...Error`` lists near ids."""
        return self._index.get(name)

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Closest ids to a misspelt name."""
        return self._index.suggest(name, n)

    def __iter__(self) -> Iterator[R]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, name: object) -> bool:
        return name in self._index
