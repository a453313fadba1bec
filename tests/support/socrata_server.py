"""A small Socrata-compatible (SODA 2.1) JSON server on loopback, for testing the Socrata source.

It serves a list of records in the JSON API's field names and honours what the client sends:
`$limit`, `$offset`, `$order=:id`, `$select` (`*`, `:*, *` or a list of fields) and a `$where`
made of `AND`-joined comparisons of the dataset's date field (`inspection_date` by default) or
`:updated_at` with a quoted timestamp, and of a text field with `=` and a quoted string (the
filter of a dataset such as burglaries, `(primary_type = 'BURGLARY')`).
Like the real API it omits null fields from a record and hides the system fields (`:id`,
`:created_at`, `:updated_at`) unless they are selected.

Faults are queued with `inject()` and consumed one per request, in order: an HTTP status (429 with
`Retry-After`, 500, ...), a delay (to trip the client's timeout), a body cut short (either at the
connection, or a complete response whose JSON is truncated), or schema drift for that response.
`drift()` sets schema drift for every response; `update()` changes a record and its `:updated_at`,
as the City does when it corrects an inspection.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESOURCE_PATH = "/resource/4ijn-s7e5.json"
SYSTEM_FIELDS = (":id", ":created_at", ":updated_at")
_BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)

_COMPARISON = re.compile(
    r"^\(?\s*(?P<field>:?[a-z_]+)\s*(?P<op>>=|<=|>|<|=)\s*'(?P<value>[^']*)'\s*\)?$",
    re.IGNORECASE,
)
_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "=": lambda a, b: a == b,
}


@dataclass
class Fault:
    """What to do to one request instead of (or on top of) answering it normally."""

    status: int | None = None
    retry_after: float | None = None
    delay_s: float = 0.0
    truncate: str | None = None  # "connection": body cut short; "json": complete but broken JSON
    extra_fields: dict[str, Any] = field(default_factory=dict)
    drop_fields: frozenset[str] = frozenset()


@dataclass
class Request:
    """A request as the server saw it."""

    params: dict[str, str]
    headers: dict[str, str]
    status: int
    rows: int


def _timestamp(value: datetime) -> str:
    """Socrata's system timestamp format: '2024-01-01T00:00:00.000Z'."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _row_id(seq: int) -> str:
    """An opaque, stable id that does not sort in insertion order (as real `:id`s do not)."""
    digest = hashlib.sha1(str(seq).encode()).hexdigest()
    return f"row-{digest[:4]}.{digest[4:8]}_{digest[8:12]}"


class QueryError(ValueError):
    """A query this server does not understand; answered with HTTP 400 like Socrata does."""


class SocrataServer:
    """Serve `records` on `http://127.0.0.1:<port>/resource/4ijn-s7e5.json` until `stop()`."""

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]] = (),
        resource_path: str = RESOURCE_PATH,
        date_field: str = "inspection_date",
    ) -> None:
        self.resource_path = resource_path
        self.date_field = date_field
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._clock = _BASE_TIME
        self._faults: deque[Fault] = deque()
        self._drift = Fault()
        self.requests: list[Request] = []
        self.required_token: str | None = None
        for record in records:
            self.add(record)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- data
    def _tick(self) -> datetime:
        self._clock += timedelta(seconds=1, milliseconds=7)
        return self._clock

    def add(self, record: Mapping[str, Any]) -> str:
        """Add a record (API field names); returns its `:id`."""
        with self._lock:
            stamp = _timestamp(self._tick())
            row = {k: v for k, v in record.items() if v is not None and v != ""}
            row.update(
                {":id": _row_id(len(self._records)), ":created_at": stamp, ":updated_at": stamp}
            )
            self._records.append(row)
            return row[":id"]

    def update(self, inspection_id: str, **changes: Any) -> str:
        """Change a record, as a correction does; returns its new `:updated_at`."""
        with self._lock:
            for row in self._records:
                if row.get("inspection_id") == str(inspection_id):
                    for key, value in changes.items():
                        if value is None:
                            row.pop(key, None)
                        else:
                            row[key] = value
                    row[":updated_at"] = _timestamp(self._tick())
                    return row[":updated_at"]
        raise KeyError(inspection_id)

    @property
    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._records]

    @property
    def latest_updated_at(self) -> datetime:
        with self._lock:
            return max(_parse_time(r[":updated_at"]) for r in self._records)

    # -------------------------------------------------------------- faults
    def inject(self, *faults: Fault) -> None:
        """Queue faults; each following request consumes one, in order."""
        with self._lock:
            self._faults.extend(faults)

    def drift(
        self, *, extra_fields: Mapping[str, Any] | None = None, drop_fields: Iterable[str] = ()
    ) -> None:
        """Schema drift on every response from now on: extra fields added, fields dropped."""
        with self._lock:
            self._drift = Fault(
                extra_fields=dict(extra_fields or {}), drop_fields=frozenset(drop_fields)
            )

    def _next_fault(self) -> Fault:
        with self._lock:
            return self._faults.popleft() if self._faults else Fault()

    # --------------------------------------------------------------- query
    def query(self, params: Mapping[str, str], fault: Fault | None = None) -> list[dict[str, Any]]:
        """The records a SODA query selects, as the API would return them."""
        with self._lock:
            rows = [dict(r) for r in self._records]
            drift = self._drift
        for clause in _split_where(params.get("$where", ""), self.date_field):
            rows = [r for r in rows if _matches(r, clause)]
        order = params.get("$order", "").strip()
        if order:
            if order not in {":id", ":id ASC", ":id asc"}:
                raise QueryError(f"unsupported $order {order!r}")
            rows.sort(key=lambda r: r[":id"])
        offset = _int_param(params, "$offset", 0)
        limit = _int_param(params, "$limit", 1000)
        rows = rows[offset : offset + limit]
        faults = [drift] + ([fault] if fault else [])
        return [_shape(r, params.get("$select", "*"), faults) for r in rows]

    # -------------------------------------------------------------- server
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.resource_path}"

    def start(self) -> SocrataServer:
        handler = _handler_for(self)
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SocrataServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout test) breaks the pipe; that is expected here."""


def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise QueryError(f"{name} must be an integer, got {raw!r}") from error
    if value < 0:
        raise QueryError(f"{name} must not be negative")
    return value


def _split_where(where: str, date_field: str) -> list[tuple[str, str, datetime | str]]:
    where = where.strip()
    if not where:
        return []
    clauses = []
    for part in re.split(r"\s+and\s+", where, flags=re.IGNORECASE):
        match = _COMPARISON.match(part.strip())
        if not match:
            raise QueryError(f"unsupported $where clause {part!r}")
        name = match["field"].lower()
        if name not in {date_field, ":updated_at", ":created_at"}:
            if match["op"] != "=" or name.startswith(":"):
                raise QueryError(f"unsupported $where clause {part!r}")
            clauses.append((name, "=", match["value"]))  # a text field's equality
            continue
        try:
            value = _parse_time(match["value"])
        except ValueError as error:
            raise QueryError(f"not a timestamp: {match['value']!r}") from error
        clauses.append((name, match["op"], value))
    return clauses


def _matches(row: Mapping[str, Any], clause: tuple[str, str, datetime | str]) -> bool:
    name, op, value = clause
    raw = row.get(name)
    if raw is None:
        return False  # SoQL: a comparison with null is not true
    if isinstance(value, str):
        return str(raw) == value
    try:
        stamp = _parse_time(str(raw))
    except ValueError:
        return False
    return _OPS[op](stamp, value)


def _shape(row: dict[str, Any], select: str, faults: list[Fault]) -> dict[str, Any]:
    fields = [f.strip() for f in select.split(",") if f.strip()]
    if not fields:
        fields = ["*"]
    out: dict[str, Any] = {}
    for name in fields:
        if name == "*":
            out.update({k: v for k, v in row.items() if not k.startswith(":")})
        elif name == ":*":
            out.update({k: row[k] for k in SYSTEM_FIELDS if k in row})
        elif name in row:
            out[name] = row[name]
    for fault in faults:
        for key in fault.drop_fields:
            out.pop(key, None)
        out.update(fault.extra_fields)
    return out


def _handler_for(server: SocrataServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            fault = server._next_fault()
            if fault.delay_s:
                threading.Event().wait(fault.delay_s)
            if parts.path != server.resource_path:
                return self._send(404, {"error": True, "message": "not found"}, params, headers)
            if server.required_token and headers.get("x-app-token") != server.required_token:
                return self._send(
                    403, {"error": True, "message": "invalid app token"}, params, headers
                )
            if fault.status is not None:
                extra = {}
                if fault.retry_after is not None:
                    extra["Retry-After"] = f"{fault.retry_after:g}"
                return self._send(
                    fault.status, {"error": True, "message": "injected"}, params, headers, extra
                )
            try:
                rows = server.query(params, fault)
            except QueryError as error:
                return self._send(
                    400,
                    {"error": True, "code": "query.compiler.malformed", "message": str(error)},
                    params,
                    headers,
                )
            body = json.dumps(rows).encode()
            if fault.truncate == "json":
                body = body[: max(1, len(body) // 2)]
            elif fault.truncate == "connection":
                self._record(params, headers, 200, len(rows))
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            return self._send(200, body, params, headers, rows=len(rows))

        def _record(
            self, params: dict[str, str], headers: dict[str, str], status: int, rows: int
        ) -> None:
            with server._lock:
                server.requests.append(Request(params, headers, status, rows))

        def _send(
            self,
            status: int,
            payload: Any,
            params: dict[str, str],
            headers: dict[str, str],
            extra: Mapping[str, str] | None = None,
            rows: int = 0,
        ) -> None:
            self._record(params, headers, status, rows)
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler
