"""The artifact store: model files at `<artifacts_dir>/models/<model_id>.joblib`, sha256-checked.

The registry row stores the path relative to the artifacts directory and the file's sha256; a file
is written atomically and checked against that digest before every load.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import joblib


class ArtifactIntegrityError(RuntimeError):
    """A model artifact is missing or its sha256 differs from the registry's."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def relative_path(model_id: str) -> str:
    return f"models/{model_id}.joblib"


def write(pipeline: Any, artifacts_dir: Path, model_id: str) -> tuple[str, str]:
    """Write the pipeline atomically; return (path relative to `artifacts_dir`, sha256)."""
    relative = relative_path(model_id)
    path = Path(artifacts_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    joblib.dump(pipeline, tmp)
    os.replace(tmp, path)
    return relative, sha256_file(path)


def is_intact(artifacts_dir: Path, relative: str, sha256: str) -> bool:
    path = Path(artifacts_dir) / relative
    return path.is_file() and sha256_file(path) == sha256


def read(artifacts_dir: Path, relative: str, sha256: str, model_id: str) -> Any:
    """Load an artifact after checking it against the recorded sha256."""
    path = Path(artifacts_dir) / relative
    if not path.is_file():
        raise ArtifactIntegrityError(f"artifact of model {model_id} not found at {path}")
    actual = sha256_file(path)
    if actual != sha256:
        raise ArtifactIntegrityError(
            f"artifact of model {model_id} at {path} has sha256 {actual}, registry says {sha256}"
        )
    return joblib.load(path)
