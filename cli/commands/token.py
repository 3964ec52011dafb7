"""`huleedu token dev`: a development admin token (refused when the environment is production)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli.commands.common import guarded
from cli.errors import CliError

token_app = typer.Typer(help="Admin tokens.", no_args_is_help=True)
PRODUCTION = {"prod", "production"}


@token_app.command("dev")
@guarded
def dev(
    subject: Annotated[str, typer.Option(help="token subject")] = "dev-admin",
    ttl: Annotated[int, typer.Option(min=60, help="lifetime in seconds")] = 3600,
) -> None:
    """Print a signed development admin JWT (export it as HULEEDU_ADMIN_TOKEN)."""
    env = os.environ.get("HULEEDU_ENV", "").strip().lower()
    if env in PRODUCTION:
        raise CliError("refusing to mint a development token: HULEEDU_ENV says production", 2)
    try:
        from cj_service import auth
    except ImportError:
        raise CliError("cj_service.auth is missing from this checkout; "
                       "cannot mint a token") from None
    try:
        token = auth.make_dev_token(os.environ, subject=subject, ttl_seconds=float(ttl))
    except (auth.DevTokenRefused, ValueError) as exc:  # production, or a public-key setup
        raise CliError(f"refusing to mint a development token: {exc}", 2) from None
    typer.echo(token)
