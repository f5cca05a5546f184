"""Answer normalisers.

``normalize_final_answer`` reimplements, as a specification, the Minerva-style normaliser of the
winning AIMO notebook (project-numina/aimo-progress-prize, ``kaggle-solution.ipynb`` at commit
e0d25a67416b4d8baf817dcbe279965ae47432cb, the FIRST upload). The notebook's decisions are reproduced
on purpose, quirks included; each quirk is marked ``QUIRK``. Do not "fix" them: SC-TIR votes must
match the notebook.

``canonical_key`` is this package's own, deliberately conservative normalisation used only for the
grading fast path (two answers with equal keys are certainly equivalent).
"""
from __future__ import annotations

import re

# Plain substring substitutions, applied in order (before the removals).
_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    # QUIRK: articles are deleted anywhere in the string, even inside words ("pan cake" -> "pcake",
    # "banana " -> "banan").
    ("an ", ""),
    ("a ", ""),
    (".$", "$"),
    ("\\$", ""),
    ("\\ ", ""),
    # QUIRK: every space goes, so "answer is" becomes "answeris" before the patterns below.
    (" ", ""),
    ("mbox", "text"),
    (",\\text{and}", ","),
    ("\\text{and}", ","),
    ("\\text{m}", "\\text{}"),
    # QUIRK: a plain substring replacement, so "\left" becomes "<ft", then "ft" is removed below
    # (leaving "<"), and "\leq" becomes "<q".
    ("\\le", "<"),
)

# Substrings deleted everywhere, in order. QUIRK: unit words are removed as substrings, so e.g.
# "ft" also disappears from "\left"-derived text, "cm" from "\mathrm{cm}", "sue" from "issue".
_REMOVED: tuple[str, ...] = (
    "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units",
    "\\ldots", "sue", "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm",
    "pounds", "meters", "meals", "edges", "students", "childrentickets", "multiples",
    "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2", "\\text{}^3", "\\text{\n}", "\\text{}",
    "\\mathrm{th}", "^\\circ", "^{\\circ}", "\\;", ",\\!", "{,}", '"', "\\dots",
    "\n", "\r", "\f",
    # The notebook writes "\%" in a non-raw string: Python keeps the backslash, so the two
    # characters backslash-percent are removed (a bare "%" survives).
    "\\%",
)

_CUT_AT_PROBLEM = re.compile(r"(.*?)Problem:", flags=re.S)  # first "Problem:" only
_UNWRAP = (
    (re.compile(r"(\\text\{)(.*?)(\})"), r"\2"),
    (re.compile(r"(\\textbf\{)(.*?)(\})"), r"\2"),
    (re.compile(r"(\\overline\{)(.*?)(\})"), r"\2"),
    # QUIRK: greedy, so "\boxed{a}+\boxed{b}" -> "a}+\boxed{b".
    (re.compile(r"(\\boxed\{)(.*)(\})"), r"\2"),
)
# Each pattern, when it matches anywhere, replaces the answer by its LAST match (in this order).
_TAKE_LAST = (
    re.compile(r"finalansweris(.*)"),
    # QUIRK: "answe" + optional "r" + "is" + optional ":"; the greedy (.*) makes the FIRST
    # occurrence swallow the rest of the line, so "answeris5thenansweris6" -> "5thenansweris6".
    re.compile(r"answer?is:?(.*)"),
    # QUIRK: non-greedy, so nested braces are cut at the first "}" ("oxed{\frac{1}{2}}" -> "\frac{1").
    re.compile(r"oxed\{(.*?)\}"),
    re.compile(r"\$(.*?)\$"),
)
_FRAC_SHORT = re.compile(r"(frac)([^{])(.)")  # "\frac12" -> "\frac{1}{2}"
_SQRT_SHORT = re.compile(r"(sqrt)([^{])")  # "\sqrt2" -> "\sqrt{2}"


def normalize_final_answer(final_answer: str) -> str:
    """The notebook's ``normalize_final_answer``, reimplemented (see module docstring).

    Raises ``TypeError`` for ``None`` like the notebook does (its caller turns that into ``"-1"``).
    """
    if not isinstance(final_answer, str):
        raise TypeError(f"normalize_final_answer needs a str, got {type(final_answer).__name__}")
    m = _CUT_AT_PROBLEM.search(final_answer)
    if m:
        final_answer = m.group(1)
    for before, after in _SUBSTITUTIONS:
        final_answer = final_answer.replace(before, after)
    for expr in _REMOVED:
        final_answer = final_answer.replace(expr, "")
    for pattern, repl in _UNWRAP:
        final_answer = pattern.sub(repl, final_answer)
    # (The notebook asserts no "\n", "\r", "\f" remain here; the removals above guarantee it.)
    for pattern in _TAKE_LAST:
        found = pattern.findall(final_answer)
        if found:
            final_answer = found[-1]
    final_answer = final_answer.strip()
    # QUIRK: when no "\frac" is present, every "rac" becomes "\frac": "frac12" -> "f\frac{1}{2}",
    # "\dfrac{3}{4}" -> "\df\frac{3}{4}", "trace" -> "t\frace". Harmless for AIMO integers.
    if "rac" in final_answer and "\\frac" not in final_answer:
        final_answer = final_answer.replace("rac", "\\frac")
    final_answer = _FRAC_SHORT.sub(r"frac{\2}{\3}", final_answer)
    final_answer = _SQRT_SHORT.sub(r"sqrt{\2}", final_answer)
    final_answer = final_answer.replace("$", "")
    # Thousands separators go only when the rest is all digits ("1,000" -> "1000"; "1,2" -> "12").
    if final_answer.replace(",", "").isdigit():
        final_answer = final_answer.replace(",", "")
    return final_answer


# ---------------------------------------------------------------------------------------------
# Fast-path key (ours, not the notebook's)

_KEY_DROP = ("\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\ ", "\\$", "$")
_WS = re.compile(r"\s+")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def canonical_key(answer: str | None) -> str | None:
    """A conservative canonical form: equal keys imply mathematically equal answers.

    Only meaning-preserving edits: whitespace, math-mode ``$``, sizing ``\\left``/``\\right``,
    thin spaces, ``\\dfrac``/``\\tfrac`` -> ``\\frac``, a trailing period, a trailing percent sign
    (MATH/ToRA convention), and thousands commas in a plain number. Anything smarter is math-verify's job.
    """
    if answer is None:
        return None
    s = str(answer)
    for tok in _KEY_DROP:
        s = s.replace(tok, "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = _WS.sub("", s)
    while s.endswith("."):
        s = s[:-1]
    # A trailing percent sign is dropped (the MATH/ToRA graders' convention: "20\%" grades as 20).
    for pct in ("\\%", "%"):
        if s.endswith(pct):
            s = s[: -len(pct)]
            break
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    return s
