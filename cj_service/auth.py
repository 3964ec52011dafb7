"""Admin JWTs: verification settings read from the environment, verification, and signing.

Environment (read once by `AuthConfig.from_env`):
  CJ_JWT_SECRET           HS256 shared secret, or
  CJ_JWT_PUBLIC_KEY_FILE  PEM public key; RS256 for an RSA key, ES256 for a P-256 EC key
  CJ_JWT_ISSUER           expected `iss` (dev default "huleedu-dev")
  CJ_JWT_AUDIENCE         expected `aud` (dev default "huleedu-cj-admin")
  HULEEDU_ENV             "production" (or "prod") forbids every dev default and dev tokens

Without a key outside production the service accepts HS256 tokens signed with DEV_SECRET,
which is what `make_dev_token` (the CLI's `huleedu token dev`) signs with, so a local mesh
works out of the box. The algorithm is pinned by the key type, never taken from the token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from contracts.errors import ServiceError
from contracts.text import clip

DEV_SECRET = "huleedu-development-only-jwt-secret-do-not-deploy"
DEV_ISSUER = "huleedu-dev"
DEV_AUDIENCE = "huleedu-cj-admin"
ADMIN_ROLE = "admin"
PRODUCTION_NAMES = frozenset({"production", "prod"})


class DevTokenRefused(RuntimeError):
    """Dev tokens are not minted when the environment says production."""


def is_production(env: Mapping[str, str]) -> bool:
    return env.get("HULEEDU_ENV", "").strip().lower() in PRODUCTION_NAMES


@dataclass(frozen=True)
class AuthConfig:
    algorithm: str
    key: str = DEV_SECRET
    issuer: str = DEV_ISSUER
    audience: str = DEV_AUDIENCE
    leeway_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuthConfig:
        secret, key_file = env.get("CJ_JWT_SECRET", ""), env.get("CJ_JWT_PUBLIC_KEY_FILE", "")
        if secret and key_file:
            raise ValueError("set only one of CJ_JWT_SECRET and CJ_JWT_PUBLIC_KEY_FILE")
        issuer, audience = env.get("CJ_JWT_ISSUER", ""), env.get("CJ_JWT_AUDIENCE", "")
        if is_production(env) and not ((secret or key_file) and issuer and audience):
            raise ValueError("production needs CJ_JWT_SECRET or CJ_JWT_PUBLIC_KEY_FILE, "
                             "CJ_JWT_ISSUER and CJ_JWT_AUDIENCE")
        if key_file:
            key = Path(key_file).read_text(encoding="utf-8")
            algorithm = algorithm_for_public_key(key)
        else:
            key, algorithm = secret or DEV_SECRET, "HS256"
        return cls(algorithm=algorithm, key=key, issuer=issuer or DEV_ISSUER,
                   audience=audience or DEV_AUDIENCE)


def algorithm_for_public_key(pem: str) -> str:
    public_key = load_pem_public_key(pem.encode("ascii"))
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == "secp256r1":
        return "ES256"
    raise ValueError("CJ_JWT_PUBLIC_KEY_FILE must hold an RSA or P-256 EC public key")


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: tuple[str, ...]


def verify_admin_token(token: str, config: AuthConfig) -> Principal:
    """The token's principal if it is valid and has the admin role; ServiceError otherwise."""
    try:
        claims = jwt.decode(
            token, config.key, algorithms=[config.algorithm], audience=config.audience,
            issuer=config.issuer, leeway=config.leeway_seconds,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthenticated("TOKEN_EXPIRED", "the bearer token has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError) as err:
        raise _unauthenticated("INVALID_TOKEN", _plain(err)) from None
    principal = Principal(clip(str(claims.get("sub", ""))), _roles(claims.get("roles")))
    if ADMIN_ROLE not in principal.roles:
        raise ServiceError(grpc.StatusCode.PERMISSION_DENIED, "NOT_ADMIN",
                           f"the token of {principal.subject or 'an unnamed subject'!r} lacks "
                           f"the {ADMIN_ROLE!r} role", {"subject": principal.subject})
    return principal


# PyJWT's own messages quote decoder errors ("'utf-8' codec can't decode byte 0x9e..."):
# the caller gets what is wrong with the token in plain words instead.
_PLAIN = (
    (jwt.InvalidSignatureError, "the bearer token's signature does not verify"),
    (jwt.InvalidAudienceError, "the bearer token is meant for another audience"),
    (jwt.InvalidIssuerError, "the bearer token comes from another issuer"),
    (jwt.MissingRequiredClaimError, "the bearer token lacks a required claim (exp, iss, aud)"),
    (jwt.ImmatureSignatureError, "the bearer token is not valid yet"),
    (jwt.InvalidAlgorithmError, "the bearer token is signed with an algorithm not accepted"),
)


def _plain(err: Exception) -> str:
    return next((message for kind, message in _PLAIN if isinstance(err, kind)),
                "the bearer token is not a well-formed JWT")


def _roles(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def _unauthenticated(reason: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAUTHENTICATED, reason, message)


def make_token(*, signing_key: Any, algorithm: str, issuer: str, audience: str, subject: str,
               roles: Sequence[str], ttl_seconds: float, now: datetime | None = None) -> str:
    """Sign a token with the claims the service checks (also used by tests with other keys)."""
    issued = now or datetime.now(UTC)
    claims = {"iss": issuer, "aud": audience, "sub": subject, "roles": list(roles),
              "iat": issued, "exp": issued + timedelta(seconds=ttl_seconds)}
    return jwt.encode(claims, signing_key, algorithm=algorithm)


def make_dev_token(env: Mapping[str, str], *, subject: str = "dev-admin",
                   roles: Sequence[str] = (ADMIN_ROLE,), ttl_seconds: float = 3600.0,
                   now: datetime | None = None) -> str:
    """An HS256 admin token the service configured from `env` accepts; refused in production."""
    if is_production(env):
        raise DevTokenRefused("HULEEDU_ENV says production; dev tokens are disabled there")
    if env.get("CJ_JWT_PUBLIC_KEY_FILE") and not env.get("CJ_JWT_SECRET"):
        raise DevTokenRefused("the service verifies with CJ_JWT_PUBLIC_KEY_FILE; a dev token "
                              "can only be signed with a shared secret (CJ_JWT_SECRET)")
    config = AuthConfig.from_env(env)
    return make_token(signing_key=config.key, algorithm="HS256", issuer=config.issuer,
                      audience=config.audience, subject=subject, roles=roles,
                      ttl_seconds=ttl_seconds, now=now)
