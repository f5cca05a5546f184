"""Final-answer extraction from model text.

Rules (``extract_answer(text, rule)``):

* ``"boxed"``  -- content of the last ``\\boxed{...}`` or ``\\fbox{...}`` anywhere in the text, with
  balanced braces; also the brace-less ``\\boxed 5`` form (content up to ``$`` or end of line).
  ``None`` when there is no box or its braces never close.
* ``"gsm8k"``  -- the text after the last ``####`` (first line of it, stripped); otherwise the last
  number in the text. Thousands commas are removed from numbers.
* ``"numina"`` -- exactly the winning AIMO notebook's extraction (see :func:`extract_numina`).
* ``"auto"``   -- ``boxed``, else a trailing "answer is ...", else the last number (ToRA-like;
  used for tool-integrated GSM8K text where a few completions never box their answer).
"""
from __future__ import annotations

import re

from .normalize import normalize_final_answer

_BOX_CMDS = ("\\boxed", "\\fbox")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


def _match_braces(text: str, open_idx: int) -> int | None:
    """Index of the ``}`` closing the ``{`` at ``open_idx``; None if it never closes."""
    depth = 0
    for i in range(open_idx, len(text)):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed``/``\\fbox`` (whichever starts later); see module docstring."""
    starts = [(text.rfind(cmd), cmd) for cmd in _BOX_CMDS]
    idx, cmd = max(starts)
    if idx < 0:
        return None
    j = idx + len(cmd)
    if j < len(text) and text[j] == "{":
        end = _match_braces(text, j)
        return None if end is None else text[j + 1 : end]
    if j < len(text) and text[j] in " \t":  # "\boxed 5$" form
        rest = text[j:].split("$", 1)[0].split("\n", 1)[0].strip()
        return rest or None
    # "\boxedfoo" or a box at the very end: look for an earlier well-formed box.
    return last_boxed(text[:idx]) if idx > 0 else None


def _clean_number(s: str) -> str:
    s = s.replace(",", "")
    return s[:-1] if s.endswith(".") else s


def extract_gsm8k(text: str) -> str | None:
    if "####" in text:
        tail = text.rsplit("####", 1)[1].strip().split("\n", 1)[0].strip()
        return _clean_number(tail) if _NUMBER.fullmatch(tail) else tail or None
    nums = _NUMBER.findall(text)
    return _clean_number(nums[-1]) if nums else None


_ANSWER_IS = re.compile(r"answer is:?\s*(.*)", flags=re.S | re.I)


def extract_auto(text: str) -> str | None:
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    m = None
    for m in _ANSWER_IS.finditer(text):  # noqa: B007  (the last match is wanted)
        pass
    if m is not None:
        tail = m.group(1).strip().split("\n", 1)[0].strip().rstrip(".").strip("$ ")
        if tail:
            return _clean_number(tail) if _NUMBER.fullmatch(tail) else tail
    nums = _NUMBER.findall(text)
    return _clean_number(nums[-1]) if nums else None


# ---------------------------------------------------------------------------------------------
# The notebook (project-numina/aimo-progress-prize kaggle-solution.ipynb @ e0d25a6)

NUMINA_REGION_CHARS = 100
NUMINA_NO_ANSWER = "-1"  # what the notebook records when extraction fails


def _numina_boxed_content(region: str) -> str | None:
    """The notebook's ``extract_boxed_answer`` (``last_boxed_only_string`` + ``remove_boxed``).

    QUIRKS reproduced on purpose:
    * ``\\fbox`` is only searched when there is no ``\\boxed`` at all, and its content is then
      rejected anyway (``remove_boxed`` insists on the ``\\boxed{`` prefix) -> no answer.
    * The brace scan starts at the backslash and counts every brace after it, so ``\\boxed 5`` is
      rejected too (the scanned span does not start with ``\\boxed{``).
    * The scan stops at the first ``}`` that brings the count back to exactly 0; a stray ``}``
      before any ``{`` makes the count negative and the box is then usually never closed.
    """
    idx = region.rfind("\\boxed")
    if idx < 0:
        idx = region.rfind("\\fbox")
        if idx < 0:
            return None
    end = _match_braces(region, idx)  # scanning from the backslash, as the notebook does
    if end is None:
        return None
    span = region[idx : end + 1]
    if not span.startswith("\\boxed{"):  # span always ends with "}" here
        return None
    return span[len("\\boxed{") : -1]


def extract_numina(text: str) -> str | None:
    """The notebook's answer for a finished SC-TIR text (``process_code``'s answer branch).

    * Region = the last 100 characters (``gen_text[-100:]``).
    * The notebook only extracts when the region contains ``"answer is"`` or ``"\\boxed"`` (and the
      text does not end with a ```` ```output ```` request); otherwise it keeps generating, so this
      returns None.
    * If the region contains ``"boxed"`` (QUIRK: without the backslash, so a region that starts
      with ``oxed{`` / ``boxed{`` cut off from its backslash takes this branch and fails), the answer
      is the normalised content of the last brace-matched ``\\boxed{}`` in the region. A failure
      (no box, unbalanced braces, ``\\fbox``, ``\\boxed 5``) is the notebook's ``"-1"``; we return
      None instead -- the AIMO filter drops ``-1`` as negative, so votes are identical.
    * Otherwise (``"answer is"`` without ``boxed``): the normaliser applied to the WHOLE region.

    The normaliser can return ``""`` (e.g. ``\\boxed{}``); that is returned as is (invalid for AIMO).
    """
    region = text[-NUMINA_REGION_CHARS:]
    if text[-10:] == "```output\n":  # a code-execution request, not a final answer
        return None
    if "answer is" not in region and "\\boxed" not in region:
        return None
    if "boxed" in region:
        content = _numina_boxed_content(region)
        if content is None:
            return None
        return normalize_final_answer(content)
    return normalize_final_answer(region)


RULES = ("boxed", "numina", "gsm8k", "auto")


def extract_answer(text: str, rule: str = "boxed") -> str | None:
    """Extract the final answer from ``text`` with ``rule`` (see module docstring); None if none."""
    if text is None:
        return None
    if rule == "boxed":
        return last_boxed(text)
    if rule == "numina":
        return extract_numina(text)
    if rule == "gsm8k":
        return extract_gsm8k(text)
    if rule == "auto":
        return extract_auto(text)
    raise ValueError(f"unknown extraction rule {rule!r}; expected one of {RULES}")
