"""The runner: caching, segmentation, span mapping, failures and timeouts."""

from __future__ import annotations

import base64

import pytest

from detectors import DetectorEvent, DetectorSet
from tests.detectors._fakes import (
    CountingDetector,
    CrashingDetector,
    FailingDetector,
    SlowDetector,
)


def _conversation(turns: int) -> list[str]:
    return [f"turn {i}: please look at the secret plan number {i} " * 8 for i in range(turns)]


async def test_finds_and_maps_spans_to_original() -> None:
    ds = DetectorSet({"counting": CountingDetector()})
    text = "my s\u200becret is here"
    result = await ds.scan(text, ["counting"])
    [f] = result.findings
    assert text[f.start : f.end] == "s\u200becret"
    assert f.detector == "counting"
    await ds.aclose()


async def test_homoglyph_match_maps_to_original() -> None:
    ds = DetectorSet({"counting": CountingDetector()})
    text = "a s\u0435cr\u0435t here"  # Cyrillic "e"s
    [f] = (await ds.scan(text, ["counting"])).findings
    assert (f.start, f.end) == (2, 8)


async def test_only_named_detectors_run() -> None:
    a, b = CountingDetector(), CountingDetector()
    ds = DetectorSet({"a": a, "b": b})
    await ds.scan("secret", ["a"])
    assert (a.calls, b.calls) == (1, 0)


async def test_rescreened_conversation_costs_about_one_message_per_turn() -> None:
    det = CountingDetector()
    ds = DetectorSet({"counting": det}, decode_payloads=False)
    messages = _conversation(20)
    for turn in range(1, 21):
        for message in messages[:turn]:  # the client re-sends the whole history
            await ds.scan(message, ["counting"])
    assert det.calls == 20  # one run per new message, not 210
    assert ds.stats().cache_hits == sum(range(20))


async def test_cache_is_keyed_by_config() -> None:
    a = CountingDetector()
    b = CountingDetector()
    b.config_key = "counting:other"
    ds = DetectorSet({"a": a, "b": b})
    await ds.scan("secret", ["a", "b"])
    await ds.scan("secret", ["a", "b"])
    assert (a.calls, b.calls) == (1, 1)


async def test_cache_is_bounded() -> None:
    det = CountingDetector()
    ds = DetectorSet({"counting": det}, cache_size=2, decode_payloads=False)
    for text in ("one", "two", "three", "one"):
        await ds.scan(text, ["counting"])
    assert det.calls == 4  # "one" was evicted by "three"


async def test_long_text_is_segmented_not_truncated() -> None:
    det = CountingDetector()
    ds = DetectorSet({"counting": det}, segment_chars=1000, overlap_chars=100)
    text = ("filler " * 2000) + "secret" + (" tail" * 10)
    result = await ds.scan(text, ["counting"])
    assert result.segments > 10
    assert result.chars == len(text)
    [f] = result.findings
    assert text[f.start : f.end] == "secret"


async def test_match_across_chunk_boundary_is_found_once() -> None:
    det = CountingDetector(word="abcdefghij")
    ds = DetectorSet({"counting": det}, segment_chars=100, overlap_chars=20)
    text = "x" * 95 + "abcdefghij" + "y" * 50
    result = await ds.scan(text, ["counting"])
    assert [(f.start, f.end) for f in result.findings] == [(95, 105)]


async def test_error_is_reported_not_raised() -> None:
    ds = DetectorSet({"failing": FailingDetector(), "counting": CountingDetector()})
    result = await ds.scan("secret", ["failing", "counting"])
    assert result.failed == {"failing": "error"}
    assert [f.kind for f in result.findings] == ["test.word"]


async def test_timeout_is_reported_not_raised() -> None:
    ds = DetectorSet({"slow": SlowDetector(0.5)}, timeout_s=0.05, executor="thread")
    result = await ds.scan("anything", ["slow"])
    assert result.failed == {"slow": "timeout"}
    assert result.findings == ()
    await ds.aclose()


async def test_unknown_name_is_reported() -> None:
    ds = DetectorSet({})
    result = await ds.scan("text", ["nope"])
    assert result.failed == {"nope": "error"}


def test_scan_sync_reports_timeout_with_processes() -> None:
    ds = DetectorSet({"slow": SlowDetector(2.0)}, timeout_s=0.5, executor="process", workers=1)
    ds.warmup()  # start the worker first: spawning is not part of the budget
    assert ds.scan_sync("anything", ["slow"]).failed == {"slow": "timeout"}
    ds.close()


async def test_process_pool_scans_off_loop() -> None:
    det = CountingDetector(cpu_heavy=True)
    ds = DetectorSet({"counting": det}, executor="process", workers=1)
    ds.warmup()
    result = await ds.scan("a secret here", ["counting"])
    assert [f.kind for f in result.findings] == ["test.word"]
    assert det.calls == 0  # it ran in the worker's copy
    await ds.aclose()


async def test_heavy_detector_runs_on_thread_pool() -> None:
    det = CountingDetector(cpu_heavy=True)
    ds = DetectorSet({"counting": det}, executor="thread")
    ds.warmup()
    result = await ds.scan("a secret", ["counting"])
    assert len(result.findings) == 1
    await ds.aclose()


async def test_encoded_payload_is_rescanned_and_mapped_to_blob() -> None:
    ds = DetectorSet({"counting": CountingDetector()})
    blob = base64.b64encode(b"the secret is out").decode()
    text = f"decode this: {blob} please"
    [f] = (await ds.scan(text, ["counting"])).findings
    assert text[f.start : f.end] == blob
    assert f.meta["encoded"] == "base64"


async def test_observer_sees_runs_and_cache_hits() -> None:
    events: list[DetectorEvent] = []
    ds = DetectorSet({"counting": CountingDetector()}, observer=events.append)
    await ds.scan("secret", ["counting"])
    await ds.scan("secret", ["counting"])
    assert [e.outcome for e in events] == ["ok", "cached"]


def test_from_config_builds_through_registry() -> None:
    from detectors import register

    register("test-counting", lambda opts: CountingDetector(word=str(opts.get("word", "x"))))
    ds = DetectorSet.from_config({"words": {"detector": "test-counting", "word": "zz"}})
    assert ds.kinds() == {"words": frozenset({"test.word"})}
    assert len(ds.scan_sync("a zz b", ["words"]).findings) == 1


async def test_dead_worker_is_reported_and_the_pool_replaced() -> None:
    ds = DetectorSet(
        {"crashing": CrashingDetector(), "counting": CountingDetector(cpu_heavy=True)},
        executor="process",
        workers=1,
        timeout_s=30,
    )
    ds.warmup()
    assert (await ds.scan("boom", ["crashing"])).failed == {"crashing": "error"}
    result = await ds.scan("a secret", ["counting"])
    assert result.failed == {}
    assert len(result.findings) == 1
    await ds.aclose()


def test_from_section_reads_runner_options_and_aliases() -> None:
    section = {
        "runner": {"executor": "thread", "cache_size": 16, "timeout_s": 1.0},
        "secrets": {},
        "strict_secrets": {"detector": "secrets", "generic": False, "timeout_s": 0.5},
    }
    ds = DetectorSet.from_section(section)
    assert set(ds.kinds()) == {"secrets", "strict_secrets"}
    assert "secret.generic_assignment" not in ds.kinds()["strict_secrets"]
    [f] = ds.scan_sync("password = 'q9X!v2LmR7pT'", ["secrets", "strict_secrets"]).findings
    assert f.detector == "secrets"


def test_from_section_rejects_unknown_runner_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown detectors\.runner"):
        DetectorSet.from_section({"runner": {"executr": "thread"}})


class _PrecheckedDetector(CountingDetector):
    """A CPU-heavy counting detector whose pre-check is "has the word"."""

    def __init__(self) -> None:
        super().__init__(cpu_heavy=True)

    def might_match(self, text: str) -> bool:
        return self.word in text


def test_finds_nothing_runs_cheap_detectors_inline_uncached() -> None:
    ds = DetectorSet({"counting": (d := CountingDetector())}, executor="thread")
    ds.warmup()
    assert ds.finds_nothing("nothing to see here", ["counting"])
    assert not ds.finds_nothing("a secret here", ["counting"])
    assert d.calls == 2
    assert ds.stats().scans == 0  # a pre-check is not a scan: no cache, no counters


def test_finds_nothing_sees_encoded_payloads() -> None:
    ds = DetectorSet({"counting": CountingDetector()}, executor="thread")
    ds.warmup()
    blob = base64.b64encode(b"the secret is out").decode()
    assert not ds.finds_nothing(f"decode this: {blob} please", ["counting"])


def test_finds_nothing_asks_heavy_detectors_only_their_precheck() -> None:
    heavy = _PrecheckedDetector()
    ds = DetectorSet({"counting": heavy}, executor="thread")
    ds.warmup()
    assert ds.finds_nothing("nothing to see here", ["counting"])
    assert not ds.finds_nothing("a secret here", ["counting"])
    assert heavy.calls == 0


def test_finds_nothing_doubts_what_it_cannot_check() -> None:
    ds = DetectorSet(
        {"slow": SlowDetector(0.0), "failing": FailingDetector(), "counting": CountingDetector()},
        executor="thread",
        segment_chars=64,
        overlap_chars=8,
    )
    assert not ds.finds_nothing("plain", ["counting"])  # not warmed up yet
    ds.warmup()
    assert not ds.finds_nothing("plain", ["slow"])  # heavy, no pre-check
    assert not ds.finds_nothing("plain", ["failing"])  # raised
    assert not ds.finds_nothing("plain", ["unknown"])
    assert not ds.finds_nothing("plain " * 20, ["counting"])  # would be split into chunks
    assert ds.finds_nothing("plain", ["counting"])
