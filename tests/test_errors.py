"""One error hierarchy: every exception users can see is defined in accelspec.errors, derives
from AccelspecError and from the builtin a caller would catch; the same mistake raises the same
type from every function."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import accelspec as a
from accelspec import errors

ROOT = Path(a.__file__).parent


def test_every_exception_class_lives_in_errors_module():
    defined_elsewhere = []
    for path in ROOT.rglob("*.py"):
        if path.name == "errors.py" and path.parent == ROOT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error") and node.name != "UsageError":
                defined_elsewhere.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert defined_elsewhere == []


def test_every_error_derives_from_base_and_a_builtin():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, Exception) and c.__module__ == errors.__name__]
    assert len(classes) >= 20
    builtins = (ValueError, LookupError, TypeError, KeyError)
    for c in classes:
        assert issubclass(c, a.AccelspecError), c
        if c is not a.AccelspecError:
            assert issubclass(c, builtins), f"{c.__name__} derives from no builtin a caller would catch"


@pytest.mark.parametrize("call", [
    lambda: a.fits("llama-3.1-8b", "h100", 1024, n_chips=0),
    lambda: a.memory_footprint("llama-3.1-8b", 1024, n_chips=0),
    lambda: a.decode_bound("llama-3.1-8b", "h100", 1024, n_chips=0),
    lambda: a.prefill_bound("llama-3.1-8b", "h100", 1024, n_chips=0),
    lambda: a.sweep("llama-3.1-8b", "h100", 1024, n_chips=0),
])
def test_same_mistake_same_error(call):
    with pytest.raises(errors.InvalidArgumentError, match=r"n_chips: must be a positive whole number, got 0"):
        call()


@pytest.mark.parametrize("bad", ["8", None, True, 2.5])
@pytest.mark.parametrize("fn", [
    lambda v: a.fits("llama-3.1-8b", "h100", 1024, batch=v),
    lambda v: a.decode_bound("llama-3.1-8b", "h100", 1024, batch=v),
    lambda v: a.sweep("llama-3.1-8b", "h100", 1024, batch=v),
])
def test_count_of_wrong_type_is_a_type_error(fn, bad):
    with pytest.raises(errors.CountTypeError, match="batch"):
        fn(bad)


def test_old_import_paths_still_work():
    from accelspec.hardware.chip import NotPublishedError
    from accelspec.model.architecture import ModelConfigError
    from accelspec.perf.memory import InvalidArgumentError

    assert NotPublishedError is errors.NotPublishedError
    assert ModelConfigError is errors.ModelConfigError
    assert InvalidArgumentError is errors.InvalidArgumentError


def _instance(cls):
    """One instance of every error class, with its own attributes set."""
    if issubclass(cls, errors.UnknownNameError):
        return cls("h1000", ["h100", "h200"], kind="widget")
    if issubclass(cls, errors.SpecFileError):
        return cls("mine.yaml", "bad value", record="x1", field="memory.capacity", problems=["one", "two"])
    if issubclass(cls, errors.InvalidArgumentError):
        return cls("n_chips", "must be a positive whole number, got 0")
    if cls is errors.UnknownRecipeError:
        return cls("recipe", "zero9", ["zero1", "zero2"])
    if cls is errors.ModelConfigError:
        return cls("no hidden size", field="hidden_size", source="config.json")
    return cls("something went wrong")


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_pickles_with_its_message_and_attributes(name):
    """multiprocessing and Dask send exceptions back pickled: a custom __init__ must not break that."""
    import pickle

    cls = getattr(errors, name)
    exc = _instance(cls)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is cls and str(back) == str(exc) and back.args == exc.args
    assert back.__dict__ == exc.__dict__
    for attr in ("name", "suggestions", "kind", "file", "record", "field", "problems", "argument", "value", "source"):
        assert getattr(back, attr, None) == getattr(exc, attr, None), attr


def test_bad_input_gets_a_library_error_naming_it():
    """Mistakes that once escaped as KeyError, ValueError, UndefinedUnitError or OverflowError are
    library errors now, still catchable the old way."""
    chip = a.get_chip("h100")
    with pytest.raises(a.UnknownFieldError, match=r"memory\.bandwidth") as exc:
        chip.provenance("memory.bandwith")
    assert isinstance(exc.value, KeyError)
    with pytest.raises(a.UnknownFieldError, match="a section"):
        chip.provenance("memory")
    with pytest.raises(a.UnitError, match="'bogus' is not a unit"):
        a.parse_quantity("5 GB", "bogus")
    with pytest.raises(a.UnknownPrecisionError, match="did you mean 'bf16'") as pexc:
        a.roofline(chip, "bf61")
    assert isinstance(pexc.value, ValueError)
    with pytest.raises(a.InvalidArgumentError, match="context_tokens: must be at most 2\\*\\*53"):
        a.fits("llama-3.1-8b", "h100", 10**400)


def test_more_bad_arguments_name_themselves(tmp_path):
    with pytest.raises(a.InvalidArgumentError, match="chips"):
        a.plan("llama-3.1-8b", 1024, 128, ttft="1 s", tpot="50 ms", chips=3)
    with pytest.raises(a.InvalidArgumentError, match="price"):
        a.cost_bound("llama-3.1-8b", "h100", price=0.5)
    f = tmp_path / "m.yaml"
    f.write_text("schema: 1\nmodels:\n  - {id: x, name: X, config: none.json, aliases: true}\n", encoding="utf-8")
    with pytest.raises(a.SpecFileError, match="aliases"):
        a.load_models(f)


def test_model_record_types_are_checked(tmp_path):
    """Found by the file-kind fuzzer: `published: true` raised AttributeError."""
    f = tmp_path / "m.yaml"
    f.write_text("schema: 1\nmodels:\n  - {id: x, name: X, config: none.json, published: true}\n", encoding="utf-8")
    with pytest.raises(a.SpecFileError, match="published"):
        a.load_models(f)
