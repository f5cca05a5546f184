"""What odd characters become, on the way in (code) and on the way out (output).

Code: a lone UTF-16 surrogate (a model's detokenizer can emit one) cannot be written as UTF-8; it becomes U+FFFD,
so the snippet runs (a U+FFFD in a string literal) or fails with a SyntaxError the model can read. A proper
surrogate pair is joined into its character.

Output (stdout and stderr, so every rendering and every log sees the same text): terminal escape sequences
(CSI such as colours and cursor moves, OSC such as window titles, and other ESC sequences) are removed: they
carry no content and must not reach a terminal that prints a log. Every other control character except tab and
newline (NUL, backspace, a bare carriage return, DEL, C1) becomes a visible `\\xNN`; CRLF becomes LF. Bytes that
are not UTF-8 were already U+FFFD (the zygote decodes with errors="replace").
"""
from __future__ import annotations

import re

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST (or cut off)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC ... ST
    r"|\x1b[ -/]*[0-~]"  # two-character and nF escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_code(code: str) -> str:
    try:
        code.encode("utf-8")
        return code
    except UnicodeEncodeError:
        return code.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_output(text: str) -> str:
    if not _CONTROL.search(text):
        return text
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
