"""The one copy-capture: a generation log that also keeps each problem's segments in memory, and the
text of every copy rebuilt from them the way the decoder built it. Used by method=sample (labelled rows
for KTO) and method=generate_tir (kept TIR solutions)."""
from __future__ import annotations

from .log import GenerationLog


class CopyCapture(GenerationLog):
    """Writes generations.jsonl like any GenerationLog and keeps {(copy, step): segment} per problem
    until `pop(problem_id)` hands them over (one problem's worth in memory at a time per caller)."""

    def __init__(self, path):
        super().__init__(path)
        self.segments: dict[str, dict] = {}

    def append(self, problem_id, copy, step, text, num_tokens, finish_reason, exec=None):
        super().append(problem_id, copy, step, text, num_tokens, finish_reason, exec)
        self.segments.setdefault(str(problem_id), {})[(int(copy), int(step))] = {
            "text": text, "exec": None if exec is None else {"status": exec["status"], "feedback": exec["feedback"]}}

    def pop(self, problem_id: str) -> dict:
        return self.segments.pop(str(problem_id), {})


def copy_texts(copies: list[dict], segments: dict) -> dict[int, str]:
    """Each copy's text after the prompt, rebuilt from its history and its segments {(copy, step): segment}:
    generations appended, executed outputs fed back as the decoder fed them (`feedback` + closing fence),
    a restart discarding everything before it. A copy whose last event was a restart (nothing left) keeps
    its last attempt - the text that was thrown away - so an undesirable row shows what the model wrote."""
    texts = {}
    for c in copies:
        text, last_attempt = "", ""
        for ev in c.get("history") or []:
            rec = segments.get((int(c["copy"]), int(ev["step"])))
            if ev.get("event") == "restart":
                last_attempt = text + (rec["text"] if rec else "")
                text = ""
                continue
            if rec is None:  # an execution cancelled by early stop: the segment was never logged
                continue
            text += rec["text"]
            if rec.get("exec"):
                text += f"{rec['exec']['feedback']}\n```"
        texts[int(c["copy"])] = text or last_attempt
    return texts
