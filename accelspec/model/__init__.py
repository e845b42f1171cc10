"""Models: what a network is (architecture, parameter counts, cache per token) and the number
formats its weights, activations and cache are stored in.

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.layers`            :class:`~accelspec.AttentionKind`, the vocabulary of layer kinds
:mod:`.datatypes`         number formats: bits per value, block scales (:func:`~accelspec.dtype`)
:mod:`.quant`             checkpoint quantization formats (``quantization_config``: fp8 blocks,
                          MXFP4 experts, ...) and what each part of a model is stored in
:mod:`.config`            the reader of Hugging Face ``config.json`` files, one reader per family
:mod:`.architecture`      :class:`~accelspec.Model`: layers, experts, parameters, KV bytes per token
:mod:`.catalog`           the model catalog (:func:`~accelspec.get_model`, :func:`~accelspec.models`)
========================  ==========================================================================

Imports the base layer only (never :mod:`accelspec.hardware` or :mod:`accelspec.perf`).
"""
