"""The embedded warehouse's passwords: generated once, kept in a file only its owner can read.

`<warehouse_dir>/credentials.json` holds the superuser's and the read-only role's passwords (made
at `initdb`, or when a warehouse from before authentication is first started). Every Canvass
command reads them from here through `Settings`, so nobody types them; `<warehouse_dir>/pgpass`
holds the same superuser password in libpq's format, for plain `dbt` or `psql`
(`PGPASSFILE=.warehouse/pgpass`). A `DATABASE_URL` setup never uses these files.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

FILE = "credentials.json"
PGPASS = "pgpass"


@dataclass(frozen=True)
class Credentials:
    superuser_password: str
    reader_password: str


def path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / FILE


def read(warehouse_dir: Path) -> Credentials | None:
    """The stored passwords, or None before the warehouse has any."""
    try:
        data = json.loads(path(warehouse_dir).read_text())
    except FileNotFoundError:
        return None
    return Credentials(data["superuser_password"], data["reader_password"])


def _write_private(file: Path, text: str) -> None:
    """Write `text` to `file`, readable and writable by its owner only, atomically."""
    tmp = file.with_name(f".{file.name}.{os.getpid()}")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, file)


def create(warehouse_dir: Path, port: int) -> Credentials:
    """Generate new passwords and store them (and the pgpass file) owner-only."""
    credentials = Credentials(secrets.token_urlsafe(24), secrets.token_urlsafe(24))
    Path(warehouse_dir).mkdir(parents=True, exist_ok=True)
    _write_private(path(warehouse_dir), json.dumps(asdict(credentials), indent=2))
    write_pgpass(warehouse_dir, port, credentials)
    return credentials


def write_pgpass(warehouse_dir: Path, port: int, credentials: Credentials) -> Path:
    """libpq's password file for the superuser and the reader on 127.0.0.1:`port`."""
    file = Path(warehouse_dir) / PGPASS
    lines = [
        f"127.0.0.1:{port}:*:postgres:{credentials.superuser_password}",
        f"127.0.0.1:{port}:*:canvass_reader:{credentials.reader_password}",
    ]
    _write_private(file, "\n".join(lines) + "\n")
    return file
