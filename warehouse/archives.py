"""The cold copy of every scoring run: its whole ranking, with the feature values it was scored on,
written once as Parquet under the landing URL (`scores/as_of_date=<date>/<model_id>.parquet`) and
recorded in `ml.score_archives` with its sha256, so a past run can be audited after `ml.scores` is
pruned, and drift against the previous run can be measured on the same features."""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg
import pyarrow as pa

from warehouse import landing


def archive_url(landing_url: str, model_id: str, as_of_date: date) -> str:
    return (
        f"{landing_url.rstrip('/')}/scores/as_of_date={as_of_date.isoformat()}/{model_id}.parquet"
    )


def archive_ranking(
    conn: psycopg.Connection,
    model_id: str,
    as_of_date: date,
    ranking: pd.DataFrame,
    landing_url: str,
) -> str:
    """Write the ranking once (a file already there is kept) and record file and sha256."""
    frame = ranking.reset_index(drop=True).assign(model_id=model_id, as_of_date=as_of_date)
    written = landing.write_once(
        pa.Table.from_pandas(frame, preserve_index=False),
        archive_url(landing_url, model_id, as_of_date),
    )
    with conn.transaction():
        conn.execute(
            """
            insert into ml.score_archives (model_id, as_of_date, url, sha256, rows, bytes)
            values (%s, %s, %s, %s, %s, %s)
            on conflict (model_id, as_of_date) do update set
                url = excluded.url, sha256 = excluded.sha256, rows = excluded.rows,
                bytes = excluded.bytes
            """,
            [model_id, as_of_date, written.url, written.sha256, written.rows, written.bytes],
        )
    return written.url


def archived_ranking(
    conn: psycopg.Connection, model_id: str, as_of_date: date
) -> pd.DataFrame | None:
    """A scoring run's archived ranking (sha256 checked), or None when it was not archived."""
    row = conn.execute(
        "select url, sha256 from ml.score_archives where model_id = %s and as_of_date = %s",
        [model_id, as_of_date],
    ).fetchone()
    return None if row is None else landing.read_archive(row[0], row[1])


def previous_archive(conn: psycopg.Connection, as_of_date: date) -> tuple[str, date] | None:
    """(model_id, as_of_date) of the newest archived run before `as_of_date`."""
    row = conn.execute(
        "select model_id, as_of_date from ml.score_archives where as_of_date < %s "
        "order by as_of_date desc, archived_at desc limit 1",
        [as_of_date],
    ).fetchone()
    return None if row is None else (row[0], row[1])
