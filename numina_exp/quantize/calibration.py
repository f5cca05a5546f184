"""Calibration (and held-out) rows: dataset rows rendered exactly as training rendered them (the
training chat template: BOS, `### Problem:` / `### Solution:`, EOS) and tokenized at full length -
only the model's context window cuts a row. GPTQ's Hessians are then estimated on the text the model
was fine-tuned on."""
from __future__ import annotations

import random


def calibration_rows(rows: list, n: int, seed: int = 42) -> list:
    """`n` rows (all if fewer) after a seeded shuffle; the input list is not modified."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    return [rows[i] for i in order[:n]]


def _messages(example: dict) -> list[dict]:
    """A trainer example (`messages`, or `prompt` + `completion`) or a raw row -> chat messages."""
    from ..data.format import to_messages

    if "messages" in example and example["messages"]:
        return to_messages({"messages": example["messages"]})
    if "prompt" in example and "completion" in example:
        return list(example["prompt"]) + list(example["completion"])
    return to_messages(example)


def render(rows: list, tokenizer, chat_template: str) -> list[str]:
    """Each row as the training text (data/format.py's training template for `chat_template`)."""
    from ..data.format import training_chat_template

    template = training_chat_template(chat_template)
    return [tokenizer.apply_chat_template(_messages(r), chat_template=template, tokenize=False) for r in rows]


def tokenize(texts: list[str], tokenizer, max_length: int) -> list[dict]:
    """gptqmodel's calibration format. No special tokens added: the template already renders BOS/EOS."""
    out = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"][:max_length]
        out.append({"input_ids": ids, "attention_mask": [1] * len(ids)})
    return out
