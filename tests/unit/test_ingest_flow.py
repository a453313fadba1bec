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
    weekly_deployment,
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


def test_weekly_deployment_loads_last_week_every_monday() -> None:
    deployment = weekly_deployment()
    assert deployment.name == "ingest-weekly"
    assert deployment.parameters == {"source": SOCRATA_URL, "last_week": True}
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == WEEKLY_CRON
    assert WEEKLY_CRON.split()[-1] == "1"  # day of week: Monday
