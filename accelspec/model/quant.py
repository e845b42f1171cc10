"""Checkpoint weight formats: what a ``config.json`` ``quantization_config`` (or an
``hf_quant_config.json``) says about how many bits each weight takes on the device.

:func:`checkpoint_format` turns the config into a :class:`WeightFormat`: one :class:`DType`
per part of the model (``attention``, ``mlp``, ``experts``, ``router``, ``norms``,
``embedding``, ``lm_head``). Quantized parts get the checkpoint's format with its scales (and
zero points) amortised per element; every other part keeps the stored precision
(``torch_dtype``/``dtype``). Modules named in the config's exclusion list
(``modules_to_not_convert``, ``ignore``, ``exclude_modules``, ``llm_int8_skip_modules``)
stay at the stored precision too. A field that can change memory and is not understood goes
into ``WeightFormat.warnings``; nothing is dropped silently.

Formats and their bits per weight (``b`` element bits, ``g`` group size):

==================  ===============================================  ================================
method              storage                                          bits per weight
==================  ===============================================  ================================
fp8 (block)         E4M3 + one fp32 scale per 128x128 block           ``8 + 32/16384`` = 8.00195
                    (DeepSeek-V3 ``weight_block_size``)
fp8 (per tensor)    E4M3, one scale per matrix (ignored)              8
mxfp4               OCP MX: E2M1 + one E8M0 scale per 32              4.25
nvfp4 (modelopt)    E2M1 + one E4M3 scale per 16                      4.5
awq                 ``b``-bit + fp16 scale per group (+ ``b``-bit     ``b + (16 + b)/g``; 4-bit g128:
                    zero, packed in int32 ``qzeros``, if zero_point)  4 + 20/128 = 4.15625
gptq                ``b``-bit + fp16 scale + ``b``-bit zero per group  ``b + (16 + b)/g`` (``qzeros`` is
                                                                      stored even when ``sym``)
compressed-tensors  per config group: int/float ``num_bits``; group    ``b + (16 [+ b])/g``; per channel
                    strategy adds a 16-bit scale (+ a packed zero      or tensor: ``b``
                    when asymmetric); tensor_group fp4/16 = NVFP4
bitsandbytes        nf4/fp4 in blocks of 64 with an fp32 absmax       4.5; with double quantization
                                                                      ``4 + 8/64 + 32/(64*256)`` = 4.127
                    (QLoRA, arXiv:2305.14314); int8 per row           8
==================  ===============================================  ================================

Left out everywhere (each well under 0.05 bit per weight): per-tensor and per-channel
scales; GPTQ's ``g_idx`` (one int32 per input row, ``32/out_features`` bits); the rounding
up of partial blocks at matrix edges; biases inside quantized modules (counted at the
module's format).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .datatypes import DType, block_dtype, dtype

__all__ = ["PARTS", "WeightFormat", "checkpoint_format", "plain_format"]

#: the parts of a model a format assigns a dtype to
PARTS = ("attention", "mlp", "experts", "router", "norms", "embedding", "lm_head")

_STORED = {"bfloat16": "bf16", "bf16": "bf16", "float16": "fp16", "fp16": "fp16", "half": "fp16",
           "float32": "fp32", "fp32": "fp32", "float": "fp32"}


@dataclass(frozen=True)
class WeightFormat:
    """The storage format of each part of a checkpoint.

    ``dtypes``: part -> :class:`DType` (keys: :data:`PARTS`); ``method``: the quantization
    method (``None`` when not quantized); ``stored``: precision of unquantized tensors;
    ``origin``: ``"checkpoint"`` (read from the config), ``"override"`` (``weight_dtype=``
    given) or ``"assumed"``; ``source``: which file and field it was read from;
    ``excluded``: exclusion patterns as written; ``warnings``: memory-relevant fields not
    understood; ``notes``: facts read but not applied (e.g. a KV-cache format, a runtime choice).
    """

    dtypes: Mapping[str, DType]
    method: str | None = None
    stored: DType = field(default_factory=lambda: dtype("bf16"))
    origin: str = "checkpoint"
    source: str = "config.json"
    excluded: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __getitem__(self, part: str) -> DType:
        return self.dtypes[part]

    def summary(self, present: Collection[str] | None = None) -> str:
        """Parts grouped by dtype, the stored precision last as "rest":
        ``"mxfp4 experts, bf16 rest"``. ``present``: the parts the model has (others are left
        out of the text, e.g. no experts in a dense model)."""
        parts = [p for p in PARTS if present is None or p in present] or list(PARTS)
        groups: dict[str, list[str]] = {}
        for p in parts:
            groups.setdefault(self.dtypes[p].name, []).append(p)
        if len(groups) == 1:
            return next(iter(groups))
        rest = self.stored.name if self.stored.name in groups else max(groups, key=lambda k: len(groups[k]))
        text = [f"{name} {'+'.join(ps)}" for name, ps in groups.items() if name != rest]
        return ", ".join(text) + f", {rest} rest"

    def describe(self) -> str:
        """``summary`` plus where it came from: ``"mxfp4 experts, bf16 rest (checkpoint: ...)"``."""
        return f"{self.summary()} ({self.origin}: {self.source})"


def plain_format(weights: str | DType, experts: str | DType | None = None, embeddings: str | DType | None = None,
                 origin: str = "override", source: str = "weight_dtype") -> WeightFormat:
    """One dtype for every part (``experts``/``embeddings`` may differ): the ``weight_dtype=`` override.

    Norms and router take ``weights`` too, so ``weight_dtype="bf16"`` is ``params * 2 B`` exactly.
    """
    w = dtype(weights, "weight_dtype")
    e = dtype(experts, "expert_dtype") if experts is not None else w
    m = dtype(embeddings, "embedding_dtype") if embeddings is not None else w
    d = {"attention": w, "mlp": w, "experts": e, "router": w, "norms": w, "embedding": m, "lm_head": m}
    return WeightFormat(dtypes=d, method=None, stored=w, origin=origin, source=source)


# --- module names, to apply exclusion lists -----------------------------------------------------------
def _part_modules(fields: Mapping[str, Any], layer: int) -> dict[str, list[str]]:
    """Representative module names (Hugging Face naming) of each part, for one layer."""
    fam = str(fields.get("family", ""))
    pre = f"model.layers.{layer}"
    if fields.get("mla"):
        attn = ["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"]
        if not fields["mla"].get("q_lora_rank"):
            attn = ["q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"]
    else:
        attn = ["q_proj", "k_proj", "v_proj", "o_proj"]
    names = {"attention": [f"{pre}.self_attn.{n}" for n in attn]}
    if fields.get("linear_attention"):
        names["attention"] += [f"{pre}.linear_attn.{n}" for n in ("in_proj_qkvz", "in_proj_ba", "out_proj")]
    ffn = ["gate_proj", "up_proj", "down_proj"]
    names["mlp"] = [f"{pre}.mlp.{n}" for n in ffn]
    moe = fields.get("moe")
    if moe:
        if fam == "gpt_oss":
            names["experts"] = [f"{pre}.mlp.experts.gate_up_proj", f"{pre}.mlp.experts.down_proj"]
            names["router"] = [f"{pre}.mlp.router"]
        elif fam == "mixtral":
            names["experts"] = [f"{pre}.block_sparse_moe.experts.0.{n}" for n in ("w1", "w2", "w3")]
            names["router"] = [f"{pre}.block_sparse_moe.gate"]
        else:
            names["experts"] = [f"{pre}.mlp.experts.0.{n}" for n in ffn]
            names["router"] = [f"{pre}.mlp.gate"]
        if moe.get("n_shared_experts"):
            sh = "shared_experts" if fam == "deepseek_v3" else "shared_expert"
            names["mlp"] = [f"{pre}.mlp.{sh}.{n}" for n in ffn]
    else:
        names["experts"] = []
        names["router"] = []
    names["norms"] = [f"{pre}.input_layernorm", f"{pre}.post_attention_layernorm"]
    names["embedding"] = ["model.embed_tokens"]
    names["lm_head"] = [] if fields.get("tied_embeddings") else ["lm_head"]
    return names


def _matches(pattern: str, name: str) -> bool:
    """Exclusion-pattern semantics of the integrations: ``re:`` regex (compressed-tensors,
    ``re.match``), globs (modelopt, gpt-oss ``model.layers.*.self_attn``) matching the module or
    a parent, else a substring of the dotted name (transformers/vLLM AWQ, GPTQ, bitsandbytes)."""
    if pattern.startswith("re:"):
        try:
            return re.match(pattern[3:], name) is not None
        except re.error:
            return False
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(name, pattern + ".*")
    return pattern in name


def _excluded_parts(patterns: list[str], fields: Mapping[str, Any], parts: tuple[str, ...],
                    warnings: list[str], what: str) -> set[str]:
    """Parts whose every module matches some pattern, in every layer; partial matches warn."""
    if not patterns:
        return set()
    n_layers = int(fields.get("n_layers") or 1)
    probe = sorted({0, 1, n_layers // 2, n_layers - 1} & set(range(n_layers)))
    out: set[str] = set()
    for part in parts:
        hits = []
        for layer in probe:
            mods = _part_modules(fields, layer)[part]
            hits += [any(_matches(p, m) for p in patterns) for m in mods]
        if hits and all(hits):
            out.add(part)
        elif any(hits):
            warnings.append(f"{what}: matches only some {part} modules (some layers or projections); "
                            f"{part} counted as quantized")
    return out


# --- the formats -------------------------------------------------------------------------------------
def _stored(cfg: Mapping[str, Any], notes: list[str], warnings: list[str]) -> DType:
    raw = cfg.get("torch_dtype", cfg.get("dtype"))
    if raw is None:
        notes.append("torch_dtype not given; unquantized tensors assumed bf16")
        return dtype("bf16")
    key = str(raw).removeprefix("torch.").lower()
    if key not in _STORED:
        warnings.append(f"torch_dtype {raw!r} not understood; unquantized tensors assumed bf16")
        return dtype("bf16")
    return dtype(_STORED[key])


def _int_dtype(bits: int) -> DType:
    if bits in (4, 8):
        return dtype(f"int{bits}")
    return DType(f"int{bits}", bits, kind="int")


def _group_int(method: str, bits: int, group: int, zeros: bool, scale_bits: int = 16) -> DType:
    """``bits``-bit integers, one ``scale_bits`` scale (and a ``bits``-bit zero) per ``group``."""
    if group <= 0:  # -1: one scale per output channel, ignored like every per-channel scale
        return _int_dtype(bits)
    over = scale_bits + (bits if zeros else 0)
    name = f"{method}-int{bits}-g{group}" + ("-zp" if zeros else "")
    return block_dtype(name, bits, group, over)


def _int(q: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        v = q.get(k)
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, int):
                raise ValueError(f"quantization_config.{k}: expected an integer, got {v!r}")
            return v
    return default


_COMMON_IGNORED = {"quant_method", "modules_to_not_convert", "activation_scheme", "version", "backend",
                   "desc_act", "damp_percent", "true_sequential", "static_groups", "use_exllama",
                   "exllama_config", "use_cuda_fp16", "model_seqlen", "block_name_to_quantize",
                   "module_name_preceding_first_block", "batch_size", "pad_token_id", "max_input_length",
                   "tokenizer", "dataset", "cache_block_outputs", "modules_in_block_to_quantize",
                   "checkpoint_format", "meta", "quantizer", "pack_dtype", "damp_auto_increment", "mse",
                   "v2", "v2_alpha", "act_group_aware", "do_fuse", "fuse_max_seq_len", "producer", "format",
                   "config_groups", "ignore", "kv_cache_scheme", "global_compression_ratio",
                   "quantization_status"}
_CT_FORMATS = {"pack-quantized", "float-quantized", "int-quantized", "naive-quantized", "nvfp4-pack-quantized",
               "mixed-precision"}


def _patterns(value: Any) -> Any:
    """An exclusion list as written: None -> [], one string -> [it]; anything else is checked later."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else value


def _unknown_keys(q: Mapping[str, Any], known: set[str], warnings: list[str], where: str) -> None:
    for k in sorted(set(q) - known - _COMMON_IGNORED):
        if q[k] in (None, False, [], {}):
            continue
        warnings.append(f"{where}.{k} = {q[k]!r:.60} not understood; it may change weight memory")


_LINEAR = ("attention", "mlp", "experts")


def checkpoint_format(cfg: Mapping[str, Any], fields: Mapping[str, Any], *, hf_quant: Mapping[str, Any] | None = None,
                      label: str = "config.json") -> WeightFormat:
    """The checkpoint's own :class:`WeightFormat` from a config dict and the parsed model fields.

    ``hf_quant``: the content of ``hf_quant_config.json`` (NVIDIA modelopt), if any; it takes
    precedence over ``quantization_config``. Unknown methods and fields are reported in
    ``warnings`` and the weights are then counted at the stored precision.
    """
    warnings: list[str] = []
    notes: list[str] = []
    stored = _stored(cfg, notes, warnings)
    d: dict[str, DType] = {p: stored for p in PARTS}
    q: Any = cfg.get("quantization_config")
    where = f"{label} quantization_config"
    if hf_quant is not None:
        q = _modelopt_from_hf_quant(hf_quant)
        where = "hf_quant_config.json quantization"
    if q is None:
        return WeightFormat(dtypes=d, method=None, stored=stored, origin="checkpoint",
                            source=f"{label} torch_dtype" if "torch_dtype" in cfg or "dtype" in cfg
                            else f"{label} (no torch_dtype: bf16 assumed)", notes=tuple(notes))
    if not isinstance(q, Mapping):
        warnings.append(f"quantization_config is not an object ({q!r:.40}); weights counted at {stored}")
        return WeightFormat(dtypes=d, stored=stored, source=where, warnings=tuple(warnings), notes=tuple(notes))
    method = str(q.get("quant_method") or ("bitsandbytes" if ("load_in_4bit" in q or "load_in_8bit" in q)
                                          else "")).lower().replace("_", "-")
    excl: list[str] = []
    targets: tuple[str, ...] = _LINEAR
    fmt: DType | None = None
    per_part: dict[str, DType] = {}
    try:
        if method == "fp8":
            fmt_name = str(q.get("fmt", "e4m3")).lower()
            elem = dtype("fp8_e5m2" if fmt_name == "e5m2" else "fp8")
            blk = q.get("weight_block_size")
            if blk:
                if (not isinstance(blk, (list, tuple)) or len(blk) != 2
                        or any(isinstance(x, bool) or not isinstance(x, int) or x < 1 for x in blk)):
                    raise ValueError(f"quantization_config.weight_block_size: expected [rows, cols], got {blk!r}")
                fmt = block_dtype(f"{elem.name}-b{blk[0]}x{blk[1]}", 8, blk[0] * blk[1], 32)
            else:
                fmt = elem
            excl = _patterns(q.get("modules_to_not_convert") or [])
            _unknown_keys(q, {"fmt", "weight_block_size", "dequant"}, warnings, where)
        elif method == "mxfp4":
            fmt = dtype("mxfp4")
            targets = ("experts",)  # transformers' Mxfp4 integration converts the expert blocks only
            excl = _patterns(q.get("modules_to_not_convert") or [])
            _unknown_keys(q, set(), warnings, where)
        elif method in ("awq", "gptq"):
            bits = _int(q, "bits", "w_bit", default=4)
            group = _int(q, "group_size", "q_group_size", default=128)
            if method == "awq":
                zeros = bool(q.get("zero_point", True))
                targets = ("attention", "mlp", "experts", "router")  # AutoAWQ: every Linear of a block
            else:
                zeros = True  # GPTQ checkpoints store qzeros whether or not sym
                if q.get("lm_head"):
                    targets = (*_LINEAR, "lm_head")
            fmt = _group_int(method, bits, group, zeros)
            excl = _patterns(q.get("modules_to_not_convert") or [])
            _unknown_keys(q, {"bits", "w_bit", "group_size", "q_group_size", "zero_point", "sym", "lm_head"},
                          warnings, where)
        elif method == "compressed-tensors":
            per_part, targets = _compressed_tensors(q, fields, stored, warnings, where)
            excl = _patterns(q.get("ignore") or [])
            if q.get("format") is not None and str(q.get("format")) not in _CT_FORMATS:
                warnings.append(f"{where}.format {q.get('format')!r} not understood (sparse or dense storage "
                                "can change the size); counted as packed")
            kv = q.get("kv_cache_scheme")
            if kv:
                kv = kv if isinstance(kv, Mapping) else {}
                notes.append(f"checkpoint has a KV-cache scheme ({kv.get('type', '?')}{kv.get('num_bits', '')}); "
                             "KV dtype is a runtime choice: pass kv_dtype= to use it")
            _unknown_keys(q, set(), warnings, where)
        elif method == "modelopt":
            fmt, excl = _modelopt(q, warnings, notes, where)
            targets = ("attention", "mlp", "experts", "router", "lm_head")
        elif method == "bitsandbytes":
            targets = ("attention", "mlp", "experts", "router")
            if q.get("load_in_4bit"):
                kind = str(q.get("bnb_4bit_quant_type", "fp4")).lower()
                if q.get("bnb_4bit_use_double_quant"):
                    fmt = DType(f"bnb-{kind}-dq", 4, kind="block", block_size=64, scale_bits=8 + 32 / 256)
                else:
                    fmt = block_dtype(f"bnb-{kind}", 4, 64, 32)
            elif q.get("load_in_8bit"):
                fmt = dtype("int8")
            else:
                warnings.append(f"{where}: bitsandbytes without load_in_4bit or load_in_8bit; "
                                f"weights counted at {stored}")
            excl = _patterns(q.get("llm_int8_skip_modules") or [])
            _unknown_keys(q, {"load_in_4bit", "load_in_8bit", "bnb_4bit_quant_type", "bnb_4bit_use_double_quant",
                              "bnb_4bit_compute_dtype", "bnb_4bit_quant_storage", "llm_int8_skip_modules",
                              "llm_int8_threshold", "llm_int8_has_fp16_weight",
                              "llm_int8_enable_fp32_cpu_offload", "_load_in_4bit", "_load_in_8bit"},
                          warnings, where)
        else:
            warnings.append(f"{where}: quant_method {q.get('quant_method')!r} not understood; weights counted "
                            f"at the stored {stored} (the checkpoint is probably smaller): pass weight_dtype=")
    except (TypeError, ValueError, AttributeError) as exc:
        warnings.append(f"{where}: {exc}; weights counted at {stored}")
        fmt, per_part = None, {}
    if fmt is not None:
        per_part = {p: fmt for p in targets}
    if not isinstance(excl, list) or any(not isinstance(x, str) for x in excl):
        warnings.append(f"{where}: exclusion list {excl!r:.60} not understood; ignored")
        excl = []
    gone = _excluded_parts(excl, fields, tuple(per_part), warnings, f"{where} exclusion list")
    for p, dt in per_part.items():
        if p not in gone:
            d[p] = dt
    d["norms"] = stored
    if fields.get("tied_embeddings"):
        d["lm_head"] = d["embedding"]
    return WeightFormat(dtypes=d, method=method or None, stored=stored, origin="checkpoint",
                        source=f"{where} ({method or '?'})", excluded=tuple(excl), warnings=tuple(warnings),
                        notes=tuple(notes))


def _compressed_tensors(q: Mapping[str, Any], fields: Mapping[str, Any], stored: DType, warnings: list[str],
                        where: str) -> tuple[dict[str, DType], tuple[str, ...]]:
    groups = q.get("config_groups")
    out: dict[str, DType] = {}
    if not isinstance(groups, Mapping) or not groups:
        warnings.append(f"{where}: compressed-tensors without config_groups; weights counted at {stored}")
        return out, ()
    for gname, g in groups.items():
        w = g.get("weights") if isinstance(g, Mapping) else None
        if not isinstance(w, Mapping):
            continue
        try:
            bits = int(w.get("num_bits", 8))
        except (TypeError, ValueError):
            warnings.append(f"{where}.config_groups.{gname}.weights.num_bits {w.get('num_bits')!r} not understood")
            continue
        typ = str(w.get("type", "int")).lower()
        strategy = str(w.get("strategy", "tensor")).lower()
        sym = bool(w.get("symmetric", True))
        gs = w.get("group_size")
        if typ == "float" and bits == 4 and strategy == "tensor_group" and gs == 16:
            fmt = dtype("nvfp4")
        elif typ == "float" and bits == 4 and strategy == "group" and gs == 32:
            fmt = dtype("mxfp4")
        elif strategy in ("tensor", "channel", "token"):
            fmt = dtype("fp8") if (typ == "float" and bits == 8) else _int_dtype(bits) if typ == "int" \
                else DType(f"fp{bits}", bits)
        elif strategy in ("group", "tensor_group") and isinstance(gs, int) and gs > 0:
            elem = "int" if typ == "int" else "fp"
            over = stored.bits + (0 if sym else bits)
            fmt = block_dtype(f"ct-{elem}{bits}-g{gs}" + ("" if sym else "-zp"), bits, gs, over)
        elif strategy == "block" and isinstance(w.get("block_structure"), (list, tuple)):
            r, c = (int(x) for x in w["block_structure"])
            fmt = block_dtype(f"ct-{'fp' if typ == 'float' else 'int'}{bits}-b{r}x{c}", bits, r * c,
                              stored.bits + (0 if sym else bits))
        else:
            warnings.append(f"{where}.config_groups.{gname}: strategy {strategy!r} with group_size {gs!r} "
                            f"not understood; those weights counted at {stored}")
            continue
        tg = g.get("targets") or ["Linear"]
        for part in (*_LINEAR, "router", "lm_head"):
            if "Linear" in tg:
                out[part] = fmt
                continue
            mods = _part_modules(fields, 0)[part]
            if mods and all(any(_matches(t, m) for t in tg) for m in mods):
                out[part] = fmt
        extra = [t for t in tg if t != "Linear" and not t.startswith("re:")]
        if extra:
            warnings.append(f"{where}.config_groups.{gname}.targets {extra} matched by name only")
    return out, tuple(out)


def _modelopt_from_hf_quant(hf: Mapping[str, Any]) -> Mapping[str, Any]:
    quant = hf.get("quantization", hf)
    return {"quant_method": "modelopt", **(quant if isinstance(quant, Mapping) else {})}


def _modelopt(q: Mapping[str, Any], warnings: list[str], notes: list[str], where: str) -> tuple[DType | None, list]:
    algo = str(q.get("quant_algo", "")).upper()
    kv = q.get("kv_cache_quant_algo")
    if kv:
        notes.append(f"checkpoint has {kv} KV-cache scales; KV dtype is a runtime choice: pass kv_dtype=")
    excl = _patterns(q.get("exclude_modules") or q.get("ignore") or [])
    _unknown_keys(q, {"quant_algo", "kv_cache_quant_algo", "exclude_modules", "group_size"}, warnings, where)
    if algo == "NVFP4":
        gs = q.get("group_size", 16)
        if gs != 16:
            warnings.append(f"{where}.group_size {gs!r}: NVFP4 uses 16; counted as 16")
        return dtype("nvfp4"), excl
    if algo == "FP8":
        return dtype("fp8"), excl
    if algo == "MXFP4":
        return dtype("mxfp4"), excl
    if algo in ("W4A16_AWQ", "W4A8_AWQ"):
        gs = q.get("group_size", 128)
        return _group_int("modelopt", 4, int(gs), False), excl
    warnings.append(f"{where}.quant_algo {q.get('quant_algo')!r} not understood; weights counted at the "
                    "stored precision: pass weight_dtype=")
    return None, excl
