"""One regex for a set of literals, factored as a trie.

Python's ``re`` tries an alternation's branches one by one at every
position, so ``a|b|c...`` over a hundred keywords costs a hundred tests per
character. Factoring common prefixes (``gh(?:p_|o_|u_)``) leaves one branch
per distinct next character, which makes "does any keyword occur?" a few
times cheaper than a substring test per keyword.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["literal_alternation"]

_Node = dict[str, "_Node"]
_END = ""  # marks a word ending at this node (characters are never empty)


def literal_alternation(words: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of ``words`` literally (never matches when empty).

    Same language as ``"|".join(map(re.escape, words))``; where one word is a
    prefix of another, the longer one is preferred at a position.
    """
    trie: _Node = {}
    for word in words:
        if not word:
            raise ValueError("empty literal")
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = {}
    return re.compile(_build(trie) if trie else r"(?!)")


def _build(node: _Node) -> str:
    branches = [re.escape(ch) + _build(sub) for ch, sub in sorted(node.items()) if ch != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if _END in node else body
