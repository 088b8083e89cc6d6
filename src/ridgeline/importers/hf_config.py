"""A Hugging Face ``config.json`` -> a Recipe built on the meta device with transformers.

The model is instantiated from the config alone (no weights, no memory: the meta device) and
traced by :func:`ridgeline.importers.from_torch` at the requested batch, sequence length and
phase: prefill runs T tokens with ``use_cache=False``; decode runs one token against a
KV cache already holding T - 1 (the same convention as the recipes: ``seq_len`` is the
context length in decode). Encoders (BERT) have no decode phase. transformers is an
optional extra, imported here only.
"""

from __future__ import annotations

import json
import warnings
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

from ..errors import RidgelineError
from ..recipes import Workload
from .adapter import imported_recipe

DECODER_SUFFIXES = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")


def is_config_path(model: str) -> bool:
    return model.lower().endswith(".json")


def hf_recipe(path: str):
    """``path`` (a config.json) -> a Recipe (params batch and seq-len; decoders also phase)."""
    config, data = _load(path)
    decoder = any(a.endswith(DECODER_SUFFIXES) for a in data.get("architectures") or []) \
        and not getattr(config, "is_encoder_decoder", False)
    source = _Source(config, decoder)
    name = (data.get("_name_or_path") or (data.get("architectures") or [None])[0]
            or config.model_type)
    default = Workload(batch=1, seq_len=2048 if decoder else 512,
                       phase="decode" if decoder else "prefill")
    return imported_recipe(str(path), f"{name} (config.json)", source,
                           ("batch", "seq-len"), default, f"{path} (Hugging Face config)")


def _load(path):
    try:
        import transformers
    except ImportError:
        raise RidgelineError("a config.json needs transformers: pip install "
                             "'ridgeline[hf]'") from None
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise RidgelineError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or "model_type" not in data:
        raise RidgelineError(f"{path} is not a Hugging Face config (no model_type)")
    try:
        config = transformers.AutoConfig.for_model(**data)
    except (ValueError, KeyError, TypeError) as exc:
        raise RidgelineError(f"transformers cannot read {path}: {exc}") from None
    return config, data


class _Source:
    """Builds the model once (meta device), traces it at each workload."""

    def __init__(self, config, decoder: bool):
        self.config, self.decoder, self._model = config, decoder, None
        self.last = None  # the last import: its unsupported ops and notes

    def model(self):
        if self._model is None:
            import torch
            import transformers
            auto = transformers.AutoModelForCausalLM if self.decoder else transformers.AutoModel
            with torch.device("meta"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._model = auto.from_config(self.config, attn_implementation="sdpa").eval()
        return self._model

    def trace(self, w: Workload):
        from . import from_torch
        if w.phase == "decode" and not self.decoder:
            raise RidgelineError("an encoder config has no decode phase; use --phase prefill")
        inputs = self._inputs(w)
        with ExitStack() as stack, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # transformers reads position ids' values to find packed sequences (impossible
            # on meta); each row here is one unpacked sequence, so the answer is "none"
            stack.enter_context(mock.patch(
                "transformers.masking_utils.find_packed_sequence_indices", lambda *a: None))
            self.last = from_torch(self.model(), inputs, name=self.config.model_type)
        return self.last

    def _inputs(self, w: Workload) -> dict:
        import torch
        t = 1 if w.phase == "decode" else w.seq_len
        with torch.device("meta"):
            ids = torch.zeros(w.batch, t, dtype=torch.long)
        inputs = {"input_ids": ids}
        if self.decoder:
            inputs["use_cache"] = w.phase == "decode"
            if w.phase == "decode" and w.seq_len > 1:
                inputs["past_key_values"] = self._cache(w.batch, w.seq_len - 1)
        elif getattr(self.config, "is_encoder_decoder", False):
            inputs["decoder_input_ids"] = ids
        return inputs

    def _cache(self, batch: int, past: int):
        """A KV cache holding ``past`` tokens per layer (meta tensors: shapes only)."""
        import torch
        import transformers
        c = self.config
        heads = c.num_attention_heads
        kv = getattr(c, "num_key_value_heads", None) or heads
        dim = getattr(c, "head_dim", None) or c.hidden_size // heads
        cache = transformers.DynamicCache(config=c)
        for layer in range(c.num_hidden_layers):
            k = torch.empty(batch, kv, past, dim, device="meta", dtype=self.model().dtype)
            cache.update(k, k.clone(), layer)
        return cache
