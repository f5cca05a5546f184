"""rl.rollout=tir: GRPO completions that are real tool-integrated reasoning, the same loop as SC-TIR
decoding. For every completion: generate until the output marker (```output) -> the per-copy decision
of SC-TIR (numina_exp.decode.sc_tir_rules.decide: execute / answer / discard / keep / fail) -> execute
the last python block of every copy that asked for it, all of them in ONE sandbox batch -> append the
rendered feedback and the closing fence -> continue, up to `max_tool_steps` rounds.

It is a TRL 1.16 `rollout_func(prompts, trainer)` for GRPOTrainer (RLOOTrainer has no such hook).
Returned per completion: the token ids of everything after the prompt, an `env_mask` (1 = the model
wrote the token, 0 = sandbox feedback: excluded from the loss) and `exec_status` / `exec_output` of
the last executed block, which the rewards read instead of running the code again. Unlike decoding,
a copy that fails is not restarted: its trajectory is the sample the policy is scored on.
"""
from __future__ import annotations

import time

from numina_exp.core.text import escape_invisible
from numina_exp.decode.sc_tir_rules import STOP, decide

from .rewards import NO_CODE


class TIRRollout:
    def __init__(self, rewards, tokenizer, max_steps: int, step_tokens: int, max_completion_length: int,
                 temperature: float = 1.0, top_p: float = 1.0):
        self.rewards = rewards  # its executor and timing are shared with the reward functions
        self.tok = tokenizer
        self.max_steps = max(int(max_steps), 1)
        self.step_tokens = int(step_tokens)
        self.max_len = int(max_completion_length)
        self.temperature, self.top_p = float(temperature), float(top_p)
        self.__name__ = "tir_rollout"

    def __call__(self, prompts: list, trainer) -> dict:
        texts = [p if isinstance(p, str) else self.tok.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
                 for p in prompts]
        prompt_ids = [self.tok(t, add_special_tokens=True)["input_ids"] for t in texts]
        n = len(texts)
        comp_ids = [[] for _ in range(n)]
        mask = [[] for _ in range(n)]
        generated = [""] * n
        status = [NO_CODE] * n
        output = [""] * n
        active = list(range(n))
        for step in range(self.max_steps):
            if not active:
                break
            outs = self._generate(trainer, [prompt_ids[i] + comp_ids[i] for i in active],
                                  [self.max_len - len(comp_ids[i]) for i in active])
            to_run = []
            for i, ids in zip(active, outs):
                comp_ids[i] += ids
                mask[i] += [1] * len(ids)
                generated[i] += self.tok.decode(ids, skip_special_tokens=True)
                at_eos = bool(ids) and ids[-1] == self.tok.eos_token_id
                last = step == self.max_steps - 1 or len(comp_ids[i]) >= self.max_len or at_eos
                d = decide(texts[i] + generated[i], last_step=last, restart_on_fail=False)
                if d.action == "execute":
                    to_run.append((i, d.code))
            active = []
            if to_run:
                for (i, _), res in zip(to_run, self._execute([c for _, c in to_run])):
                    # as SC-TIR appends it (decode/sc_tir.py): bidi overrides and zero-width characters the
                    # program printed reach the policy as visible escapes
                    status[i], output[i], feedback = res[0], res[1], f"{escape_invisible(res[2])}\n```"
                    ids = self.tok(feedback, add_special_tokens=False)["input_ids"]
                    room = self.max_len - len(comp_ids[i])
                    comp_ids[i] += ids[:max(room, 0)]
                    mask[i] += [0] * len(ids[:max(room, 0)])
                    generated[i] += feedback
                    if len(comp_ids[i]) < self.max_len:
                        active.append(i)
        return {"prompt_ids": prompt_ids, "completion_ids": comp_ids, "logprobs": None, "env_mask": mask,
                "exec_status": status, "exec_output": output}

    # ------------------------------------------------------------------ pieces
    def _generate(self, trainer, inputs: list[list[int]], budgets: list[int]) -> list[list[int]]:
        """One batched sampling call over the active copies, each stopping at the output marker (CPU: HF generate)."""
        import torch
        from trl.models import unwrap_model_for_generation

        pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.tok.eos_token_id
        width = max(len(x) for x in inputs)
        new = max(1, min(self.step_tokens, max(budgets)))
        # ZeRO-3: gather the partitioned weights for generation, as TRL's own generation does
        with unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator,
                                         gather_deepspeed3_params=trainer.args.ds3_gather_for_generation,
                                         gradient_checkpointing_kwargs=trainer.args.gradient_checkpointing_kwargs) as model:
            device = next(model.parameters()).device
            ids = torch.tensor([[pad] * (width - len(x)) + x for x in inputs], device=device)
            attn = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in inputs], device=device)
            was_training = model.training
            model.eval()
            with torch.no_grad():
                out = model.generate(input_ids=ids, attention_mask=attn, max_new_tokens=new, do_sample=True,
                                     temperature=self.temperature, top_p=self.top_p, pad_token_id=pad,
                                     stop_strings=[STOP], tokenizer=self.tok)
            if was_training:
                model.train()
        result = []
        for row, budget in zip(out[:, width:].tolist(), budgets):
            row = _trim(row, pad, self.tok.eos_token_id, lambda ids: self.tok.decode(ids, skip_special_tokens=True))
            result.append(row[:max(budget, 0)])
        return result

    def _execute(self, codes: list[str]) -> list[tuple[str, str, str]]:
        """(status, stdout, feedback) per code; all copies of this round in one sandbox batch."""
        t0 = time.perf_counter()
        try:
            results = self.rewards.executor().run(codes)
            out = [(r.status, r.stdout if r.status == "ok" else "", r.feedback) for r in results]
        except Exception as err:  # the sandbox failed, not the model
            self.rewards.close()
            out = [("sandbox_error", "", f"sandbox error: {err}")] * len(codes)
        finally:
            self.rewards.exec_s += time.perf_counter() - t0
        return out


def _trim(row: list[int], pad: int, eos: int | None, decode) -> list[int]:
    """Generated ids up to and including EOS; right padding (rows that stopped early) removed.

    transformers pads a row that stopped at the output marker until the batch's longest row ends; when the pad
    token is the EOS (SmolLM2) that padding starts with what looks like an EOS, which is not one: the model did
    not end its answer. `decode` (ids -> text) tells the two apart."""
    if eos is not None and eos in row:
        row = row[:row.index(eos) + 1]
        if pad == eos and decode(row[:-1]).endswith(STOP):
            row = row[:-1]
        return row
    while row and row[-1] == pad:
        row = row[:-1]
    return row
