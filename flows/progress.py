"""Progress lines: the few log records a person follows a long run by.

A flow marks a record as progress with `logger.info(..., extra=PROGRESS)` (a stage starting, a
replay's week). By default the CLI shows only these and warnings on the terminal, one line each,
and writes everything to its log file; `--verbose` shows everything. The Prefect UI always gets
every record.
"""

from __future__ import annotations

import logging

PROGRESS_KEY = "canvass_progress"
PROGRESS = {PROGRESS_KEY: True}


def is_progress(record: logging.LogRecord) -> bool:
    return bool(getattr(record, PROGRESS_KEY, False))
