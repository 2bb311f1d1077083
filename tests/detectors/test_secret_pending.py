"""Hold points of the secrets detector: prose flows, a credential being typed is held."""

from __future__ import annotations

import string

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from bench.eval_data import data_dir, read_jsonl
from detectors._secret_pending import _RANDOM_LED, _VALUE_CONTEXT, _may_be_value, _prefix_led
from detectors._secret_rules import RULES
from detectors.secrets import SecretsDetector


@pytest.fixture(scope="module")
def secrets() -> SecretsDetector:
    return SecretsDetector({})


def held(detector: SecretsDetector, text: str) -> str:
    """The part of ``text`` the detector says may still become a finding."""
    at = detector.pending_from(text)
    return "" if at is None else text[at:]


def test_prose_ending_in_a_space_holds_nothing(secrets: SecretsDetector) -> None:
    assert held(secrets, "The harbour was quiet in the early morning, and the ") == ""


def test_a_plain_word_being_typed_is_released(secrets: SecretsDetector) -> None:
    assert held(secrets, "The harbour was quiet in the early morn") == ""


@pytest.mark.parametrize(
    ("text", "pending"),
    [
        ("use the token gh", "gh"),
        ("use the token ghp_", "ghp_"),
        ("key: AKIA", "AKIA"),
        ("export OPENAI_API_KEY=sk-", "sk-"),
        ("the header eyJhbGci", "eyJhbGci"),
    ],
)
def test_a_prefix_that_could_become_a_credential_is_held(
    secrets: SecretsDetector, text: str, pending: str
) -> None:
    assert held(secrets, text).endswith(pending)


@pytest.mark.parametrize(
    ("text", "pending"),
    [
        ("the password is hunter", "hunter"),
        ("Authorization: Bearer abc", "abc"),
        ("db_password=correcthorse", "correcthorse"),
        ("curl -u admin", "admin"),
    ],
)
def test_a_word_after_a_value_context_is_held(
    secrets: SecretsDetector, text: str, pending: str
) -> None:
    assert held(secrets, text).endswith(pending)


def test_an_open_private_key_block_is_held_from_its_begin_line(secrets: SecretsDetector) -> None:
    text = "here it is\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc def"
    assert held(secrets, text).startswith("-----BEGIN RSA PRIVATE KEY-----")


def test_a_closed_private_key_block_is_not_held(secrets: SecretsDetector) -> None:
    text = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nthat was it "
    assert held(secrets, text) == ""


def test_a_quoted_cli_credential_with_spaces_is_held_whole(secrets: SecretsDetector) -> None:
    assert held(secrets, 'run curl -u "admin:correct horse').endswith('"admin:correct horse')


def test_a_format_that_allows_whitespace_is_held_across_it(secrets: SecretsDetector) -> None:
    assert held(secrets, '{"type": "serv') == '"type": "serv'


def test_a_long_digit_rich_token_is_answered_quickly(secrets: SecretsDetector) -> None:
    # A backtracking entity-run pattern once took minutes on tokens like this
    # one; the answer must be the whole token (no timing asserted here).
    token = "ops_" + "eyJ0" * 200 + "1a2b3c4d" * 40
    assert held(secrets, "export T=" + token).endswith(token)


def test_every_cut_inside_a_gitleaks_credential_is_held(secrets: SecretsDetector) -> None:
    """Stream cuts anywhere inside a real credential never release its start."""
    path = data_dir() / "gitleaks_rule_examples" / "gitleaks_rule_examples.jsonl"
    rows = [r for r in read_jsonl(path) if r["label"] == "true_positive"]
    checked = 0
    leaks: list[tuple[str, str]] = []
    for row in rows:
        text = row["text"]
        for finding in secrets.detect(text):
            if finding.kind.removeprefix("secret.") in _RANDOM_LED:
                continue
            for cut in range(finding.start + 1, finding.end):
                at = secrets.pending_from(text[:cut])
                checked += 1
                if at is None or at > finding.start:
                    leaks.append((finding.kind, text[finding.start : cut]))
                    break
    assert checked > 10_000
    assert leaks == []


def test_random_led_lists_exactly_the_formats_a_plain_word_could_begin() -> None:
    """The known limit stays as small as the rule table allows.

    A prefix-led format belongs in ``_RANDOM_LED`` only if ordinary words
    could be the start of one (holding them would hold prose).
    """
    words = [w for w in PROSE_WORDS.split() if len(w) >= 3]
    assert all(set(w) <= set(string.ascii_lowercase) for w in words)
    could_begin = set()
    for rule in RULES:
        if not _prefix_led(rule):
            continue
        partial = regex.compile(rule.regex.pattern, rule.regex.flags & regex.IGNORECASE)
        if any(partial.fullmatch(w, partial=True) is not None for w in words):
            could_begin.add(rule.name)
    assert could_begin == set(_RANDOM_LED)


PROSE_WORDS = "the harbour was quiet in the early morning and the decade old boats rocked"


_CONTEXT_PIECES = st.sampled_from(
    [
        "password",
        " is ",
        " IS",
        "was",
        "=",
        ":",
        "`",
        "'",
        '"',
        ",",
        "Bearer",
        "basic",
        "TOKEN",
        "apiKey",
        "-u",
        "--user",
        " ",
        "\t",
        "\n",
        "x",
        "my",
        "\u212a",
        "\u017f",
        "api key",
        "é",
    ]
)


@given(st.lists(_CONTEXT_PIECES, max_size=12).map("".join))
def test_value_context_prefilter_never_hides_a_context(text: str) -> None:
    """Wherever the value-context regex matches before a token, the cheap pre-filter says maybe."""
    for start in range(len(text) + 1):
        if _VALUE_CONTEXT.search(text, max(0, start - 16), start):
            assert _may_be_value(text, start), (text, start)


@given(
    st.sampled_from(["the key is ", "use ", "token: ", "", "x "]),
    st.tuples(
        st.sampled_from(["", "ghp", "AKIA", "sk", "xoxb", "eyJ", "glpat", "AIza"]),
        st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=24),
    ).map("".join),
)
def test_a_plain_last_token_is_held_as_the_general_walk_holds_it(context: str, token: str) -> None:
    pending = SecretsDetector({})._pending
    text = context + token
    start = len(context)
    assert pending._token_hold(text, start) == pending._hold_at_separators(text, start)
