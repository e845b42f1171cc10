"""The vocabulary of layer kinds, shared by the config reader (:mod:`accelspec.model.config`) and
the model (:mod:`accelspec.model.architecture`) without either importing the other's internals."""

from __future__ import annotations

from enum import Enum

__all__ = ["AttentionKind"]


class AttentionKind(str, Enum):
    """How one layer mixes tokens, which decides what it caches."""

    full = "full"  #: softmax attention over the whole context (MHA / GQA / MQA)
    sliding = "sliding"  #: softmax attention over the last ``sliding_window`` tokens
    chunked = "chunked"  #: softmax attention within fixed chunks of ``attention_chunk_size`` tokens (Llama 4)
    mla = "mla"  #: multi-head latent attention (DeepSeek-V2/V3): one compressed latent per token
    linear = "linear"  #: linear attention (Gated DeltaNet): fixed-size state, no per-token cache

    def __str__(self) -> str:
        return self.value
