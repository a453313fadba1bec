"""The City of Chicago's Socrata (SODA 2.1) JSON API as a source of canonical string tables.

Pages are read with `$limit`/`$offset` under `$order=:id`, so a page boundary never moves while the
reader walks the set. `$where` narrows the set to a half-open window of inspection dates
(`since <= inspection_date < until`) and/or to records changed at or after an `:updated_at`
watermark, which is how an incremental load picks up corrected records. Every value comes back as a
string in the canonical columns (`warehouse.datasets`); typing and validation are the loader's.

Transient failures (429, 5xx, timeouts, dropped connections, truncated or broken JSON) are retried
with exponential backoff and full jitter, honouring `Retry-After`, within a bounded time per page;
when the source stays down, `SourceUnavailable` names the URL and the last error.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pandas as pd

from warehouse.datasets import FOOD_INSPECTIONS, Dataset

log = logging.getLogger(__name__)

DEFAULT_URL = FOOD_INSPECTIONS.socrata_url
DEFAULT_PAGE_SIZE = 50_000
DEFAULT_MAX_WAIT_S = 180.0
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0

UPDATED_AT = ":updated_at"

# 2020-01-15T00:00:00.000, optionally with a zone; anything else is passed through for the loader.
_ISO_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)


class SourceUnavailable(RuntimeError):
    """The source kept failing (or answering garbage) for longer than the allowed time."""

    def __init__(self, url: str, last_error: str, attempts: int, waited_s: float) -> None:
        self.url = url
        self.last_error = last_error
        self.attempts = attempts
        self.waited_s = waited_s
        super().__init__(
            f"source {url} unavailable after {attempts} attempt(s) over {waited_s:.1f}s; "
            f"last error: {last_error}"
        )


class SourceRequestRejected(RuntimeError):
    """The source refused the request itself (4xx other than 429): retrying would not help."""

    def __init__(self, url: str, status: int, body: str) -> None:
        self.url = url
        self.status = status
        super().__init__(f"source {url} rejected the request with HTTP {status}: {body[:500]}")


class _Transient(Exception):
    """A failure worth retrying; `retry_after` is the server's wish in seconds, if it said one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def soql_timestamp(value: date | datetime) -> str:
    """A SoQL floating-timestamp literal; aware datetimes are converted to UTC first."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds")
    return f"{value.isoformat()}T00:00:00"


def build_where(
    *,
    since: date | None,
    until: date | None,
    updated_since: datetime | None,
    dataset: Dataset = FOOD_INSPECTIONS,
) -> str | None:
    """The `$where` clause for a half-open date window and an `:updated_at` watermark.

    The watermark comparison is inclusive (`>=`): records stamped exactly at the watermark are read
    again, which the idempotent upsert absorbs, rather than risk missing one.
    """
    clauses = [f"({dataset.socrata_where})"] if dataset.socrata_where else []
    field = dataset.event_date
    if (since is not None or until is not None) and not field:
        raise ValueError(f"dataset {dataset.name} has no event date to select a window on")
    if since is not None:
        clauses.append(f"{field} >= '{soql_timestamp(since)}'")
    if until is not None:
        clauses.append(f"{field} < '{soql_timestamp(until)}'")
    if updated_since is not None:
        clauses.append(f"{UPDATED_AT} >= '{soql_timestamp(updated_since)}'")
    return " AND ".join(clauses) or None


def parse_updated_at(value: Any) -> datetime | None:
    """A Socrata system timestamp ('2024-03-01T18:30:12.345Z') as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def normalise_date(value: str) -> str:
    """'2020-01-15T00:00:00.000' -> '2020-01-15'; anything not a well-formed ISO timestamp as is."""
    match = _ISO_TIMESTAMP.match(value.strip())
    if not match:
        return value
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return value
    return match.group(1)


def _location_text(value: Mapping[str, Any]) -> str:
    """Socrata's legacy location object or a GeoJSON point as '(lat, lon)'."""
    if "latitude" in value and "longitude" in value:
        return f"({value['latitude']}, {value['longitude']})"
    coordinates = value.get("coordinates")
    if isinstance(coordinates, list | tuple) and len(coordinates) == 2:
        lon, lat = coordinates
        return f"({lat}, {lon})"
    return json.dumps(value, sort_keys=True)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True)


def records_to_frame(
    records: list[Mapping[str, Any]], dataset: Dataset = FOOD_INSPECTIONS
) -> pd.DataFrame:
    """JSON API records as a canonical all-string frame.

    Unknown fields are ignored (the publisher adds columns now and then); a missing field, which
    is also how the API spells null, becomes an empty string.
    """
    names = dataset.columns
    columns: dict[str, list[str]] = {c: [] for c in names}
    for record in records:
        row = dict.fromkeys(names, "")
        for key, value in record.items():
            name = dataset.canonical_name(key) if not key.startswith(":") else None
            if name is None:
                continue
            if row[name]:
                continue  # two spellings of one column: the first non-empty value wins
            if name == "location" and isinstance(value, Mapping):
                row[name] = _location_text(value)
            else:
                row[name] = _as_text(value)
        for c in dataset.date_columns:
            row[c] = normalise_date(row[c])
        for c in names:
            columns[c].append(row[c])
    return pd.DataFrame(columns, columns=list(names), dtype=object)


def _retry_after_s(response: httpx.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class SocrataPages:
    """An iterator over canonical pages; once it is exhausted, `max_updated_at` is the watermark.

    `since`/`until` select the half-open window `since <= inspection_date < until`, so adjacent
    windows neither overlap nor leave a gap. `updated_since` keeps records whose `:updated_at` is at
    or after it (corrections included). `app_token` is sent as `X-App-Token`. `max_wait_s` bounds
    the time spent retrying one page; `timeout_s` bounds one request.

    `max_updated_at` is the largest `:updated_at` among the records read (None when no record
    carried one); the caller stores it only once the pages are safely loaded. `done` turns true
    when the last page has been read; `rows`, `pages`, `requests` and `retries` count the work.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        since: date | None = None,
        until: date | None = None,
        updated_since: datetime | None = None,
        app_token: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        backoff_s: float = DEFAULT_BACKOFF_S,
        client: httpx.Client | None = None,
        dataset: Dataset = FOOD_INSPECTIONS,
    ) -> None:
        if page_size <= 0:
            raise ValueError(f"page_size must be positive, got {page_size}")
        if since is not None and until is not None and until <= since:
            raise ValueError(f"empty window: until {until} is not after since {since}")
        self.url = url
        self.params = {"$select": ":*, *", "$order": ":id"}
        self.dataset = dataset
        where = build_where(since=since, until=until, updated_since=updated_since, dataset=dataset)
        if where:
            self.params["$where"] = where
        self.headers = {"Accept": "application/json"}
        if app_token:
            self.headers["X-App-Token"] = app_token
        self.page_size = page_size
        self.max_wait_s = max_wait_s
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.client = client
        self.sleep: Callable[[float], None] = time.sleep
        self.max_updated_at: datetime | None = None
        self.rows = 0
        self.pages = 0
        self.requests = 0
        self.retries = 0
        self.done = False
        self._iterator: Iterator[pd.DataFrame] | None = None

    def __repr__(self) -> str:
        return (
            f"SocrataPages({self.url!r}, where={self.params.get('$where')!r}, rows={self.rows}, "
            f"pages={self.pages}, done={self.done})"
        )

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self

    def __next__(self) -> pd.DataFrame:
        if self._iterator is None:
            self._iterator = self._pages()
        return next(self._iterator)

    def _pages(self) -> Iterator[pd.DataFrame]:
        own_client = self.client is None
        client = self.client or httpx.Client(follow_redirects=True)
        try:
            offset = 0
            while True:
                params = self.params | {"$limit": str(self.page_size), "$offset": str(offset)}
                records = self._get(client, params)
                self._observe(records)
                if records:
                    self.pages += 1
                    self.rows += len(records)
                    log.info(
                        "socrata page %d: %d rows at offset %d from %s",
                        self.pages,
                        len(records),
                        offset,
                        self.url,
                    )
                    yield records_to_frame(records, self.dataset)
                if len(records) < self.page_size:
                    break
                offset += len(records)
            self.done = True
        finally:
            if own_client:
                client.close()

    def _observe(self, records: list[Mapping[str, Any]]) -> None:
        for record in records:
            stamp = parse_updated_at(record.get(UPDATED_AT))
            if stamp is not None and (self.max_updated_at is None or stamp > self.max_updated_at):
                self.max_updated_at = stamp

    def _get(self, client: httpx.Client, params: dict[str, str]) -> list[Mapping[str, Any]]:
        """One page, retried on transient failures until `max_wait_s` has passed."""
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            remaining = self.max_wait_s - (time.monotonic() - started)
            timeout = max(0.05, min(self.timeout_s, remaining))
            try:
                return self._attempt(client, params, timeout)
            except _Transient as error:
                elapsed = time.monotonic() - started
                delay = random.uniform(0, min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1)))
                if error.retry_after is not None:
                    delay = max(delay, error.retry_after)
                if elapsed + delay > self.max_wait_s:
                    raise SourceUnavailable(self.url, str(error), attempt, elapsed) from error
                self.retries += 1
                log.warning(
                    "socrata %s: %s; retry %d in %.2fs (offset %s)",
                    self.url,
                    error,
                    attempt,
                    delay,
                    params.get("$offset"),
                )
                self.sleep(delay)

    def _attempt(
        self, client: httpx.Client, params: dict[str, str], timeout: float
    ) -> list[Mapping[str, Any]]:
        try:
            response = client.get(self.url, params=params, headers=self.headers, timeout=timeout)
        except httpx.TimeoutException as error:
            raise _Transient(f"timeout after {timeout:.2f}s ({type(error).__name__})") from error
        except httpx.TransportError as error:
            # Connection refused or reset, or a body cut short (RemoteProtocolError).
            raise _Transient(f"{type(error).__name__}: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(
                f"HTTP {response.status_code}: {response.text[:200]!r}",
                retry_after=_retry_after_s(response),
            )
        if response.status_code >= 400:
            raise SourceRequestRejected(self.url, response.status_code, response.text)
        try:
            payload = response.json()
        except ValueError as error:
            raise _Transient(
                f"broken JSON body ({len(response.content)} bytes): {error}"
            ) from error
        if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
            raise _Transient(f"unexpected JSON body (not a list of records): {str(payload)[:200]}")
        return payload


def fetch_pages(
    url: str = DEFAULT_URL,
    *,
    since: date | None = None,
    until: date | None = None,
    updated_since: datetime | None = None,
    app_token: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_wait_s: float = DEFAULT_MAX_WAIT_S,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    backoff_s: float = DEFAULT_BACKOFF_S,
    client: httpx.Client | None = None,
) -> SocrataPages:
    """Canonical all-string pages of the Food Inspections API, lazily, one request per page.

    Iterate the result for pages; read `.max_updated_at` afterwards for the next watermark. See
    `SocrataPages` for the arguments.
    """
    return SocrataPages(
        url,
        since=since,
        until=until,
        updated_since=updated_since,
        app_token=app_token,
        page_size=page_size,
        max_wait_s=max_wait_s,
        timeout_s=timeout_s,
        backoff_s=backoff_s,
        client=client,
    )
