"""The estimator pipeline: raw feature rows in, failure probabilities out.

`build_pipeline()` wraps an estimator from the grid in a scikit-learn Pipeline that coerces types,
imputes (numbers: median plus a missing-indicator; text: the category "missing"), one-hot encodes
the text columns (rare and unseen categories pooled) and scales numbers for linear models. The
saved artifact therefore scores frames with the columns of `marts.ml_features` /
`marts.ml_scoring_cohort` directly, with no preprocessing step to keep in sync.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

MISSING = "missing"


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as str with a literal 'missing' for nulls (module level: picklable)."""
    out = frame.astype(object).where(frame.notna(), MISSING)
    return out.astype(str)


def _as_float(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(pd.to_numeric, errors="coerce").astype(float)


def estimator_class(class_path: str) -> type:
    module, _, name = class_path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def build_pipeline(
    class_path: str,
    params: dict[str, Any],
    categorical: Sequence[str],
    numeric: Sequence[str],
    random_seed: int,
) -> Pipeline:
    """An unfitted Pipeline(preprocess, model) for one grid entry, seeded when the model takes a seed."""
    cls = estimator_class(class_path)
    kwargs = dict(params)
    if "random_state" in cls().get_params():
        kwargs["random_state"] = random_seed
    model = cls(**kwargs)
    linear = "linear_model" in class_path
    numeric_steps: list[tuple[str, Any]] = [
        ("to_float", FunctionTransformer(_as_float, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
    ]
    if linear:
        numeric_steps.append(("scale", StandardScaler()))
    text_steps = [
        ("to_text", FunctionTransformer(_as_text, feature_names_out="one-to-one")),
        (
            "onehot",
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=10,
                max_categories=40,
                sparse_output=False,
            ),
        ),
    ]
    transformers = []
    if numeric:
        transformers.append(("num", Pipeline(numeric_steps), list(numeric)))
    if categorical:
        transformers.append(("cat", Pipeline(text_steps), list(categorical)))
    preprocess = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=True)
    return Pipeline([("preprocess", preprocess), ("model", model)])


def predict_scores(pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """Probability of the positive class for each row, the same to the last bit every time: a
    forest predicting on several threads adds its trees in whichever order the threads finish
    (scores then differ by 1e-16 between two runs), so it predicts on one."""
    model = pipeline.steps[-1][1]
    threads = getattr(model, "n_jobs", None)
    if threads in (None, 1):
        proba = pipeline.predict_proba(frame)
    else:
        model.set_params(n_jobs=1)
        try:
            proba = pipeline.predict_proba(frame)
        finally:
            model.set_params(n_jobs=threads)
    classes = list(pipeline.classes_)
    if 1 in classes:
        return proba[:, classes.index(1)]
    if True in classes:
        return proba[:, classes.index(True)]
    return np.zeros(len(frame))  # trained on one class (all negatives)


def source_features(pipeline: Pipeline, encoded: Sequence[str]) -> list[str | None]:
    """The input column behind each encoded column name of the fitted preprocessing step.

    `num__prior_fails` and `num__missingindicator_prior_fails` come from `prior_fails`;
    `cat__zip_60601` and `cat__zip_infrequent_sklearn` from `zip` (the longest categorical input
    the name starts with, so `zip` never claims a numeric `zip_...` column). None when unknown.
    """
    inputs = {
        name: list(columns)
        for name, _, columns in pipeline.named_steps["preprocess"].transformers_
        if name != "remainder"
    }
    out: list[str | None] = []
    for full in encoded:
        group, _, name = full.partition("__")
        candidates = inputs.get(group, [])
        if group == "num":
            name = name.removeprefix("missingindicator_")
            out.append(name if name in candidates else None)
            continue
        matches = [c for c in candidates if name == c or name.startswith(c + "_")]
        out.append(max(matches, key=len) if matches else None)
    return out


def feature_importances(
    pipeline: Pipeline,
    frame: pd.DataFrame | None = None,
    labels: pd.Series | None = None,
    random_seed: int = 0,
    max_rows: int = 500,
) -> pd.DataFrame:
    """(feature, importance, source_feature) sorted descending; `source_feature` is the input
    column (a catalogue feature) each encoded feature comes from.

    Linear models: |coefficient| per encoded column; tree ensembles with `feature_importances_`:
    impurity importance per encoded column; otherwise (gradient boosting) permutation importance
    of each raw input column on a sample of the given rows (average-precision drop).
    """
    model = pipeline.named_steps["model"]
    names = None
    values = None
    if hasattr(model, "coef_"):
        values = np.abs(np.ravel(model.coef_))
    elif hasattr(model, "feature_importances_"):
        values = np.asarray(model.feature_importances_, dtype=float)
    if values is not None:
        names = list(pipeline.named_steps["preprocess"].get_feature_names_out())
        sources = source_features(pipeline, names)
    elif frame is not None and labels is not None and len(frame) > 0 and labels.nunique() > 1:
        sample = frame.sample(n=min(max_rows, len(frame)), random_state=random_seed)
        y = labels.loc[sample.index].astype(int)
        result = permutation_importance(
            pipeline,
            sample,
            y,
            scoring="average_precision",
            n_repeats=2,
            random_state=random_seed,
            n_jobs=1,
        )
        names = list(sample.columns)
        sources = names
        values = result.importances_mean
    else:
        return pd.DataFrame({"feature": [], "importance": [], "source_feature": []})
    out = pd.DataFrame({"feature": names, "importance": values, "source_feature": sources})
    out = out.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def baseline_scores(name: str, frame: pd.DataFrame, random_seed: int) -> np.ndarray:
    """Scores of the simple rules a model must beat (higher = inspect first).

    random: a seeded uniform draw; highest_risk: risk level 1 (high) first; most_prior_fails: the
    most earlier failed inspections first. Missing values rank last.
    """
    if name == "random":
        return np.random.default_rng(random_seed).random(len(frame))
    if name == "highest_risk":
        risk = pd.to_numeric(frame["risk_level"], errors="coerce")
        return (4 - risk).fillna(0).to_numpy(dtype=float)
    if name == "most_prior_fails":
        return pd.to_numeric(frame["prior_fails"], errors="coerce").fillna(0).to_numpy(dtype=float)
    raise ValueError(f"unknown baseline {name!r}")
