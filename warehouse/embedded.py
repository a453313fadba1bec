"""The embedded PostgreSQL: real PostgreSQL 16 binaries from the `pgserver` wheel, data in `.warehouse/`.

It listens on 127.0.0.1 only (TCP, so dbt's profile, psql and the API reach it the same way; no
Unix socket), authenticates every connection with a password (`scram-sha-256`; the passwords are
generated at `initdb` and kept owner-only in `warehouse.credentials`), is started on demand and left
running between commands. As root it runs as the `pgserver` system user in that user's own group,
never in root's. A warehouse made before authentication is locked on its first start.
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

from warehouse import credentials as creds
from warehouse.settings import DEFAULT_DATABASE, READER_ROLE, Settings

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


def _as_user(user: str | None) -> dict[str, object]:
    """subprocess arguments that run a server command as `user` with that user's own group only
    (`user=` alone keeps the caller's group: as root, the server would run in group root)."""
    if user is None:
        return {}
    import pwd

    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


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
            secrets = creds.create(settings.warehouse_dir, settings.pg_port)
            pwfile = pgdata.parent / ".initdb-password"
            pwfile.write_text(secrets.superuser_password + "\n")
            try:
                if user:
                    import pwd

                    entry = pwd.getpwnam(user)
                    os.chown(pwfile, entry.pw_uid, entry.pw_gid)
                os.chmod(pwfile, 0o600)
                initdb(
                    ["--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=utf8",
                     "--locale=C", "-U", "postgres"],
                    pgdata=pgdata,
                    **_as_user(user),
                )  # fmt: skip
            finally:
                pwfile.unlink(missing_ok=True)
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
                timeout=90,
                **_as_user(user),
            )
        except subprocess.CalledProcessError as err:
            tail = (pgdata / "server.log").read_text(errors="replace")[-2000:]
            raise WarehouseError(f"the embedded PostgreSQL did not start:\n{tail}") from err
    _lock_legacy_warehouse(settings)
    stored = creds.read(settings.warehouse_dir)
    if stored is not None:  # the port may have changed since the file was written
        creds.write_pgpass(settings.warehouse_dir, settings.pg_port, stored)
    _ensure_database(settings, DEFAULT_DATABASE)
    return status(settings)


def stop(settings: Settings) -> ServerStatus:
    from pgserver._commands import pg_ctl

    pgdata = _pgdata(settings)
    if status(settings).running:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, timeout=60, **_as_user(_run_as()))
    return status(settings)


def _connect_admin(settings: Settings, password: str | None) -> psycopg.Connection:
    """The superuser on the embedded server, retried while it finishes starting."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return psycopg.connect(
                host="127.0.0.1",
                port=settings.pg_port,
                user="postgres",
                password=password,
                dbname="postgres",
                autocommit=True,
                connect_timeout=5,
            )
        except psycopg.OperationalError as err:
            if "password authentication failed" in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _lock_legacy_warehouse(settings: Settings) -> None:
    """A warehouse initialised before authentication trusts every local user: give it passwords
    and switch its pg_hba.conf to scram-sha-256 (once; later starts find the credentials file)."""
    if creds.read(settings.warehouse_dir) is not None:
        return
    hba = _pgdata(settings) / "pg_hba.conf"
    log.warning("locking the embedded warehouse in %s: it accepted local users without a password",
                settings.warehouse_dir)  # fmt: skip
    secrets = creds.create(settings.warehouse_dir, settings.pg_port)
    with _connect_admin(settings, None) as conn:
        conn.execute(
            psycopg.sql.SQL("alter role postgres password {}").format(
                psycopg.sql.Literal(secrets.superuser_password)
            )
        )
        lines = hba.read_text().splitlines()
        locked = [
            line.replace(" trust", " scram-sha-256")
            if line.strip() and not line.lstrip().startswith("#")
            else line
            for line in lines
        ]
        hba.write_text("\n".join(locked) + "\n")
        conn.execute("select pg_reload_conf()")


def _ensure_database(settings: Settings, database: str) -> None:
    """Create the Canvass database if needed; give the read-only role (once a migration has made
    it) its password (`Settings.reader_secret`: the credentials file's unless set)."""
    secrets = creds.read(settings.warehouse_dir)
    with _connect_admin(settings, secrets.superuser_password if secrets else None) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(
                psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(database))
            )
        # Canvass owns this server: no role but the superuser may connect outside its database
        conn.execute("revoke connect on database postgres, template1 from public")
        reader = conn.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE]).fetchone()
        if reader and settings.reader_secret:
            conn.execute(
                psycopg.sql.SQL("alter role {} password {}").format(
                    psycopg.sql.Identifier(READER_ROLE),
                    psycopg.sql.Literal(settings.reader_secret),
                )
            )
