"""Rendering rules: which script runs for a model's code block, and what text goes back into its context.

`numina` reproduces the winning AIMO notebook exactly; `default` is our design (see DefaultRules).
"""
from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from .result import ExecResult

NUMINA_PRELUDE = "import math\nimport numpy as np\nimport sympy as sp\n"


@dataclass
class Prepared:
    script: str  # the file's text
    refusal: str | None = None  # feedback when nothing may run
    echo: bool = False  # print the value of a trailing bare expression (REPL style)
    preload: bool = False  # math, np, sp bound in the script's globals without lines of their own


class NuminaRules:
    """The notebook's PythonREPL, rule by rule (each is a function so each gets its own test)."""
    name = "numina"

    @staticmethod
    def refusal(code: str) -> str | None:
        if "subprocess" in code:
            return "subprocess is not allowed"
        if "venv" in code:
            return "venv is not allowed"
        return None

    @staticmethod
    def build_script(code: str) -> str:
        lines = (NUMINA_PRELUDE + code).strip().split("\n")
        last = lines[-1]
        if "print(" not in last:
            if "#" in last:
                last = last.split("#")[0]
            lines[-1] = "print(" + last + ")"
        return "\n".join(lines)

    @staticmethod
    def filter_stderr(stderr: str, script_path: str) -> str:
        msgs = stderr.strip().split("\n")
        kept = []
        want_next = False
        for m in msgs:
            if "Traceback" in m:
                kept.append(m)
            elif m == msgs[-1]:
                kept.append(m)
            elif script_path in m:
                st = m.index('"/') + 1 if '"/' in m else 0
                kept.append(m[:st])
                want_next = True
            elif want_next:
                kept.append(m)
                want_next = False
        return "\n".join(kept).strip()

    @staticmethod
    def truncate(text: str, limit: int = 200) -> str:
        text = text.strip()
        if len(text) > limit:
            text = text[:limit] + " ... (output truncated)"
        return text

    def prepare(self, code: str) -> Prepared:
        return Prepared(script=self.build_script(code), refusal=self.refusal(code))

    def render(self, r: ExecResult, timeout_s: float, max_chars: int) -> str:
        if r.status == "refused":
            text = r.detail
        elif r.status == "timeout":
            text = f"Timed out after {timeout_s:g} seconds."
        elif r.returncode == 0:
            text = r.stdout.strip()
        else:
            text = self.filter_stderr(r.stderr, r.script_path)
        return self.truncate(text, max_chars)


class DefaultRules:
    """Our rendering. Code runs as written (no prelude lines, so line numbers are the model's own; math, np
    and sp are pre-bound), a trailing bare expression is echoed like a REPL, errors come back as one line
    with the failing line of the model's code, and long output keeps its head and its tail."""
    name = "default"

    def prepare(self, code: str) -> Prepared:
        return Prepared(script=code, echo=True, preload=True)

    @staticmethod
    def error_line(stderr: str, script_path: str, script: str) -> str:
        lines = [ln for ln in stderr.strip().split("\n") if ln.strip()]
        if not lines:
            return ""
        exc = lines[-1].strip()
        where = ""
        pat = re.compile(r'File "' + re.escape(script_path) + r'", line (\d+)')
        hits = pat.findall(stderr) if script_path else []
        if hits:
            n = int(hits[-1])
            src = script.split("\n")[n - 1].strip() if 0 < n <= len(script.split("\n")) else ""
            where = f"line {n}" + (f": `{src}`" if src else "")
        return f"{exc} ({where})" if where else exc

    @staticmethod
    def truncate(text: str, limit: int) -> str:
        text = text.strip()
        if len(text) <= limit:
            return text
        head = limit // 2
        tail = limit - head
        return f"{text[:head]}\n... ({len(text) - limit} characters omitted) ...\n{text[-tail:]}"

    def render(self, r: ExecResult, timeout_s: float, max_chars: int, script: str = "") -> str:
        out = r.stdout.strip()
        if r.truncated:
            out += "\n... (output capped)"
        if r.status == "ok":
            return self.truncate(out, max_chars) if out else "(no output)"
        if r.status == "refused":
            return r.detail
        if r.status == "timeout":
            msg = f"Timed out after {timeout_s:g} seconds."
        elif r.status == "killed":
            msg = f"Killed: {r.detail}" if r.detail else "Killed."
        else:
            msg = self.error_line(r.stderr, r.script_path, script) or f"Exited with code {r.returncode}."
        if out:  # keep the end of the output next to the error: head+tail on the output, error intact
            msg = self.truncate(out, max(max_chars - len(msg) - 1, 0)) + "\n" + msg
        return self.truncate(msg, max_chars) if len(msg) > max_chars else msg


RULES = {"numina": NuminaRules, "default": DefaultRules}


def get_rules(name: str):
    try:
        return RULES[name]()
    except KeyError:
        raise ValueError(f"sandbox rules must be one of {sorted(RULES)}, got {name!r}") from None


def signal_name(returncode: int | None) -> str:
    if returncode is None or returncode >= 0:
        return ""
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"
