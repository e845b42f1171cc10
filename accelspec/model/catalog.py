"""The model catalog: ``specs/models/models.yaml`` and the config.json files it points at.

Lookup works as for chips (:mod:`accelspec.hardware.catalog`): by id, name, alias or Hugging Face
repository id, case-, width- and punctuation-insensitive; an unknown name raises
:class:`UnknownModelError` listing the closest ids. Loaded lazily on first use and cached.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import SpecFileError, UnknownModelError
from ..index import IndexedCatalog, NamedIndex, matches, normalize_name, paused_gc
from ..provenance import user_marked
from ..specfiles import file_sources, format_validation_error, load_sources, read_yaml, specs_dir, user_path
from .architecture import Model, ModelConfigError

__all__ = ["ModelCatalog", "UnknownModelError", "get_model", "load_models", "models"]

_RECORD_KEYS = {"id", "name", "aliases", "repo", "config", "config_copy", "config_fields", "published", "notes"}
#: The type each key of a model record must have (text keys take str; numbers are refused).
_KEY_TYPES: dict[str, tuple[type, ...]] = {"id": (str,), "name": (str,), "repo": (str,), "config": (str,),
                                           "config_copy": (str,), "config_fields": (str,), "notes": (str, list),
                                           "published": (dict,), "aliases": (list,)}


def _model_names(m: Model) -> list[str]:
    return [m.id, m.name, *m.aliases, *([m.repo] if m.repo else [])]


class ModelCatalog(IndexedCatalog[Model]):
    """Models with lookup by id, name, alias or repository id (a :class:`~accelspec.index.NamedIndex`)."""

    def __init__(self) -> None:
        self._index: NamedIndex[Model] = NamedIndex("model", UnknownModelError, _model_names)
        self.files: list[str] = []

    @classmethod
    def load(cls, *paths: str | os.PathLike[str], shipped: bool = True) -> ModelCatalog:
        """The shipped ``specs/models/models.yaml`` plus any user files (same format)."""
        cat = cls()
        with paused_gc():
            if shipped:
                cat._add_file(specs_dir() / "models" / "models.yaml", user=False)
            for p in paths:
                cat._add_file(user_path(p))
        return cat

    def _add_file(self, path: Path, user: bool = True) -> None:
        file = str(path)
        data = read_yaml(path)
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise SpecFileError(file, "top level must be a mapping with 'sources' and a 'models' list")
        sources = file_sources(data.get("sources"), file)  # never redefines a shipped source id
        if user:  # its values that cite a shipped source say so wherever they appear ("(user file ...)")
            sources = user_marked(sources, file, only=load_sources())
        staged: dict[str, Model] = {}
        for i, rec in enumerate(data["models"]):
            label = str(rec.get("id", f"#{i}")) if isinstance(rec, dict) else f"#{i}"
            staged_model = _build(rec, path.parent, sources, file, label)
            if staged_model.id in staged:
                raise SpecFileError(file, "duplicate model id", record=staged_model.id)
            staged[staged_model.id] = staged_model
        self._index = self._index.with_records(staged.values(), file)  # all or nothing
        self.files.append(file)

    def get(self, name: str | Model) -> Model:
        """The model with this id, name, alias or repository id."""
        if isinstance(name, Model):
            return name
        return self._index.get(name)

    def models(self, family: str | None = None, where: Callable[[Model], bool] | None = None) -> list[Model]:
        """All models, optionally of one ``family`` (``model_type``) or matching a predicate."""
        fam = normalize_name(family) if family is not None else None
        return self._index.find(lambda m: (fam is None or normalize_name(m.family) == fam)
                                and (where is None or matches(where, m)))

    def __repr__(self) -> str:
        return f"<ModelCatalog: {len(self)} models>"


def _build(rec: Any, folder: Path, sources: dict[str, Any], file: str, label: str) -> Model:
    if not isinstance(rec, dict):
        raise SpecFileError(file, "a model record must be a mapping", record=label)
    unknown = sorted(set(rec) - _RECORD_KEYS)
    if unknown:
        raise SpecFileError(file, f"unknown keys {', '.join(unknown)} (known: {', '.join(sorted(_RECORD_KEYS))})",
                            record=label, field=unknown[0])
    for key in ("id", "name", "config"):
        if key not in rec:
            raise SpecFileError(file, "required key is missing", record=label, field=key)
    for key, types in _KEY_TYPES.items():
        if rec.get(key) is not None and not isinstance(rec[key], types):
            names: dict[type, str] = {str: "text", list: "a list", dict: "a mapping"}
            want = " or ".join(names[x] for x in types)
            raise SpecFileError(file, f"must be {want}, got {rec[key]!r}", record=label, field=key)
    aliases = rec.get("aliases")
    if aliases is not None and (not isinstance(aliases, list) or not all(isinstance(x, str) for x in aliases)):
        raise SpecFileError(file, f"must be a list of names, got {aliases!r}", record=label, field="aliases")
    published: dict[str, Any] = {}
    unchecked: list[str] = []
    for which, body in (rec.get("published") or {}).items():
        if not isinstance(body, dict):
            raise SpecFileError(file, "a published count needs value, source and status", record=label,
                                field=f"published.{which}")
        body = dict(body)
        if body.pop("check", True) is False:
            unchecked.append(str(which))
        published[str(which)] = body
    repo = rec.get("repo")
    source = sources.get("HF-CONFIG")
    if source is not None and repo:
        source = source.model_copy(update={"title": f"{repo} config.json",
                                           "url": f"https://huggingface.co/{repo}/blob/main/config.json",
                                           "note": rec.get("config_copy")})
    try:
        return Model.from_hf_config(
            folder / str(rec["config"]), id=str(rec["id"]), name=str(rec["name"]),
            aliases=tuple(str(a) for a in rec.get("aliases") or ()), repo=repo, source=source,
            published=_published(published, sources), published_unchecked=tuple(unchecked),
            config_note=rec.get("config_copy"), origin=file,
        )
    except ModelConfigError as exc:
        raise SpecFileError(file, str(exc), record=label, field=exc.field) from None
    except ValidationError as exc:
        raise SpecFileError(file, format_validation_error(exc), record=label) from None


def _published(raw: dict[str, Any], sources: dict[str, Any]) -> dict[str, Any]:
    from .architecture import ParamSpec

    return {k: ParamSpec.model_validate(v, context={"sources": sources}) for k, v in raw.items()}


_DEFAULT: ModelCatalog | None = None
#: Guards the default model catalog: the first build and :func:`load_models` run one at a time,
#: each building on the catalog the previous one left; readers see the old catalog or the new one.
_LOCK = threading.RLock()


def default_model_catalog() -> ModelCatalog:
    """The catalog behind :func:`get_model` and :func:`models`, loaded on first use (once, under
    a lock: threads that ask at the same time wait for the one build)."""
    global _DEFAULT
    cat = _DEFAULT
    if cat is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = ModelCatalog.load()
            cat = _DEFAULT
    return cat


def get_model(name: str | Model) -> Model:
    """A catalog model by id, name, alias or Hugging Face repository id.

    Lookup ignores case, width and punctuation: ``get_model("Qwen3-235B-A22B")``,
    ``get_model("qwen/qwen3-235b-a22b")``.

    Parameters
    ----------
    name : str or Model
        Id, name, alias or repository id; a :class:`Model` is returned as is.

    Returns
    -------
    Model
        The shared catalog record (immutable; make a variant with ``model.model_copy(update=...)``).

    Raises
    ------
    UnknownModelError
        No model has that name; the message lists the closest ids.
    """
    return default_model_catalog().get(name)


def models(family: str | None = None, where: Callable[[Model], bool] | None = None) -> list[Model]:
    """Catalog models, optionally of one family or matching a predicate.

    Parameters
    ----------
    family : str, optional
        Hugging Face ``model_type`` (``"qwen3_moe"``, ``"deepseek_v3"``); case and punctuation
        are ignored.
    where : callable, optional
        ``where(model) -> bool``; a predicate that trips on a missing field (``AttributeError``,
        ``TypeError`` on ``None``...) skips the model instead of raising.

    Returns
    -------
    list of Model
        The matching models, in catalog order (empty when none matches).
    """
    return default_model_catalog().models(family=family, where=where)


def load_models(*paths: str | os.PathLike[str]) -> list[Model]:
    """Add user model files to the catalog behind :func:`get_model` and :func:`models`.

    The files have the format of ``specs/models/models.yaml`` (each record points at a
    ``config.json``). All or nothing: a file with an error leaves the catalog unchanged. Safe to
    call from several threads: each call builds on the catalog the previous one left (under a
    lock), so no call's models are lost.

    Parameters
    ----------
    *paths : str or os.PathLike
        Model files, read in order.

    Returns
    -------
    list of Model
        The models the files added (ids the catalog did not have before).

    Raises
    ------
    SpecFileError
        A file that cannot be read, a record with a missing or unknown key, a duplicate id, or
        a ``config.json`` the reader refuses, an empty path, or a source id that redefines a
        shipped one; the message names the file, record and field.
    """
    global _DEFAULT
    files = [user_path(p) for p in paths]
    with _LOCK:
        before = default_model_catalog()
        new = ModelCatalog()
        new._index, new.files = before._index, list(before.files)  # indexes are never changed in place
        for f in files:
            new._add_file(f)
        _DEFAULT = new
    known = set(before._index.ids())
    return [m for m in new if m.id not in known]
