"""A deployment: which chip, how many, in which parallel layout, with which data types.

One object answers "does it fit, and how fast can it go?" about one deployment, so the memory
fit and the bounds never pick different layouts or dtypes for the same question::

    >>> import accelspec as a
    >>> d = a.Deployment("h200", n_chips=6, dtypes="native")
    >>> fit = d.fits("deepseek-v3", 1_000_000)           # searches the layout once
    >>> bound = d.decode_bound("deepseek-v3", 1_000_000)  # the same layout and dtypes

Names are resolved once, here, at the boundary: ``chip`` and ``model`` may be names or
records; calculators below take records. The dtype bundle has named presets in the spirit of
llm-analysis's ``w4a16e16`` (weights / activations / KV cache):

========== ================================ ======== =========== ========
preset     weights                          KV cache activations  compute
========== ================================ ======== =========== ========
default    the calculators' default         bf16     bf16        weights
native     the checkpoint's own formats     bf16     bf16        weights
bf16       bf16                             bf16     bf16        bf16
w8a16      int8 (weight-only)               bf16     bf16        bf16
w8a8       fp8                              bf16     fp8         fp8
w8a8-kv8   fp8                              fp8      fp8         fp8
w4a16      int4, fp16 scale per 128 (4.125) bf16     bf16        bf16
w4a16-kv8  int4, fp16 scale per 128         fp8      bf16        bf16
mxfp4      MXFP4 (4.25 bits)                fp8      fp8         fp8
========== ================================ ======== =========== ========
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from ..errors import DeploymentError

if TYPE_CHECKING:
    from ..model.architecture import Model
    from .bounds import Bound
    from .memory import FitResult, Footprint, Parallelism

__all__ = ["DTYPE_PRESETS", "DTypes", "Deployment", "DeploymentError"]


@dataclass(frozen=True)
class DTypes:
    """Data types of one deployment. ``None`` leaves a field at the calculators' default.

    ``weights`` may be ``"native"`` (the checkpoint's own formats); ``precision`` is the
    compute format of the GEMMs (default: the weight format, bf16 below 8 bits).
    """

    weights: Any = None
    kv_cache: Any = None
    activations: Any = None
    experts: Any = None
    embeddings: Any = None
    state: Any = None
    precision: Any = None
    name: str = field(default="custom", compare=False)

    @classmethod
    def resolve(cls, value: Any) -> DTypes:
        """A :class:`DTypes` from a preset name, a mapping of fields, or a :class:`DTypes`."""
        if value is None:
            return DTYPE_PRESETS["default"]
        if isinstance(value, DTypes):
            return value
        if isinstance(value, str):
            key = value.strip().lower()
            if key not in DTYPE_PRESETS:
                import difflib

                close = difflib.get_close_matches(key, list(DTYPE_PRESETS), n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                raise DeploymentError(f"dtypes: unknown preset {value!r}{hint} (presets: {', '.join(DTYPE_PRESETS)})")
            return DTYPE_PRESETS[key]
        if isinstance(value, Mapping):
            allowed = {f.name for f in fields(cls)} - {"name"}
            extra = set(value) - allowed
            if extra:
                raise DeploymentError(f"dtypes: unknown field {sorted(extra)[0]!r} "
                                      f"(fields: {', '.join(sorted(allowed))})")
            return cls(**value)
        raise DeploymentError(f"dtypes: expected a preset name, a mapping or DTypes, got {type(value).__name__}")

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`~accelspec.fits`, :func:`~accelspec.decode_bound` and the rest."""
        names = {"weights": "weight_dtype", "kv_cache": "kv_dtype", "activations": "activation_dtype",
                 "experts": "expert_dtype", "embeddings": "embedding_dtype", "state": "state_dtype"}
        return {arg: getattr(self, f) for f, arg in names.items() if getattr(self, f) is not None}

    def __str__(self) -> str:
        parts = [f"{k}={getattr(self, k)}" for k in ("weights", "kv_cache", "activations", "experts", "embeddings",
                                                      "precision") if getattr(self, k) is not None]
        return f"{self.name} ({', '.join(parts) or 'calculator defaults'})"


def _int4_g128() -> Any:
    from ..model.datatypes import block_dtype

    return block_dtype("int4-g128", 4, 128, 16)


def _presets() -> dict[str, DTypes]:
    p = {
        "default": DTypes(name="default"),
        "native": DTypes(weights="native", name="native"),
        "bf16": DTypes(weights="bf16", kv_cache="bf16", activations="bf16", name="bf16"),
        "w8a16": DTypes(weights="int8", kv_cache="bf16", activations="bf16", precision="bf16", name="w8a16"),
        "w8a8": DTypes(weights="fp8", kv_cache="bf16", activations="fp8", name="w8a8"),
        "w8a8-kv8": DTypes(weights="fp8", kv_cache="fp8", activations="fp8", name="w8a8-kv8"),
        "w4a16": DTypes(weights=_int4_g128(), kv_cache="bf16", activations="bf16", precision="bf16", name="w4a16"),
        "w4a16-kv8": DTypes(weights=_int4_g128(), kv_cache="fp8", activations="bf16", precision="bf16",
                            name="w4a16-kv8"),
        "mxfp4": DTypes(weights="mxfp4", kv_cache="fp8", activations="fp8", precision="fp8", name="mxfp4"),
    }
    return p


#: Named dtype bundles (see the module docstring).
DTYPE_PRESETS: dict[str, DTypes] = _presets()


@dataclass(frozen=True)
class Deployment:
    """``n_chips`` of ``chip`` in a ``parallelism`` layout with ``dtypes``.

    ``chip``: a chip or a system, as a name or a record (resolved once: a system sets ``chip``
    to its chip, ``system`` to itself, and ``n_chips`` defaults to its chip count, else 1;
    bounds then use its two-tier fabric, :mod:`accelspec.perf.comm`). ``parallelism``: a
    :class:`~accelspec.Parallelism`, a string such as ``"tp=4,pp=2"``, or ``None``: then
    :meth:`layout` and the memory calculators pick the layout that :func:`~accelspec.fits`
    would choose for a workload, and the bounds take the fastest layout that fits (their
    ``memory_layout`` states the former). ``dtypes``: a preset name
    (:data:`DTYPE_PRESETS`), a mapping or :class:`DTypes`.
    """

    chip: Any
    n_chips: int = None  # type: ignore[assignment]  # None: the system's chip count, else 1
    parallelism: Any = None
    dtypes: Any = None
    reserve: Any = None
    capacity: Any = None
    system: Any = None  #: the :class:`~accelspec.System` when ``chip`` named one (set on init)

    #: marks a deployment for the calculators (``fits(model, deployment, ...)``) without their
    #: importing this module, which imports them
    __accelspec_deployment__ = True

    def __post_init__(self) -> None:
        from ..hardware.system import get_system, resolve_hardware

        chip, system = resolve_hardware(self.chip)
        if self.system is not None:
            system = get_system(self.system)
            if system.chip != chip.id:
                raise DeploymentError(f"system: {system.id!r} is built of {system.chip!r}, not {chip.id!r}")
        object.__setattr__(self, "chip", chip)
        object.__setattr__(self, "system", system)
        if self.n_chips is None:
            object.__setattr__(self, "n_chips", system.n_chips if system is not None else 1)
        n = self.n_chips
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DeploymentError(f"n_chips: must be a positive whole number, got {n!r}")
        if system is not None and n > system.n_chips:
            raise DeploymentError(f"n_chips: must be a whole number from 1 to {system.n_chips} "
                                  f"(the size of system {system.id!r}), got {n!r}")
        if self.parallelism is not None:
            from .memory import Parallelism

            object.__setattr__(self, "parallelism", Parallelism.parse(self.parallelism, n))  # None for "auto"
        object.__setattr__(self, "dtypes", DTypes.resolve(self.dtypes))

    # ---------------------------------------------------------------------------------------
    def _model(self, model: str | Model) -> Model:
        from ..model.architecture import Model
        from ..model.catalog import get_model

        return model if isinstance(model, Model) else get_model(model)

    def memory_kwargs(self) -> dict[str, Any]:
        """The dtypes (those the deployment sets) and the reserve (when set) as keyword
        arguments of the memory calculators (:func:`~accelspec.fits`, :func:`~accelspec.max_batch`, ...)."""
        kw = self.dtypes.kwargs()
        if self.reserve is not None:
            kw["reserve"] = self.reserve
        return kw

    def layout(self, model: str | Model, context_tokens: int, batch: int = 1) -> Parallelism:
        """The parallel layout used for ``model`` at this workload: the one given, or the one
        :func:`~accelspec.fits` picks (the layout with the least memory per chip)."""
        if self.parallelism is not None:
            return self.parallelism
        from .memory import Parallelism, fits

        if self.n_chips == 1:
            return Parallelism()
        res = fits(self._model(model), self.chip, context_tokens, batch, n_chips=self.n_chips,
                   capacity=self.capacity, **self.memory_kwargs())
        return res.parallelism

    def with_layout(self, model: str | Model, context_tokens: int, batch: int = 1) -> Deployment:
        """This deployment with its layout fixed for the workload (see :meth:`layout`)."""
        return replace(self, parallelism=self.layout(model, context_tokens, batch))

    def fits(self, model: str | Model, context_tokens: int, batch: int = 1) -> FitResult:
        """:func:`~accelspec.fits` for this deployment."""
        from .memory import fits

        par = self.layout(model, context_tokens, batch)
        return fits(self._model(model), self.system or self.chip, context_tokens, batch, n_chips=self.n_chips,
                    parallelism=par, capacity=self.capacity, **self.memory_kwargs())

    def footprint(self, model: str | Model, context_tokens: int, batch: int = 1) -> Footprint:
        """:func:`~accelspec.memory_footprint` per chip for this deployment."""
        from .memory import memory_footprint

        par = self.layout(model, context_tokens, batch)
        return memory_footprint(self._model(model), context_tokens, batch, n_chips=self.n_chips, parallelism=par,
                                **self.memory_kwargs())

    def _bound_kwargs(self, model: Any, context_tokens: Any, batch: Any, extra: dict[str, Any]) -> dict[str, Any]:
        kw = {**self.dtypes.kwargs(), **extra}
        if self.dtypes.precision is not None:
            kw.setdefault("precision", self.dtypes.precision)
        kw.setdefault("parallelism", self.layout(model, context_tokens, batch))
        return kw

    def decode_bound(self, model: str | Model, context_tokens: int, batch: int = 1, **kw: Any) -> Bound:
        """:func:`~accelspec.decode_bound` with this deployment's chip, chip count, layout and dtypes."""
        from .bounds import decode_bound

        m = self._model(model)
        return decode_bound(m, self.system or self.chip, context_tokens, batch, self.n_chips,
                            **self._bound_kwargs(m, context_tokens, batch, kw))

    def prefill_bound(self, model: str | Model, context_tokens: int, batch: int = 1, **kw: Any) -> Bound:
        """:func:`~accelspec.prefill_bound` with this deployment's chip, chip count, layout and dtypes."""
        from .bounds import prefill_bound

        m = self._model(model)
        return prefill_bound(m, self.system or self.chip, context_tokens, batch, self.n_chips,
                             **self._bound_kwargs(m, context_tokens, batch, kw))

    def assumptions(self, model: str | Model | None = None, context_tokens: int | None = None, batch: int = 1) -> str:
        """One line: chip count, layout and dtypes (the layout for a workload when one is given)."""
        if model is not None and context_tokens is not None:
            par = self.layout(model, context_tokens, batch)
        else:
            par = self.parallelism
        layout = str(par) if par is not None else "layout chosen per workload (as fits)"
        where = f" in {self.system.id}" if self.system is not None else ""
        return f"{self.n_chips} x {self.chip.name}{where}, {layout}, dtypes {self.dtypes}"

    def __str__(self) -> str:
        return f"<Deployment {self.assumptions()}>"

