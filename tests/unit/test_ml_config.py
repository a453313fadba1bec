"""Experiment YAML: the shipped file is valid, and every kind of mistake names its key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ml.config import (
    BiasConfig,
    ConfigError,
    SelectionConfig,
    TemporalConfig,
    load_experiment,
    parse_experiment,
)
from ml.features import names as feature_names

EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "canvass.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(EXPERIMENT.read_text())


def test_shipped_experiment_is_valid() -> None:
    config = load_experiment(EXPERIMENT)
    assert config.label == "is_failed"
    assert config.temporal.n_windows == 12 and config.temporal.test_window_months == 1
    assert {s.algorithm for s in config.grid} == {
        "LogisticRegression",
        "RandomForestClassifier",
        "HistGradientBoostingClassifier",
    }
    assert config.top_k_percent == (1, 5, 10, 20)
    assert config.bias.attributes == ("facility_group", "zip")
    assert (config.bias.threshold_lower, config.bias.threshold_upper) == (0.8, 1.25)
    assert config.bias.reference_groups == {}  # largest group by default


def test_defaults_live_on_the_config_and_the_features_in_the_catalogue(raw: dict) -> None:
    """A key left out of the YAML means the dataclass default; features default to the catalogue."""
    minimal = {k: raw[k] for k in ("random_seed", "label", "grid")}
    config = parse_experiment(minimal)
    assert config.selection == SelectionConfig()
    assert config.bias == BiasConfig()
    assert config.temporal == TemporalConfig()
    assert config.features == list(feature_names())
    assert config.categorical == feature_names("categorical")
    subset = parse_experiment(minimal | {"features": {"numeric": ["prior_fails"]}})
    assert subset.numeric == ("prior_fails",) and subset.categorical == config.categorical


def test_quick_profile_shrinks_the_run() -> None:
    full = load_experiment(EXPERIMENT)
    quick = load_experiment(EXPERIMENT, profile="quick")
    assert quick.temporal.n_windows < full.temporal.n_windows
    assert len(quick.grid) < len(full.grid)
    assert quick.hash != full.hash
    assert quick.random_seed == full.random_seed


def test_hash_is_stable_and_content_based(raw: dict) -> None:
    assert parse_experiment(raw).hash == parse_experiment(copy.deepcopy(raw)).hash
    changed = copy.deepcopy(raw)
    changed["random_seed"] += 1
    assert parse_experiment(changed).hash != parse_experiment(raw).hash


@pytest.mark.parametrize(
    ("edit", "names"),
    [
        (lambda d: d.update(random_sed=1), "experiment.random_sed"),
        (lambda d: d.pop("label"), "experiment.label"),
        (lambda d: d.update(label="is_closed"), "label"),
        (lambda d: d["temporal"].update(n_windows=0), "temporal.n_windows"),
        (lambda d: d["temporal"].update(window=3), "temporal.window"),
        (lambda d: d["grid"].update({"sklearn.svm.SVC": {"C": [1]}}), "grid.sklearn.svm.SVC"),
        (
            lambda d: d["grid"]["sklearn.linear_model.LogisticRegression"].update(Cee=[1]),
            "grid.sklearn.linear_model.LogisticRegression.Cee",
        ),
        (
            lambda d: d["grid"]["sklearn.linear_model.LogisticRegression"].update(C=1.0),
            "grid.sklearn.linear_model.LogisticRegression.C",
        ),
        (lambda d: d.update(baselines=["random", "coin"]), "baselines[1]"),
        (lambda d: d.update(top_k_percent=[10, 150]), "top_k_percent[1]"),
        (lambda d: d["bias_audit"].update(metrics=["fnr", "gini"]), "bias_audit.metrics[1]"),
        (lambda d: d["bias_audit"].update(attributes=["risk_level"]), "bias_audit.attributes[0]"),
        (
            lambda d: d["bias_audit"].update(reference_groups={"ward": "1"}),
            "bias_audit.reference_groups.ward",
        ),
        (lambda d: d["selection"].update(primary_rule="luck"), "selection.primary_rule"),
        (lambda d: d.update(features={"numeric": ["prior_fales"]}), "features.numeric[0]"),
        (lambda d: d.update(features={"categorical": ["prior_fails"]}), "features.categorical[0]"),
        (lambda d: d["profiles"]["quick"].update(tempo={}), "profiles.quick.tempo"),
        (lambda d: d["profiles"]["quick"]["temporal"].update(n_windows=-1), "temporal.n_windows"),
    ],
)
def test_invalid_keys_are_named(raw: dict, edit, names: str) -> None:
    data = copy.deepcopy(raw)
    edit(data)
    with pytest.raises(ConfigError) as err:
        parse_experiment(data)
    assert names in str(err.value)


def test_unknown_profile_is_an_error(raw: dict) -> None:
    with pytest.raises(ConfigError, match="profiles.nightly"):
        parse_experiment(raw, profile="nightly")


def test_grid_expands_to_every_combination(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["grid"] = {
        "sklearn.linear_model.LogisticRegression": {"C": [0.1, 1.0, 10.0], "max_iter": [100, 200]}
    }
    config = parse_experiment(data)
    assert len(config.grid) == 6
    assert {(s.params["C"], s.params["max_iter"]) for s in config.grid} == {
        (c, m) for c in (0.1, 1.0, 10.0) for m in (100, 200)
    }


def test_monitoring_thresholds_are_read_and_change_no_model(raw: dict) -> None:
    config = parse_experiment(raw)
    assert (config.monitoring.psi.warn, config.monitoring.psi.alert) == (0.1, 0.25)
    assert config.monitoring.psi_bins == 10
    assert config.monitoring.calibration == "isotonic"
    assert config.monitoring.estimate_gap.alert == 0.2
    looser = copy.deepcopy(raw)
    looser["monitoring"]["psi"] = {"warn": 0.2, "alert": 0.5}
    assert parse_experiment(looser).monitoring.psi.alert == 0.5
    assert parse_experiment(looser).hash == config.hash  # thresholds retrain nothing


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"psi": {"warn": 0.3, "alert": 0.2}}, "monitoring.psi: alert (0.2) is below warn (0.3)"),
        ({"psi": {"warn": 0.1}}, "monitoring.psi.alert: required key is missing"),
        ({"kl": {"warn": 0.1, "alert": 0.2}}, "monitoring.kl: unknown key"),
        ({"psi_bins": 1}, "monitoring.psi_bins"),
        ({"calibration": "beta"}, "monitoring.calibration: 'beta' is not one of isotonic, sigmoid"),
        ({"estimate_gap": {"warn": 0.3, "alert": 0.1}}, "monitoring.estimate_gap: alert (0.1)"),
        ({"estimate_min_inspected": 0}, "monitoring.estimate_min_inspected"),
    ],
)
def test_bad_monitoring_thresholds_are_named(raw: dict, block: dict, message: str) -> None:
    bad = copy.deepcopy(raw)
    bad["monitoring"] = block
    with pytest.raises(ConfigError) as err:
        parse_experiment(bad)
    assert message in str(err.value)


def test_an_ablation_model_outside_the_grid_is_refused_when_it_runs(raw: dict) -> None:
    from ml.ablation import ablation_model

    data = copy.deepcopy(raw)
    data["ablation"]["model"] = "SVC"
    config = parse_experiment(data)
    with pytest.raises(ConfigError, match="ablation.model: 'SVC' is not an entry of the grid"):
        ablation_model(config)


def test_promotion_is_auto_or_manual_and_not_part_of_the_hash(raw: dict) -> None:
    auto = parse_experiment(raw)
    assert auto.promotion == "auto"
    manual = parse_experiment({**raw, "promotion": "manual"})
    assert manual.promotion == "manual"
    assert manual.hash == auto.hash  # approving by hand changes no model
    with pytest.raises(ConfigError, match="promotion: 'sometimes' is not auto or manual"):
        parse_experiment({**raw, "promotion": "sometimes"})
