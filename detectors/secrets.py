"""Secrets detector: provider credentials plus generic high-entropy assignments.

Kinds: ``secret.<rule>`` for the provider formats in
:mod:`detectors._secret_rules` (``secret.aws_access_key``,
``secret.github_token``, ``secret.private_key``, ``secret.jwt``,
``secret.url_credentials``, ...), ``secret.generic_assignment`` for
``<name ending in key/token/secret/password...> = <random-looking value>``,
and ``secret.generic_phrase`` for prose such as "my password is hunter2!".

The span covers the secret value itself (not the variable name), so
redaction keeps the surrounding text readable. Placeholders (``xxxx``,
``<token>``, ``${VAR}``, ``AKIA...EXAMPLE``) are not reported.

Options: ``rules`` (list of rule names to keep; default all),
``generic`` (bool, default true), ``min_entropy`` (default 3.0).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from detectors._base import Finding
from detectors._secret_pending import SecretPending
from detectors._secret_rules import RULES, Rule, entropy, looks_placeholder
from detectors._trie import literal_alternation

__all__ = ["SecretsDetector"]

# Identifier, assignment operator, value. The identifier's *last word* decides
# whether it names a secret ("SNYK_KEY", "hubspotKey", "db.password").
_ASSIGN = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,60})[\"']?[ \t]{0,5}"
    r"(?:::?=|:::=|\?=|\+=|=>|==|=|:|[\"'],)[ \t]{0,5}"
    r"(?P<q>[\"'`]?)(?P<value>[A-Za-z0-9_\-+/=.~!@#$%^&*|:]{10,256})(?P=q)"
)
_PHRASE = re.compile(
    r"(?i)\b(?:password|passwd|passcode|api[ _-]?key|secret key|access token|token)"
    r"\s+(?:is|was|=|:)\s+[\"'`]?(?P<value>\S{6,128}?)[\"'`]?(?=[\s.,;!?]*(?:\s|$))"
)
#: Every ``_ASSIGN`` match holds one of these; every ``_PHRASE`` match one of the hints.
_PHRASE_HINTS = ("pass", "api", "secret key", "token")
_SECRET_WORDS = frozenset(
    [
        "key",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "credential",
        "credentials",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "authtoken",
        "auth",
        "login",
        "bearer",
    ]
)
_WORD_SPLIT = re.compile(r"[_.\-]+|(?<=[a-z0-9])(?=[A-Z])")


# Names that end like a secret but are not one: public keys, CSRF tokens.
_NOT_SECRET_WORDS = frozenset({"public", "csrf", "xsrf", "sort", "partition", "cache", "primary"})
_IDENTIFIER_PIECE = re.compile(r"[A-Za-z]+|\d{1,4}|[A-Za-z]+\d{1,2}|[A-Za-z]\d+")


def _names_secret(identifier: str) -> bool:
    words = [w.lower() for w in _WORD_SPLIT.split(identifier) if w]
    return bool(words) and words[-1] in _SECRET_WORDS and not _NOT_SECRET_WORDS & set(words)


def _identifier_like(value: str) -> bool:
    """``DOC_Vector_5_32``, ``jetbrains.mps.v8``, ``ACCESS_TOKEN``: names, not secrets."""
    pieces = [p for p in re.split(r"[._:-]+", value) if p]
    return all(_IDENTIFIER_PIECE.fullmatch(p) for p in pieces)


def _random_looking(value: str, min_entropy: float) -> bool:
    """A value that is not a word, a number, a path or a placeholder."""
    if looks_placeholder(value) or value.isdigit() or value.isalpha() or _identifier_like(value):
        return False
    if "/" in value and not re.search(r"[+=]", value) and value.count("/") > 1:
        return False  # a path
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 2 and entropy(value) >= min_entropy


def _enclosing(text: str, start: int, end: int) -> str:
    """The whitespace/quote-delimited token around ``[start, end)`` (placeholder check)."""
    stops = " \t\n\"'`<>()[]{},;"
    while start > 0 and text[start - 1] not in stops and end - start < 512:
        start -= 1
    while end < len(text) and text[end] not in stops and end - start < 1024:
        end += 1
    return text[start:end]


def _cli_secret(credentials: str) -> bool:
    """``user:password`` of ``curl -u`` with a real-looking password part."""
    plain = re.sub(r"[\"']", "", credentials)
    user, colon, password = plain.partition(":")
    secret = password or user
    return bool(colon) and len(secret) >= 4 and not looks_placeholder(secret)


def _assign_hint(text: str) -> bool:
    """Whether ``text`` has what a generic assignment needs: ``=``, ``:``, a quote and a comma.

    Four substring tests in C: several times cheaper than one regex search
    for the same, which tries each position in turn.
    """
    return "=" in text or ":" in text or '",' in text or "'," in text


class SecretsDetector:
    """Credential detector (see the module docstring)."""

    name = "secrets"
    cpu_heavy = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = dict(options or {})
        wanted = opts.pop("rules", None)
        self.generic = bool(opts.pop("generic", True))
        self.min_entropy = float(opts.pop("min_entropy", 3.0))
        if opts:
            raise ValueError(f"unknown secrets options: {sorted(opts)}")
        names = {r.name for r in RULES}
        if wanted is not None and set(wanted) - names:
            raise ValueError(f"unknown secret rules: {sorted(set(wanted) - names)}")
        self._rules = tuple(r for r in RULES if wanted is None or r.name in wanted)
        self.kinds = frozenset(f"secret.{r.name}" for r in self._rules) | (
            frozenset({"secret.generic_assignment", "secret.generic_phrase"})
            if self.generic
            else frozenset()
        )
        self._keywords = tuple(sorted({k for r in self._rules for k in r.keywords}))
        # One search finds whether any keyword occurs at all; most text has none.
        self._any_keyword = literal_alternation(self._keywords)
        # ... and, for ASCII text (where lower() and casefold() agree), whether
        # any keyword or generic-phrase word does: the pre-check's one search.
        hints = _PHRASE_HINTS if self.generic else ()
        self._any_hint = literal_alternation((*self._keywords, *hints))
        self._unkeyed = tuple(r for r in self._rules if not r.keywords)
        self._pending = SecretPending(self._rules)
        rule_key = ",".join(sorted({r.name for r in self._rules}))
        self.config_key = f"secrets:v1:{rule_key}:{self.generic}:{self.min_entropy}"

    def warmup(self) -> None:
        """Patterns compile at import; one call warms the regex caches."""
        self.detect("token = 'warmup'")

    def pending_from(self, text: str, kinds: Collection[str] = ()) -> int | None:
        """Where a credential may still be in progress at the end of ``text``.

        See :mod:`detectors._secret_pending`: prose is released, a token that
        could still become a credential (or follows a value context such as
        ``password is``) is held. ``kinds`` is accepted for the protocol; all
        of this detector's rules are considered.
        """
        return self._pending.pending_from(text)

    def might_match(self, text: str) -> bool:
        """Cheap pre-check: ``False`` only when :meth:`detect` finds nothing in ``text``.

        Every rule needs one of its keywords, the generic assignment needs an
        operator and the generic phrase one of its words: without any of
        them there is nothing to find.
        """
        if self._unkeyed:
            return True
        if self.generic and _assign_hint(text):
            return True
        if text.isascii():
            return self._any_hint.search(text.lower()) is not None
        if self._any_keyword.search(text.lower()) is not None:
            return True
        folded = text.casefold()
        return self.generic and any(w in folded for w in _PHRASE_HINTS)

    def detect(self, text: str) -> list[Finding]:
        """Findings for every credential in ``text`` (spans cover the secret value)."""
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []
        lower = text.lower()
        # One regex search says whether any keyword occurs; only then the
        # pass over the keyword list and a set test per rule.
        if self._any_keyword.search(lower) is None:
            rules: tuple[Rule, ...] = self._unkeyed
            present: set[str] = set()
        else:
            rules = self._rules
            present = {k for k in self._keywords if k in lower}
        for rule in rules:
            if rule.keywords and present.isdisjoint(rule.keywords):
                continue
            for m in rule.regex.finditer(text):
                group = "secret" if "secret" in rule.regex.groupindex else 0
                start, end = m.span(group)
                if start < 0 or looks_placeholder(_enclosing(text, start, end)):
                    continue
                if rule.name == "cli_credentials" and not _cli_secret(m.group(group)):
                    continue
                found.append(Finding(f"secret.{rule.name}", rule.score, start, end, self.name))
                taken.append((start, end))
        if self.generic:
            found.extend(self._generic(text, taken))
        return found

    def _generic(self, text: str, taken: list[tuple[int, int]]) -> list[Finding]:
        out: list[Finding] = []

        def free(s: int, e: int) -> bool:
            return not any(s < te and ts < e for ts, te in taken)

        # Both patterns need a literal the text rarely has: test for it first
        # (a stream screens every few words, and prose has neither).
        assigns = _ASSIGN.finditer(text) if _assign_hint(text) else ()
        for m in assigns:
            s, e = m.span("value")
            if (
                _names_secret(m.group("name"))
                and free(s, e)
                and _random_looking(m.group("value"), self.min_entropy)
            ):
                out.append(Finding("secret.generic_assignment", 0.7, s, e, self.name))
                taken.append((s, e))
        folded = text.casefold()
        phrases = _PHRASE.finditer(text) if any(w in folded for w in _PHRASE_HINTS) else ()
        for m in phrases:
            s, e = m.span("value")
            value = m.group("value")
            if free(s, e) and not looks_placeholder(value) and re.search(r"[\d\W_]", value):
                out.append(Finding("secret.generic_phrase", 0.6, s, e, self.name))
        return out
