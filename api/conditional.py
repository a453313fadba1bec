"""Conditional GETs: answers that change only when a scoring run does carry its validators.

The ETag is a hash of the scoring run an answer was read from (model, as-of date, scoring time)
and of the request's query; `Last-Modified` is the run's scoring time. A client that sends the
ETag back (`If-None-Match`), or a time not older than the run (`If-Modified-Since`), gets
`304 Not Modified` without a body. `Cache-Control: no-cache` lets caches keep the answer but makes
them ask again each time, so a new run is seen at once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response


def validators(request: Request, *parts: object) -> dict[str, str]:
    """The ETag (of `parts` and the query string), Cache-Control, and Last-Modified when the
    first datetime among `parts` is given."""
    digest = hashlib.sha256(
        "|".join([*(str(p) for p in parts), str(request.url.query)]).encode()
    ).hexdigest()[:32]
    headers = {"ETag": f'"{digest}"', "Cache-Control": "no-cache"}
    modified = next((p for p in parts if isinstance(p, datetime)), None)
    if modified is not None:
        headers["Last-Modified"] = format_datetime(
            modified.astimezone(UTC).replace(microsecond=0), usegmt=True
        )
    return headers


def _not_modified_since(request: Request, headers: dict[str, str]) -> bool:
    since, modified = request.headers.get("if-modified-since"), headers.get("Last-Modified")
    if not since or not modified:
        return False
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an unreadable date is no condition


def not_modified(request: Request, headers: dict[str, str]) -> Response | None:
    """A 304 answer when the client's copy is current, else None. `If-None-Match` wins over
    `If-Modified-Since` (RFC 9110)."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        current = "*" in tags or headers["ETag"] in tags
    else:
        current = _not_modified_since(request, headers)
    return Response(status_code=304, headers=headers) if current else None
