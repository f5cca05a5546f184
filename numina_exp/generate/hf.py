"""transformers `generate`, batched with left padding, stop strings cut and kept (or not).

* `backend.batch_size` prompts per `generate` call (each with n = sampling.n return sequences).
* `backend.static_cache`: a static KV cache (`cache_implementation="static"`); with `backend.compile`
  the forward is `torch.compile`d by transformers' generate (the blog's 2-3x inference ablation).
* Seeds: one torch seed per call, `request_seed(seed, first key of the call)` - unlike vLLM, the text
  of a request depends on what it is batched with (sampling noise is drawn for the whole batch).
"""
from __future__ import annotations

from typing import Optional, Sequence

from .base import Backend, Completion, GenKey, Sampling, cut_at_stop, request_seed


class HFBackend(Backend):
    loads_weights = True
    static_cache = True  # backend.static_cache / backend.compile (the blog's inference ablation)

    def __init__(self, cfg, model=None, tokenizer=None):
        import torch

        from numina_exp.models import load_model, load_tokenizer, resolve_model_source

        self.cfg = cfg
        b = cfg.backend
        source = None if (model is not None and tokenizer is not None) else resolve_model_source(cfg)
        self.tok = tokenizer or load_tokenizer(cfg, source)
        self.tok.padding_side = "left"
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        self.model = (model or load_model(cfg, source)).eval()
        self.device = next(self.model.parameters()).device
        self.prompts_per_call = int(b.batch_size)
        self.static_cache = bool(b.static_cache)
        self.compile = bool(b.compile)
        self.max_len = int(b.max_model_len or cfg.model.context_length)
        self._torch = torch

    def _gen_kwargs(self, sampling: Sampling) -> dict:
        from transformers import GenerationConfig

        sample = sampling.temperature > 0
        kw = dict(max_new_tokens=sampling.max_new_tokens, do_sample=sample, num_return_sequences=sampling.n,
                  pad_token_id=self.tok.pad_token_id, eos_token_id=self.tok.eos_token_id,
                  top_k=sampling.top_k if sampling.top_k and sampling.top_k > 0 else 0,
                  disable_compile=not self.compile, stop_strings=list(sampling.stop) or None)
        if sample:
            kw.update(temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            kw.update(temperature=None, top_p=None)
        if self.static_cache:
            kw["cache_implementation"] = "static"
        if self.compile:
            from transformers import CompileConfig
            cc = CompileConfig()
            if self.device.type == "cpu":
                # generate() compiles only on accelerators unless this flag is set; it is a class-level
                # flag in transformers 5.x, not a constructor argument
                cc._compile_all_devices = True
            kw["compile_config"] = cc
        return dict(generation_config=GenerationConfig(**kw), tokenizer=self.tok if sampling.stop else None)

    def generate(self, prompts: Sequence[str], sampling: Sampling,
                 keys: Optional[Sequence[GenKey]] = None) -> list[list[Completion]]:
        torch = self._torch
        out: list[list[Completion]] = []
        per = max(1, self.prompts_per_call)
        for start in range(0, len(prompts), per):
            chunk = list(prompts[start:start + per])
            ckeys = list(keys[start:start + per]) if keys is not None else [None]
            seed = request_seed(sampling.seed, ckeys[0])
            if seed is not None:
                torch.manual_seed(seed)
            enc = self.tok(chunk, return_tensors="pt", padding=True).to(self.device)
            budget = min(sampling.max_new_tokens, max(1, self.max_len - enc["input_ids"].shape[1]))
            kwargs = self._gen_kwargs(Sampling(**{**sampling.__dict__, "max_new_tokens": budget}))
            with torch.inference_mode():
                seqs = self.model.generate(**enc, **kwargs)
            new = seqs[:, enc["input_ids"].shape[1]:]
            for i in range(len(chunk)):
                comps = []
                for j in range(sampling.n):
                    comps.append(self._completion(new[i * sampling.n + j].tolist(), sampling, budget))
                out.append(comps)
        return out

    def _completion(self, ids: list[int], sampling: Sampling, budget: int) -> Completion:
        eos = self.tok.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        pad = self.tok.pad_token_id
        n_tok, hit_eos = 0, False
        for t in ids:
            n_tok += 1
            if t in eos_ids:
                hit_eos = True
                break
        # trailing pads (when pad == eos the first one is the EOS, counted above)
        kept = ids[:n_tok - 1] if hit_eos else ids[:n_tok]
        if not hit_eos and pad is not None and pad not in eos_ids:
            while kept and kept[-1] == pad:
                kept.pop()
                n_tok -= 1
        text = self.tok.decode(kept, skip_special_tokens=True)
        text, stopped = cut_at_stop(text, sampling.stop, sampling.include_stop_in_output)
        if stopped:
            reason = "stop"
            n_tok -= int(hit_eos)  # the pad after a stop string is not a generated token
        elif hit_eos:
            reason = "eos"
        else:
            reason = "length"
        return Completion(text, n_tok, reason)

    def close(self) -> None:
        self.model = None
