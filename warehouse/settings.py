"""The one place settings come from: the environment, with defaults for a laptop.

Every other module asks `get_settings()`; nothing reads `os.environ` for configuration itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from warehouse import credentials

DEFAULT_PG_PORT = 55432
DEFAULT_DATABASE = "canvass"
READER_ROLE = "canvass_reader"


def _project_dir() -> Path:
    if home := os.environ.get("CANVASS_HOME"):
        return Path(home).resolve()
    return Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ConnectionParts:
    """A Postgres address split into the fields dbt's profile and libpq want."""

    host: str
    port: int
    user: str
    password: str
    database: str
    reader_password: str = ""  # the read-only role's, where this server's is known (embedded)

    def url(self, *, database: str | None = None, user: str | None = None) -> str:
        user = user or self.user
        auth = quote(user, safe="")
        if self.password and user == self.user:
            auth += ":" + quote(self.password, safe="")
        return f"postgresql://{auth}@{self.host}:{self.port}/{database or self.database}"


def parse_database_url(url: str) -> ConnectionParts:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must start with postgresql://, got {parts.scheme!r}")
    return ConnectionParts(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        database=(parts.path or "/").lstrip("/") or DEFAULT_DATABASE,
    )


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    database_url: str | None
    reader_database_url: str | None
    reader_password: str
    pg_port: int
    warehouse_dir: Path
    landing_url: str
    lake_dir: Path  # the raw tables as Parquet and Spark's build of them (warehouse.lake)
    artifacts_dir: Path
    reports_dir: Path
    dbt_target_dir: Path
    prefect_home: Path
    socrata_app_token: str | None
    api_statement_timeout_ms: int = 5000  # an API query longer than this answers 503
    dbt_lock_timeout: str = "60s"  # dbt gives up waiting for a lock after this and names the holder
    prefect_port: int = 4200  # the project's one Prefect server (API and UI)
    prefect_startup_timeout_s: float = 180.0  # how long a command waits for it to start
    socrata_max_wait_s: float = 180.0  # a Socrata page is retried this long, then the load fails

    @property
    def embedded(self) -> bool:
        """True when Canvass runs its own Postgres in `.warehouse/` (no DATABASE_URL)."""
        return self.database_url is None

    @property
    def connection(self) -> ConnectionParts:
        """The writer's address; for the embedded server with the password of its credentials
        file (read each time: the file appears when the server is first initialised)."""
        if self.database_url:
            return parse_database_url(self.database_url)
        stored = credentials.read(self.warehouse_dir) or credentials.Credentials("", "")
        return ConnectionParts(
            "127.0.0.1",
            self.pg_port,
            "postgres",
            stored.superuser_password,
            DEFAULT_DATABASE,
            stored.reader_password,
        )

    @property
    def reader_secret(self) -> str:
        """The read-only role's password: CANVASS_READER_PASSWORD, else the embedded server's."""
        return self.reader_password or self.connection.reader_password

    @property
    def dsn(self) -> str:
        """The writer's address: flows, dbt and migrations use it."""
        return self.connection.url()

    @property
    def reader_dsn(self) -> str:
        """The read-only role's address: the API and the dashboard use it."""
        if self.reader_database_url:
            return self.reader_database_url
        c = self.connection
        secret = self.reader_secret
        auth = READER_ROLE + (":" + quote(secret, safe="") if secret else "")
        return f"postgresql://{auth}@{c.host}:{c.port}/{c.database}"

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt: `profiles.yml` reads these, defaulting to the embedded server."""
        c = self.connection
        return {
            "CANVASS_PG_HOST": c.host,
            "CANVASS_PG_PORT": str(c.port),
            "CANVASS_PG_USER": c.user,
            "CANVASS_PG_PASSWORD": c.password,
            "CANVASS_PG_DATABASE": c.database,
            # libpq passes these to every dbt session: a lock held elsewhere cannot stall a build
            "PGOPTIONS": f"-c lock_timeout={self.dbt_lock_timeout}",
        }


def get_settings() -> Settings:
    """Read the settings from the environment now (cheap; call it where you need it)."""
    env = os.environ
    project = _project_dir()
    return Settings(
        project_dir=project,
        database_url=env.get("DATABASE_URL") or None,
        reader_database_url=env.get("CANVASS_READER_DATABASE_URL") or None,
        reader_password=env.get("CANVASS_READER_PASSWORD", ""),
        pg_port=int(env.get("CANVASS_PG_PORT", DEFAULT_PG_PORT)),
        warehouse_dir=Path(env.get("CANVASS_WAREHOUSE_DIR", project / ".warehouse")),
        landing_url=env.get("CANVASS_LANDING_URL", str(project / "landing")),
        lake_dir=Path(env.get("CANVASS_LAKE_DIR", project / ".lake")),
        artifacts_dir=Path(env.get("CANVASS_ARTIFACTS_DIR", project / "artifacts")),
        reports_dir=Path(env.get("CANVASS_REPORTS_DIR", project / "reports")),
        dbt_target_dir=Path(env.get("CANVASS_DBT_TARGET_DIR", project / "target")),
        prefect_home=Path(env.get("PREFECT_HOME", project / ".prefect")),
        socrata_app_token=env.get("SOCRATA_APP_TOKEN") or None,
        api_statement_timeout_ms=int(env.get("CANVASS_API_STATEMENT_TIMEOUT_MS", 5000)),
        dbt_lock_timeout=env.get("CANVASS_DBT_LOCK_TIMEOUT", "60s"),
        prefect_port=int(env.get("CANVASS_PREFECT_PORT", 4200)),
        prefect_startup_timeout_s=float(env.get("CANVASS_PREFECT_STARTUP_TIMEOUT_S", 180)),
        socrata_max_wait_s=float(env.get("CANVASS_SOCRATA_MAX_WAIT_S", 180)),
    )
