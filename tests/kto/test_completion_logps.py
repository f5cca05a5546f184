"""`completion_logps` against a hand computation on a tiny model: for each completion token t, log
softmax(logits at t-1)[token t], one sequence at a time without padding; a shift by one token fails. And
`heldout_implicit_rewards` on two saved models. In process and CLI-free, so a mutation run of
evaluate/implicit_reward runs them in seconds per mutant."""
from __future__ import annotations

import math

import pytest

from numina_exp.evaluate.implicit_reward import completion_logps


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    from numina_exp.models.tokenizer import build_tokenizer

    tok = build_tokenizer(vocab_size=512, out_dir=tmp_path_factory.mktemp("tok") / "bpe")
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      num_key_value_heads=2, intermediate_size=64, max_position_embeddings=256,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = AutoModelForCausalLM.from_config(cfg).eval()
    with torch.no_grad():  # sharper logits than the init's near-uniform ones: a shift must show
        model.lm_head.weight.mul_(40.0)
    return model, tok


# prompts ending in a newline: the completion's tokens begin exactly where the prompt's end
PAIRS = [("### Problem: What is 2+3?\n### Solution:\n", "The sum is 5."),
         ("### Problem: Name a prime.\n### Solution:\n", "```python\nprint(7)\n```\n```output\n7\n```\nSo $\\boxed{7}$."),
         ("### Problem: Q\n### Solution:\n", "x")]
# the recipe's prompt ends in a space, which BPE merges into the completion's first token: the completion
# starts at the first token where the two tokenizations differ (as TRL's KTOTrainer counts it)
MERGED = ("### Problem: Name a prime.\n### Solution: ", "```python\nprint(7)\n```")


def _sum_logps(model, ids: list[int], start: int) -> float:
    """Sum over t >= start of log softmax(logits at t - 1)[ids[t]], in float64, one unpadded sequence."""
    import torch

    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0].double()
    total = 0.0
    for t in range(start, len(ids)):  # token t is predicted from position t - 1
        row = logits[t - 1]
        total += float(row[ids[t]] - torch.logsumexp(row, dim=-1))
    return total


def _by_hand(model, tok, prompt: str, completion: str, start: int | None = None) -> float:
    full = tok(prompt + completion + tok.eos_token)["input_ids"]
    if start is None:
        start = len(tok(prompt)["input_ids"])
        assert full[:start] == tok(prompt)["input_ids"]
    return _sum_logps(model, full, start)


def test_completion_logps_equal_a_hand_computation(tiny):
    model, tok = tiny
    want = [_by_hand(model, tok, p, c) for p, c in PAIRS]
    for batch_size in (1, 3):  # unpadded, and padded to the longest pair
        got = completion_logps(model, tok, PAIRS, batch_size=batch_size)
        assert got == pytest.approx(want, rel=1e-4, abs=1e-3), (batch_size, got, want)
    assert all(math.isfinite(w) for w in want)


def test_a_space_merged_across_the_boundary_counts_with_the_completion(tiny):
    model, tok = tiny
    prompt, completion = MERGED
    p_ids = tok(prompt)["input_ids"]
    full = tok(prompt + completion + tok.eos_token)["input_ids"]
    assert full[len(p_ids) - 1] != p_ids[-1] and full[:len(p_ids) - 1] == p_ids[:-1]  # the space token merged
    (got,) = completion_logps(model, tok, [MERGED])
    assert got == pytest.approx(_by_hand(model, tok, prompt, completion, start=len(p_ids) - 1), rel=1e-4, abs=1e-3)


def test_max_length_keeps_the_start(tiny):
    model, tok = tiny
    prompt, completion = PAIRS[1]
    n_prompt = len(tok(prompt)["input_ids"])
    cut = n_prompt + 3  # three completion tokens survive
    full = tok(prompt + completion + tok.eos_token)["input_ids"][:cut]
    want = _sum_logps(model, full, n_prompt)
    (got,) = completion_logps(model, tok, [(prompt, completion)], max_length=cut)
    assert got == pytest.approx(want, rel=1e-4, abs=1e-3)


def test_a_completion_already_ending_in_eos_gets_no_second_one(tiny):
    model, tok = tiny
    prompt, completion = PAIRS[0]
    got = completion_logps(model, tok, [(prompt, completion), (prompt, completion + tok.eos_token)])
    assert got[0] == pytest.approx(got[1], abs=1e-6) and got[0] == pytest.approx(_by_hand(model, tok, prompt, completion),
                                                                               rel=1e-4, abs=1e-3)


def test_a_tokenizer_without_eos_scores_the_completion_as_written(tiny):
    import copy

    model, tok = tiny
    bare = copy.deepcopy(tok)
    bare.eos_token = None
    prompt, completion = PAIRS[0]
    want = _sum_logps(model, bare(prompt + completion)["input_ids"], len(bare(prompt)["input_ids"]))
    (got,) = completion_logps(model, bare, [(prompt, completion)])
    assert got == pytest.approx(want, rel=1e-4, abs=1e-3)


def test_an_empty_prompt_scores_every_token_after_bos(tiny):
    model, tok = tiny
    assert tok("")["input_ids"] == [tok.bos_token_id]  # the prompt is BOS alone: the completion starts at token 1
    (got,) = completion_logps(model, tok, [("", "The sum is 5.")])
    assert got == pytest.approx(_by_hand(model, tok, "", "The sum is 5."), rel=1e-4, abs=1e-3)


def test_heldout_implicit_rewards_scores_both_saved_models_as_beta_times_the_difference(tiny, tmp_path):
    """Loaded from disk, policy first: the rewards are beta * (log pi - log pi_ref) of the two saved models,
    scored with the caller's max_length and dtype; a NaN log-probability is noted, not hidden."""
    import torch
    from transformers import AutoModelForCausalLM

    from numina_exp.evaluate.implicit_reward import evaluate_rewards, heldout_implicit_rewards

    model, tok = tiny
    policy_dir, ref_dir = tmp_path / "policy", tmp_path / "ref"
    model.save_pretrained(policy_dir)
    tok.save_pretrained(policy_dir)
    ref = AutoModelForCausalLM.from_config(model.config).eval()  # another init: the two models disagree
    ref.save_pretrained(ref_dir)
    rows = [{"problem_id": f"p{i}", "copy": 0, "answer": str(i), "correct": i % 2 == 0, "status": "answered",
             "prompt": p, "completion": c} for i, (p, c) in enumerate(PAIRS)]
    pairs = [(r["prompt"], r["completion"]) for r in rows]
    for max_length, dtype in ((None, None), (12, torch.float64)):
        got = heldout_implicit_rewards(rows, str(policy_dir), str(ref_dir), beta=0.25, max_length=max_length,
                                       batch_size=2, dtype=dtype)
        want_p = completion_logps(AutoModelForCausalLM.from_pretrained(policy_dir, dtype=dtype), tok, pairs, max_length)
        want_r = completion_logps(AutoModelForCausalLM.from_pretrained(ref_dir, dtype=dtype), tok, pairs, max_length)
        assert [r["logp"] for r in got["rewards"]] == pytest.approx(want_p, abs=1e-9)
        assert [r["ref_logp"] for r in got["rewards"]] == pytest.approx(want_r, abs=1e-9)
        assert want_p != pytest.approx(want_r, abs=1e-3)  # a swapped pair would show
        assert got == {**evaluate_rewards(rows, want_p, want_r, 0.25), "rewards": got["rewards"]}  # every other field
        assert [r["reward"] for r in got["rewards"]] == pytest.approx([0.25 * (p - q) for p, q in zip(want_p, want_r)])
        assert "note" not in got
    broken = AutoModelForCausalLM.from_config(model.config)
    with torch.no_grad():  # NaN in the policy only: the check must read both models' scores
        broken.model.embed_tokens.weight.fill_(float("nan"))
    broken.save_pretrained(policy_dir)
    assert heldout_implicit_rewards(rows, str(policy_dir), str(ref_dir), beta=0.25)["note"] == \
        "some log-probabilities are NaN"
