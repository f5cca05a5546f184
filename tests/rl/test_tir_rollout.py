"""The TIR rollout's step loop (generate to ```output -> execute in the sandbox -> feed back -> continue)
on a scripted policy: the model is the only fake (its continuations are written here so that code gets
written at all); the tokenizer, the SC-TIR decisions, the sandbox and the rewards are the real ones."""
from types import SimpleNamespace

import pytest
import torch
from rl_helpers import rl_cfg

from numina_exp.models.load import load_tokenizer, resolve_model_source
from numina_exp.train.rewards import CodeRewards
from numina_exp.train.tir_rollout import TIRRollout

SANDBOX = dict(timeout_s=1.0, memory_mb=512, workers=2, tmpfs_mb=16, max_processes=16)
PROMPT = "### Problem: What is 6 times 7?\n### Solution: "
STEP1 = {"right": "We compute.\n```python\nprint(6*7)\n```\n```output\n",
         "hang": "We wait.\n```python\nwhile True:\n    pass\n```\n```output\n"}
# a program whose output / traceback holds a bidi override, zero-width characters and NUL (written as escapes in
# the code, so only the program's output holds the raw characters)
SNEAKY = "\\u202e4\\u200b2\\u2066\\ufeff" + '" + chr(0) + "'
STEP1["sneaky_out"] = f'We print.\n```python\nprint("{SNEAKY}")\n```\n```output\n'
STEP1["sneaky_err"] = f'We raise.\n```python\nraise ValueError("{SNEAKY}")\n```\n```output\n'
STEP2 = {"right": " So the answer is $\\boxed{42}$.", "hang": " So the answer is $\\boxed{41}$."}
STEP2["sneaky_out"] = STEP2["sneaky_err"] = STEP2["right"]
INVISIBLE = "\u202e\u200b\u2066\ufeff\x00"


class ScriptedPolicy(torch.nn.Module):
    """generate(): each row's next scripted piece, chosen by how many output blocks its context holds."""

    is_gradient_checkpointing = False  # as a transformers model reports it

    def __init__(self, tok, plan: list[str]):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.tok, self.plan, self.calls = tok, plan, 0

    def generate(self, input_ids, attention_mask, max_new_tokens, pad_token_id, **_):
        self.calls += 1
        rows = []
        for i, ids in enumerate(input_ids.tolist()):
            text = self.tok.decode([t for t, m in zip(ids, attention_mask[i].tolist()) if m], skip_special_tokens=True)
            step = text.count("```output")
            piece = (STEP1 if step == 0 else STEP2)[self.plan[i % len(self.plan)]]
            new = self.tok(piece, add_special_tokens=False)["input_ids"]
            if step:
                new = new + [self.tok.eos_token_id]
            rows.append(new[:max_new_tokens])
        width = max(len(r) for r in rows)
        new = torch.tensor([r + [pad_token_id] * (width - len(r)) for r in rows])
        return torch.cat([input_ids, new], dim=1)


class _Trainer:
    """What the rollout uses of GRPOTrainer: the wrapped model, the accelerator, two arguments."""

    def __init__(self, model):
        from accelerate import Accelerator

        self.model = self.model_wrapped = model
        self.accelerator = Accelerator(cpu=True)
        self.args = SimpleNamespace(ds3_gather_for_generation=True, gradient_checkpointing_kwargs=None)


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer(rl_cfg("grpo"), resolve_model_source(rl_cfg("grpo")))


def test_tir_rollout_executes_feeds_back_and_masks_feedback(tok):
    rewards = CodeRewards({"code_block": 0.1, "executes": 0.2, "correct": 1.0}, sandbox=SANDBOX)
    policy = ScriptedPolicy(tok, ["right", "hang"])
    roll = TIRRollout(rewards, tok, max_steps=4, step_tokens=64, max_completion_length=256)
    try:
        out = roll([PROMPT, PROMPT], _Trainer(policy))
        assert policy.calls == 2  # generate -> execute -> generate -> EOS: two batched rounds for both copies
        assert out["exec_status"] == ["ok", "timeout"]
        assert out["exec_output"][0].strip() == "42"
        texts = [tok.decode(ids, skip_special_tokens=True) for ids in out["completion_ids"]]
        assert "```output\n42\n```" in texts[0] and texts[0].endswith("\\boxed{42}$.")
        assert "Timed out after 1 seconds." in texts[1]
        for ids, mask, _text in zip(out["completion_ids"], out["env_mask"], texts):
            assert len(ids) == len(mask)
            fed_back = tok.decode([t for t, m in zip(ids, mask) if m == 0])
            model_wrote = tok.decode([t for t, m in zip(ids, mask) if m == 1], skip_special_tokens=True)
            assert "```python" in model_wrote and "\\boxed" in model_wrote
            assert "```python" not in fed_back and "\\boxed" not in fed_back and fed_back.strip()
        # the rewards read the rollout's execution: nothing runs again
        before = rewards.exec_s
        fns = {f.__name__: f for f in rewards.functions()}
        kw = dict(completions=texts, answer=["42", "42"], exec_status=out["exec_status"], exec_output=out["exec_output"])
        assert fns["executes"](**kw) == [1.0, 0.0]
        assert fns["correct"](**kw) == [1.0, 0.0]
        assert fns["code_block"](**kw) == [1.0, 1.0]
        assert rewards.exec_s == before
    finally:
        rewards.close()


def test_tir_rollout_respects_the_completion_budget(tok):
    rewards = CodeRewards({"executes": 1.0}, sandbox=SANDBOX)
    roll = TIRRollout(rewards, tok, max_steps=4, step_tokens=64, max_completion_length=12)
    try:
        out = roll([PROMPT], _Trainer(ScriptedPolicy(tok, ["right"])))
        assert len(out["completion_ids"][0]) <= 12
    finally:
        rewards.close()


def test_tir_rollout_feeds_back_invisible_characters_as_escapes(tok):
    """What a program printed or raised reaches the policy's context with bidi overrides, zero-width
    characters and NUL as visible escapes, as SC-TIR decoding shows them (decode/sc_tir.py)."""
    rewards = CodeRewards({"executes": 1.0}, sandbox=SANDBOX)
    roll = TIRRollout(rewards, tok, max_steps=4, step_tokens=96, max_completion_length=256)
    try:
        out = roll([PROMPT, PROMPT], _Trainer(ScriptedPolicy(tok, ["sneaky_out", "sneaky_err"])))
        assert out["exec_status"] == ["ok", "error"]
        for ids, mask in zip(out["completion_ids"], out["env_mask"]):
            fed_back = tok.decode([t for t, m in zip(ids, mask) if m == 0])
            assert not any(c in fed_back for c in INVISIBLE), fed_back
            assert "\\u202e4\\u200b2\\u2066\\ufeff\\x00" in fed_back, fed_back
            assert not any(c in tok.decode(ids) for c in INVISIBLE)
        assert "ValueError" in tok.decode(out["completion_ids"][1])
    finally:
        rewards.close()


def test_a_copy_stopped_at_the_output_marker_executes_when_pad_is_eos(tok):
    """SmolLM2's tokenizer pads with its EOS (`<|im_end|>`). In a batch, transformers pads a row that stopped
    at the output marker until the longest row ends: those pads must not read as the model ending its answer
    (they did: only the longest row of each batch ran its program, the mini_paper GRPO stage ran 9 of 128)."""
    import copy

    same = copy.deepcopy(tok)
    same.pad_token = same.eos_token
    assert same.pad_token_id == same.eos_token_id
    rewards = CodeRewards({"executes": 1.0}, sandbox=SANDBOX)
    # "right" stops at the marker several tokens before "hang" does, so its row is padded in the first round
    assert len(tok(STEP1["right"])["input_ids"]) < len(tok(STEP1["hang"])["input_ids"])
    roll = TIRRollout(rewards, same, max_steps=4, step_tokens=64, max_completion_length=256)
    try:
        out = roll([PROMPT, PROMPT], _Trainer(ScriptedPolicy(same, ["right", "hang"])))
        assert out["exec_status"] == ["ok", "timeout"] and out["exec_output"][0].strip() == "42"
        texts = [same.decode(ids, skip_special_tokens=True) for ids in out["completion_ids"]]
        assert "```output\n42\n```" in texts[0] and texts[0].endswith("\\boxed{42}$.")
    finally:
        rewards.close()
