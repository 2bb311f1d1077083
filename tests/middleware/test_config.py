from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from middleware.config import ConfigError, load_config


def test_defaults_without_file() -> None:
    config = load_config(None, environ={})
    assert config.server.port == 8080
    assert config.server.admin_port == 8081
    assert config.server.admin_host == "127.0.0.1"
    assert config.server.max_body_bytes == 4 * 1024 * 1024
    assert config.routes.passthrough_unknown is False
    assert config.source == "defaults"


def test_documented_example_loads() -> None:
    config = load_config(Path("deploy/tollgate.yaml"), environ={})
    assert config.upstream.url == "http://127.0.0.1:9000"
    assert config.logging.format == "json"


def test_env_overrides_short_names(tmp_path: Path) -> None:
    env = {
        "TOLLGATE_UPSTREAM_URL": "http://10.0.0.1:1234/",
        "TOLLGATE_PORT": "9999",
        "TOLLGATE_ADMIN_PORT": "9998",
    }
    config = load_config(None, environ=env)
    assert config.upstream.url == "http://10.0.0.1:1234"
    assert config.server.port == 9999
    assert config.server.admin_port == 9998


def test_env_selects_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  port: 7000\n")
    config = load_config(None, environ={"TOLLGATE_CONFIG": str(path)})
    assert config.server.port == 7000
    assert config.source == str(path)


def test_env_generic_nested_override() -> None:
    config = load_config(None, environ={"TOLLGATE_UPSTREAM__IDLE_TIMEOUT_S": "7.5"})
    assert config.upstream.idle_timeout_s == 7.5


def test_bad_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  port: not-a-port\n")
    with pytest.raises(ConfigError, match=r"server\.port"):
        load_config(path, environ={})


def test_unknown_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("upstream:\n  urll: http://x\n")
    with pytest.raises(ConfigError, match=r"upstream\.urll"):
        load_config(path, environ={})


def test_upstream_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match=r"upstream\.url"):
        load_config(None, environ={"TOLLGATE_UPSTREAM_URL": "ftp://x"})


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("server: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path, environ={})


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml", environ={})


def test_config_is_immutable() -> None:
    config = load_config(None, environ={})
    with pytest.raises(ValidationError):
        config.server.port = 1  # type: ignore[misc]
