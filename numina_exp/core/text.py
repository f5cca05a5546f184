"""Text that came from outside (suite ids, model output, a server's error body) made safe to show.

Invisible characters change what a reader sees without being seen: bidi overrides and isolates
(U+202A-U+202E, U+2066-U+2069: "Trojan Source"), zero-width characters (U+200B-U+200D, U+2060, U+FEFF),
other format characters, control characters (NUL, ESC: terminal escapes), line/paragraph separators and
lone surrogates. `escape_invisible` turns each into a visible escape (`\\u202e`), keeping newline and tab
where the text is multi-line (sandbox feedback). `md_cell` makes a value one inert Markdown table cell:
no newline (a newline would start new table rows), `|` escaped, HTML (`<script>`) escaped, length bounded."""
from __future__ import annotations

import html
import unicodedata

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_invisible(text: str, keep: str = "\n\t") -> str:
    """`text` with every invisible or control character except those in `keep` as a visible escape."""
    if text.isprintable() and not any(c in text for c in "\u2028\u2029"):
        return text  # the common case: nothing to do (isprintable is False for \n, \t and every Cc/Cf/Z*)
    return "".join(_escape(c) if c not in keep and unicodedata.category(c) in _INVISIBLE_CATEGORIES else c for c in text)


def bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def md_cell(value, limit: int = 200) -> str:
    """`value` as the text of one Markdown table cell (also safe in a heading or an inline line)."""
    text = escape_invisible(str(value), keep="")
    return html.escape(bounded(text, limit), quote=False).replace("|", "\\|")
