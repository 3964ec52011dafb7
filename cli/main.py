"""The `huleedu` command: `huleedu --help` lists everything."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.commands.admin import admin_app
from cli.commands.assess import assess
from cli.commands.mesh_info import models, status
from cli.commands.results import report, results
from cli.commands.token import token_app
from cli.settings import Addresses

app = typer.Typer(
    name="huleedu", no_args_is_help=True, pretty_exceptions_enable=False,
    help="Comparative judgement with an LLM judge: assess essays, read results, manage context.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _mesh(
    ctx: typer.Context,
    content: Annotated[str | None, typer.Option(
        envvar="CONTENT_ADDR", help="content service host:port")] = None,
    llm_provider: Annotated[str | None, typer.Option(
        envvar="LLM_PROVIDER_ADDR", help="llm_provider host:port")] = None,
    cj: Annotated[str | None, typer.Option(envvar="CJ_ADDR", help="cj service host:port")] = None,
) -> None:
    ctx.obj = Addresses.resolve(content=content, llm_provider=llm_provider, cj=cj)


app.command()(assess)
app.command()(results)
app.command()(report)
app.command()(models)
app.command()(status)
app.add_typer(admin_app, name="admin")
app.add_typer(token_app, name="token")

if __name__ == "__main__":
    app()
