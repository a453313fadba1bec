"""Running the `canvass` command as a user's shell would, for the CLI tests (no tests here)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

CANVASS = str(Path(sys.executable).with_name("canvass"))


def canvass_streams(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The finished command, its stdout and stderr apart."""
    return subprocess.run(
        [CANVASS, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def canvass(env: dict[str, str], *args: str) -> tuple[int, str, float]:
    """Exit code, everything printed (stdout and stderr) and seconds taken."""
    started = time.monotonic()
    done = canvass_streams(env, *args)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started
