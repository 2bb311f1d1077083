"""The package's public surface."""

from __future__ import annotations

import middleware.policy as policy


def test_all_names_are_unique_and_every_name_resolves() -> None:
    assert len(set(policy.__all__)) == len(policy.__all__)
    for name in policy.__all__:
        assert getattr(policy, name) is not None, name


def test_cli_module_exposes_register() -> None:
    from middleware.policy import cli

    assert cli.__all__ == ["main", "register"]
    assert callable(cli.register)
