"""Finding 2 of the hardening review: the reader could stall everything.

One reader session holding a transaction made dbt wait; the reader could take the loader's
advisory lock and block every load, open nearly every connection, and make temporary objects.
Each test runs the attack as `canvass_reader` and asserts it fails (dbt's side: see
test_dbt_features.py::test_a_reader_holding_a_mart_cannot_stall_dbt_and_is_named; the API's:
test_api.py::test_a_slow_or_blocked_query_answers_503).
"""

from __future__ import annotations

import contextlib

import psycopg
import pytest

from warehouse.batches import _LOAD_LOCK
from warehouse.db import connect_reader
from warehouse.settings import get_settings

pytestmark = pytest.mark.security


@pytest.fixture
def reader(warehouse_url: str):
    with connect_reader(get_settings()) as conn:
        yield conn


def test_the_role_bounds_its_sessions(reader: psycopg.Connection) -> None:
    assert reader.execute("show statement_timeout").fetchone() == ("10s",)
    assert reader.execute("show lock_timeout").fetchone() == ("2s",)
    assert reader.execute("show idle_in_transaction_session_timeout").fetchone() == ("15s",)
    limit = reader.execute(
        "select rolconnlimit from pg_roles where rolname = current_user"
    ).fetchone()
    assert limit == (20,)


@pytest.mark.parametrize(
    "statement",
    [
        f"select pg_advisory_lock({_LOAD_LOCK})",
        f"select pg_try_advisory_lock({_LOAD_LOCK})",
        f"select pg_advisory_xact_lock({_LOAD_LOCK})",
        "select pg_advisory_lock_shared(1, 2)",
    ],
)
def test_the_reader_cannot_take_the_load_lock(reader: psycopg.Connection, statement: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute(statement)


def test_the_writer_still_takes_it(db: psycopg.Connection) -> None:
    assert db.execute(f"select pg_try_advisory_lock({_LOAD_LOCK})").fetchone() == (True,)
    db.execute(f"select pg_advisory_unlock({_LOAD_LOCK})")


@pytest.mark.parametrize(
    "statement",
    [
        "create temporary table stash (id int)",
        "create function pg_temp.f() returns int language sql as 'select 1'",
    ],
)
def test_the_reader_makes_no_temporary_objects(reader: psycopg.Connection, statement: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute(statement)


def test_the_reader_cannot_hold_every_connection(reader: psycopg.Connection) -> None:
    with contextlib.ExitStack() as stack:
        opened = [reader]
        with pytest.raises(psycopg.OperationalError, match="too many connections for role"):
            for _ in range(25):
                opened.append(stack.enter_context(connect_reader(get_settings())))
        assert len(opened) == 20


@pytest.mark.parametrize(
    "statement",
    [
        "select lo_create(0)",
        "select lo_creat(-1)",
        "select lo_from_bytea(0, 'kept for ever')",
        "select pg_notify('canvass', 'hello')",
    ],
)
def test_the_reader_keeps_no_large_object_and_notifies_no_one(
    reader: psycopg.Connection, statement: str
) -> None:
    """Finding 8: a large object outlived the reader's session; pg_notify reached listeners."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute(statement)


def test_a_password_the_reader_changes_does_not_last(
    reader: psycopg.Connection, db: psycopg.Connection
) -> None:
    """PostgreSQL lets a role change its own password; Canvass puts the reader's back from its
    credentials at the next migration (every pipeline run and `canvass warehouse start`)."""
    from warehouse.migrate import migrate

    reader.execute("alter role current_user password 'taken-over'")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect_reader(get_settings()).close()
    migrate(db, get_settings())
    db.commit()
    with connect_reader(get_settings()) as again:
        assert again.execute("select current_user").fetchone() == ("canvass_reader",)
