"""A throwaway warehouse for benchmarks: DATABASE_URL's server, or an embedded one in a temp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from warehouse.scratch import scratch_database, scratch_server


@contextmanager
def bench_database() -> Iterator[str]:
    """Yield the URL of a fresh, migrated database, exported as DATABASE_URL; drop it afterwards."""
    saved = os.environ.get("DATABASE_URL")
    try:
        with (
            scratch_server("canvass-bench-pg-") as admin,
            scratch_database(admin, "canvass_bench") as url,
        ):
            os.environ["DATABASE_URL"] = url
            yield url
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
