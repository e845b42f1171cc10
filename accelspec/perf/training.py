"""Training: memory per chip, a time bound, published training runs, and training claims.

**Memory per chip** (:func:`training_memory`, :func:`training_fits`, :func:`min_training_chips`):

* **model states**, bytes per parameter by recipe (:data:`RECIPES`):

  ==================  =======  =====  ======  ===========  =====
  recipe              weights  grads  master  moments      total
  ==================  =======  =====  ======  ===========  =====
  ``bf16-adam``       2 bf16   2 bf16 4 fp32  4 + 4 fp32   16
  ``fp8-deepseek-v3`` 2 bf16*  4 fp32 4 fp32  2 + 2 bf16   14
  ``adam-8bit``       2 bf16   2 bf16 4 fp32  1 + 1 int8   10 (+ block absmax)
  ==================  =======  =====  ======  ===========  =====

  ``bf16-adam``: Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training Trillion
  Parameter Models" (arXiv:1910.02054), sec. 3.1: "2Ψ + 2Ψ + KΨ" with K = 12 (fp32 copy of
  the parameters, momentum and variance). ``fp8-deepseek-v3``: DeepSeek-V3 Technical Report
  (arXiv:2412.19437), sec. 3.3.3: "We adopt the BF16 data format instead of FP32 to track the
  first and second moments in the AdamW optimizer ... the master weights (stored by the
  optimizer) and gradients (used for batch size accumulation) are still retained in FP32".
  (*) The report casts GEMM inputs to FP8 on the fly; the bf16 working copy of the weights is
  our assumption (the report names no stored FP8 copy). ``adam-8bit``: Dettmers et al.,
  "8-bit Optimizers via Block-wise Quantization" (arXiv:2110.02861): two 1-byte moments plus
  one fp32 absmax per 2048-element block per moment.

* **sharding**: weights are split by tensor (``tp``) and pipeline (``pp``) parallelism; routed
  experts by ``ep`` (by ``tp`` when ``ep == 1``). ZeRO (Rajbhandari et al.) then shards over
  the data-parallel replicas (``dp * cp`` for dense weights, ``tp*cp*dp/ep`` for experts):
  stage 1 the optimizer states (master + moments), stage 2 also gradients, stage 3 (= FSDP
  full sharding) also the weights.

* **activations** per layer and micro-batch (Korthikanti et al., "Reducing Activation
  Recomputation in Large Transformer Models", arXiv:2205.05198, eqs. 1-4):
  ``s*b*h*(34 + 5*a*s/h)`` bytes without parallelism, ``s*b*h*(10 + 24/t + 5*a*s/(h*t))`` with
  tensor parallelism, ``s*b*h*(34/t + 5*a*s/(h*t))`` with tensor + sequence parallelism.
  ``flash_attention=True`` (default) drops the ``5*a*s/h`` term (no score matrix is stored).
  Full recomputation keeps only each layer's input, ``2*s*b*h/t`` bytes (sequence parallel),
  plus one layer's full set while it is recomputed. With pipeline parallelism under 1F1B the
  first stage holds ``pp`` micro-batches of its ``L/pp`` layers, i.e. ``L`` layers' worth
  (Korthikanti sec. 4.2). Context parallelism divides ``s``. The output layer adds
  ``4*s*b*(h + v)/t`` bytes on the last stage (eq. 5, fp32 logits). The 34 is counted for a
  GPT block (MHA, 4h GELU MLP): GQA/SwiGLU/MoE blocks differ by tens of percent.

* a framework **reserve** of 2 GiB per chip, as for inference (:mod:`accelspec.perf.memory`).

**Time bound** (:func:`training_time`): FLOPs per token
``= 6 * N_active + 6 * L_attn * s * (d_qk + d_v) * n_heads / 2`` (training = 3 x forward;
forward attention ``2*s*n_heads*(d_qk + d_v)`` per token and layer, halved for the causal mask;
Narayanan et al., arXiv:2104.04473, eq. 3, counts 12*L*s*h without the causal halving; Hoffmann
et al., Chinchilla, arXiv:2203.15556, app. F). Full recomputation adds one forward pass
(``8*N`` instead of ``6*N``). ``N_active`` excludes the input embedding (a lookup).
``time = tokens * flops_per_token / (n_chips * peak * mfu) * (m + p - 1)/m`` where
``(p-1)/(m+p-1)`` is the idle fraction of a 1F1B pipeline with ``m`` micro-batches
(Narayanan et al. sec. 2.2). Chip-hours = ``n_chips * time``; energy = TDP x chip-hours when a
TDP is published (chip power only: no host, network or cooling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pint
import yaml

from ..errors import CountTypeError, UnknownRecipeError
from ..hardware.chip import Chip
from ..inputs import count
from ..model.architecture import AttentionKind, Model
from ..provenance import Spec
from ..units import Q_, parse_quantity
from .memory import InvalidArgumentError, Parallelism, is_deployment

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..hardware.system import System
    from .deployment import Deployment

__all__ = [
    "RECIPES",
    "Recipe",
    "TrainingFit",
    "TrainingMemory",
    "TrainingRun",
    "TrainingTime",
    "UnknownRecipeError",
    "check_training_claim",
    "cluster_training_time",
    "load_training_runs",
    "min_training_chips",
    "runs_report",
    "training_fits",
    "training_flops_per_token",
    "training_memory",
    "training_runs",
    "training_time",
]

_GB = 1e9
_RESERVE = 2 * 2**30


@dataclass(frozen=True)
class Recipe:
    """Bytes per parameter kept for training, and the precision its matmuls run at."""

    name: str
    weights: float  #: working copy used by forward/backward
    grads: float
    master: float  #: fp32 master weights kept by the optimizer (0 if none)
    moments: float  #: optimizer states (Adam: first + second moment)
    compute: str  #: precision of the GEMMs (key of chip.compute.dense)
    source: str

    @property
    def optimizer_states(self) -> float:
        """What ZeRO stage 1 shards: master weights + moments."""
        return self.master + self.moments

    @property
    def total(self) -> float:
        return self.weights + self.grads + self.master + self.moments


RECIPES: dict[str, Recipe] = {
    "bf16-adam": Recipe("bf16-adam", 2, 2, 4, 8, "bf16",
                        "ZeRO, arXiv:1910.02054 sec. 3.1: 2+2+12 bytes per parameter"),
    "fp8-deepseek-v3": Recipe("fp8-deepseek-v3", 2, 4, 4, 4, "fp8",
                              "DeepSeek-V3 report, arXiv:2412.19437 sec. 3.3.3: bf16 moments, fp32 master "
                              "weights and gradients, FP8 GEMMs (bf16 working weights assumed)"),
    "adam-8bit": Recipe("adam-8bit", 2, 2, 4, 2 + 2 * 4 / 2048, "bf16",
                        "8-bit Adam, arXiv:2110.02861: two int8 moments + fp32 absmax per 2048-block"),
}
_RECOMPUTE = ("none", "selective", "full")
_ZERO = (0, 1, 2, 3)


def _recipe(name: Any) -> Recipe:
    if isinstance(name, Recipe):
        return name
    key = str(name).strip().lower().replace("_", "-")
    if key not in RECIPES:
        raise UnknownRecipeError("recipe", name, list(RECIPES))
    return RECIPES[key]


def _zero(stage: Any) -> int:
    if isinstance(stage, str) and stage.strip().lower() in ("fsdp", "full_shard", "full-shard"):
        return 3
    if isinstance(stage, str) and stage.strip().isdigit():
        stage = int(stage.strip())
    if isinstance(stage, bool) or stage not in _ZERO:
        raise UnknownRecipeError("zero_stage", stage, [str(s) for s in _ZERO] + ["fsdp"])
    return int(stage)


def _recompute(mode: Any) -> str:
    if mode is True:
        return "full"
    if mode is False or mode is None:
        return "none"
    m = str(mode).strip().lower()
    if m not in _RECOMPUTE:
        raise UnknownRecipeError("recompute", mode, list(_RECOMPUTE))
    return m


def _pos_int(v: Any, name: str) -> int:
    """A count: a whole number in 1 .. 2**53 (:func:`accelspec.inputs.count`; larger values are
    not exact in floating point and were accepted here before)."""
    if isinstance(v, (bool, float)) or not isinstance(v, (int, np.integer)):
        raise CountTypeError(name, f"must be a positive whole number, got {v!r}")
    return count(v, name)


def _pos_real(v: Any, name: str) -> float:
    """A finite positive number (tokens, parameters): NaN, infinities, bools and strings are refused."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(name, f"must be a positive number, got {v!r}")
    try:
        x = float(v)
    except OverflowError:
        raise InvalidArgumentError(name, f"must be a finite positive number, got {v!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise InvalidArgumentError(name, f"must be a finite positive number, got {v!r}")
    return x


def _model(m: Model | str) -> Model:
    from ..model.catalog import get_model

    return get_model(m)


def _chip(c: Chip | str) -> Chip:
    from ..hardware.catalog import get_chip

    return get_chip(c)


def _training_deployment(dep: Any, fn: Any, given: dict[str, Any]) -> None:
    """A :class:`~accelspec.Deployment` given to the training function ``fn`` with arguments
    ``given`` (its ``locals()``): arguments it fixes (chip count, layout, reserve, capacity) must
    not be given beside it, and its dtypes must be the calculators' defaults, since training's
    data types come from ``recipe``."""
    from ..errors import DeploymentError
    from .memory import refuse_fixed

    function = fn.__name__
    refuse_fixed(fn, function, {k: v for k, v in given.items() if k in ("n_chips", "parallelism", "reserve",
                                                                         "capacity")})
    if dep.dtypes.kwargs() or dep.dtypes.precision is not None:
        raise DeploymentError(f"{function}: dtypes {dep.dtypes.name!r} of the deployment are inference data types; "
                              "training's come from recipe= (bf16-adam, fp8-deepseek-v3, adam-8bit): give the "
                              "deployment without dtypes")


# --- memory ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingMemory:
    """Bytes per chip (worst pipeline stage) by term, as Quantities in GB."""

    weights: pint.Quantity
    gradients: pint.Quantity
    master_weights: pint.Quantity
    optimizer_moments: pint.Quantity
    activations: pint.Quantity
    reserve: pint.Quantity
    parallelism: Parallelism
    zero_stage: int
    recipe: str
    recompute: str
    micro_batch: int
    seq_len: int
    assumptions: str

    @property
    def total(self) -> pint.Quantity:
        return sum((self.terms()[k] for k in self.terms()), Q_(0, "GB"))

    def terms(self) -> dict[str, pint.Quantity]:
        return {"weights": self.weights, "gradients": self.gradients, "master_weights": self.master_weights,
                "optimizer_moments": self.optimizer_moments, "activations": self.activations,
                "reserve": self.reserve}

    def __str__(self) -> str:
        rows = [f"  {k:<18} {v.m_as('GB'):9.2f} GB" for k, v in self.terms().items()]
        rows.append(f"  {'total':<18} {self.total.m_as('GB'):9.2f} GB")
        return "\n".join(rows)


def _layout(model: Model, n_chips: int, parallelism: Any) -> Parallelism:
    lay = Parallelism.parse(parallelism if parallelism is not None else "dp", n_chips)
    assert lay is not None
    lay.check(model)
    return lay


def training_memory(model: str | Model, *, n_chips: int = 1, recipe: str | Recipe = "bf16-adam",
                    zero_stage: int | str = 1, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                    micro_batch: int = 1, seq_len: int = 8192, recompute: str | bool | None = "none",
                    sequence_parallel: bool = True, flash_attention: bool = True,
                    reserve: str | pint.Quantity | None = None) -> TrainingMemory:
    """Per-chip training memory of ``model`` on ``n_chips`` (formulas: module docstring).

    Weights, gradients, master weights and optimizer moments (ZeRO, Rajbhandari et al.,
    arXiv:1910.02054), activations (Korthikanti et al., arXiv:2205.05198) and the reserve, on
    the worst pipeline stage.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    n_chips : int, optional
        Chips trained on (default 1).
    recipe : str or Recipe, optional
        Bytes per parameter kept and the GEMM precision: ``"bf16-adam"`` (default; ZeRO's
        2 + 2 + 12 bytes), ``"fp8-deepseek-v3"`` or ``"adam-8bit"`` (:data:`RECIPES`).
    zero_stage : int or str, optional
        ZeRO stage 0-3 (``"fsdp"`` = 3): what is sharded over the data-parallel replicas.
    parallelism : str, Parallelism or mapping, optional
        ``"tp=8,pp=4,dp=2"``, a mapping or a :class:`~accelspec.Parallelism` (default: all
        data parallel).
    micro_batch : int, optional
        Sequences per micro-batch (default 1).
    seq_len : int, optional
        Tokens per sequence [token] (default 8192).
    recompute : {"none", "selective", "full"} or bool, optional
        Activation recomputation: ``"selective"`` (attention core only; drops the ``5as/h``
        term) or ``"full"`` (``True``).
    sequence_parallel : bool, optional
        Megatron sequence parallelism shards the norm and dropout activations over ``tp``
        (default True).
    flash_attention : bool, optional
        Fused attention keeps no ``a s^2`` score matrices (default True).
    reserve : str or Quantity, optional
        Per-chip allowance for the framework [GB] (default 2 GiB).

    Returns
    -------
    TrainingMemory
        Each term per chip [GB], ``total``, and the assumptions.

    Raises
    ------
    UnknownModelError
        ``model`` names no catalog model.
    UnknownRecipeError
        ``recipe``, ``zero_stage`` or ``recompute`` is not one of the known values.
    InvalidArgumentError
        A count or layout is out of range, or the layout does not fit the model.
    """
    m = _model(model)
    rec = _recipe(recipe)
    stage = _zero(zero_stage)
    mode = _recompute(recompute)
    n = _pos_int(n_chips, "n_chips")
    b = _pos_int(micro_batch, "micro_batch")
    s = _pos_int(seq_len, "seq_len")
    lay = _layout(m, n, parallelism)
    tp, pp, ep, cp, dp = lay.tp, lay.pp, lay.ep, lay.cp, lay.dp

    br = m.param_breakdown()
    experts = br["experts"]
    dense = m.params_total() - experts
    # worst stage: dense params split evenly over pp stages (embedding and head ride on stages)
    dense_chip = dense / (tp * pp)
    exp_chip = experts / (pp * (ep if ep > 1 else tp))
    dense_dp = dp * cp
    exp_dp = max(1, (tp * cp * dp) // ep) if ep > 1 else dp * cp

    def shard(per_param: float, sharded: bool) -> float:
        if not sharded:
            return per_param * (dense_chip + exp_chip)
        return per_param * (dense_chip / dense_dp + exp_chip / exp_dp)

    w = shard(rec.weights, stage >= 3)
    g = shard(rec.grads, stage >= 2)
    ms = shard(rec.master, stage >= 1)
    mo = shard(rec.moments, stage >= 1)

    # activations, Korthikanti et al. 2022
    h, a, L, v = m.hidden_size, m.n_heads, m.n_layers, m.vocab_size
    s_loc = s / cp
    score = 0.0 if (flash_attention or mode != "none") else 5 * a * s_loc / h
    if sequence_parallel or tp == 1:
        per_layer = s_loc * b * h * (34 / tp + score / tp)
    else:
        per_layer = s_loc * b * h * (10 + 24 / tp + score / tp)
    layers_held = L  # pp micro-batches in flight x L/pp layers (1F1B), or all L when pp == 1
    if mode == "full":
        keep = 2 * s_loc * b * h / (tp if sequence_parallel else 1)
        act = keep * layers_held + per_layer
    else:
        act = per_layer * layers_held
    act += 4 * s_loc * b * (h + v) / tp  # output layer, fp32 logits (eq. 5)
    res = _RESERVE if reserve is None else float(parse_quantity(reserve, "B", "reserve").m_as("B"))

    fa = "FlashAttention (no score matrix)" if flash_attention else "score matrix stored"
    text = (f"{rec.name} ({rec.total:.4g} B/param: weights {rec.weights:g}, grads {rec.grads:g}, master "
            f"{rec.master:g}, moments {rec.moments:.4g}), ZeRO-{stage}, {lay}, micro-batch {b} x {s} tokens, "
            f"recompute {mode}, {'sequence parallel, ' if sequence_parallel and tp > 1 else ''}{fa}, "
            f"activations per Korthikanti et al. (GPT block, bf16), reserve {res / 2**30:.3g} GiB")
    return TrainingMemory(weights=Q_(w / _GB, "GB"), gradients=Q_(g / _GB, "GB"), master_weights=Q_(ms / _GB, "GB"),
                          optimizer_moments=Q_(mo / _GB, "GB"), activations=Q_(act / _GB, "GB"),
                          reserve=Q_(res / _GB, "GB"), parallelism=lay, zero_stage=stage, recipe=rec.name,
                          recompute=mode, micro_batch=b, seq_len=s, assumptions=text)


@dataclass(frozen=True)
class TrainingFit:
    """Whether training fits: ``fits``, ``required``/``available`` per chip, the breakdown
    (:class:`TrainingMemory`) and ``assumptions``, a one-line statement of what was assumed."""

    fits: bool
    verdict: str
    required: pint.Quantity
    available: pint.Quantity
    headroom: pint.Quantity
    memory: TrainingMemory
    chip: str
    n_chips: int
    assumptions: str
    explanation: str
    system: str = ""  #: the system id when asked of a system (or a Deployment in one), else ""

    def __bool__(self) -> bool:
        return self.fits

    def __str__(self) -> str:
        return self.explanation


def training_fits(model: str | Model, chip: str | Chip | System | Deployment, n_chips: int | None = None, *,
                  recipe: str | Recipe = "bf16-adam", zero_stage: int | str = 1,
                  parallelism: str | Parallelism | Mapping[str, int] | None = None, micro_batch: int = 1,
                  seq_len: int = 8192, recompute: str | bool | None = "none", sequence_parallel: bool = True,
                  flash_attention: bool = True, reserve: str | pint.Quantity | None = None,
                  capacity: str | pint.Quantity | None = None) -> TrainingFit:
    """Does training ``model`` fit on ``n_chips`` of ``chip``? Compares :func:`training_memory`
    with the chip's published capacity (``capacity`` overrides it).

    ``chip``: a chip, a system or a :class:`~accelspec.Deployment`, as :func:`accelspec.fits`
    takes them. A system (``"gb200-nvl72"``; its name wins over a chip alias) trains on its chip
    and ``n_chips`` defaults to its chip count (else to a fixed ``parallelism``'s count, else 1).
    A deployment fixes chip, count, layout (``None``: all data parallel), reserve and capacity;
    giving one of those beside it raises :class:`~accelspec.errors.DeploymentError`, as does a
    deployment with inference dtypes (training's come from ``recipe``). ``explanation`` and
    ``system`` name the system.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip, System or Deployment
        The hardware, as above.
    n_chips : int, optional
        Chips trained on (default: a system's chip count, else a fixed layout's, else 1).
    recipe : str or Recipe, optional
        Bytes per parameter kept and the GEMM precision: ``"bf16-adam"`` (default; ZeRO's
        2 + 2 + 12 bytes), ``"fp8-deepseek-v3"`` or ``"adam-8bit"`` (:data:`RECIPES`).
    zero_stage : int or str, optional
        ZeRO stage 0-3 (``"fsdp"`` = 3): what is sharded over the data-parallel replicas.
    parallelism : str, Parallelism or mapping, optional
        ``"tp=8,pp=4,dp=2"``, a mapping or a :class:`~accelspec.Parallelism` (default: all
        data parallel).
    micro_batch : int, optional
        Sequences per micro-batch (default 1).
    seq_len : int, optional
        Tokens per sequence [token] (default 8192).
    recompute : {"none", "selective", "full"} or bool, optional
        Activation recomputation: ``"selective"`` (attention core only; drops the ``5as/h``
        term) or ``"full"`` (``True``).
    sequence_parallel : bool, optional
        Megatron sequence parallelism shards the norm and dropout activations over ``tp``
        (default True).
    flash_attention : bool, optional
        Fused attention keeps no ``a s^2`` score matrices (default True).
    reserve : str or Quantity, optional
        Per-chip allowance for the framework [GB] (default 2 GiB).
    capacity : str or Quantity, optional
        Memory per chip [GB] to assume instead of the catalog's.

    Returns
    -------
    TrainingFit
        The verdict, required and available memory per chip [GB], the headroom and the
        :class:`TrainingMemory` terms.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    UnknownRecipeError
        ``recipe``, ``zero_stage`` or ``recompute`` is not one of the known values.
    InvalidArgumentError
        A count or layout is out of range, or the layout does not fit the model.
    NotPublishedError
        The chip publishes no memory capacity and ``capacity`` is not given.
    DeploymentError
        An argument the deployment fixes is given beside it, or it carries inference dtypes.
    """
    from .memory import capacity_bytes, hardware_and_count

    m = _model(model)
    if is_deployment(chip):
        _training_deployment(chip, training_fits, locals())
        c, system, n_chips = chip.chip, chip.system, chip.n_chips
        parallelism, reserve, capacity = chip.parallelism, chip.reserve, chip.capacity
    else:
        c, system, n_chips = hardware_and_count(chip, n_chips, parallelism)
    cap, low, high, _ = capacity_bytes(c, capacity)
    mem = training_memory(m, n_chips=n_chips, recipe=recipe, zero_stage=zero_stage, parallelism=parallelism,
                          micro_batch=micro_batch, seq_len=seq_len, recompute=recompute,
                          sequence_parallel=sequence_parallel, flash_attention=flash_attention, reserve=reserve)
    need = float(mem.total.m_as("B"))
    verdict = "fits" if need <= low else "does not fit" if need > high else "depends on the estimate"
    big = max(mem.terms(), key=lambda k: mem.terms()[k].m_as("B"))
    where = f"{n_chips} x {c.name}" + (f" in {system.id}" if system is not None else "")
    text = (f"train {m.name} on {where}: needs {need / _GB:.4g} GB per chip of {cap / _GB:.4g} GB: "
            f"{verdict}; largest term {big} {mem.terms()[big].m_as('GB'):.4g} GB. Assumed: {mem.assumptions}"
            f"{system.note() if system is not None else ''}")
    return TrainingFit(fits=need <= cap, verdict=verdict, required=mem.total, available=Q_(cap / _GB, "GB"),
                       headroom=Q_((cap - need) / _GB, "GB"), memory=mem, chip=c.id, n_chips=n_chips,
                       assumptions=mem.assumptions, explanation=text, system=system.id if system else "")


def _layouts(model: Model, n: int, max_tp: int = 8) -> list[Parallelism]:
    out = []
    tp = 1
    while tp <= min(max_tp, n):
        if n % tp == 0 and model.n_heads % tp == 0:
            rest = n // tp
            for pp in range(1, min(rest, model.n_layers) + 1):
                if rest % pp == 0:
                    out.append(Parallelism(tp=tp, pp=pp, dp=rest // pp))
        tp *= 2
    return out


def min_training_chips(model: str | Model, chip: str | Chip | System, *, recipe: str | Recipe = "bf16-adam",
                       zero_stage: int | str = 3, micro_batch: int = 1, seq_len: int = 8192,
                       recompute: str | bool | None = "full", max_chips: int | None = None,
                       capacity: str | pint.Quantity | None = None) -> tuple[int | None, TrainingFit | None, str]:
    """Fewest chips (powers of two up to ``max_chips``) on which training fits, trying every
    tp (1-8) x pp x dp layout. Returns ``(n, fit, explanation)``; ``n`` is None when nothing up to
    ``max_chips`` fits, and the explanation says by how much the best layout there misses.

    ``chip``: a chip or a system (its chip; as :func:`accelspec.min_chips`). ``max_chips``:
    default ``2**17``, or the system's chip count for a system, whose own count is tried too
    (72 for an NVL72, which is no power of two). A :class:`~accelspec.Deployment` fixes the
    count this searches, so it is refused (:class:`~accelspec.errors.DeploymentError`).

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip or System
        A chip or a system, by name or record.
    recipe : str or Recipe, optional
        Bytes per parameter kept and the GEMM precision: ``"bf16-adam"`` (default; ZeRO's
        2 + 2 + 12 bytes), ``"fp8-deepseek-v3"`` or ``"adam-8bit"`` (:data:`RECIPES`).
    zero_stage : int or str, optional
        ZeRO stage 0-3 (``"fsdp"`` = 3): what is sharded over the data-parallel replicas.
    micro_batch : int, optional
        Sequences per micro-batch (default 1).
    seq_len : int, optional
        Tokens per sequence [token] (default 8192).
    recompute : {"none", "selective", "full"} or bool, optional
        Activation recomputation (default ``"full"``).
    max_chips : int, optional
        Largest count tried (default ``2**17``, or the system's chip count).
    capacity : str or Quantity, optional
        Memory per chip [GB] to assume instead of the catalog's.

    Returns
    -------
    tuple of (int or None, TrainingFit or None, str)
        The fewest chips, the fit there, and an explanation.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    UnknownRecipeError
        ``recipe``, ``zero_stage`` or ``recompute`` is not one of the known values.
    InvalidArgumentError
        A count or layout is out of range, or the layout does not fit the model.
    NotPublishedError
        The chip publishes no memory capacity and ``capacity`` is not given.
    DeploymentError
        ``chip`` is a deployment.
    """
    from ..hardware.system import resolve_hardware

    if is_deployment(chip):
        from ..errors import DeploymentError

        raise DeploymentError("min_training_chips: a deployment fixes the chip count this searches; pass its chip "
                              "or system (training_fits takes the deployment)")
    m = _model(model)
    c, system = resolve_hardware(chip)
    top = max_chips if max_chips is not None else (system.n_chips if system is not None else 2**17)
    top = _pos_int(top, "max_chips")
    _recipe(recipe), _zero(zero_stage), _recompute(recompute)
    counts = [2**k for k in range(top.bit_length()) if 2**k <= top]
    if system is not None and system.n_chips <= top and system.n_chips not in counts:
        counts.append(system.n_chips)
    label = c.name + (f" (system {system.id})" if system is not None else "")
    best: TrainingFit | None = None
    for n in counts:
        fits_here = []
        for lay in _layouts(m, n):
            try:
                f = training_fits(m, system or c, n, recipe=recipe, zero_stage=zero_stage, parallelism=lay,
                                  micro_batch=micro_batch, seq_len=seq_len, recompute=recompute, capacity=capacity)
            except InvalidArgumentError:
                continue
            fits_here.append(f)
        if fits_here:
            best = min(fits_here, key=lambda f: f.required.m_as("B"))
            if best.fits:
                return n, best, f"{n} x {label} ({best.memory.parallelism}): {best.explanation}"
    if best is None:
        return None, None, f"no layout of {m.name} found on up to {top} x {label}"
    miss = -best.headroom.m_as("GB")
    return None, best, (f"{m.name} does not fit for training on up to {top} x {label}: the best layout "
                        f"({best.memory.parallelism}) needs {best.required.m_as('GB'):.4g} GB per chip, "
                        f"{miss:.4g} GB more than {best.available.m_as('GB'):.4g} GB")


# --- time ------------------------------------------------------------------------------------
def training_flops_per_token(model: Model | str, seq_len: int = 8192, *, recompute: Any = "none",
                             causal: bool = True) -> float:
    """Training FLOPs per token: ``6*N_active + 6 * sum over softmax layers of
    ctx * n_heads * (d_qk + d_v) * (1/2 if causal)``; full recompute multiplies by 8/6, selective
    recompute adds one more attention-core forward (formulas and sources: module docstring).
    ``ctx`` is ``seq_len`` (``min(seq_len, window)`` for sliding layers); linear-attention
    layers add no context term."""
    m = _model(model)
    mode = _recompute(recompute)
    s = _pos_int(seq_len, "seq_len")
    n = m.params_active()
    if m.mla is not None:
        dqk, dv = m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim, m.mla.v_head_dim
    else:
        dqk = dv = m.head_dim
    fwd_attn = 0.0
    for k in m.layer_types:
        if k is AttentionKind.linear:
            continue
        ctx = min(s, m.sliding_window or s) if k is AttentionKind.sliding else s
        fwd_attn += 2 * ctx * m.n_heads * (dqk + dv) * (0.5 if causal else 1.0)
    fwd = 2 * n + fwd_attn
    if mode == "full":
        return 4 * fwd
    if mode == "selective":
        return 3 * fwd + fwd_attn
    return 3 * fwd


@dataclass(frozen=True)
class TrainingTime:
    """A lower bound on training time (an upper bound when ``mfu`` < 1 is a real efficiency)."""

    flops_per_token: float
    total_flops: float
    time: pint.Quantity  #: wall-clock, in days
    chip_hours: pint.Quantity
    energy: pint.Quantity | None  #: chip TDP x chip-hours (MWh); None when no TDP is published
    peak_per_chip: pint.Quantity
    n_chips: int
    mfu: float
    bubble: float  #: idle fraction of the pipeline, (p-1)/(m+p-1)
    assumptions: str
    system: str = ""  #: the system id when asked of a system (or a Deployment in one), else ""

    def __str__(self) -> str:
        e = f", {self.energy.m_as('MWh'):,.4g} MWh at TDP" if self.energy is not None else ""
        return (f"{self.time.m_as('day'):,.4g} days, {self.chip_hours.m_as('hour') / 1e6:,.4g}M chip-hours{e} "
                f"({self.total_flops:.3g} FLOPs). Assumed: {self.assumptions}")


def training_time(model: str | Model, tokens: float, *, chip: str | Chip | System | Deployment | None = None,
                  n_chips: int | None = None, precision: str | None = None, recipe: str | Recipe = "bf16-adam",
                  peak: str | pint.Quantity | None = None, mfu: float = 1.0, seq_len: int = 8192,
                  recompute: str | bool | None = "none", pp: int = 1, micro_batches: int | None = None,
                  causal: bool = True, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                  global_batch_tokens: float | None = None, grad_bandwidth: str | pint.Quantity | None = None,
                  grad_dtype_bytes: float = 2.0) -> TrainingTime:
    """Time to train ``model`` on ``tokens`` tokens on ``n_chips``:
    ``tokens * flops_per_token / (n_chips * peak * mfu) * (m + p - 1)/m``.

    ``peak`` per chip: the chip's dense peak at ``precision`` (default: the recipe's GEMM
    precision), or a given ``peak`` (e.g. ``"118.7 TFLOPS"``) when the chip publishes none.
    ``mfu=1`` gives the bound no run can beat. ``micro_batches`` (``m``) is needed when ``pp > 1``.

    Communication roof (optional): with ``parallelism`` (``"tp=8,pp=4,dp=16"``),
    ``global_batch_tokens`` and ``grad_bandwidth`` (per chip, per direction, e.g. ``"50 GB/s"``),
    each optimizer step must ring-all-reduce the gradients over the ``dp`` replicas:
    ``2*(dp-1)/dp * params/(tp*pp) * grad_dtype_bytes / bandwidth`` seconds; a step then takes
    at least ``max(compute, all-reduce)`` (perfect overlap, so still a lower bound).

    ``chip``: a chip, a system or a :class:`~accelspec.Deployment`, as :func:`training_fits`
    takes them: a system (``"gb200-nvl72"``) trains on its chip and ``n_chips`` defaults to its
    chip count (else 1); a deployment fixes chip, count and layout (its ``pp`` is the pipeline
    depth), and ``n_chips`` or ``parallelism`` beside it raise
    :class:`~accelspec.errors.DeploymentError`. ``assumptions`` and ``system`` name the system.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    tokens : float
        Training tokens [token].
    chip : str, Chip, System or Deployment, optional
        The hardware, as above (needed unless ``peak`` is given).
    n_chips : int, optional
        Chips trained on (default: a system's chip count, else 1).
    precision : str, optional
        Format of the peak used (default: the recipe's GEMM precision).
    recipe : str or Recipe, optional
        Training recipe (default ``"bf16-adam"``, :data:`RECIPES`).
    peak : str or Quantity, optional
        Peak per chip [TFLOP/s] when the chip publishes none.
    mfu : float, optional
        Model FLOPs utilisation in (0, 1] (default 1.0: the bound).
    seq_len : int, optional
        Tokens per sequence [token] (default 8192), for the attention FLOPs.
    recompute : {"none", "selective", "full"} or bool, optional
        Activation recomputation, which adds forward FLOPs (default ``"none"``).
    pp : int, optional
        Pipeline stages ``p`` (default 1).
    micro_batches : int, optional
        Micro-batches per step ``m`` (needed when ``pp > 1``).
    causal : bool, optional
        Causal attention: half the score FLOPs (default True).
    parallelism : str, Parallelism or mapping, optional
        Layout for the communication roof (``"tp=8,pp=4,dp=16"``).
    global_batch_tokens : float, optional
        Tokens per optimizer step [token], for the communication roof.
    grad_bandwidth : str or Quantity, optional
        Link bandwidth per chip and direction [GB/s], for the communication roof.
    grad_dtype_bytes : float, optional
        Bytes per gradient element all-reduced [B] (default 2.0, bf16).

    Returns
    -------
    TrainingTime
        Wall-clock time [day], chip-hours, energy at TDP [MWh] where published, and the peak
        per chip used.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    UnknownRecipeError
        ``recipe`` or ``recompute`` is not one of the known values.
    UnsupportedPrecisionError, NotPublishedError
        The chip lacks the precision or publishes no peak for it, and no ``peak`` is given.
    InvalidArgumentError
        ``tokens``, ``mfu`` or a count is out of range, or neither ``chip`` nor ``peak`` is given.
    DeploymentError
        An argument the deployment fixes is given beside it.
    """
    tokens = _pos_real(tokens, "tokens")
    if not (isinstance(mfu, (int, float)) and 0 < mfu <= 1):
        raise InvalidArgumentError("mfu", f"must be in (0, 1], got {mfu!r}")
    m = _model(model)
    rec = _recipe(recipe)
    system = None
    hw: Chip | None = None  # the chip record
    if is_deployment(chip):
        _training_deployment(chip, training_time, locals())
        n_chips, parallelism, system = chip.n_chips, chip.parallelism, chip.system
        hw = chip.chip
    elif chip is not None:
        from ..hardware.system import resolve_hardware

        hw, system = resolve_hardware(chip)
    if n_chips is None:
        n_chips = system.n_chips if system is not None else 1
    n = _pos_int(n_chips, "n_chips")
    p = _pos_int(pp, "pp")
    tdp = None
    name = "given peak"
    if peak is not None:
        pk = float(parse_quantity(peak, "FLOPS", "peak").m_as("FLOPS"))
        prec = precision or rec.compute
        if hw is not None:
            c = _chip(hw)
            name = c.name
            tdp = c.power.tdp if c.power else None
    else:
        if hw is None:
            raise InvalidArgumentError("chip", "give a chip or a peak")
        c = _chip(hw)
        name = c.name
        prec = precision or rec.compute
        spec: Spec = c.compute.peak(prec)
        pk = float(spec.q.m_as("FLOPS"))
        tdp = c.power.tdp if c.power else None
    lay = None
    if parallelism is not None:
        lay = Parallelism.parse(parallelism, n)
        assert lay is not None
        p = lay.pp if p == 1 else p
    bubble = 0.0
    if p > 1:
        if micro_batches is None:
            raise InvalidArgumentError("micro_batches", "needed when pp > 1 (micro-batches per pipeline flush)")
        mb = _pos_int(micro_batches, "micro_batches")
        bubble = (p - 1) / (mb + p - 1)
    fpt = training_flops_per_token(m, seq_len, recompute=recompute, causal=causal)
    total = fpt * tokens
    secs = total / (n * pk * mfu) / (1 - bubble)
    comm = ""
    if grad_bandwidth is not None or global_batch_tokens is not None:
        if lay is None or grad_bandwidth is None or global_batch_tokens is None:
            raise InvalidArgumentError("grad_bandwidth", "the communication roof needs parallelism, "
                                       "global_batch_tokens and grad_bandwidth together")
        bw = float(parse_quantity(grad_bandwidth, "B/s", "grad_bandwidth").m_as("B/s"))
        steps = tokens / float(global_batch_tokens)
        per_step = 2 * (lay.dp - 1) / lay.dp * m.params_total() / (lay.tp * lay.pp) * grad_dtype_bytes / bw
        if per_step * steps > secs:
            comm = f"; gradient all-reduce bound ({per_step:.3g} s/step x {steps:.3g} steps)"
            secs = per_step * steps
        else:
            comm = f"; gradient all-reduce {per_step:.3g} s/step, hidden under compute"
    hours = n * secs / 3600
    energy = Q_(tdp.q.m_as("W") * hours / 1e6, "MWh") if tdp is not None else None
    text = (f"{m.name}, {tokens:.4g} tokens, {fpt / 1e9:.4g} GFLOP/token (6N + causal attention at {seq_len} "
            f"tokens, recompute {_recompute(recompute)}), {n} x {name}"
            f"{f' in {system.id}' if system is not None else ''} at {pk / 1e12:.5g} TFLOPS dense {prec}, "
            f"MFU {mfu:g}, pipeline bubble {bubble:.3g}"
            + (comm or "; communication assumed hidden under compute") + (system.note() if system is not None else ""))
    return TrainingTime(flops_per_token=fpt, total_flops=total, time=Q_(secs / 86400, "day"),
                        chip_hours=Q_(hours, "hour"), energy=energy, peak_per_chip=Q_(pk / 1e12, "TFLOPS"),
                        n_chips=n, mfu=mfu, bubble=bubble, assumptions=text,
                        system=system.id if system is not None else "")


# --- published runs --------------------------------------------------------------------------
def _runs_dir() -> Path:
    from ..specfiles import specs_dir

    return specs_dir() / "training_runs"


@dataclass(frozen=True)
class TrainingRun:
    """A published training run: model, chip, tokens and reported chip-hours, with its source."""

    id: str
    model: str
    chip: str
    tokens: float
    chip_hours: float
    seq_len: int
    precision: str
    recipe: str
    source: dict[str, Any]
    tokens_source: dict[str, Any] | None = None
    n_chips: int | None = None
    scope: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def bound(self) -> TrainingTime:
        """The time bound at MFU 1 (never beatable) on the reported chip at ``precision``."""
        return training_time(self.model, self.tokens, chip=self.chip, n_chips=self.n_chips or 1,
                             precision=self.precision, recipe=self.recipe, seq_len=self.seq_len)

    def implied_utilisation(self) -> float:
        """Bound chip-hours / reported chip-hours (MFU the report implies, on this FLOP count)."""
        return float(self.bound().chip_hours.m_as("hour")) / self.chip_hours

    def describe(self) -> str:
        b = self.bound()
        return (f"{self.id}: {self.model} on {self.chip}, {self.tokens / 1e12:g}T tokens: bound "
                f"{b.chip_hours.m_as('hour') / 1e6:.4g}M chip-hours ({b.flops_per_token / 1e9:.4g} GFLOP/token, "
                f"{self.precision}) vs reported {self.chip_hours / 1e6:.4g}M: implied utilisation "
                f"{self.implied_utilisation():.1%}" + self._energy())

    def _energy(self) -> str:
        c = _chip(self.chip)
        if c.power is None or c.power.tdp is None:
            return ""
        return f"; reported hours x {c.power.tdp.q:~P} TDP = {c.power.tdp.q.m_as('W') * self.chip_hours / 1e9:.4g} GWh"


_RUN_KEYS = {"id", "model", "chip", "tokens", "chip_hours", "seq_len", "precision", "recipe", "source",
             "tokens_source", "n_chips", "scope", "note"}


def load_training_runs(path: str | Path | None = None) -> list[TrainingRun]:
    """Read ``specs/training_runs/*.yaml`` (or the given file/folder). Each record needs a source
    with title, url, date and quote; unknown keys are refused naming the file and record."""
    from ..errors import SpecFileError

    p = Path(path) if path is not None else _runs_dir()
    files = sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    out: list[TrainingRun] = []
    for f in files:
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for rec in data.get("runs", []):
            rid = rec.get("id", "?")
            bad = set(rec) - _RUN_KEYS
            if bad:
                raise SpecFileError(str(f), f"unknown keys {sorted(bad)}", record=rid)
            for key in ("model", "chip", "tokens", "chip_hours", "source", "seq_len", "precision"):
                if key not in rec:
                    raise SpecFileError(str(f), "missing", record=rid, field=key)
            for key in ("title", "url", "date", "quote"):
                if not rec["source"].get(key):
                    raise SpecFileError(str(f), "source needs title, url, date and quote", record=rid,
                                        field=f"source.{key}")
            out.append(TrainingRun(id=rid, model=rec["model"], chip=rec["chip"], tokens=float(rec["tokens"]),
                                   chip_hours=float(rec["chip_hours"]), seq_len=int(rec["seq_len"]),
                                   precision=rec["precision"], recipe=rec.get("recipe", "bf16-adam"),
                                   source=rec["source"], tokens_source=rec.get("tokens_source"),
                                   n_chips=rec.get("n_chips"), scope=rec.get("scope", ""),
                                   note=rec.get("note", "")))
    return out


def training_runs() -> list[TrainingRun]:
    """The shipped published training runs.

    Returns
    -------
    list of TrainingRun
        Each run with its model, chips, tokens, reported time or MFU, and source.

    Raises
    ------
    SpecFileError
        A shipped runs file is malformed.
    """
    return load_training_runs()


# --- claims ----------------------------------------------------------------------------------
TIANCHI_QUOTE = "单个天池512超节点就能完成万亿参数模型训练"
SANJIANGYUAN_QUOTE = "其中阿里云投入的设备数量为1024台,搭载的平头哥算力卡有16384张,所提供的算力达到1945P"


def check_training_claim(params: float = 1e12, n_chips: int = 512, *, chips: tuple[str, ...] = (
        "zhenwu-m890", "zhenwu-810e", "kunlun-p800", "kunlun-m300"),
        recipes: tuple[str, ...] = ("bf16-adam", "fp8-deepseek-v3", "adam-8bit"),
        quote: str = TIANCHI_QUOTE) -> str:
    """Memory feasibility of "trains an N-parameter model on n_chips": model states per chip under
    ZeRO-3 over all chips (``params * bytes_per_param / n_chips``) plus the 2 GiB reserve, for
    each recipe, against each candidate chip's published capacity. Activations are not counted
    (the claim gives no model shape, sequence length or batch); they only add to the need,
    so "does not fit" is certain and "fits" is necessary, not sufficient.

    Parameters
    ----------
    params : float, optional
        Parameters of the model claimed (default ``1e12``).
    n_chips : int, optional
        Chips claimed (default 512).
    chips : tuple of str, optional
        Candidate chips (default: Zhenwu M890 and 810E, Kunlun P800 and M300).
    recipes : tuple of str, optional
        Training recipes tried (default: all of :data:`RECIPES`).
    quote : str, optional
        The claim as published (default: the Tianchi 512-card quote).

    Returns
    -------
    str
        A small report: model states per chip [GB] for each recipe, against each chip's
        published capacity.

    Raises
    ------
    UnknownChipError
        A candidate names no catalog chip.
    UnknownRecipeError
        A recipe is unknown.
    InvalidArgumentError, CountTypeError
        ``params`` is not a finite positive number, or ``n_chips`` not a whole number in
        1 .. 2**53 (``nan`` parameters or ``0.5`` chips are refused).
    """
    params = _pos_real(params, "params")
    n_chips = _pos_int(n_chips, "n_chips")
    lines = [f"claim: {quote}", f"read as: a {params / 1e12:g}T-parameter model trained on {n_chips} chips",
             "model states per chip under ZeRO-3 (FSDP) over all chips, + 2 GiB reserve; activations not counted:"]
    for r in recipes:
        rec = _recipe(r)
        per = params * rec.total / n_chips + _RESERVE
        row = [f"  {rec.name:<16} {rec.total:6.4g} B/param -> {per / _GB:7.2f} GB/chip"]
        for cid in chips:
            c = _chip(cid)
            cap = c.memory.capacity
            if cap is None:
                row.append(f"{c.name}: capacity not published")
            else:
                v = float(cap.q.m_as("B"))
                row.append(f"{c.name} {v / _GB:g} GB: {'fits' if per <= v else 'does not fit'} "
                           f"({(v - per) / _GB:+.1f} GB)")
        lines.append("; ".join(row))
    lines.append("unpublished: which chip the supernode uses and its memory (the seed attributes Tianchi to "
                 "Baidu/Kunlunxin, whose M100/M300 capacities are unpublished here, P800 96 GB; Zhenwu M890/810E shown "
                 "as the brief's candidates), the model shape, tokens and training time (so time is unchecked)")
    return "\n".join(lines)


def cluster_training_time(total_peak: Any = "1945 PFLOPS", n_chips: int = 16384,
                          model: Model | str = "llama-3.1-405b", tokens: float = 15.6e12, *, seq_len: int = 8192,
                          mfu: float = 1.0) -> TrainingTime:
    """What a cluster total such as "16,384 cards = 1945P" (S004: ``SANJIANGYUAN_QUOTE``) implies
    for training ``model`` on ``tokens``: the time bound at ``total_peak / n_chips`` per card
    (the source states no precision, so this is the best case for whatever format 1945P counts)."""
    total = float(parse_quantity(total_peak, "FLOPS", "total_peak").m_as("FLOPS"))
    n = _pos_int(n_chips, "n_chips")
    return training_time(model, tokens, peak=Q_(total / n, "FLOPS"), n_chips=n, seq_len=seq_len, mfu=mfu,
                         precision="unstated")



def runs_report() -> str:
    """One line per shipped run: bound chip-hours, reported chip-hours, implied utilisation."""
    return "\n".join(r.describe() for r in training_runs())

