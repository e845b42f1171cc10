"""Exceptions users can catch. User mistakes get one clear sentence, never a traceback dump."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccelspecError",
    "ClaimFileError",
    "CommArgumentError",
    "CountTypeError",
    "DeploymentError",
    "EmptyComparisonError",
    "FrozenRecordError",
    "InputError",
    "IntensityError",
    "InvalidArgumentError",
    "InvalidDTypeError",
    "ModelConfigError",
    "NotPublishedError",
    "PeakNotPublishedError",
    "PlanError",
    "SessionError",
    "SpecFileError",
    "UnitError",
    "UnknownChipError",
    "UnknownClaimError",
    "UnknownDTypeError",
    "UnknownFieldError",
    "UnknownHardwareError",
    "UnknownModelError",
    "UnknownNameError",
    "UnknownPrecisionError",
    "UnknownRecipeError",
    "UnknownSystemError",
    "UnsupportedPrecisionError",
]


def _rebuild(cls: type[AccelspecError], args: tuple[Any, ...], state: dict[str, Any]) -> AccelspecError:
    """Unpickle an accelspec error without calling its ``__init__`` (whose signature differs
    from the ``args`` it passes on): the message and every attribute come back as they were."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class AccelspecError(Exception):
    """Base class for errors raised by accelspec.

    Every subclass pickles with its message and attributes (multiprocessing and Dask send
    exceptions back that way), whatever its ``__init__`` takes, as pint's errors do.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


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


class UnknownFieldError(UnknownNameError, KeyError):
    """A field that is neither a short name nor a dotted path of the record (compare, provenance)."""

    kind = "field"


class UnknownClaimError(UnknownNameError, KeyError):
    """No claim in a claims report has this id (``report["m890-vs-810e"]``)."""

    kind = "claim"


class UnknownSystemError(UnknownNameError):
    """No system has this id, name or alias."""

    kind = "system"


class UnknownHardwareError(UnknownChipError, UnknownSystemError):
    """A name that is neither a chip nor a system (:func:`accelspec.resolve_hardware`);
    ``suggestions`` holds the closest of both."""

    kind = "chip or system"


class CommArgumentError(AccelspecError, ValueError):
    """An unknown ``collective`` or ``routing`` value (:mod:`accelspec.perf.comm`)."""


class UnknownModelError(UnknownNameError):
    """No model has this id, name, alias or repository id."""

    kind = "model"


class UnknownDTypeError(UnknownNameError, ValueError):
    """A dtype name matched nothing; ``suggestions`` holds the closest known names."""

    kind = "dtype"


class UnknownPrecisionError(UnknownNameError, ValueError):
    """A precision name (``"bf16"``, ``"fp8"``, ...) that is no :class:`~accelspec.Precision`."""

    kind = "precision"


class InvalidDTypeError(AccelspecError, ValueError):
    """A dtype definition is out of range (bits not finite or not in (0, 64], bad block size)."""


class NotPublishedError(AccelspecError, LookupError):
    """The field exists but no source publishes a value for this chip."""


class UnsupportedPrecisionError(AccelspecError, LookupError):
    """The chip has no hardware support for this precision (``compute.unsupported``).

    A precision nobody published a figure for raises :class:`PeakNotPublishedError`, which
    also derives from this class so ``except UnsupportedPrecisionError`` still catches both;
    test ``isinstance(exc, NotPublishedError)`` to tell them apart."""


class PeakNotPublishedError(NotPublishedError, UnsupportedPrecisionError):
    """No source publishes this chip's peak at this precision (the chip may support it)."""


class ModelConfigError(AccelspecError, ValueError):
    """A ``config.json`` could not be understood; ``field`` names the field at fault."""

    def __init__(self, message: str, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        where = f"{source}: " if source else ""
        what = f"field {field!r}: " if field else ""
        super().__init__(f"{where}{what}{message}")


class ClaimFileError(SpecFileError):
    """A claim file is invalid. The message names the file, the claim id and the field."""


class InputError(AccelspecError, ValueError):
    """A command-line style input (a count such as ``128k``) could not be read or is out of range."""


class InvalidArgumentError(AccelspecError, ValueError):
    """A bad argument (non-positive count, layout that does not divide the heads...).
    ``argument`` names it."""

    def __init__(self, argument: str, message: str):
        self.argument = argument
        super().__init__(f"{argument}: {message}")


class CountTypeError(InvalidArgumentError, TypeError):
    """A count argument (chips, batch, tokens) that is not a whole number: a string, ``None``,
    a bool or a fraction."""


class DeploymentError(AccelspecError, ValueError):
    """A deployment's arguments are invalid (unknown preset, bad chip count, ...)."""


class IntensityError(AccelspecError, ValueError):
    """An arithmetic intensity that is negative, NaN or not a number."""


class EmptyComparisonError(AccelspecError, ValueError):
    """:func:`compare` was given no chips."""


class UnknownRecipeError(AccelspecError, ValueError):
    """A recipe, optimizer, ZeRO stage or recompute mode the library does not know; names it."""

    def __init__(self, argument: str, value: Any, known: list[str]):
        self.argument = argument
        self.value = value
        super().__init__(f"{argument}: unknown {argument} {value!r}; known: {', '.join(known)}")


class PlanError(AccelspecError, ValueError):
    """A planning input that cannot be used (a target that is not a time, a bad length)."""


class SessionError(AccelspecError, ValueError):
    """A session that cannot be bounded as asked (the model does not fit, a bad count)."""
