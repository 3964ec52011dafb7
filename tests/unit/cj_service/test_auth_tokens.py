"""verify_admin_token: signature, issuer, audience, expiry and the admin role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cj_service.auth import AuthConfig, make_token, verify_admin_token
from contracts.errors import ServiceError

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"
HS = AuthConfig(algorithm="HS256", key=SECRET, issuer="iss", audience="aud")


def token(**overrides) -> str:
    claims = {
        "signing_key": SECRET,
        "algorithm": "HS256",
        "issuer": "iss",
        "audience": "aud",
        "subject": "ops@example.org",
        "roles": ["admin"],
        "ttl_seconds": 60,
    }
    claims.update(overrides)
    return make_token(**claims)


def refusal(raw: str, config: AuthConfig = HS) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(ServiceError) as caught:
        verify_admin_token(raw, config)
    return caught.value.code, caught.value.reason


def pem_of(public_key) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def test_a_valid_admin_token_yields_its_subject_and_roles() -> None:
    principal = verify_admin_token(token(roles=["teacher", "admin"]), HS)
    assert (principal.subject, principal.roles) == ("ops@example.org", ("teacher", "admin"))


def test_roles_given_as_a_space_separated_string_are_understood() -> None:
    raw = jwt.encode(
        {
            "iss": "iss",
            "aud": "aud",
            "roles": "reader admin",
            "exp": datetime.now(UTC) + timedelta(minutes=1),
        },
        SECRET,
        "HS256",
    )
    assert verify_admin_token(raw, HS).roles == ("reader", "admin")


def test_an_expired_token_is_token_expired() -> None:
    stale = token(now=datetime.now(UTC) - timedelta(hours=1), ttl_seconds=60)
    assert refusal(stale) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_EXPIRED")


def test_expiry_within_the_leeway_is_still_accepted() -> None:
    just_expired = token(now=datetime.now(UTC) - timedelta(seconds=70), ttl_seconds=60)
    assert verify_admin_token(just_expired, HS).subject == "ops@example.org"


@pytest.mark.parametrize(
    "overrides",
    [
        {"audience": "other"},
        {"issuer": "other"},
        {"signing_key": "another-secret-that-is-long-enough-for-hs256"},
    ],
)
def test_wrong_audience_issuer_or_signature_is_invalid_token(overrides: dict) -> None:
    assert refusal(token(**overrides)) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")


@pytest.mark.parametrize("raw", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_malformed_tokens_are_invalid_token(raw: str) -> None:
    assert refusal(raw) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")


def test_a_token_without_expiry_is_invalid_token() -> None:
    forever = jwt.encode({"iss": "iss", "aud": "aud", "roles": ["admin"]}, SECRET, "HS256")
    assert refusal(forever) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")


@pytest.mark.parametrize("roles", [[], ["teacher"], ["administrator"]])
def test_a_token_without_the_admin_role_is_not_admin(roles: list) -> None:
    assert refusal(token(roles=roles)) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_ADMIN")


@pytest.mark.parametrize(
    "algorithm,private_key",
    [
        ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("ES256", ec.generate_private_key(ec.SECP256R1())),
    ],
)
def test_public_key_configs_accept_their_own_signatures_only(algorithm, private_key) -> None:
    config = AuthConfig(
        algorithm=algorithm, key=pem_of(private_key.public_key()), issuer="iss", audience="aud"
    )
    signed = token(signing_key=private_key, algorithm=algorithm)
    assert verify_admin_token(signed, config).subject == "ops@example.org"
    assert refusal(token(), config) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")
