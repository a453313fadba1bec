"""The embedded PostgreSQL: real PostgreSQL 16 binaries from the `pgserver` wheel, data in `.warehouse/`.

It listens on 127.0.0.1 only (TCP, so dbt's profile, psql and the API reach it the same way),
trusts local connections, is started on demand and left running between commands.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from warehouse.settings import DEFAULT_DATABASE, Settings

log = logging.getLogger(__name__)

_SYSTEM_USER = "pgserver"  # postgres refuses to run as root; pgserver's helper creates this user


class WarehouseError(RuntimeError):
    """The embedded warehouse cannot start: the message says why and what to do."""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pgdata: Path
    port: int
    pid: int | None

    def describe(self) -> str:
        if not self.running:
            return f"stopped (data in {self.pgdata})"
        return f"running on 127.0.0.1:{self.port} (pid {self.pid}, data in {self.pgdata})"


def _pgdata(settings: Settings) -> Path:
    return settings.warehouse_dir / "pgdata"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    ensure_user_exists(_SYSTEM_USER)
    return _SYSTEM_USER


def _prepare_permissions(pgdata: Path, user: str) -> None:
    import pwd

    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read, execute = 0o044, 0o011
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    entry = pwd.getpwnam(user)
    for path in [pgdata, *pgdata.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _pid(pgdata: Path) -> int | None:
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return None
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return None
    return pid


def _port_answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def status(settings: Settings) -> ServerStatus:
    pgdata = _pgdata(settings)
    pid = _pid(pgdata)
    return ServerStatus(pid is not None, pgdata, settings.pg_port, pid)


def start(settings: Settings) -> ServerStatus:
    """Initialise `.warehouse/pgdata` if needed, start the server, create the database. Idempotent."""
    from pgserver._commands import initdb, pg_ctl

    pgdata = _pgdata(settings)
    current = status(settings)
    if not current.running:
        user = _run_as()
        if not (pgdata / "PG_VERSION").exists():
            log.info("initialising an embedded PostgreSQL in %s", pgdata)
            pgdata.mkdir(parents=True, exist_ok=True)
            if user:
                _prepare_permissions(pgdata, user)
            initdb(
                ["--auth=trust", "--encoding=utf8", "--locale=C", "-U", "postgres"],
                pgdata=pgdata,
                user=user,
            )
        elif user:
            _prepare_permissions(pgdata, user)
        if _port_answers(settings.pg_port):
            raise WarehouseError(
                f"port {settings.pg_port} is taken by another program; set CANVASS_PG_PORT "
                "to a free port, or DATABASE_URL to use that server"
            )
        log.info("starting the embedded PostgreSQL on port %s", settings.pg_port)
        options = f"-h 127.0.0.1 -p {settings.pg_port} -k '' -c max_connections=60"
        try:
            pg_ctl(
                ["-w", "-t", "60", "-o", options, "-l", str(pgdata / "server.log"), "start"],
                pgdata=pgdata,
                user=user,
                timeout=90,
            )
        except subprocess.CalledProcessError as err:
            tail = (pgdata / "server.log").read_text(errors="replace")[-2000:]
            raise WarehouseError(f"the embedded PostgreSQL did not start:\n{tail}") from err
    _ensure_database(settings.pg_port, DEFAULT_DATABASE)
    return status(settings)


def stop(settings: Settings) -> ServerStatus:
    from pgserver._commands import pg_ctl

    pgdata = _pgdata(settings)
    if status(settings).running:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_run_as(), timeout=60)
    return status(settings)


def _ensure_database(port: int, database: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
            )
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(
                psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(database))
            )
