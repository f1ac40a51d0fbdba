"""Packing the best memories into a prompt's token budget, counted with the model's tokenizer.

Memories are taken best first (newest first among equal scores); one that does not fit is
skipped and smaller ones after it may still fit.  Each is one line, "- text"; each chosen
item carries "tokens", what its line costs (the newline joining it not counted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def pack(items: list[dict[str, Any]], max_tokens: int,
         count_tokens: Callable[[str], int]) -> dict[str, Any]:
    """{"text", "items", "tokens"}: the lines that fit in max_tokens, and the tokens they use.

    Each item is the memory plus "tokens", the tokens of its own line.
    """
    ordered = sorted(items, key=lambda m: (-m["score"], -m["at"]))
    lines: list[str] = []
    chosen: list[dict[str, Any]] = []
    used = 0
    for item in ordered:
        line = f"- {item['text']}"
        own = count_tokens(line)
        cost = own + (1 if lines else 0)  # the newline joining it
        if used + cost > max_tokens:
            continue
        lines.append(line)
        chosen.append({**item, "tokens": own})
        used += cost
    text = "\n".join(lines)
    # BERT's tokenizer drops whitespace, so the whole text counts at most the sum of its lines.
    return {"text": text, "items": chosen, "tokens": count_tokens(text) if lines else 0}
