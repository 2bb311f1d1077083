"""Finding sources: kind-glob overlap, the shared per-process source, warm-up once."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from middleware.policy._sources import (
    NoDetectors,
    ScanOutcome,
    globs_overlap,
    shared_source,
    warm_once,
)


def test_globs_overlap() -> None:
    assert globs_overlap("pii.EMAIL_ADDRESS", "pii.*")
    assert globs_overlap("pii.*", "pii.EMAIL_ADDRESS")
    assert globs_overlap("secret.generic_*", "secret.*")
    assert not globs_overlap("pii.EMAIL_ADDRESS", "secret.*")
    assert not globs_overlap("misuse.*", "injection.*")


def test_shared_source_is_built_once_per_configuration() -> None:
    a = shared_source({})
    assert shared_source({}) is a


def test_no_detectors_reports_every_name_unavailable() -> None:
    got = NoDetectors().scan_sync("text", ["pii"])
    assert got.findings == () and dict(got.failed) == {"pii": "unavailable"}


class _Counting:
    def __init__(self) -> None:
        self.warmups = 0

    def kinds(self) -> Mapping[str, frozenset[str]]:
        return {}

    async def scan(self, text: str, names: Collection[str]) -> ScanOutcome:
        return NoDetectors().scan_sync(text, names)

    def scan_sync(self, text: str, names: Collection[str]) -> ScanOutcome:
        return NoDetectors().scan_sync(text, names)

    def warmup(self) -> None:
        self.warmups += 1


def test_warm_once_warms_a_source_a_single_time() -> None:
    source = _Counting()
    warm_once(source)
    warm_once(source)
    assert source.warmups == 1
