"""Pure parts of the ingest flow: source dispatch, the weekly window and its schedule."""

from __future__ import annotations

from datetime import date

import pandas as pd

from flows.ingest import (
    SOCRATA_URL,
    WEEKLY_CRON,
    _within,
    previous_week,
    source_kind,
)


def test_source_kind() -> None:
    assert source_kind("demo") == "demo"
    assert source_kind(SOCRATA_URL) == "socrata"
    assert source_kind("https://data.cityofchicago.org/api/views/4ijn-s7e5/rows.csv") == "file"
    assert source_kind("s3://bucket/export.csv.gz") == "file"
    assert source_kind("exports/food.csv") == "file"


def test_previous_week_is_monday_to_monday() -> None:
    assert previous_week(date(2026, 11, 26)) == (date(2026, 11, 16), date(2026, 11, 23))
    assert previous_week(date(2026, 11, 23)) == (date(2026, 11, 16), date(2026, 11, 23))


def test_window_keeps_unparseable_dates_for_the_loader_to_reject() -> None:
    frame = pd.DataFrame(
        {"inspection_date": ["01/31/2019", "2019-02-01", "2019-03-01", "not a date", "12/31/2018"]}
    )
    kept = next(_within(iter([frame]), date(2019, 1, 1), date(2019, 3, 1)))
    assert kept["inspection_date"].tolist() == ["01/31/2019", "2019-02-01", "not a date"]


def test_the_weekly_deployment_runs_the_whole_cycle_every_monday() -> None:
    from flows.cycle import weekly_deployment

    deployment = weekly_deployment()
    assert deployment.name == "weekly"
    assert deployment.flow_name == "week"  # ingest, build, retraining policy, score, monitor
    assert deployment.parameters == {"source": SOCRATA_URL}
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == WEEKLY_CRON
    assert WEEKLY_CRON.split()[-1] == "1"  # day of week: Monday


def test_a_window_open_on_one_side_keeps_that_side() -> None:
    """`--until D` alone once kept nothing but the unparseable rows (and training then failed)."""
    frame = pd.DataFrame({"inspection_date": ["01/31/2019", "2019-03-01", "junk", "12/31/2018"]})
    until_only = next(_within(iter([frame]), None, date(2019, 3, 1)))
    assert until_only["inspection_date"].tolist() == ["01/31/2019", "junk", "12/31/2018"]
    since_only = next(_within(iter([frame]), date(2019, 1, 1), None))
    assert since_only["inspection_date"].tolist() == ["01/31/2019", "2019-03-01", "junk"]
