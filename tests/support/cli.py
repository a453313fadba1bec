"""Running the `canvass` command as a user's shell would, for the CLI tests (no tests here)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

CANVASS = str(Path(sys.executable).with_name("canvass"))


def canvass(env: dict[str, str], *args: str) -> tuple[int, str, float]:
    """Exit code, everything printed (stdout and stderr) and seconds taken."""
    started = time.monotonic()
    done = subprocess.run(
        [CANVASS, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started
