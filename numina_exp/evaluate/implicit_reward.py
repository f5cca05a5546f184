"""KTO's implicit reward as a verifier, on held-out samples (compute only; report/kto_curves.py renders).

For each held-out completion y of prompt x: r(x, y) = beta * (log pi(y|x) - log pi_ref(y|x)), the
log-probabilities summed over the completion's tokens as TRL's KTOTrainer sums them (the completion
followed by EOS, the prompt/completion boundary where their tokenizations diverge, `max_length`
keeping the start). Then:

* AUROC of r for correct vs incorrect completions (0.5: the reward knows nothing about correctness),
  over all held-out rows and over the model's own copies only (reference rows, sample.reference,
  excluded);
* on the model's own copies: best-of-k: per problem, the completion with the highest r is picked; its correctness, averaged
  over problems, next to majority vote (math-equivalence groups of the copies' answers, first-seen tie
  break as in SC-TIR) and pass@k on the same samples."""
from __future__ import annotations

import math
from typing import Optional


def auroc(scores: list[float], positives: list[bool]) -> Optional[float]:
    """Area under the ROC curve = P(score of a random positive > a random negative), ties counting
    half (the Mann-Whitney U statistic over n_pos * n_neg). None when a class is empty."""
    pos = [s for s, p in zip(scores, positives) if p]
    neg = [s for s, p in zip(scores, positives) if not p]
    if not pos or not neg:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):  # average ranks over ties
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for t in range(i, j + 1):
            ranks[order[t]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, p in zip(ranks, positives) if p)
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return u / (len(pos) * len(neg))


def completion_logps(model, tokenizer, pairs: list[tuple[str, str]], max_length: Optional[int] = None,
                     batch_size: int = 8) -> list[float]:
    """Summed log-probability of each completion given its prompt, tokenized as TRL's KTOTrainer does."""
    import torch

    eos = tokenizer.eos_token or ""
    seqs = []
    for prompt, completion in pairs:
        if eos and not completion.endswith(eos):
            completion = completion + eos
        p_ids = tokenizer(prompt)["input_ids"]
        pc_ids = tokenizer(prompt + completion)["input_ids"]
        start = 0
        while start < min(len(p_ids), len(pc_ids)) and p_ids[start] == pc_ids[start]:
            start += 1
        if max_length is not None:
            pc_ids = pc_ids[:max_length]
        seqs.append((pc_ids, start))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(model.parameters()).device
    out: list[float] = []
    model.eval()
    with torch.no_grad():
        for b in range(0, len(seqs), batch_size):
            chunk = seqs[b:b + batch_size]
            width = max(len(ids) for ids, _ in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for i, (s, _) in enumerate(chunk):
                ids[i, :len(s)] = torch.tensor(s)
                mask[i, :len(s)] = 1
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:].to(device).unsqueeze(-1)).squeeze(-1)
            for i, (s, start) in enumerate(chunk):
                # token t is predicted at position t-1; completion tokens are positions start..len(s)-1
                out.append(float(logp[i, max(start, 1) - 1:len(s) - 1].sum()))
    return out


def selection(rows: list[dict], rewards: list[float]) -> dict:
    """Best-of-k by implicit reward vs majority vote vs pass@k over the problems of `rows`."""
    from numina_exp.grading import majority_vote

    by_pid: dict[str, list[tuple[dict, float]]] = {}
    for r, w in zip(rows, rewards):
        by_pid.setdefault(r["problem_id"], []).append((r, w))
    best = maj = any_ok = 0
    for items in by_pid.values():
        items.sort(key=lambda t: t[0]["copy"])
        top = max(items, key=lambda t: t[1])  # first copy wins a tie
        best += bool(top[0]["correct"])
        any_ok += any(r["correct"] for r, _ in items)
        vote = majority_vote([r["answer"] if r["status"] == "answered" else None for r, _ in items], "math")
        if vote.winner is not None:
            maj += next(bool(r["correct"]) for r, _ in items if r["answer"] is not None and str(r["answer"]) == str(vote.winner))
    n = len(by_pid)
    return {"problems": n, "best_of_k_by_reward": best / n if n else None, "majority_vote": maj / n if n else None,
            "pass_at_k": any_ok / n if n else None}


def evaluate_rewards(rows: list[dict], policy_logps: list[float], ref_logps: list[float], beta: float) -> dict:
    """The whole evaluation from the two log-prob lists (rows: samples.jsonl rows, same order)."""
    rewards = [beta * (p - q) for p, q in zip(policy_logps, ref_logps)]
    correct = [bool(r["correct"]) for r in rows]
    own = [i for i, r in enumerate(rows) if r.get("status") != "reference"]
    pos = [w for w, c in zip(rewards, correct) if c]
    neg = [w for w, c in zip(rewards, correct) if not c]

    def mean(xs):
        return sum(xs) / len(xs) if xs else None

    return {
        "beta": beta, "completions": len(rows), "correct": len(pos), "incorrect": len(neg),
        "auroc": auroc(rewards, correct),
        "references": len(rows) - len(own),
        "auroc_own_copies": auroc([rewards[i] for i in own], [correct[i] for i in own]),
        "reward_correct_mean": mean(pos), "reward_incorrect_mean": mean(neg),
        **selection([rows[i] for i in own], [rewards[i] for i in own]),
        "rewards": [{"problem_id": r["problem_id"], "copy": r["copy"], "correct": bool(r["correct"]), "reward": w,
                     "logp": p, "ref_logp": q} for r, w, p, q in zip(rows, rewards, policy_logps, ref_logps)],
    }


def heldout_implicit_rewards(rows: list[dict], policy_dir: str, ref_dir: str, beta: float,
                             max_length: Optional[int] = None, batch_size: int = 8, dtype=None,
                             device: str = "cpu") -> dict:
    """Load the trained policy and its reference (both model directories; one at a time, in `dtype` on
    `device`), score `rows`, evaluate."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not rows:
        return {"completions": 0, "auroc": None, "note": "no held-out samples (sample.heldout_fraction=0?)"}
    tokenizer = AutoTokenizer.from_pretrained(policy_dir)
    pairs = [(r["prompt"], r["completion"]) for r in rows]
    scores = []
    for path in (policy_dir, ref_dir):
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device)
        scores.append(completion_logps(model, tokenizer, pairs, max_length, batch_size))
        del model
    result = evaluate_rewards(rows, scores[0], scores[1], beta)
    if any(math.isnan(x) for x in scores[0] + scores[1]):
        result["note"] = "some log-probabilities are NaN"
    return result
