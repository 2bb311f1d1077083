"""Where a credential may still be in progress at the end of a stream window.

:class:`SecretPending` answers :meth:`SecretsDetector.pending_from
<detectors.secrets.SecretsDetector.pending_from>` from the rule table itself,
so ordinary prose flows while a credential being typed is held:

- *prefix-led formats* (``ghp_``, ``AKIA``, ``sk-``, ``eyJ`` ...): the regex
  module's partial matching says whether the unterminated last token, or a
  part of it after a separator, could still become a match;
- *context-led formats* (``password is X``, ``key = X``, ``Bearer X``,
  ``curl -u X``, ``AccountKey=X``): the token after such a context is held;
- spans that cross whitespace: an unclosed ``-----BEGIN ... PRIVATE KEY``
  block and an unclosed quoted ``-u "user:pass word"`` are held whole, and
  prefix-led formats that allow whitespace (``"type": "service_account"``)
  are partially matched over the last ``_SPAN_LOOKBACK`` characters;
- anything with digits or one long unbroken token: the entity run.

Known limit: three formats start with arbitrary characters
(``_RANDOM_LED``: Terraform Cloud's 14-character prefix, Azure client
secrets, Mailchimp keys). Holding every word that could begin one would hold
all prose, so their first pure-letter piece may reach the client before the
first digit arrives; the rest of the credential is masked.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

import regex

from detectors._pending import earliest, entity_run_from, trailing_token_from
from detectors._secret_rules import Rule

__all__ = ["SecretPending"]

#: Formats whose first characters are arbitrary (see the module docstring).
_RANDOM_LED = frozenset({"hashicorp_tf_token", "azure_client_secret", "mailchimp_key"})
# A credential span starts at the token's start or after one of these.
_SEPARATOR = re.compile(r"[^A-Za-z0-9_.\-]")
# Characters after which the rest of the token is a value ("key=", "user:").
_VALUE_CHARS = frozenset("=:\"'`,|~")
# Text before a token that makes the token a value ("password is ", "token: ",
# "Bearer ", "curl -u "), however plain it looks.
_VALUE_CONTEXT = re.compile(
    r"(?:[=:`]|[\"'],?|\b(?:(?:password|passwd|passcode|api[ _-]?key|secret key|access token"
    r"|token)\s+(?:is|was)|bearer|basic|token|apikey)|(?:^|\s)(?:-u|--user))[ \t]*\Z",
    re.IGNORECASE,
)
_CONTEXT_END = frozenset("=:`'\"")
_CONTEXT_WORDS = frozenset({"is", "was", "-u", "--user"})
_CONTEXT_SUFFIXES = ("bearer", "basic", "token", "apikey")
_PEM_BEGIN = "-----BEGIN"
# The block (and the rule's match) ends only with a complete END line.
_PEM_END = re.compile(r"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")
_QUOTED_CLI = re.compile(r"(?:^|\s)(?:-u|--user)(?:\s+|=)([\"'])[^\"'\n]*\Z")
_SPAN_LOOKBACK = 64
_HEAD = 3  # characters of a word start that select the patterns to try
_HEAD_MEMO = 8192  # distinct word starts remembered (bounded memory)
_PREFIX_LED = re.compile(r"\A(?:\(\?i\))?(?:\(\?<!\[[^\]]*\]\))?(?:\(\?i:)?\(\?P<secret>")


def _prefix_led(rule: Rule) -> bool:
    """Whether a match of ``rule`` starts where its secret does (no context before it)."""
    pattern = rule.regex.pattern
    return "secret" not in rule.regex.groupindex or bool(_PREFIX_LED.match(pattern))


def _crosses_whitespace(rule: Rule) -> bool:
    """Whether a match of ``rule`` may contain whitespace (the pattern allows it)."""
    pattern = rule.regex.pattern
    return "\\s" in pattern or " " in pattern


def _may_be_value(text: str, start: int) -> bool:
    """Whether a ``_VALUE_CONTEXT`` match can end at ``start`` (necessary, cheap).

    Every alternative ends, before the spaces and tabs, in a character of
    ``=:`'"``, a quote and a comma, a last word ``is``/``was``/``-u``/
    ``--user``, or a last word ending in a keyword; most words of prose
    fail all of these without the regex (a search per position) running.
    """
    head = text[max(0, start - 16) : start].rstrip(" \t")
    if not head:
        return False
    if not head.isascii():
        return True  # the regex's case-insensitive matching folds more than lower()
    if head[-1] in _CONTEXT_END or (head[-1] == "," and head[-2:-1] in ("'", '"')):
        return True
    word = head.rsplit(None, 1)[-1].lower()
    return word in _CONTEXT_WORDS or word.endswith(_CONTEXT_SUFFIXES)


class SecretPending:
    """Hold points for the given rules (see the module docstring)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        starters: dict[str, list[regex.Pattern[str]]] = {}
        spanning: list[tuple[regex.Pattern[str], frozenset[str]]] = []
        for rule in rules:
            if rule.name in _RANDOM_LED or not _prefix_led(rule):
                continue
            partial = regex.compile(rule.regex.pattern, rule.regex.flags & re.IGNORECASE)
            # The characters a match can start with: a token then costs a
            # dictionary lookup and a partial match or two.
            firsts = frozenset(
                ch for ch in string.printable if partial.match(ch, partial=True) is not None
            )
            if _crosses_whitespace(rule):
                spanning.append((partial, firsts))
            for ch in firsts:
                starters.setdefault(ch, []).append(partial)
        self._starters = {ch: tuple(rxs) for ch, rxs in starters.items()}
        self._spanning = tuple(spanning)
        # Any character some spanning match can start with: one C-level search
        # rules them all out for most windows.
        firsts_all = sorted({ch for _, firsts in spanning for ch in firsts})
        gate = "".join(re.escape(c) for c in firsts_all)
        self._span_gate = re.compile(f"[{gate}]" if gate else "(?!)")
        self._by_head: dict[str, tuple[regex.Pattern[str], ...]] = {}

    def pending_from(self, text: str) -> int | None:
        """Start of the earliest credential that more text could still complete."""
        hold = entity_run_from(text)
        if "-----" in text:
            hold = earliest(hold, self._open_block(text))
        if "-u" in text:
            quoted = _QUOTED_CLI.search(text, max(0, len(text) - 256))
            if quoted is not None:
                hold = earliest(hold, quoted.start(1))
        lookback = max(0, len(text) - _SPAN_LOOKBACK)
        if self._spanning and self._span_gate.search(text, lookback):
            tail = text[lookback:]
            for rx, firsts in self._spanning:
                if not any(ch in tail for ch in firsts):
                    continue  # no character a match could start with
                m = rx.search(text, lookback, partial=True)
                if m is not None and m.partial and m.start() < len(text):
                    hold = earliest(hold, m.start())
        start = trailing_token_from(text)
        if start is None:
            return hold
        if _may_be_value(text, start) and _VALUE_CONTEXT.search(text, max(0, start - 16), start):
            return earliest(hold, start)
        return earliest(hold, self._token_hold(text, start))

    def _token_hold(self, text: str, start: int) -> int | None:
        """The first place in the last token where a credential could begin and still grow."""
        token = text[start:]
        if token.isascii() and token.isalnum():
            # No separator inside (most words of prose): only its start can begin one.
            return start if self._grows_at(text, start) else None
        return self._hold_at_separators(text, start)

    def _hold_at_separators(self, text: str, start: int) -> int | None:
        """:meth:`_token_hold` for any token: its start and every place after a separator."""
        candidates = [start] + [m.end() for m in _SEPARATOR.finditer(text, start)]
        for pos in candidates:
            if pos >= len(text):
                break
            if pos > start and text[pos - 1] in _VALUE_CHARS:
                return pos
            if self._grows_at(text, pos):
                return pos
        return None

    def _grows_at(self, text: str, pos: int) -> bool:
        """Whether a prefix-led credential starting at ``pos`` may still be growing at the end."""
        for rx in self._could_start(text[pos : pos + _HEAD]):
            m = rx.match(text, pos, partial=True)
            if m is not None and (m.partial or m.end() == len(text)):
                return True
        return False

    def _could_start(self, head: str) -> tuple[regex.Pattern[str], ...]:
        """The prefix-led patterns a string starting with ``head`` could still match.

        A match (or partial match) at a position starts with that position's
        first ``_HEAD`` characters, so ``head`` partially matching is
        necessary; memoised per head (prose has few distinct word starts).
        """
        got = self._by_head.get(head)
        if got is None:
            got = tuple(
                rx for rx in self._starters.get(head[0], ()) if rx.match(head, partial=True)
            )
            if len(self._by_head) < _HEAD_MEMO:
                self._by_head[head] = got
        return got

    @staticmethod
    def _open_block(text: str) -> int | None:
        """Start of a private-key block whose END line has not arrived yet."""
        begin = text.rfind(_PEM_BEGIN)
        if begin < 0 or _PEM_END.search(text, begin) is not None:
            return None
        return begin
