"""Exceptions users can catch. User mistakes get one clear sentence, never a traceback dump."""

from __future__ import annotations

__all__ = ["AccelspecError", "FrozenRecordError", "SpecFileError", "UnitError", "UnknownChipError", "UnknownNameError"]


class AccelspecError(Exception):
    """Base class for errors raised by accelspec."""


class UnitError(AccelspecError, ValueError):
    """A value has the wrong dimension, is not a quantity, cannot be parsed, or is out of range
    (not finite, or beyond what the arithmetic can hold)."""


class FrozenRecordError(AccelspecError, TypeError):
    """A catalog record (chip, model, spec) was assigned to. Records are shared by every caller
    and immutable; make a variant with ``record.model_copy(update={...})`` instead."""


class UnknownNameError(AccelspecError, LookupError):
    """A name matched nothing in a catalog; ``suggestions`` holds the closest names."""

    kind = "name"

    def __init__(self, name: str, suggestions: list[str] | None = None, kind: str | None = None):
        self.name = name
        self.suggestions = list(suggestions or [])
        if kind:
            self.kind = kind
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {self.kind} {name!r}{hint}")

    def __str__(self) -> str:  # KeyError-style quoting would hide the message
        return self.args[0]


class UnknownChipError(UnknownNameError):
    """No chip has this id or alias."""

    kind = "chip"


class SpecFileError(AccelspecError, ValueError):
    """A spec file is invalid. The message names the file, the record and the field."""

    def __init__(self, file: str, message: str, record: str | None = None, field: str | None = None,
                 problems: list[str] | None = None):
        self.file = file
        self.record = record
        self.field = field
        self.problems = problems or []
        where = file
        if record:
            where += f": {record!r}"
        if field:
            where += f": field {field}"
        text = f"{where}: {message}"
        if self.problems:
            text += "".join(f"\n  - {p}" for p in self.problems)
        super().__init__(text)
