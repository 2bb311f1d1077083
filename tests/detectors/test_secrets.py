"""Secrets detector: provider formats, generic assignments, placeholders, spans."""

from __future__ import annotations

import base64

import pytest

from detectors import DetectorSet, create
from detectors.secrets import SecretsDetector

DET = SecretsDetector()

# Assembled at run time so the repository holds no literal key-shaped strings.
GITHUB = "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
AWS = "AKIA" + "Z7Q4N3KD5R2TPL6W"


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in DET.detect(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (f"token: {GITHUB}", "secret.github_token", GITHUB),
        (f"STRIPE={STRIPE}", "secret.stripe_key", STRIPE),
        (f"aws_access_key_id = {AWS}", "secret.aws_access_key", AWS),
        (
            "db: postgres://app:S3cr3t-pw9@db.internal:5432/x",
            "secret.url_credentials",
            "S3cr3t-pw9",
        ),
        ('db_password = "q9X!v2LmR7pT"', "secret.generic_assignment", "q9X!v2LmR7pT"),
        ("my password is Tr0ub4dor&3 okay", "secret.generic_phrase", "Tr0ub4dor&3"),
    ],
)
def test_credentials_are_found_with_value_span(text: str, kind: str, value: str) -> None:
    assert (kind, value) in _found(text)


def test_private_key_block_is_found() -> None:
    body = base64.b64encode(bytes(range(96))).decode()
    text = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    assert [k for k, _ in _found(text)] == ["secret.private_key"]


@pytest.mark.parametrize(
    "text",
    [
        "aws_access_key: AKIAIOSFODNN7EXAMPLE",
        "token = ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        'password = "${DB_PASSWORD}"',
        "curl -u username:password https://example.com",
        'schemaKey = "DOC_Vector_5_32"',
        'public_key = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"',
        "The key to success is practice; the token economy is growing.",
        "export OP_TOKEN=ops_eyJzaWduSW5BZGRyZXNzIjoiaHR0cHM6...",
    ],
)
def test_placeholders_and_lookalikes_are_not_flagged(text: str) -> None:
    assert _found(text) == []


def test_options_select_rules() -> None:
    det = SecretsDetector({"rules": ["github_token"], "generic": False})
    assert det.kinds == frozenset({"secret.github_token"})
    assert det.detect(f"{STRIPE} {GITHUB}")[0].kind == "secret.github_token"


def test_unknown_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown secret rules"):
        SecretsDetector({"rules": ["nope"]})


def test_secret_behind_invisible_chars_maps_to_original() -> None:
    ds = DetectorSet({"secrets": create("secrets")})
    hidden = GITHUB[:10] + "\u200b" + GITHUB[10:]
    text = f"use {hidden} now"
    [f] = ds.scan_sync(text, ["secrets"]).findings
    assert text[f.start : f.end] == hidden


def test_base64_encoded_secret_is_caught_on_the_blob() -> None:
    ds = DetectorSet({"secrets": create("secrets")})
    blob = base64.b64encode(f"export GH={GITHUB}".encode()).decode()
    text = f"run this: {blob}"
    [f] = ds.scan_sync(text, ["secrets"]).findings
    assert text[f.start : f.end] == blob
    assert f.meta["encoded"] == "base64"


def test_prose_with_commas_is_not_an_assignment() -> None:
    assert _found("Failure: Shares credentials, downloads/clicks malicious payload") == []


def test_every_rule_has_a_keyword_prefilter() -> None:
    from detectors._secret_rules import RULES

    assert [r.name for r in RULES if not r.keywords] == []


def test_secret_across_a_chunk_boundary_is_found_once() -> None:
    ds = DetectorSet({"secrets": create("secrets")}, segment_chars=200, overlap_chars=64)
    text = ("lorem ipsum " * 16)[:190] + f" {GITHUB} " + "dolor sit amet " * 20
    result = ds.scan_sync(text, ["secrets"])
    assert result.segments > 2
    assert [text[f.start : f.end] for f in result.findings] == [GITHUB]
