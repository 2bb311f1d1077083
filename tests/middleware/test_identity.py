"""Identity: key extraction, key ids, registry, modes, and the keys-hash CLI."""

from __future__ import annotations

import argparse
import io
import logging
from pathlib import Path

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

import middleware.identity as identity_pkg
from middleware._context import ProxyRequest, RequestContext
from middleware.errors import ApiError
from middleware.identity import (
    ANONYMOUS_KEY_ID,
    IdentityAddon,
    IdentityConfigError,
    extract_key,
    key_id_for,
    parse_identity_config,
    register,
)

SECRET = "s" * 32
RAW_KEY = "sk-test-very-secret-key-0001"


def _ctx(headers: dict[str, str]) -> RequestContext:
    hdrs = CIMultiDictProxy(CIMultiDict(headers))
    req = ProxyRequest("POST", "/v1/chat/completions", "", hdrs, b"{}")
    return RequestContext(
        request=req, request_id="r1", route="openai_chat", upstream_headers=CIMultiDict(headers)
    )


def _addon(env: dict[str, str] | None = None, **raw: object) -> IdentityAddon:
    return IdentityAddon(parse_identity_config({"secret": SECRET, **raw}), environ=env or {})


def test_all_names_exported() -> None:
    for name in identity_pkg.__all__:
        assert hasattr(identity_pkg, name)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer abc"}, "abc"),
        ({"authorization": "bearer  abc "}, "abc"),
        ({"x-api-key": "xyz"}, "xyz"),
        ({"api-key": "azure"}, "azure"),
        ({"Authorization": "Basic zzz", "x-api-key": "xyz"}, "xyz"),
        ({"Authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_extract_key_sources(headers: dict[str, str], expected: str | None) -> None:
    assert extract_key(CIMultiDict(headers)) == expected


def test_key_id_is_keyed_and_stable() -> None:
    a = key_id_for(RAW_KEY, b"one-secret-0123456")
    assert a == key_id_for(RAW_KEY, b"one-secret-0123456")
    assert a != key_id_for(RAW_KEY, b"two-secret-0123456")
    assert a.startswith("k_") and len(a) == 26
    assert RAW_KEY not in a


async def test_registered_key_gets_tenant_and_tier() -> None:
    kid = key_id_for(RAW_KEY, SECRET.encode())
    addon = _addon(keys={kid: {"tenant": "acme", "tier": "pro"}})
    ctx = _ctx({"Authorization": f"Bearer {RAW_KEY}"})
    await addon.request(ctx)
    assert ctx.identity is not None
    assert (ctx.identity.key_id, ctx.identity.tenant, ctx.identity.tier) == (kid, "acme", "pro")
    assert ctx.identity.known


async def test_unknown_key_gets_default_tier() -> None:
    addon = _addon(default_tier="free", default_tenant="public")
    ctx = _ctx({"x-api-key": RAW_KEY})
    await addon.request(ctx)
    assert ctx.identity is not None
    assert (ctx.identity.tenant, ctx.identity.tier, ctx.identity.known) == ("public", "free", False)


async def test_unknown_key_refused_by_config() -> None:
    addon = _addon(unknown_keys="refuse")
    with pytest.raises(ApiError) as err:
        await addon.request(_ctx({"x-api-key": RAW_KEY}))
    assert err.value.status == 401
    assert err.value.code == "invalid_api_key"


async def test_disabled_key_refused() -> None:
    kid = key_id_for(RAW_KEY, SECRET.encode())
    addon = _addon(keys={kid: {"tenant": "a", "tier": "b", "disabled": True}})
    with pytest.raises(ApiError) as err:
        await addon.request(_ctx({"x-api-key": RAW_KEY}))
    assert err.value.status == 401


async def test_missing_key_refused() -> None:
    with pytest.raises(ApiError) as err:
        await _addon(require_key=True).request(_ctx({}))
    assert err.value.status == 401
    assert err.value.code == "missing_api_key"


async def test_missing_key_refused_by_default_in_production() -> None:
    with pytest.raises(ApiError) as err:
        await _addon(production=True).request(_ctx({}))
    assert err.value.code == "missing_api_key"


async def test_missing_key_anonymous_when_not_required() -> None:
    ctx = _ctx({})
    await _addon(require_key=False).request(ctx)
    assert ctx.identity is not None and ctx.identity.key_id == ANONYMOUS_KEY_ID


async def test_passthrough_keeps_client_key() -> None:
    ctx = _ctx({"Authorization": f"Bearer {RAW_KEY}"})
    await _addon().request(ctx)
    assert ctx.upstream_headers["authorization"] == f"Bearer {RAW_KEY}"


async def test_gateway_replaces_every_client_key() -> None:
    addon = _addon({"UP_KEY": "sk-upstream"}, mode="gateway", upstream_key_env="UP_KEY")
    ctx = _ctx({"Authorization": f"Bearer {RAW_KEY}", "x-api-key": RAW_KEY, "api-key": RAW_KEY})
    await addon.request(ctx)
    assert ctx.upstream_headers.getall("authorization") == ["Bearer sk-upstream"]
    assert "x-api-key" not in ctx.upstream_headers
    assert "api-key" not in ctx.upstream_headers


def test_gateway_without_upstream_key_refuses_to_start() -> None:
    with pytest.raises(IdentityConfigError, match="upstream_key_env"):
        _addon({}, mode="gateway")


def test_production_without_secret_refuses_to_start() -> None:
    cfg = parse_identity_config({"production": True})
    with pytest.raises(IdentityConfigError, match="secret"):
        IdentityAddon(cfg, environ={})


def test_production_env_flag_without_secret_refuses_to_start() -> None:
    with pytest.raises(IdentityConfigError):
        IdentityAddon(parse_identity_config({}), environ={"TOLLGATE_ENV": "production"})


def test_secret_from_env() -> None:
    cfg = parse_identity_config({"production": True})
    addon = IdentityAddon(cfg, environ={"TOLLGATE_KEY_SECRET": SECRET})
    assert addon.key_id(RAW_KEY) == key_id_for(RAW_KEY, SECRET.encode())


def test_dev_mode_uses_ephemeral_secret() -> None:
    a = IdentityAddon(parse_identity_config({}), environ={})
    b = IdentityAddon(parse_identity_config({}), environ={})
    assert a.key_id(RAW_KEY) != b.key_id(RAW_KEY)


def test_registry_rejects_raw_keys() -> None:
    with pytest.raises(IdentityConfigError, match=r"identity\.keys"):
        parse_identity_config({"keys": {RAW_KEY: {"tenant": "a", "tier": "b"}}})


def test_config_errors_name_the_field() -> None:
    with pytest.raises(IdentityConfigError, match=r"identity\.mode"):
        parse_identity_config({"mode": "open"})
    with pytest.raises(IdentityConfigError, match=r"identity\.bogus"):
        parse_identity_config({"bogus": 1})


async def test_raw_key_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ctx = _ctx({"Authorization": f"Bearer {RAW_KEY}"})
    await _addon().request(ctx)
    assert RAW_KEY not in caplog.text
    assert ctx.identity is not None and RAW_KEY not in repr(ctx.identity)


def _hash_cli(tmp_path: Path, stdin: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    cfg = tmp_path / "tollgate.yaml"
    cfg.write_text(f"identity:\n  secret: {SECRET}\n")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["keys", "hash", "--config", str(cfg)])
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    code = args.func(args, io.StringIO(stdin))
    return code, out.getvalue()


def test_cli_hashes_keys_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _hash_cli(tmp_path, RAW_KEY + "\n", monkeypatch)
    assert code == 0
    assert out.strip() == key_id_for(RAW_KEY, SECRET.encode())


def test_cli_without_input_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = _hash_cli(tmp_path, "\n", monkeypatch)
    assert code == 2


def test_cli_takes_no_key_argument() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(["keys", "hash", RAW_KEY])
