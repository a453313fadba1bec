"""Benchmark: the API's latency under concurrent clients, with pooled reader connections against
the yardstick of one new connection per request (the API before the pool), measured in the same
run on the same warehouse, requests and server.

Run it after `make demo` (it reads the demo's marts through the read-only role). Each variant is
served by uvicorn on a free port; `--clients` threads each send their share of `--requests`
requests, alternating the top-20 ranking, one establishment's score and its inspection history.
Target: p99 <= 100 ms at 16 clients on the 2-core machine.

    .venv/bin/python -m bench.api [--clients 16] [--requests 2000]

Results are printed and kept in bench/results/api.json.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import psycopg
import uvicorn
from psycopg.rows import dict_row

from api import deps
from api.app import create_app
from warehouse.db import connect_reader
from warehouse.settings import Settings, get_settings

RESULTS = Path(__file__).resolve().parent / "results" / "api.json"


def _per_request_reader() -> Iterator[psycopg.Connection]:
    """The yardstick: a fresh read-only connection per request, closed after it."""
    settings = get_settings()
    conn = connect_reader(settings, statement_timeout_ms=settings.api_statement_timeout_ms)
    conn.row_factory = dict_row
    try:
        yield conn
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _paths(settings: Settings) -> list[str]:
    with connect_reader(settings) as conn:
        row = conn.execute(
            "select rankings.license_number from marts.fct_rankings as rankings "
            "inner join marts.dim_scoring_runs as runs using (model_id, as_of_date) "
            "where runs.is_current and rankings.license_number is not null "
            "order by rankings.score_rank limit 1"
        ).fetchone()
    if row is None:
        raise SystemExit("nothing is scored: run `make demo` first")
    return [
        "/establishments/top?limit=20",
        f"/establishments/{row[0]}/score",
        f"/establishments/{row[0]}/inspections",
    ]


def _measure(pooled: bool, clients: int, requests: int, paths: list[str]) -> dict[str, float]:
    app = create_app()
    if not pooled:
        app.dependency_overrides[deps.get_reader] = _per_request_reader
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"

    def client(share: int) -> list[float]:
        took = []
        with httpx.Client(base_url=base, timeout=30) as http:
            for i in range(share):
                started = time.perf_counter()
                answer = http.get(paths[i % len(paths)])
                took.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    raise RuntimeError(f"{answer.status_code} from {paths[i % len(paths)]}")
        return took

    try:
        with ThreadPoolExecutor(clients) as pool:
            client(len(paths) * 3)  # warm up: the first connections and queries
            started = time.perf_counter()
            shares = list(pool.map(client, [requests // clients] * clients))
            wall = time.perf_counter() - started
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    latencies = np.array([t for share in shares for t in share]) * 1000
    return {
        "requests": len(latencies),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "requests_per_s": round(len(latencies) / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    paths = _paths(get_settings())
    per_request = _measure(False, args.clients, args.requests, paths)
    pooled = _measure(True, args.clients, args.requests, paths)
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": args.clients,
        "per_request_connection": per_request,
        "pooled": pooled,
        "p99_pooled_vs_per_request": round(pooled["p99_ms"] / per_request["p99_ms"], 3),
        "throughput_pooled_vs_per_request": round(
            pooled["requests_per_s"] / per_request["requests_per_s"], 3
        ),
        "target": "p99 <= 100 ms at 16 clients",
    }
    for name in ("per_request_connection", "pooled"):
        f = figures[name]
        print(
            f"{name:>22}: p50 {f['p50_ms']:6.1f} ms  p95 {f['p95_ms']:6.1f} ms  "
            f"p99 {f['p99_ms']:6.1f} ms  {f['requests_per_s']:7.1f} req/s"
        )
    print(
        f"pooled / per request: p99 {figures['p99_pooled_vs_per_request']:.3f}, "
        f"throughput {figures['throughput_pooled_vs_per_request']:.3f}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
