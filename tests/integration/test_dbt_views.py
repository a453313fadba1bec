"""Views on Postgres (macros/view_materialization.sql): a view whose definition has not changed is
left alone, every other one is built again, on a database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support.dbt_sandbox import dbt, sandbox

VIEW = "staging.stg_ml__models"
RUN = ["run", "--select", "stg_ml__models"]


@pytest.fixture(scope="module")
def built(warehouse_url: str) -> Iterator[str]:
    with sandbox(warehouse_url, "canvass_views") as url:
        yield url


def _oid(url: str) -> int | None:
    with psycopg.connect(url) as conn:
        return conn.execute("select to_regclass(%s)::oid", (VIEW,)).fetchone()[0]


def _definition(conn: psycopg.Connection) -> str:
    return conn.execute("select pg_get_viewdef(%s::regclass)", (VIEW,)).fetchone()[0]


def _query(url: str, sql: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(sql)


def test_an_unchanged_view_is_left_alone_and_a_changed_one_rebuilt(
    built: str, tmp_path: Path
) -> None:
    dbt(RUN, built, tmp_path)
    made = _oid(built)
    dbt(RUN, built, tmp_path)
    assert _oid(built) == made  # the same view: not dropped and re-created

    # its stored digest is another build's (another SQL, other docs): built again
    _query(built, f"""comment on rule "_RETURN" on {VIEW} is 'another digest'""")
    dbt(RUN, built, tmp_path)
    rebuilt = _oid(built)
    assert rebuilt != made
    dbt(RUN, built, tmp_path)
    assert _oid(built) == rebuilt

    # replaced by hand (the rule and its comment stay, the definition changes): built again
    with psycopg.connect(built) as conn:
        made_by_dbt = _definition(conn)
        conn.execute(
            f"create or replace view {VIEW} as "
            f"select * from ({made_by_dbt.rstrip().rstrip(';')}) as by_hand limit 0"
        )
        assert _definition(conn) != made_by_dbt
    dbt(RUN, built, tmp_path)
    with psycopg.connect(built) as conn:
        assert _definition(conn) == made_by_dbt

    # dropped, or --full-refresh: built again
    _query(built, f"drop view {VIEW}")
    dbt(RUN, built, tmp_path)
    assert _oid(built) is not None
    kept = _oid(built)
    dbt([*RUN, "--full-refresh"], built, tmp_path)
    assert _oid(built) != kept
