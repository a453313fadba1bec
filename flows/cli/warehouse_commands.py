"""`canvass warehouse start|stop|status|psql|migrate`: the embedded PostgreSQL."""

from __future__ import annotations

import os
from urllib.parse import quote

from flows.cli._app import console, warehouse_app
from warehouse.settings import get_settings


@warehouse_app.command("start")
def warehouse_start() -> None:
    """Start the embedded PostgreSQL (and apply migrations)."""
    from warehouse import embedded
    from warehouse.db import connect
    from warehouse.migrate import migrate

    settings = get_settings()
    if not settings.embedded:
        console.print(
            f"DATABASE_URL is set: using {settings.connection.host}:{settings.connection.port}, nothing to start."
        )
    else:
        console.print(embedded.start(settings).describe())
    with connect(settings) as conn:
        applied = migrate(conn, settings)
    console.print(f"migrations applied now: {', '.join(applied) or 'none (up to date)'}")


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded PostgreSQL."""
    from warehouse import embedded

    console.print(embedded.stop(get_settings()).describe())


@warehouse_app.command("status")
def warehouse_status() -> None:
    """Is the warehouse up, and where is it?"""
    from warehouse import embedded

    settings = get_settings()
    if not settings.embedded:
        c = settings.connection
        console.print(f"external PostgreSQL {c.host}:{c.port}/{c.database} (DATABASE_URL)")
        return
    console.print(embedded.status(settings).describe())


@warehouse_app.command("psql")
def warehouse_psql() -> None:
    """Open psql on the warehouse (the system psql, or the one inside pgserver)."""
    import shutil

    from warehouse.db import ensure_warehouse

    settings = ensure_warehouse()
    psql = shutil.which("psql")
    if psql is None:
        from pgserver._commands import POSTGRES_BIN_PATH

        psql = str(POSTGRES_BIN_PATH / "psql")
    c = settings.connection
    # the password through the environment, not the command line other users can read in ps
    address = c.url().replace(f":{quote(c.password, safe='')}@", "@") if c.password else c.url()
    os.execve(psql, [psql, address], os.environ | {"PGPASSWORD": c.password})


@warehouse_app.command("migrate")
def warehouse_migrate() -> None:
    """Apply pending migrations (raw, meta, ml, monitoring)."""
    from warehouse.db import connect
    from warehouse.migrate import migrate

    with connect() as conn:
        applied = migrate(conn, get_settings())
    console.print(f"migrations applied now: {', '.join(applied) or 'none (up to date)'}")
