"""Sandbox feedback is shown to the model (and written to the generation log) with bidi overrides,
zero-width characters and other invisible controls as visible escapes - live or replayed from a log."""
from __future__ import annotations

from decode_scripted import STOP, FakeExecutor, code, final, run

from numina_exp.generate.log import GenerationLog, read_generations

SNEAKY = "4\u202e2\u200b\u2066x\u2069\ufeff\x00\nline two\tend"


def test_live_feedback_reaches_the_model_and_log_escaped(tmp_path):
    log = GenerationLog(tmp_path / "gen.jsonl")
    result, backend, _ = run({0: [code(), final()]}, executor=FakeExecutor(lambda c: SNEAKY), log=log)
    prompt = backend.prompts[("p", 0, 1)]
    shown = prompt.split(STOP, 1)[1]
    assert "\\u202e" in shown and "\\u200b" in shown and "\\u2066" in shown and "\\ufeff" in shown and "\\x00" in shown
    assert not any(c in prompt for c in "\u202e\u200b\u2066\u2069\ufeff\x00")
    assert "\nline two\tend" in shown  # newline and tab are content
    (rec,) = [r for r in read_generations(tmp_path / "gen.jsonl") if r["exec"]]
    assert "\u202e" not in rec["exec"]["feedback"] and "\\u202e" in rec["exec"]["feedback"]


def test_recorded_feedback_is_escaped_on_replay():
    ex = FakeExecutor()
    result, backend, _ = run({0: [code(), final()]}, executor=ex, execs={(0, 0): ("ok", SNEAKY)})
    assert ex.calls == []  # the recorded result was used
    prompt = backend.prompts[("p", 0, 1)]
    assert "\u202e" not in prompt and "\\u202e" in prompt and "\x00" not in prompt and "\\x00" in prompt
