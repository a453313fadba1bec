"""Flow `transform`: `dbt build` (seeds, models, tests) with its results kept in `meta`.

`select` narrows the build to dbt selectors; the score flow uses `DELIVERY` to rebuild the delivery
marts (and their tests) over the ML outputs it has just written. `exclude` leaves nodes out: the
weekly cycle (`flows/cycle.py`) leaves out what score and monitor rebuild anyway and the whole-table
tests.

The as-of date reaches dbt as the environment variable `CANVASS_AS_OF_DATE`, not as `--vars`: a
changed var makes dbt re-parse the whole project (about 5 s), a changed environment variable only
the model that reads it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from flows.tracking import tracked_run
from warehouse.db import connect
from warehouse.dbt import (
    DbtFailed,
    describe_lock_holders,
    lock_holders,
    record_invocation,
    run_dbt,
    tables_without_watermark,
)
from warehouse.settings import get_settings

# The delivery layer: the ml source's staging views and the marts the API and dashboard read.
DELIVERY = "source:ml+"
# Tests that re-scan whole tables (the leakage recounts, the reconciliation with raw): full builds
# and CI run them, the weekly build does not.
WHOLE_TABLE = "tag:whole_table"
# Tests whose outcome depends on the code alone: dbt's unit tests (SQL logic on fixed rows) and the
# tests of the seeds' files (tag reference). Full builds and CI run them; a week's data cannot
# change them.
CODE_ONLY = "resource_type:unit_test tag:reference"


@task
def needs_full_refresh() -> bool:
    """True when a model's table predates its incremental materialisation (no loaded_at)."""
    settings = get_settings()
    manifest = settings.dbt_target_dir / "manifest.json"
    if not manifest.exists():
        run_dbt(["parse", "--quiet"], settings)
    with connect() as conn:
        stale = tables_without_watermark(conn, manifest)
    if stale:
        get_run_logger().warning(
            "%s built before incremental materialisation: rebuilding everything once "
            "(dbt build --full-refresh)",
            ", ".join(stale),
        )
    return bool(stale)


@task
def dbt_build(
    as_of_date: date | None = None,
    full_refresh: bool = False,
    select: str | None = None,
    exclude: str | None = None,
) -> dict[str, Any]:
    """Run `dbt build` and store its run results; a failed model or test fails the task."""
    logger = get_run_logger()
    args = ["build"]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if full_refresh:
        args.append("--full-refresh")
    as_of = as_of_date.isoformat() if as_of_date is not None else ""
    invocation = run_dbt(args, env={"CANVASS_AS_OF_DATE": as_of})
    run_id = flow_run.get_id()
    with connect() as conn:
        record_invocation(conn, invocation, uuid.UUID(run_id) if run_id else None)
    results = invocation.results
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    logger.info(
        "dbt build%s%s: %s",
        f" {select}" if select else "",
        f" without {exclude}" if exclude else "",
        ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
    )
    if not invocation.success:
        failed = "; ".join(
            f"{r['unique_id']}: {(r.get('message') or '')[:200]}" for r in invocation.failures
        )
        if "lock timeout" in failed:
            with connect() as conn:
                holders = describe_lock_holders(lock_holders(conn))
            failed += f" -- dbt waited longer than {get_settings().dbt_lock_timeout} for a lock" + (
                f": {holders}" if holders else " (the session holding it has ended)"
            )
        raise DbtFailed(f"dbt build failed: {failed or invocation.error or 'see the dbt log'}")
    return {"nodes": len(results), "statuses": counts}


@flow(name="transform")
def transform(
    as_of_date: date | None = None,
    full_refresh: bool = False,
    select: str | None = None,
    exclude: str | None = None,
) -> dict[str, Any]:
    """Build and test the warehouse: staging, intermediate and marts (the `select`ed part, less
    the `exclude`d)."""
    parameters = {
        "as_of_date": as_of_date,
        "full_refresh": full_refresh,
        "select": select,
        "exclude": exclude,
    }
    with connect(autocommit=True) as conn, tracked_run(conn, "transform", parameters):
        if not full_refresh and select is None:
            full_refresh = needs_full_refresh()
        return dbt_build(as_of_date, full_refresh, select, exclude)
