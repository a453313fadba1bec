"""The estimator pipeline scores raw feature rows (nulls, unseen categories) and survives pickling."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pytest

from ml.features import names
from ml.pipeline import baseline_scores, build_pipeline, feature_importances, predict_scores
from ml.synthetic import synthetic_features

GRID = [
    ("sklearn.linear_model.LogisticRegression", {"C": 1.0, "max_iter": 300}),
    ("sklearn.ensemble.RandomForestClassifier", {"n_estimators": 10, "max_depth": 4}),
    ("sklearn.ensemble.HistGradientBoostingClassifier", {"max_iter": 10}),
]


@pytest.fixture(scope="module")
def frame():
    return synthetic_features(80, seed=3)


@pytest.mark.parametrize(("class_path", "params"), GRID)
def test_pipeline_scores_raw_rows_and_round_trips(frame, class_path: str, params: dict) -> None:
    features = list(names())
    pipe = build_pipeline(class_path, params, names("categorical"), names("numeric"), random_seed=7)
    pipe.fit(frame[features], frame["is_failed"])
    fresh = frame[features].head(20).copy()
    fresh.loc[fresh.index[0], "zip"] = "99999"  # unseen category
    fresh.loc[fresh.index[1], "facility_group"] = None
    fresh.loc[fresh.index[2], "prior_fails"] = None
    scores = predict_scores(pipe, fresh)
    assert scores.shape == (20,) and np.all((scores >= 0) & (scores <= 1))
    buffer = io.BytesIO()
    joblib.dump(pipe, buffer)
    buffer.seek(0)
    assert np.array_equal(predict_scores(joblib.load(buffer), fresh), scores)
    importances = feature_importances(pipe, frame[features], frame["is_failed"], random_seed=7)
    assert len(importances) > 0 and importances["importance"].is_monotonic_decreasing


def test_same_seed_same_model(frame) -> None:
    features = list(names())
    runs = []
    for _ in range(2):
        pipe = build_pipeline(*GRID[1], names("categorical"), names("numeric"), random_seed=11)
        pipe.fit(frame[features], frame["is_failed"])
        runs.append(predict_scores(pipe, frame[features]))
    assert np.array_equal(runs[0], runs[1])


def test_baselines(frame) -> None:
    risk = baseline_scores("highest_risk", frame, 0)
    assert np.all(risk[frame["risk_level"].to_numpy() == 1] == 3)
    fails = baseline_scores("most_prior_fails", frame, 0)
    assert np.array_equal(fails, frame["prior_fails"].to_numpy(dtype=float))
    assert np.array_equal(baseline_scores("random", frame, 5), baseline_scores("random", frame, 5))
    with pytest.raises(ValueError):
        baseline_scores("coin", frame, 0)


def test_every_encoded_importance_names_the_catalogue_feature_it_comes_from() -> None:
    frame = synthetic_features(120, seed=4)
    features = list(names())
    for class_path, params in GRID[:2]:  # coefficients, then impurity importances
        pipe = build_pipeline(class_path, params, names("categorical"), names("numeric"), 3)
        pipe.fit(frame[features], frame["is_failed"].astype(int))
        importances = feature_importances(pipe)
        assert importances["source_feature"].notna().all()
        assert set(importances["source_feature"]) <= set(features)
        by_encoded = dict(zip(importances["feature"], importances["source_feature"], strict=True))
        # one-hot zips belong to `zip`, never to the numeric `zip_fail_rate_365d`
        zips = [f for f in by_encoded if f.startswith("cat__zip_")]
        assert zips and {by_encoded[f] for f in zips} == {"zip"}
        assert by_encoded["num__zip_fail_rate_365d"] == "zip_fail_rate_365d"
        indicators = [f for f in by_encoded if f.startswith("num__missingindicator_")]
        assert all(by_encoded[f] == f.removeprefix("num__missingindicator_") for f in indicators)


def test_a_forest_on_two_threads_scores_the_same_to_the_last_bit(frame) -> None:
    # its threads add trees in the order they finish: unpinned, 20 calls differ by 1e-16
    features = list(names())
    params = {"n_estimators": 30, "max_depth": 6, "n_jobs": 2}
    pipe = build_pipeline(GRID[1][0], params, names("categorical"), names("numeric"), 11)
    pipe.fit(frame[features], frame["is_failed"])
    runs = [predict_scores(pipe, frame[features]) for _ in range(20)]
    assert all(np.array_equal(runs[0], run) for run in runs)
    assert pipe.steps[-1][1].n_jobs == 2  # the model keeps its own setting
