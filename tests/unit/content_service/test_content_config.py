"""Config.from_env: the environment contract of deploy/local, with clear errors."""

from __future__ import annotations

import pytest

from content_service.config import Config, ConfigError


def test_the_mesh_environment_is_read():
    config = Config.from_env({
        "DATABASE_URL": "postgresql://postgres@db:5432/content",
        "CONTENT_GRPC_HOST": "0.0.0.0", "CONTENT_GRPC_PORT": "50061",
        "CONTENT_METRICS_PORT": "9111", "CONTENT_MAX_BYTES": "2048",
        "HULEEDU_INSTANCE_ID": "content-1",
    })

    assert config.database_url == "postgresql+asyncpg://postgres@db:5432/content"
    assert (config.grpc_host, config.grpc_port, config.metrics_port) == ("0.0.0.0", 50061, 9111)
    assert config.limits.max_content_bytes == 2048
    assert config.instance_id == "content-1"


def test_defaults_match_the_documented_ports_and_limit():
    config = Config.from_env({"DATABASE_URL": "postgresql+asyncpg://u@h/d"})

    assert (config.grpc_port, config.metrics_port) == (50051, 9101)
    assert config.limits.max_content_bytes == 1024 * 1024


def test_the_service_specific_database_url_wins():
    config = Config.from_env({
        "DATABASE_URL": "postgresql://u@h/shared", "CONTENT_DATABASE_URL": "postgres://u@h/own",
    })

    assert config.database_url == "postgresql+asyncpg://u@h/own"


@pytest.mark.parametrize("env, named", [
    ({}, "DATABASE_URL"),
    ({"DATABASE_URL": "mysql://u@h/d"}, "PostgreSQL"),
    ({"DATABASE_URL": "postgresql://u@h/d", "CONTENT_GRPC_PORT": "fifty"}, "CONTENT_GRPC_PORT"),
    ({"DATABASE_URL": "postgresql://u@h/d", "CONTENT_MAX_BYTES": "-1"}, "CONTENT_MAX_BYTES"),
])
def test_bad_settings_are_named_in_the_error(env, named):
    with pytest.raises(ConfigError, match=named):
        Config.from_env(env)
