"""make_dev_token (behind `huleedu token dev`): works in development, refuses production."""

from __future__ import annotations

import pytest

from cj_service.auth import AuthConfig, DevTokenRefused, make_dev_token, verify_admin_token
from contracts.errors import ServiceError


@pytest.mark.parametrize(
    "env",
    [
        {},
        {
            "CJ_JWT_SECRET": "team-secret-of-reasonable-length-0123456789",
            "CJ_JWT_ISSUER": "i",
            "CJ_JWT_AUDIENCE": "a",
        },
    ],
)
def test_a_dev_token_is_accepted_by_a_service_configured_from_the_same_env(env: dict) -> None:
    principal = verify_admin_token(make_dev_token(env, subject="me"), AuthConfig.from_env(env))
    assert principal.subject == "me" and "admin" in principal.roles


def test_a_dev_token_can_carry_other_roles_for_trying_refusals() -> None:
    token = make_dev_token({}, roles=("teacher",))
    with pytest.raises(ServiceError) as caught:
        verify_admin_token(token, AuthConfig.from_env({}))
    assert caught.value.reason == "NOT_ADMIN"


@pytest.mark.parametrize("value", ["production", "PROD", " Production "])
def test_a_dev_token_is_refused_when_the_environment_says_production(value: str) -> None:
    env = {
        "HULEEDU_ENV": value,
        "CJ_JWT_SECRET": "s" * 40,
        "CJ_JWT_ISSUER": "i",
        "CJ_JWT_AUDIENCE": "a",
    }
    with pytest.raises(DevTokenRefused, match="production"):
        make_dev_token(env)


def test_a_dev_token_is_refused_when_the_service_verifies_with_a_public_key() -> None:
    with pytest.raises(DevTokenRefused, match="public key|PUBLIC_KEY"):
        make_dev_token({"CJ_JWT_PUBLIC_KEY_FILE": "/etc/huleedu/jwt.pem"})
