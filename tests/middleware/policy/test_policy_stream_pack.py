"""The baseline pack on streamed output, with the real detectors.

Every piece of text a stream releases is a prefix of what the non-streamed
path returns for the whole text: a credential, card number, IBAN or hidden
character cut across frames is never released before it is masked, and the
stream ends with exactly the non-streamed text.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from middleware._context import ProxyRequest, RequestContext
from middleware.adapters import Segment
from middleware.policy._addon import PolicyAddon, PolicyScratch, request_facts
from middleware.policy._decision import PolicyRecord
from middleware.policy._redaction import Placeholders, apply_redactions
from middleware.policy._settings import PolicySettings
from middleware.policy._sources import shared_source
from middleware.policy._stream import PolicyStreamScreening

PACK = Path(__file__).resolve().parents[3] / "policies"

GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
AWS = "AKIA" + "Q3EGRXZ7VB2M4KTN"
TEXTS = [
    "The tide turned at noon, and the fishing boats came home slowly.",
    "Charge card 4111 1111 1111 1111 for the order, then ship it.",
    "Wire it to IBAN DE89 3704 0044 0532 0130 00 before Friday please.",
    f"Use token {GITHUB} in CI and key {AWS} for the bucket.",
    "Plain text with hid\U000e0041\U000e0042\U000e0043den tags and a bidi \u202eflip\u202c mark.",
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "MIIEpAIBAAKCAQEA7bq98cLxRk3Ws5yQ2pN8vZt1uF6hJ4mK0oP9rS3tU2vW5xY8zA1bC\n"
    + "-----END RSA PRIVATE KEY-----\nthat was the key.",
]


@pytest.fixture(scope="module")
def pack_addon() -> PolicyAddon:
    """The baseline pack over every installed detector (threads: no worker processes)."""
    source = shared_source({"runner": {"executor": "thread"}})
    return PolicyAddon(PolicySettings(dir=str(PACK), reload_interval_s=0), source)


async def _screens(addon: PolicyAddon) -> tuple[PolicyStreamScreening, PolicyScratch]:
    if not addon.store.loaded:
        await addon.store.reload()
    engine = addon.store.engine
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat")
    ctx.state["policy"] = PolicyRecord("d", engine.revision)
    scratch = PolicyScratch(engine, request_facts(ctx), "d", Placeholders())
    return PolicyStreamScreening(ctx, addon, scratch, addon.settings.stream), scratch


async def _non_streamed(addon: PolicyAddon, text: str) -> str:
    _, scratch = await _screens(addon)
    engine = scratch.engine
    whole = await engine.evaluate([Segment("assistant", text, 0, ("x",))], "output", scratch.facts)
    assert whole.action != "block", "these texts are about holding and masking, not blocking"
    return apply_redactions(text, whole.redactions.get(0, ()), Placeholders())


async def _stream(addon: PolicyAddon, text: str, points: list[int]) -> tuple[list[str], str]:
    """Feed ``text`` cut at ``points``; the text released after each frame, and the end."""
    screening, _ = await _screens(addon)
    screen = screening.open("output", "content", 0)
    assert screen is not None
    released: list[str] = []
    for a, b in itertools.pairwise(points):
        if b > a:
            released.append(await screen.feed(text[a:b]))
    released.append(await screen.finish())
    return released, "".join(released)


async def test_every_text_is_changed_by_the_pack_or_is_plain_prose(pack_addon: PolicyAddon) -> None:
    masked = [await _non_streamed(pack_addon, t) for t in TEXTS]
    assert masked[0] == TEXTS[0]
    assert all(m != t for m, t in zip(masked[1:], TEXTS[1:], strict=True))


@pytest.mark.parametrize("text", TEXTS)
async def test_one_character_frames_release_only_masked_text(
    pack_addon: PolicyAddon, text: str
) -> None:
    expected = await _non_streamed(pack_addon, text)
    released, whole = await _stream(pack_addon, text, list(range(len(text) + 1)))
    so_far = ""
    for piece in released:
        so_far += piece
        assert expected.startswith(so_far)
    assert whole == expected


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3),
    joiner=st.sampled_from([" ", "\n", ""]),
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=40),
)
async def test_any_chunking_releases_a_prefix_of_the_non_streamed_text(
    pack_addon: PolicyAddon, parts: list[str], joiner: str, cuts: list[int]
) -> None:
    text = joiner.join(parts)
    expected = await _non_streamed(pack_addon, text)
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    released, whole = await _stream(pack_addon, text, points)
    so_far = ""
    for piece in released:
        so_far += piece
        assert expected.startswith(so_far)
    assert whole == expected
