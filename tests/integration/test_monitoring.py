"""The monitor stage on constructed histories: each SLA kind passing and breaching, the board
stored per monitor run, `canvass monitor --check` exiting 0 when healthy and 1 after a breach,
and the breach POSTed to a local webhook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from support.dbt_sandbox import sandbox

from warehouse import slas

CLOCK = datetime(2024, 3, 10, 12, tzinfo=UTC)
CANVASS = str(Path(sys.executable).with_name("canvass"))


def _history(conn: psycopg.Connection) -> None:
    """A week-old load, a pipeline that succeeded 2 days before the clock, one failed run."""
    day = timedelta(days=1)
    conn.execute(
        "insert into meta.ingest_batches (batch_id, source, status, started_at, finished_at, "
        "rows_landed, rows_rejected) values (%s, 'test', 'succeeded', %s, %s, 1000, 20)",
        [uuid.uuid4(), CLOCK - 7 * day, CLOCK - 7 * day + timedelta(seconds=30)],
    )
    conn.execute(
        "insert into raw.food_inspections (inspection_id, inspection_date, batch_id) "
        "values (1, %s, %s)",
        [(CLOCK - 9 * day).date(), uuid.uuid4()],
    )
    for flow, status, start, seconds in [
        ("pipeline", "succeeded", CLOCK - 2 * day, 500),
        ("train", "succeeded", CLOCK - 2 * day, 300),
        ("ingest", "failed", CLOCK - 3 * day, 5),
        ("score", "succeeded", CLOCK - 2 * day, 20),
    ]:
        conn.execute(
            "insert into meta.flow_runs (flow_run_id, flow_name, status, started_at, finished_at) "
            "values (%s, %s, %s, %s, %s)",
            [uuid.uuid4(), flow, status, start, start + timedelta(seconds=seconds)],
        )
    conn.commit()


@pytest.fixture(scope="module")
def history(warehouse_url: str) -> Iterator[str]:
    with sandbox(warehouse_url, "canvass_monitor") as url:
        with psycopg.connect(url) as conn:
            _history(conn)
        yield url


def _result(url: str, spec: dict, clock: datetime = CLOCK) -> slas.SlaResult:
    with psycopg.connect(url) as conn:
        (result,) = slas.evaluate(conn, slas.parse_slas(spec), clock)
    return result


@pytest.mark.parametrize(
    ("spec", "value", "passes_at", "breaks_at"),
    [
        ({"freshness": {"newest_inspection": {"max_age_days": "T"}}}, 9.0, 9, 8),
        ({"freshness": {"newest_successful_batch": {"max_age_days": "T"}}}, 7.0, 7, 6),
        ({"frequency": {"pipeline_succeeded": {"within_days": "T"}}}, 2 - 500 / 86400, 2, 1),
        ({"time_to_completion": {"train": "T"}}, 300.0, 300, 299),
        ({"quality": {"rejected_share": {"at_most": "T"}}}, 0.02, 0.02, 0.01),
    ],
)
def test_each_upper_bound_sla_passes_and_breaches(
    history: str, spec: dict, value: float, passes_at: float, breaks_at: float
) -> None:
    def with_threshold(t: float) -> dict:
        text = json.dumps(spec).replace('"T"', str(t))
        return json.loads(text)

    passing = _result(history, with_threshold(passes_at))
    assert passing.value == pytest.approx(value, abs=1e-3)
    assert passing.status == "ok"
    assert _result(history, with_threshold(breaks_at)).status == "breach"


def test_a_weekly_cycle_counts_as_a_pipeline_run(warehouse_url: str) -> None:
    """`canvass schedule` runs `week`, not `pipeline`: its success keeps the frequency SLA."""
    spec = {"frequency": {"pipeline_succeeded": {"within_days": 2}}}
    with sandbox(warehouse_url, "canvass_monitor_week") as url:
        with psycopg.connect(url) as conn:
            assert _result(url, spec).status == "unknown"  # nothing ran yet
            for name, back in (("week", 1), ("pipeline", 5)):
                conn.execute(
                    "insert into meta.flow_runs "
                    "(flow_run_id, flow_name, status, started_at, finished_at) "
                    "values (%s, %s, 'succeeded', %s, %s)",
                    [
                        uuid.uuid4(),
                        name,
                        CLOCK - timedelta(days=back, hours=1),
                        CLOCK - timedelta(days=back),
                    ],
                )
            conn.commit()
        result = _result(url, spec)
    assert (result.value, result.status) == (pytest.approx(1.0), "ok")


def test_success_rate_is_a_lower_bound(history: str) -> None:
    spec = {"success_rate": {"flow_runs": {"last_runs": 10, "at_least": 0.75}}}
    result = _result(history, spec)
    assert (result.value, result.status, result.upper) == (0.75, "ok", False)
    spec["success_rate"]["flow_runs"]["at_least"] = 0.8
    assert _result(history, spec).status == "breach"


def test_ages_grow_with_the_clock(history: str) -> None:
    spec = {"freshness": {"newest_inspection": {"max_age_days": 14}}}
    assert _result(history, spec).status == "ok"
    assert _result(history, spec, CLOCK + timedelta(days=30)).status == "breach"


@pytest.mark.parametrize(("last_week", "status"), [(11, "ok"), (40, "breach"), (0, "breach")])
def test_a_week_of_unusual_volume_is_flagged(
    warehouse_url: str, last_week: int, status: str
) -> None:
    """Eight weeks of 9-11 inspections, then one of `last_week`: deviations from their mean."""
    monday = date(2024, 3, 4)  # the clock's week starts here; the newest complete week before
    counts = [9, 11, 10, 10, 9, 11, 10, 10]
    with sandbox(warehouse_url, "canvass_monitor_volume") as url:
        with psycopg.connect(url) as conn:
            batch = uuid.uuid4()
            rows, next_id = [], 1
            for back, n in enumerate([last_week, *counts], start=1):
                for _ in range(n):
                    rows.append((next_id, monday - timedelta(days=7 * back - 2), batch))
                    next_id += 1
            with conn.cursor() as cur:
                cur.executemany(
                    "insert into raw.food_inspections (inspection_id, inspection_date, batch_id) "
                    "values (%s, %s, %s)",
                    rows,
                )
            conn.commit()
        spec = {"quality": {"weekly_rows": {"max_deviations": 3, "trailing_weeks": 8}}}
        result = _result(url, spec, datetime(2024, 3, 6, tzinfo=UTC))
    assert result.status == status, result
    assert f"{last_week:,} inspections last week" in result.detail


def test_nothing_recorded_is_unknown_not_a_pass(warehouse_url: str) -> None:
    with sandbox(warehouse_url, "canvass_monitor_empty") as url:
        result = _result(url, {"staleness": {"newest_scores": {"max_age_days": 8}}})
    assert (result.value, result.status) == (None, "unknown")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"freshnes": {}}, "freshnes: not an SLA kind"),
        ({"freshness": {"newest_inspection": {"max_age_days": -1}}}, "expected a number >= 0"),
        ({"freshness": {"newest_inspection": {"max_age": 3}}}, "expected {max_age_days: number}"),
        ({"quality": {"rejected_share": {"at_most": 5}}}, "a share lies in [0, 1]"),
        ({"time_to_completion": {"deploy": 60}}, "time_to_completion.deploy: not a flow"),
        ({"success_rate": {"flow_runs": {"at_least": 0.8}}}, "needs last_runs >= 1"),
    ],
)
def test_a_bad_sla_file_is_named(spec: dict, message: str) -> None:
    with pytest.raises(slas.SlaConfigError, match=message.replace("[", r"\[").replace("{", r"\{")):
        slas.parse_slas(spec)


def test_the_shipped_sla_file_is_valid() -> None:
    declared = slas.load_slas(Path(__file__).resolve().parents[2] / "slas.yml")
    kinds = {s.kind for s in declared}
    assert kinds == {
        "freshness",
        "frequency",
        "staleness",
        "time_to_completion",
        "success_rate",
        "quality",
    }


def test_the_board_is_written_once_per_monitor_run(history: str) -> None:
    declared = slas.parse_slas({"freshness": {"newest_inspection": {"max_age_days": 14}}})
    run = uuid.uuid4()
    with psycopg.connect(history) as conn:
        for _ in range(2):
            slas.write_checks(conn, run, slas.evaluate(conn, declared, CLOCK), CLOCK)
        conn.commit()
        rows = conn.execute(
            "select check_name, status, value, threshold_value from monitoring.sla_checks "
            "where monitor_run_id = %s",
            [run],
        ).fetchall()
    assert rows == [("freshness.newest_inspection", "ok", 9.0, 14.0)]


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        length = int(self.headers["Content-Length"])
        _Webhook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Webhook.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_monitor_check_exits_by_the_board_and_posts_breaches(
    history: str, prefect_harness: None, webhook: str, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    sla_file = tmp_path / "slas.yml"
    sla_file.write_text("freshness:\n  newest_inspection: {max_age_days: 14}\n")
    env = os.environ | {
        "DATABASE_URL": history,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "CANVASS_ALERT_WEBHOOK": webhook,
        "CANVASS_DBT_TARGET_DIR": str(tmp_path / "target"),
        "COLUMNS": "200",
    }

    def monitor(as_of: date) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CANVASS, "monitor", "--check", "--as-of", as_of.isoformat(), "--slas", str(sla_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    healthy = monitor(CLOCK.date())
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "freshness.newest_inspection" in healthy.stdout
    assert _Webhook.received == []  # nothing to say

    # No load for longer than the freshness SLA: 40 days on, the newest inspection is 49 days old.
    late = monitor(CLOCK.date() + timedelta(days=40))
    assert late.returncode == 1, late.stdout + late.stderr
    assert "BREACH" in late.stdout and "1 SLA(s) breached" in late.stdout
    (payload,) = _Webhook.received
    assert payload["status"] == "breach"
    assert payload["breaches"][0]["sla"] == "freshness.newest_inspection"
    assert payload["breaches"][0]["value"] == 49

    # the marts the API reads hold the newest board
    with psycopg.connect(history) as conn:
        board = conn.execute(
            "select sla_name, sla_status from marts.fct_sla_checks where is_latest"
        ).fetchall()
    assert board == [("freshness.newest_inspection", "breach")]
