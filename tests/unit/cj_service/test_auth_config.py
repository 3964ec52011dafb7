"""AuthConfig.from_env: dev defaults outside production, explicit keys inside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cj_service.auth import DEV_AUDIENCE, DEV_ISSUER, DEV_SECRET, AuthConfig


def write_public_key(path: Path, private_key) -> str:
    path.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


def test_without_settings_the_dev_defaults_apply() -> None:
    config = AuthConfig.from_env({})
    assert (config.algorithm, config.key, config.issuer, config.audience) == (
        "HS256",
        DEV_SECRET,
        DEV_ISSUER,
        DEV_AUDIENCE,
    )


def test_a_secret_issuer_and_audience_are_read() -> None:
    config = AuthConfig.from_env(
        {"CJ_JWT_SECRET": "s" * 40, "CJ_JWT_ISSUER": "https://idp", "CJ_JWT_AUDIENCE": "cj"}
    )
    assert (config.algorithm, config.key, config.issuer, config.audience) == (
        "HS256",
        "s" * 40,
        "https://idp",
        "cj",
    )


@pytest.mark.parametrize(
    "private_key,algorithm",
    [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
    ],
)
def test_the_algorithm_follows_the_public_key_type(
    tmp_path: Path, private_key, algorithm: str
) -> None:
    path = write_public_key(tmp_path / "key.pem", private_key)
    config = AuthConfig.from_env({"CJ_JWT_PUBLIC_KEY_FILE": path})
    assert config.algorithm == algorithm and "BEGIN PUBLIC KEY" in config.key


def test_an_unsupported_curve_is_refused(tmp_path: Path) -> None:
    path = write_public_key(tmp_path / "key.pem", ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError, match="P-256"):
        AuthConfig.from_env({"CJ_JWT_PUBLIC_KEY_FILE": path})


def test_a_secret_and_a_key_file_together_are_refused() -> None:
    with pytest.raises(ValueError, match="only one"):
        AuthConfig.from_env({"CJ_JWT_SECRET": "x", "CJ_JWT_PUBLIC_KEY_FILE": "/k.pem"})


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CJ_JWT_SECRET": "s" * 40},
        {"CJ_JWT_SECRET": "s" * 40, "CJ_JWT_ISSUER": "idp"},
    ],
)
def test_production_refuses_any_dev_default(env: dict) -> None:
    with pytest.raises(ValueError, match="production"):
        AuthConfig.from_env({**env, "HULEEDU_ENV": "production"})


def test_production_with_every_setting_is_accepted() -> None:
    config = AuthConfig.from_env(
        {
            "HULEEDU_ENV": "prod",
            "CJ_JWT_SECRET": "s" * 40,
            "CJ_JWT_ISSUER": "idp",
            "CJ_JWT_AUDIENCE": "cj",
        }
    )
    assert config.issuer == "idp"
