"""Finding 1 of the hardening review: anyone on the machine was superuser, with a shell.

The embedded server trusted every local connection, and ran in the root group. Now it asks every
connection for a password (scram-sha-256), the passwords live in files only their owner can read,
the server runs in its own group, and a warehouse made before this is locked when next started.
Each test runs the attack and asserts it fails.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from warehouse import credentials, embedded
from warehouse.scratch import _free_port
from warehouse.settings import Settings, get_settings

pytestmark = pytest.mark.security


@pytest.fixture(scope="module")
def server() -> Iterator[Settings]:
    """An embedded warehouse of its own (its files are inspected, so not the session's)."""
    directory = Path(tempfile.mkdtemp(prefix="canvass-security-pg-"))
    settings = dataclasses.replace(
        get_settings(), database_url=None, warehouse_dir=directory, pg_port=_free_port()
    )
    embedded.start(settings)
    try:
        yield settings
    finally:
        embedded.stop(settings)
        shutil.rmtree(directory, ignore_errors=True)


def _psql() -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / "psql")


def test_no_password_no_connection(server: Settings) -> None:
    for user in ("postgres", "canvass_reader"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(
                host="127.0.0.1", port=server.pg_port, user=user, dbname="canvass",
                password="", connect_timeout=5,
            )  # fmt: skip


def test_a_wrong_password_is_refused(server: Settings) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host="127.0.0.1", port=server.pg_port, user="postgres", dbname="canvass",
            password="guess", connect_timeout=5,
        )  # fmt: skip


def test_every_auth_method_is_scram(server: Settings) -> None:
    rules = [
        line.split()
        for line in (server.warehouse_dir / "pgdata" / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert rules and {rule[-1] for rule in rules} == {"scram-sha-256"}


def test_canvass_itself_connects_without_anyone_typing_a_password(server: Settings) -> None:
    with psycopg.connect(server.dsn, connect_timeout=5) as conn:
        assert conn.execute("select current_user").fetchone() == ("postgres",)
    assert server.connection.password  # read from the credentials file


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another OS user")
def test_another_os_user_gets_no_shell_through_the_server(server: Settings, tmp_path: Path) -> None:
    """The review's attack: as `nobody`, `copy ... to program` as the superuser."""
    target = tmp_path / "owned"
    tmp_path.chmod(0o777)
    command = (
        f"{_psql()} -w -h 127.0.0.1 -p {server.pg_port} -U postgres -d canvass "
        f"-c \"copy (select 1) to program 'id > {target}'\""
    )
    result = subprocess.run(
        ["su", "nobody", "-s", "/bin/sh", "-c", command],
        capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "no password supplied" in result.stderr
    assert not target.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another user only under root")
def test_the_server_runs_outside_the_root_group(server: Settings) -> None:
    pid = embedded.status(server).pid
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    gids = {int(g) for g in fields["Gid"].split()} | {int(g) for g in fields["Groups"].split()}
    assert 0 not in gids
    assert int(fields["Uid"].split()[0]) != 0


def test_the_password_files_are_the_owners_alone(server: Settings) -> None:
    for name in (credentials.FILE, credentials.PGPASS):
        mode = stat.S_IMODE((server.warehouse_dir / name).stat().st_mode)
        assert mode == 0o600, f"{name}: {oct(mode)}"


def test_psql_and_plain_libpq_find_the_password_in_pgpass(server: Settings) -> None:
    result = subprocess.run(
        [_psql(), "-w", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "postgres",
         "-d", "canvass", "-At", "-c", "select current_user"],
        capture_output=True, text=True, timeout=30,
        env={"PGPASSFILE": str(server.warehouse_dir / credentials.PGPASS), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.stdout.strip() == "postgres", result.stderr


def test_a_warehouse_from_before_authentication_is_locked_on_start() -> None:
    """A `trust` warehouse without a credentials file: the next start sets passwords and scram."""
    directory = Path(tempfile.mkdtemp(prefix="canvass-legacy-pg-"))
    settings = dataclasses.replace(
        get_settings(), database_url=None, warehouse_dir=directory, pg_port=_free_port()
    )
    try:
        embedded.start(settings)
        embedded.stop(settings)
        hba = directory / "pgdata" / "pg_hba.conf"  # make it what older Canvass made
        hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
        (directory / credentials.FILE).unlink()
        (directory / credentials.PGPASS).unlink()
        embedded.start(settings)
        assert credentials.read(directory) is not None
        assert " trust" not in hba.read_text()
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(
                host="127.0.0.1", port=settings.pg_port, user="postgres", dbname="canvass",
                password="", connect_timeout=5,
            )  # fmt: skip
        with psycopg.connect(settings.dsn, connect_timeout=5) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        embedded.stop(settings)
        shutil.rmtree(directory, ignore_errors=True)


def test_the_reader_connects_to_the_canvass_database_only(server: Settings) -> None:
    """Finding 8: the reader could connect to `postgres` and `template1`."""
    from warehouse.db import connect_reader
    from warehouse.migrate import migrate

    with psycopg.connect(server.dsn) as conn:
        migrate(conn, server)  # creates the reader and gives it its password
    with connect_reader(server) as reader:
        assert reader.execute("select current_database()").fetchone() == ("canvass",)
    embedded.start(server)  # every start re-applies the server's own rules
    for database in ("postgres", "template1"):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(
                host="127.0.0.1", port=server.pg_port, user="canvass_reader", dbname=database,
                password=server.reader_secret, connect_timeout=5,
            )  # fmt: skip
