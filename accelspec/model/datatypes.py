"""Number formats as values: how many bytes one element of a weight or KV-cache tensor takes.

A :class:`DType` knows its element width and, for block formats, the shared scale that
travels with each block, so ``dtype("mxfp4").bits_per_element`` is 4.25, not 4:

* OCP Microscaling (MX) formats v1.0 (Open Compute Project, 2023): a block of 32 elements
  shares one 8-bit E8M0 scale. MXFP4 = 4-bit E2M1 elements + 8/32 bit = 4.25 bits/element;
  MXFP6 = 6.25; MXFP8 = 8.25; MXINT8 = 8.25.
* NVFP4 (NVIDIA, Blackwell): 16-element blocks of E2M1 with one FP8 E4M3 scale = 4.5
  bits/element (the per-tensor FP32 scale is ignored: it is one number per tensor).

Group-scaled checkpoint formats also have names :func:`dtype` reads: ``int4-g128`` (one fp16
scale per 128 = 4.125 bits), ``int4-g128-zp`` (plus a 4-bit zero point = 4.15625 bits, AWQ and
GPTQ), ``fp8-b128x128`` (one fp32 scale per 128x128 block = 8.00195 bits, DeepSeek-V3); see
:mod:`accelspec.model.quant` for where each comes from.

Plain formats have no scale: fp32 4 B, bf16/fp16 2 B, fp8 (E4M3 or E5M2)/int8 1 B,
int4/fp4 0.5 B. Per-tensor or per-channel scales are ignored everywhere (they are a few
numbers per matrix). Use :func:`block_dtype` for other group-quantized formats, e.g. an
int4 checkpoint with one fp16 scale per 128 weights is ``block_dtype("int4-g128", 4, 128, 16)``
(4.125 bits).

The same :class:`DType` serves weights and the KV cache (``weight_dtype=``/``kv_dtype=``
arguments across the library); :func:`dtype` turns a name into one and refuses unknown names
with the closest known ones.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pint

from ..errors import InvalidDTypeError, UnknownDTypeError
from ..units import Q_

__all__ = ["DType", "InvalidDTypeError", "UnknownDTypeError", "block_dtype", "dtype", "dtypes"]


@dataclass(frozen=True)
class DType:
    """A storage format: element width and, for block formats, the shared scale per block.

    ``bits``: bits of one element; ``block_size``/``scale_bits``: one shared scale of
    ``scale_bits`` per ``block_size`` elements (block formats only).
    """

    name: str
    bits: float
    kind: str = "float"  #: "float", "int" or "block"
    block_size: int | None = None
    scale_bits: float = 0.0
    aliases: tuple[str, ...] = field(default=(), compare=False)
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for what, v in (("bits", self.bits), ("scale_bits", self.scale_bits)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 64:
                raise InvalidDTypeError(f"dtype {self.name!r}: {what} must be a finite number in [0, 64], got {v!r}")
        if not self.bits > 0:
            raise InvalidDTypeError(f"dtype {self.name!r}: bits must be positive, got {self.bits}")
        if (self.block_size is None) != (self.scale_bits == 0):
            raise InvalidDTypeError(f"dtype {self.name!r}: a block format needs both block_size and scale_bits")
        if self.block_size is not None and (isinstance(self.block_size, bool) or not isinstance(self.block_size, int)
                                            or not 1 <= self.block_size <= 2**20):
            raise InvalidDTypeError(f"dtype {self.name!r}: block_size must be a whole number in 1..2**20, "
                                    f"got {self.block_size!r}")

    @property
    def bits_per_element(self) -> float:
        """Element bits plus the block scale spread over its block: ``bits + scale_bits / block_size``."""
        if self.block_size:
            return self.bits + self.scale_bits / self.block_size
        return float(self.bits)

    @property
    def bytes_per_element(self) -> float:
        """``bits_per_element / 8`` as a float (0.53125 for MXFP4)."""
        return self.bits_per_element / 8

    @property
    def itemsize(self) -> pint.Quantity:
        """Bytes per element as a Quantity (``0.53125 B`` for MXFP4)."""
        return Q_(self.bytes_per_element, "B")

    @property
    def is_block(self) -> bool:
        return self.block_size is not None

    def nbytes(self, n_elements: npt.ArrayLike) -> npt.NDArray[np.float64] | np.float64:
        """Bytes for ``n_elements`` (a number or a numpy array), as plain floats in bytes."""
        return np.multiply(n_elements, self.bytes_per_element, dtype=float)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        if self.block_size:
            return (f"<DType {self.name}: {self.bits:g}-bit elements + {self.scale_bits:g}-bit scale "
                    f"per {self.block_size} = {self.bits_per_element:g} bits>")
        return f"<DType {self.name}: {self.bits_per_element:g} bits>"


def _key(name: str) -> str:
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


_BUILTIN: tuple[DType, ...] = (
    DType("fp32", 32, aliases=("float32", "float", "f32", "single")),
    DType("tf32", 32, note="stored as 32 bits; TF32 is a compute format",
          aliases=("tensorfloat32",)),
    DType("bf16", 16, aliases=("bfloat16",)),
    DType("fp16", 16, aliases=("float16", "half", "f16")),
    DType("fp8", 8, aliases=("float8", "fp8e4m3", "e4m3", "float8e4m3fn", "fp8e4m3fn", "f8e4m3"),
          note="E4M3 (the usual weight/KV format)"),
    DType("fp8_e5m2", 8, aliases=("fp8e5m2", "e5m2", "float8e5m2", "f8e5m2")),
    DType("int8", 8, kind="int", aliases=("i8", "w8", "s8", "uint8")),
    DType("fp6", 6, aliases=("float6", "e3m2", "e2m3")),
    DType("int4", 4, kind="int", aliases=("i4", "w4", "uint4")),
    DType("fp4", 4, aliases=("float4", "e2m1", "fp4e2m1"), note="bare E2M1, no block scale"),
    DType("mxfp8", 8, kind="block", block_size=32, scale_bits=8, aliases=("mxfp8e4m3",),
          note="OCP MX v1.0: 32 FP8 elements + one E8M0 scale"),
    DType("mxfp6", 6, kind="block", block_size=32, scale_bits=8, aliases=("mxfp6e3m2", "mxfp6e2m3"),
          note="OCP MX v1.0: 32 FP6 elements + one E8M0 scale"),
    DType("mxfp4", 4, kind="block", block_size=32, scale_bits=8, aliases=("mxfp4e2m1",),
          note="OCP MX v1.0: 32 E2M1 elements + one E8M0 scale = 4.25 bits"),
    DType("mxint8", 8, kind="block", block_size=32, scale_bits=8,
          note="OCP MX v1.0: 32 INT8 elements + one E8M0 scale"),
    DType("nvfp4", 4, kind="block", block_size=16, scale_bits=8,
          note="NVIDIA NVFP4: 16 E2M1 elements + one E4M3 scale = 4.5 bits (per-tensor FP32 scale ignored)"),
)

_REGISTRY: dict[str, DType] = {}
for _d in _BUILTIN:
    for _n in (_d.name, *_d.aliases):
        _REGISTRY[_key(_n)] = _d


def dtypes() -> list[DType]:
    """The built-in number formats.

    Returns
    -------
    list of DType
        fp32, tf32, bf16, fp16, the fp8 variants, int8, fp6, int4, fp4, then the block formats
        (mxfp8, mxfp6, mxfp4, mxint8, nvfp4); each with its element width [bit] and, for a
        block format, its block size [elements] and scale width [bit].
    """
    return list(_BUILTIN)


def dtype(value: str | DType, what: str = "dtype") -> DType:
    """The :class:`DType` for a name (``"bf16"``, ``"bfloat16"``, ``"MXFP4"``, ``"e4m3"``...).

    Case and punctuation are ignored. Group- and block-scaled checkpoint formats are read from
    their names too: ``"int4-g128"`` (one fp16 scale per 128 elements: 4 + 16/128 = 4.125
    bits), ``"int4-g128-zp"`` (plus a 4-bit zero point: 4.15625 bits), ``"fp8-b128x128"``
    (one fp32 scale per 128x128 block: 8 + 32/16384 bits).

    Parameters
    ----------
    value : str or DType
        A format name or alias; a :class:`DType` is returned as is.
    what : str, default "dtype"
        The argument's name, used in error messages (``"kv_dtype"``, ``"weight_dtype"``).

    Returns
    -------
    DType
        The format: ``bits_per_element`` [bit] and ``bytes_per_element`` [B], block scale
        included.

    Raises
    ------
    UnknownDTypeError
        An unknown name; the message names ``what`` and the closest known formats.
    TypeError
        ``value`` is neither a string nor a :class:`DType`.
    """
    if isinstance(value, DType):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a dtype name such as 'bf16' or a DType, got {type(value).__name__}")
    key = _key(value)
    if key in _REGISTRY:
        return _REGISTRY[key]
    named = _group_name(value)
    if named is not None:
        return named
    import difflib

    close = difflib.get_close_matches(key, list(_REGISTRY), n=8, cutoff=0.5)
    names: list[str] = []
    for k in close:
        if _REGISTRY[k].name not in names:
            names.append(_REGISTRY[k].name)
    err = UnknownDTypeError(value, names[:4])
    known = ", ".join(d.name for d in _BUILTIN)
    err.args = (f"{what}: {err.args[0]} (known: {known}; block_dtype() makes others)",)
    raise err


_GROUP_RE = re.compile(r"^(?:(awq|gptq|ct|modelopt)-)?(int|uint|fp)(\d+)-g(\d+)(-zp)?$")
_BLOCK_RE = re.compile(r"^(fp8|fp8_e5m2)-b(\d+)x(\d+)$")


def _group_name(value: str) -> DType | None:
    """Group- and block-scaled formats by name (the names :mod:`accelspec.model.quant` gives them):

    * ``int4-g128``: 4-bit elements + one fp16 scale per 128 (AWQ/GPTQ convention) = 4.125 bits;
      ``int4-g128-zp`` adds a 4-bit zero point per group = 4 + 20/128 = 4.15625 bits;
      a ``awq-``/``gptq-``/``ct-``/``modelopt-`` prefix is kept in the name only;
    * ``fp8-b128x128``: FP8 + one fp32 scale per 128x128 block (DeepSeek-V3) = 8 + 32/16384 bits.
    """
    text = value.strip().lower()
    m = _GROUP_RE.match(text)
    if m:
        bits, group = int(m.group(3)), int(m.group(4))
        if not (1 <= bits <= 16 and group >= 1):
            return None
        zeros = bits if m.group(5) else 0
        return DType(text, bits, kind="block", block_size=group, scale_bits=16 + zeros)
    m = _BLOCK_RE.match(text)
    if m:
        rows, cols = int(m.group(2)), int(m.group(3))
        if rows < 1 or cols < 1:
            return None
        return DType(text, 8, kind="block", block_size=rows * cols, scale_bits=32)
    return None


def block_dtype(name: str, bits: float, block_size: int, scale_bits: float, kind: str = "block") -> DType:
    """A group-quantized format: ``block_size`` elements of ``bits`` share one ``scale_bits`` scale.

    Bits per element = ``bits + scale_bits / block_size``: ``block_dtype("int4-g128", 4, 128,
    16)`` is int4 with an fp16 scale per 128 weights, 4 + 16/128 = 4.125 bits.

    Parameters
    ----------
    name : str
        The format's name, shown in results and assumptions.
    bits : float
        Width of one element [bit], in (0, 64].
    block_size : int
        Elements that share one scale [elements], 1 to 2**20.
    scale_bits : float
        Width of the shared scale (with its zero point, if any) [bit], in (0, 64].
    kind : str, default "block"
        The :attr:`DType.kind` recorded.

    Returns
    -------
    DType
        The format; ``bits_per_element`` [bit] includes the scale's share.

    Raises
    ------
    InvalidDTypeError
        A width outside [0, 64], a non-positive ``bits``, or a ``block_size`` that is not a
        whole number in 1..2**20.
    """
    return DType(name, bits, kind=kind, block_size=block_size, scale_bits=scale_bits)
