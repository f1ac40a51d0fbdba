"""text-stats: counts the words and sentences in a text (a pure function, no permissions)."""

from __future__ import annotations

import re

# Words may join with an apostrophe (straight or typographic, U+2019) or a hyphen: "don't".
_WORD = re.compile(r"\w+(?:['\u2019-]\w+)*")
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")


def count(text: str) -> dict[str, int]:
    """The number of words and of sentences in text."""
    words = len(_WORD.findall(text))
    ends = len(_SENTENCE_END.findall(text.strip()))
    trailing = 1 if words and not _SENTENCE_END.search(text.strip()[-1:] or ".") else 0
    return {"words": words, "sentences": ends + trailing}
