"""The package's public surface."""

from __future__ import annotations

import detectors


def test_all_names_exist() -> None:
    for name in detectors.__all__:
        assert hasattr(detectors, name), name


def test_all_is_sorted_and_unique() -> None:
    assert list(detectors.__all__) == sorted(set(detectors.__all__))
