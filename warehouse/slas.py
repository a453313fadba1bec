"""Service levels: declared in `slas.yml`, checked against what `meta`, `raw` and `ml` record.

The kinds are Prefect Cloud's (time to completion, frequency, staleness, freshness) plus the data
ones (success rate, rejected share, dbt failures). `load_slas()` validates the file whole;
`evaluate()` returns one `SlaResult` per SLA, measured on a clock (now, or a replay's date);
`write_checks()` stores them in `monitoring.sla_checks` for one monitor run, idempotently.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
import yaml

DAY_S = 86_400.0


class SlaConfigError(ValueError):
    """slas.yml is missing, malformed or names an unknown SLA."""


@dataclass(frozen=True)
class Sla:
    name: str  # e.g. freshness.newest_inspection, time_to_completion.train
    kind: str
    threshold: float
    unit: str  # days, seconds, share, count
    upper: bool = True  # True: the value must stay at or below the threshold
    window: int = 0  # success_rate: how many runs


@dataclass(frozen=True)
class SlaResult:
    name: str
    kind: str
    value: float | None
    threshold: float
    unit: str
    status: str  # ok, breach, unknown (nothing to measure yet)
    detail: str
    upper: bool = True  # the value must stay at or below the threshold (else at or above)

    @property
    def breached(self) -> bool:
        return self.status == "breach"


_SHAPE: dict[str, dict[str, tuple[str, str, bool]]] = {
    # kind -> name -> (the key holding the threshold, unit, upper bound?)
    "freshness": {
        "newest_inspection": ("max_age_days", "days", True),
        "newest_successful_batch": ("max_age_days", "days", True),
    },
    "frequency": {"pipeline_succeeded": ("within_days", "days", True)},
    "staleness": {"newest_scores": ("max_age_days", "days", True)},
    "success_rate": {"flow_runs": ("at_least", "share", False)},
    "quality": {
        "rejected_share": ("at_most", "share", True),
        "dbt_failures": ("at_most", "count", True),
        "weekly_rows": ("max_deviations", "deviations", True),
    },
}
FLOWS = ("pipeline", "week", "ingest", "transform", "train", "score", "monitor")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SlaConfigError(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def parse_slas(data: Any) -> list[Sla]:
    """Validate a parsed slas.yml mapping into SLAs (every key known, every threshold a number)."""
    if not isinstance(data, dict):
        raise SlaConfigError("slas.yml: expected a mapping of SLA kinds at the top level")
    slas: list[Sla] = []
    for kind, block in data.items():
        if kind == "time_to_completion":
            if not isinstance(block, dict):
                raise SlaConfigError("time_to_completion: expected {flow: seconds}")
            for flow, seconds in block.items():
                if flow not in FLOWS:
                    raise SlaConfigError(
                        f"time_to_completion.{flow}: not a flow ({', '.join(FLOWS)})"
                    )
                slas.append(
                    Sla(f"{kind}.{flow}", kind, _number(seconds, f"{kind}.{flow}"), "seconds")
                )
            continue
        if kind not in _SHAPE:
            known = ", ".join([*_SHAPE, "time_to_completion"])
            raise SlaConfigError(f"{kind}: not an SLA kind (one of {known})")
        if not isinstance(block, dict):
            raise SlaConfigError(f"{kind}: expected a mapping of SLAs")
        for name, spec in block.items():
            if name not in _SHAPE[kind]:
                raise SlaConfigError(f"{kind}.{name}: unknown (one of {', '.join(_SHAPE[kind])})")
            key, unit, upper = _SHAPE[kind][name]
            if not isinstance(spec, dict) or key not in spec:
                raise SlaConfigError(f"{kind}.{name}: expected {{{key}: number}}")
            extra = set(spec) - {key, "last_runs", "trailing_weeks"}
            if extra:
                raise SlaConfigError(f"{kind}.{name}: unknown key(s) {', '.join(sorted(extra))}")
            threshold = _number(spec[key], f"{kind}.{name}.{key}")
            if unit == "share" and threshold > 1:
                raise SlaConfigError(f"{kind}.{name}.{key}: a share lies in [0, 1]")
            window = int(
                _number(
                    spec.get(
                        "last_runs", spec.get("trailing_weeks", 8 if name == "weekly_rows" else 0)
                    ),
                    f"{kind}.{name}.{'trailing_weeks' if name == 'weekly_rows' else 'last_runs'}",
                )
            )
            if kind == "success_rate" and window < 1:
                raise SlaConfigError(f"{kind}.{name}: needs last_runs >= 1")
            slas.append(Sla(f"{kind}.{name}", kind, threshold, unit, upper, window))
    return slas


def load_slas(path: str | Path) -> list[Sla]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SlaConfigError(f"{path}: no such file (the SLAs live in slas.yml)") from None
    except yaml.YAMLError as err:
        raise SlaConfigError(f"{path}: not valid YAML ({err})") from err
    return parse_slas(data)


def _age_days(clock: datetime, then: datetime | date | None) -> float | None:
    if then is None:
        return None
    if isinstance(then, datetime):
        return max(0.0, (clock - then).total_seconds() / DAY_S)
    return float(max(0, (clock.date() - then).days))


def _measure(conn: psycopg.Connection, sla: Sla, clock: datetime) -> tuple[float | None, str]:
    """The SLA's value now, and a few words saying what it was measured on."""
    one = lambda sql, params=(): conn.execute(sql, params).fetchone()  # noqa: E731
    if sla.name == "freshness.newest_inspection":
        newest = one("select max(inspection_date) from raw.food_inspections")[0]
        return _age_days(clock, newest), f"newest inspection {newest}"
    if sla.name == "freshness.newest_successful_batch":
        newest = one("select max(finished_at) from meta.ingest_batches where status = 'succeeded'")[
            0
        ]
        return _age_days(clock, newest), f"last loaded {newest:%Y-%m-%d %H:%M}" if newest else ""
    if sla.name == "frequency.pipeline_succeeded":
        newest = one(
            "select max(finished_at) from meta.flow_runs "
            "where flow_name in ('pipeline', 'week') and status = 'succeeded'"
        )[0]
        return _age_days(clock, newest), f"last success {newest:%Y-%m-%d %H:%M}" if newest else ""
    if sla.name == "staleness.newest_scores":
        newest = one("select max(as_of_date), max(scored_at) from ml.scores")
        return _age_days(clock, newest[0]), f"newest ranking as of {newest[0]}" if newest[0] else ""
    if sla.kind == "time_to_completion":
        flow = sla.name.split(".", 1)[1]
        row = one(
            "select extract(epoch from finished_at - started_at), started_at from meta.flow_runs "
            "where flow_name = %s and finished_at is not null and status = 'succeeded' "
            "order by finished_at desc limit 1",
            [flow],
        )
        return (None, "") if row is None else (float(row[0]), f"run of {row[1]:%Y-%m-%d %H:%M}")
    if sla.name == "success_rate.flow_runs":
        row = one(
            "select count(*) filter (where status = 'succeeded'), count(*) from ("
            " select status from meta.flow_runs where status <> 'running'"
            " order by started_at desc limit %s) as recent",
            [sla.window],
        )
        return (
            (None, "")
            if row[1] == 0
            else (row[0] / row[1], f"{row[0]} of the last {row[1]} runs succeeded")
        )
    if sla.name == "quality.rejected_share":
        row = one(
            "select rows_rejected, rows_landed, batch_id from meta.ingest_batches "
            "where status = 'succeeded' and rows_landed > 0 order by finished_at desc limit 1"
        )
        if row is None:
            return None, ""
        return row[0] / row[1], f"{row[0]:,} of {row[1]:,} rows of batch {str(row[2])[:8]}"
    if sla.name == "quality.weekly_rows":
        # inspections dated in the newest complete week before the clock, against the trailing
        # weeks before it: how many standard deviations from their mean
        rows = conn.execute(
            """
            with weeks as (
                select generate_series(1, %(weeks)s + 1) as back
            )
            select weeks.back, count(inspections.inspection_id)
            from weeks
            left join raw.food_inspections as inspections
                on inspections.inspection_date >= date_trunc('week', %(clock)s::date)::date
                    - 7 * weeks.back
                and inspections.inspection_date < date_trunc('week', %(clock)s::date)::date
                    - 7 * (weeks.back - 1)
            group by weeks.back
            order by weeks.back
            """,
            {"weeks": sla.window, "clock": clock},
        ).fetchall()
        newest, trailing = rows[0][1], [n for _, n in rows[1:]]
        if not any(trailing):
            return None, ""
        mean = sum(trailing) / len(trailing)
        spread = (sum((n - mean) ** 2 for n in trailing) / max(len(trailing) - 1, 1)) ** 0.5
        deviations = abs(newest - mean) / max(spread, 1.0)
        return deviations, f"{newest:,} inspections last week; {mean:,.0f} a week before"
    if sla.name == "quality.dbt_failures":
        row = one(
            "select count(*) filter (where results.status in ('error', 'fail')), "
            "invocations.invocation_id from meta.dbt_invocations as invocations "
            "left join meta.dbt_node_results as results using (invocation_id) "
            "where invocations.command like 'build%%' "
            "group by invocations.invocation_id, invocations.started_at "
            "order by invocations.started_at desc limit 1"
        )
        return (None, "") if row is None else (float(row[0]), "latest dbt build")
    raise SlaConfigError(f"no measurement for {sla.name}")


def evaluate(conn: psycopg.Connection, slas: list[Sla], clock: datetime) -> list[SlaResult]:
    results = []
    for sla in slas:
        value, detail = _measure(conn, sla, clock)
        if value is None:
            status = "unknown"
        elif sla.upper:
            status = "ok" if value <= sla.threshold else "breach"
        else:
            status = "ok" if value >= sla.threshold else "breach"
        results.append(
            SlaResult(
                sla.name,
                sla.kind,
                None if value is None else round(value, 4),
                sla.threshold,
                sla.unit,
                status,
                detail or "nothing recorded yet",
                sla.upper,
            )
        )
    return results


def write_checks(
    conn: psycopg.Connection, monitor_run_id: uuid.UUID, results: list[SlaResult], clock: datetime
) -> None:
    """Store the board of one monitor run (a re-run of the same run replaces its rows)."""
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into monitoring.sla_checks (monitor_run_id, check_name, kind, passed, status,
                value, threshold_value, unit, observed, threshold, detail, checked_at)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (monitor_run_id, check_name) do update set
                kind = excluded.kind, passed = excluded.passed, status = excluded.status,
                value = excluded.value, threshold_value = excluded.threshold_value,
                unit = excluded.unit, observed = excluded.observed,
                threshold = excluded.threshold, detail = excluded.detail,
                checked_at = excluded.checked_at
            """,
            [
                (
                    monitor_run_id,
                    r.name,
                    r.kind,
                    not r.breached,
                    r.status,
                    r.value,
                    r.threshold,
                    r.unit,
                    "" if r.value is None else f"{r.value:g} {r.unit}",
                    f"{'<=' if r.upper else '>='} {r.threshold:g} {r.unit}",
                    r.detail,
                    clock,
                )
                for r in results
            ],
        )
