"""Running dbt in-process (dbt's programmatic runner) and keeping its results in `meta`."""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    """A dbt command failed: a model errored or a test failed."""


@dataclass(frozen=True)
class DbtInvocation:
    command: str
    success: bool
    run_results: dict[str, Any] | None
    error: str | None = None

    @property
    def results(self) -> list[dict[str, Any]]:
        """One entry per node run (run_results.json's `results`); empty for commands without."""
        return (self.run_results or {}).get("results", [])

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r.get("status") in {"error", "fail", "runtime error"}]


@contextmanager
def _dbt_environment(
    settings: Settings, target_path: Path, extra: Mapping[str, str] | None = None
) -> Iterator[None]:
    # The target path goes by environment: dbt commands without a --target-path option (debug,
    # deps, clean) then run as well as the others.
    env = settings.dbt_env() | {"DBT_TARGET_PATH": str(target_path)} | dict(extra or {})
    # Piped into a file or a program, dbt's colour codes are noise (the user's choice stands).
    if not sys.stdout.isatty() and "DBT_USE_COLORS" not in os.environ:
        env["DBT_USE_COLORS"] = "false"
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def name_owners(target: Path) -> int:
    """Write each node's owner into the docs site's catalog: its group's owner (models), else its
    `meta.owner` (sources, seeds), instead of the database role that built the table (every
    table's catalog owner is `postgres`). Returns how many nodes were renamed."""
    manifest = json.loads((target / "manifest.json").read_text())
    catalog_file = target / "catalog.json"
    catalog = json.loads(catalog_file.read_text())
    groups = {
        g["name"]: g["owner"].get("name") or g["owner"].get("email")
        for g in manifest.get("groups", {}).values()
    }
    declared = manifest["nodes"] | manifest["sources"]
    renamed = 0
    for kind in ("nodes", "sources"):
        for unique_id, entry in catalog.get(kind, {}).items():
            node = declared.get(unique_id, {})
            owner = groups.get(node.get("group") or "") or node.get("config", {}).get(
                "meta", {}
            ).get("owner")
            if owner:
                entry["metadata"]["owner"] = owner
                renamed += 1
    catalog_file.write_text(json.dumps(catalog))
    return renamed


def dbt_args(args: Sequence[str], settings: Settings) -> list[str]:
    project = str(settings.project_dir)
    return [*args, "--project-dir", project, "--profiles-dir", project]


def run_dbt(
    args: Sequence[str],
    settings: Settings | None = None,
    target_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> DbtInvocation:
    """Invoke dbt (e.g. `["build"]`) against the configured warehouse; never raises on failure.

    `env` adds environment variables for this invocation only (e.g. `CANVASS_AS_OF_DATE`)."""
    from dbt.cli.main import dbtRunner

    settings = settings or get_settings()
    target = target_path or settings.dbt_target_dir
    with _dbt_environment(settings, target, env):
        result = dbtRunner().invoke(dbt_args(args, settings))
    run_results = None
    # `dbt source freshness` writes its results to sources.json, the node commands run_results.json
    results_file = target / (
        "sources.json" if list(args[:2]) == ["source", "freshness"] else "run_results.json"
    )
    if (
        args
        and args[0] in {"build", "run", "test", "seed", "snapshot", "source"}
        and results_file.exists()
    ):
        run_results = json.loads(results_file.read_text())
    error = (
        None
        if result.exception is None
        else f"{type(result.exception).__name__}: {result.exception}"
    )
    if error:
        log.error("dbt %s raised %s", " ".join(args), error)
    return DbtInvocation(" ".join(args), bool(result.success), run_results, error)


def tables_without_watermark(conn: psycopg.Connection, manifest_path: Path) -> list[str]:
    """Tables of incremental models (per dbt's manifest) that exist without their `loaded_at`
    watermark: built before the model became incremental, they need one full refresh."""
    if not manifest_path.exists():
        return []
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    incremental = [
        f"{node['schema']}.{node.get('alias') or node['name']}"
        for node in nodes
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    ]
    rows = conn.execute(
        """
        select tables.table_schema || '.' || tables.table_name
        from information_schema.tables as tables
        where tables.table_schema || '.' || tables.table_name = any(%s)
            and not exists (
                select 1
                from information_schema.columns as columns
                where columns.table_schema = tables.table_schema
                    and columns.table_name = tables.table_name
                    and columns.column_name = 'loaded_at'
            )
        order by 1
        """,
        [incremental],
    ).fetchall()
    return [r[0] for r in rows]


def freshness_message(result: dict[str, Any]) -> str:
    """A source freshness result in words (its newest load and age); '' for other nodes."""
    if "max_loaded_at_time_ago_in_s" not in result:
        return ""
    if result.get("status") == "runtime error":
        return result.get("error") or "could not be measured"
    age = float(result["max_loaded_at_time_ago_in_s"]) / 3600
    newest = datetime.fromisoformat(result["max_loaded_at"]).strftime("%Y-%m-%d %H:%M")
    return f"newest load {newest} UTC, {age:,.1f} h before the check"


def source_freshness(
    sources: Sequence[str] | None = None, settings: Settings | None = None
) -> DbtInvocation:
    """`dbt source freshness` (warn/error ages in the sources' YAML), over `sources`
    ("<source>.<table>") or, without them, every source that declares a freshness."""
    select = ["--select", *(f"source:{s}" for s in sources)] if sources else []
    return run_dbt(["source", "freshness", *select], settings)


def record_invocation(
    conn: psycopg.Connection, invocation: DbtInvocation, flow_run_id: uuid.UUID | None = None
) -> uuid.UUID | None:
    """Store one invocation and its node results in `meta.dbt_invocations`/`meta.dbt_node_results`."""
    rr = invocation.run_results
    if not rr:
        return None
    meta = rr["metadata"]
    invocation_id = uuid.UUID(meta["invocation_id"])
    with conn.transaction():
        conn.execute(
            """
            insert into meta.dbt_invocations
                (invocation_id, command, flow_run_id, started_at, finished_at, success,
                 dbt_version, elapsed_seconds)
            values (%s, %s, %s,
                    %s::timestamptz - make_interval(secs => %s), %s::timestamptz, %s, %s, %s)
            on conflict (invocation_id) do nothing
            """,
            [
                invocation_id,
                invocation.command,
                flow_run_id,
                meta["generated_at"],
                rr.get("elapsed_time", 0),
                meta["generated_at"],
                invocation.success,
                meta.get("dbt_version"),
                rr.get("elapsed_time"),
            ],
        )
        with conn.cursor() as cur:
            cur.executemany(
                """
                insert into meta.dbt_node_results
                    (invocation_id, unique_id, resource_type, status, failures,
                     execution_seconds, message, rows_affected)
                values (%s, %s, %s, %s, %s, %s, %s, %s)
                on conflict do nothing
                """,
                [
                    (
                        invocation_id,
                        r["unique_id"],
                        r["unique_id"].split(".", 1)[0],
                        r["status"],
                        r.get("failures"),
                        r.get("execution_time"),
                        (r.get("message") or freshness_message(r))[:2000],
                        (r.get("adapter_response") or {}).get("rows_affected"),
                    )
                    for r in rr.get("results", [])
                ],
            )
    return invocation_id


def invocation_history(conn: psycopg.Connection, limit: int = 15) -> list[dict[str, Any]]:
    """The latest dbt invocations with their model and test outcomes, newest first."""
    cur = conn.execute(
        """
        select
            i.finished_at,
            i.command,
            i.success,
            i.elapsed_seconds,
            count(*) filter (where n.resource_type in ('model', 'seed')) as models,
            count(*) filter (where n.resource_type = 'test' and n.status = 'pass') as tests_passed,
            count(*) filter (where n.resource_type = 'test' and n.status in ('fail', 'error'))
                as tests_failed,
            count(*) filter (where n.resource_type = 'test' and n.status = 'warn') as tests_warned
        from meta.dbt_invocations as i
        left join meta.dbt_node_results as n on n.invocation_id = i.invocation_id
        group by i.invocation_id
        order by i.finished_at desc
        limit %s
        """,
        [limit],
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def lock_holders(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Other sessions holding locks on the relations dbt builds (staging, intermediate, marts):
    who blocks a build that timed out waiting for a lock."""
    cur = conn.execute(
        """
        select
            activity.pid,
            activity.usename as role,
            activity.application_name,
            activity.state,
            extract(epoch from now() - coalesce(activity.xact_start, activity.query_start))::int
                as seconds,
            string_agg(distinct schemas.nspname || '.' || relations.relname, ', ') as tables
        from pg_locks as locks
        inner join pg_class as relations on locks.relation = relations.oid
        inner join pg_namespace as schemas on relations.relnamespace = schemas.oid
        inner join pg_stat_activity as activity on locks.pid = activity.pid
        where schemas.nspname in ('staging', 'intermediate', 'marts')
            and locks.granted
            and activity.pid <> pg_backend_pid()
            and activity.application_name not like 'dbt%'
        group by activity.pid, activity.usename, activity.application_name, activity.state,
            activity.xact_start, activity.query_start
        order by seconds desc
        """
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def describe_lock_holders(holders: list[dict[str, Any]]) -> str:
    """One sentence per blocking session, with the statement that ends it."""
    return "; ".join(
        f"session {h['pid']} ({h['role']}, {h['application_name'] or 'no name'}, "
        f"{h['state']} for {h['seconds']} s) holds {h['tables']}: "
        f"end it with `select pg_terminate_backend({h['pid']})`"
        for h in holders
    )
