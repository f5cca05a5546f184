"""Rows -> what the SFT trainer consumes, as NuminaMath formatted them: only `messages` is kept and an
empty system message is inserted in front; the chat template turns them into
`<bos>### Problem: {problem}\n### Solution: {solution}\n<eos>`.

The text is exactly the decoding prompt (`models.chat_template.render_prompt(problem)`, BOS from the
tokenizer) followed by the solution, a newline and EOS. EOS is rendered by the template (TRL 0.8.1
appended it between samples while packing); BOS is rendered too because TRL tokenizes chat-template
output without special tokens, while decoding tokenizes the prompt with them."""
from __future__ import annotations

from ..models.chat_template import CHAT_TEMPLATES

SYSTEM = {"role": "system", "content": ""}


def to_messages(row: dict) -> list[dict]:
    """`messages` if the row has them (NuminaMath-CoT/TIR), else built from `problem`/`solution`."""
    messages = row.get("messages")
    if not messages:
        if not row.get("problem") or row.get("solution") is None:
            raise ValueError(f"row {row.get('id', '?')!r} has neither `messages` nor `problem`/`solution`")
        messages = [{"role": "user", "content": row["problem"]}, {"role": "assistant", "content": row["solution"]}]
    messages = [{"role": m["role"], "content": m["content"]} for m in messages]
    if messages[0]["role"] != "system":
        messages = [dict(SYSTEM)] + messages
    return messages


def to_example(row: dict, loss_masking: str = "none") -> dict:
    """One trainer example. `completion_only` needs TRL's prompt/completion form (the completion is the
    last assistant turn); the other modes keep the conversation as `messages`."""
    messages = to_messages(row)
    if loss_masking == "completion_only":
        if messages[-1]["role"] != "assistant":
            raise ValueError("completion_only loss needs rows that end with an assistant turn")
        return {"prompt": messages[:-1], "completion": messages[-1:]}
    return {"messages": messages}


def training_chat_template(name: str) -> str:
    """The template the trainer renders with: the decoding template plus BOS in front and EOS after the
    assistant turn. For `numina` that is `numina_generation` (its {% generation %} markers cover the
    solution and EOS, which `assistant_only` loss needs; with loss on every token they change nothing)."""
    if name == "numina":
        return "{{ bos_token }}" + CHAT_TEMPLATES["numina_generation"]
    if name == "chatml":
        return "{{ bos_token }}" + CHAT_TEMPLATES["chatml"]
    if name == "none":
        return ("{{ bos_token }}{%- for message in messages -%}{{ message['content'] }}"
                "{%- if message['role'] == 'assistant' -%}{{ eos_token }}{%- endif -%}{%- endfor -%}")
    raise ValueError(f"unknown chat template {name!r}")
