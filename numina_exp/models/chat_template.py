"""Chat templates as Jinja (what tokenizers carry) plus a plain-Python renderer of the decoding prompt.

`numina` is NuminaMath's: user -> `### Problem: {content}\n`, assistant -> `### Solution: {content}\n`,
system -> empty; generation prompt `### Solution: ` (trailing space). No instruction, no system
prompt; BOS comes from the tokenizer, not the template. `numina_generation` renders the same text but
wraps the assistant turn's solution and EOS in {% generation %} markers, which TRL's
assistant_only_loss needs (the recipe itself trains on every token)."""

PROBLEM = "### Problem: "  # the user turn's prefix (the turn ends with a newline)
SOLUTION = "### Solution: "  # the assistant turn's prefix, and the generation prompt

NUMINA = (
    "{%- for message in messages -%}"
    f"{{%- if message['role'] == 'user' -%}}{{{{ '{PROBLEM}' + message['content'] + '\\n' }}}}"
    f"{{%- elif message['role'] == 'assistant' -%}}{{{{ '{SOLUTION}' + message['content'] + '\\n' }}}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    f"{{%- if add_generation_prompt -%}}{{{{ '{SOLUTION}' }}}}{{%- endif -%}}"
)

NUMINA_GENERATION = (
    "{%- for message in messages -%}"
    f"{{%- if message['role'] == 'user' -%}}{{{{ '{PROBLEM}' + message['content'] + '\\n' }}}}"
    f"{{%- elif message['role'] == 'assistant' -%}}{{{{ '{SOLUTION}' }}}}"
    "{%- generation -%}{{ message['content'] + '\\n' + eos_token }}{%- endgeneration -%}"
    "{%- endif -%}"
    "{%- endfor -%}"
    f"{{%- if add_generation_prompt -%}}{{{{ '{SOLUTION}' }}}}{{%- endif -%}}"
)

CHATML = (
    "{%- for message in messages -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)

CHAT_TEMPLATES = {"numina": NUMINA, "numina_generation": NUMINA_GENERATION, "chatml": CHATML}


def render_prompt(problem: str, template: str = "numina") -> str:
    """The decoding prompt for one problem, without BOS (the tokenizer adds it)."""
    if template == "numina":
        return f"{PROBLEM}{problem}\n{SOLUTION}"
    if template == "chatml":
        return f"<|im_start|>user\n{problem}<|im_end|>\n<|im_start|>assistant\n"
    if template == "none":
        return problem
    raise ValueError(f"unknown chat template {template!r}; use one of numina, chatml, none")
