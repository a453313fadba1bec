"""Content-hash identifiers: an identical model is never trained twice, changed data never hides.

- experiment: hash of the resolved config (`ExperimentConfig.hash`);
- model group: hash of algorithm + hyperparameters + feature list + label;
- model: hash of the group, training window, test window, seed and a fingerprint of the training
  rows (ids + labels).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

from ml.config import GroupSpec, stable_hash


def data_fingerprint(ids: Iterable[Any], labels: Iterable[Any]) -> str:
    """Order-independent hash of (id, label) pairs: the training data's identity."""
    pairs = np.column_stack(
        [np.asarray(list(ids), dtype=np.int64), np.asarray(list(labels), dtype=np.int64)]
    )
    if len(pairs):
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return hashlib.sha256(json.dumps(pairs.tolist(), separators=(",", ":")).encode()).hexdigest()[
        :32
    ]


def model_group_id(spec: GroupSpec, features: Iterable[str], label: str) -> str:
    return stable_hash(
        {
            "class_path": spec.class_path,
            "params": spec.params,
            "features": list(features),
            "label": label,
        }
    )


def model_id_for(
    group_id: str,
    *,
    train_start: dt.date | None,
    train_end: dt.date,
    test_start: dt.date | None,
    test_end: dt.date | None,
    random_seed: int,
    data_fingerprint: str,
) -> str:
    return stable_hash(
        {
            "group": group_id,
            "train": [train_start, train_end],
            "test": [test_start, test_end],
            "seed": random_seed,
            "data": data_fingerprint,
        }
    )
