"""URL handling shared by the launcher and the fixtures."""

import pytest

from deploy.local import pg_infra
from deploy.local.nats_infra import host_port
from deploy.local.report import _hide_password


def test_a_plain_postgres_url_becomes_a_sqlalchemy_asyncpg_url() -> None:
    assert pg_infra.to_sqlalchemy("postgresql://u@h:5/db") == "postgresql+asyncpg://u@h:5/db"
    assert pg_infra.to_sqlalchemy("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"


def test_a_sqlalchemy_url_is_left_as_it_is() -> None:
    url = "postgresql+asyncpg://u:p@h:5/db"
    assert pg_infra.to_sqlalchemy(url) == url


def test_asyncpg_gets_a_libpq_style_dsn() -> None:
    assert pg_infra.to_asyncpg("postgresql+asyncpg://u:p@h:5/db") == "postgresql://u:p@h:5/db"


def test_with_database_swaps_only_the_database_and_keeps_the_query() -> None:
    url = "postgresql+asyncpg://u:p@h:5/old?ssl=require"
    assert pg_infra.with_database(url, "new") == "postgresql+asyncpg://u:p@h:5/new?ssl=require"
    assert pg_infra.database_of(url) == "old"


def test_a_url_without_a_database_means_postgres() -> None:
    assert pg_infra.database_of("postgresql://u@h:5") == "postgres"


@pytest.mark.parametrize("name", ['x"; DROP DATABASE y; --', "Upper", "1abc", "a" * 64, ""])
def test_unsafe_database_names_are_refused_before_any_sql(name: str) -> None:
    with pytest.raises(ValueError, match="not a safe database name"):
        pg_infra._check_name(name)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nats://127.0.0.1:4222", ("127.0.0.1", 4222)),
        ("nats://user:pw@localhost:5000", ("localhost", 5000)),
        ("nats://127.0.0.1:1,nats://127.0.0.1:2", ("127.0.0.1", 1)),
        ("nats://example", ("example", 4222)),
    ],
)
def test_host_port_reads_the_first_server_of_a_nats_url(url: str, expected: tuple) -> None:
    assert host_port(url) == expected


def test_status_output_hides_database_passwords() -> None:
    assert _hide_password("postgresql+asyncpg://u:secret@h:5/db") == "postgresql+asyncpg://u:***@h:5/db"
    assert _hide_password("postgresql+asyncpg://u@h:5/db") == "postgresql+asyncpg://u@h:5/db"
