"""Versioned, idempotent migrations for the schemas dbt does not own (raw, meta, ml, monitoring).

Each `migrations/NNNN_name.sql` runs once, in order, inside one transaction, under an advisory lock;
its checksum is recorded so an edited, already-applied migration is reported instead of ignored.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import resources

import psycopg

from warehouse.settings import READER_ROLE, Settings

log = logging.getLogger(__name__)

_LOCK_KEY = 7_246_001  # pg_advisory_xact_lock key for migrations


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("warehouse") / "migrations"
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name.removesuffix(".sql"), p.read_text()) for p in files]


def migrate(
    conn: psycopg.Connection, settings: Settings | None = None, *, reader_password: str = ""
) -> list[str]:
    """Apply pending migrations; return the names applied now. Safe to run any number of times.

    The read-only role gets `reader_password`, else the settings' (`Settings.reader_secret`)."""
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        conn.execute("create schema if not exists meta")
        conn.execute(
            """
            create table if not exists meta.schema_migrations (
                version text primary key,
                checksum text not null,
                applied_at timestamptz not null default now()
            )
            """
        )
        done = dict(conn.execute("select version, checksum from meta.schema_migrations").fetchall())
        for version, sql in _migrations():
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version] != checksum:
                    log.warning("migration %s changed after it was applied; not re-run", version)
                continue
            log.info("applying migration %s", version)
            conn.execute(sql)
            conn.execute(
                "insert into meta.schema_migrations (version, checksum) values (%s, %s)",
                [version, checksum],
            )
            applied_now.append(version)
        secret = reader_password or (settings.reader_secret if settings is not None else "")
        if secret:
            conn.execute(
                psycopg.sql.SQL("alter role {} password {}").format(
                    psycopg.sql.Identifier(READER_ROLE), psycopg.sql.Literal(secret)
                )
            )
    return applied_now
