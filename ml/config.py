"""Experiment configuration: one YAML file, validated whole before any work starts.

An experiment names its random seed, label, feature lists, temporal cross-validation, a grid keyed
by estimator class path, the baselines to beat, the top-k thresholds, the team's daily capacity,
the bias audit and the selection rules. `load_experiment()` reads the YAML, applies an optional
profile (e.g. `quick`) and returns an `ExperimentConfig`; any unknown or malformed key raises
`ConfigError` naming the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import itertools
import json
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from ml import calibration
from ml import features as catalogue
from ml.monitoring import DriftThresholds, Thresholds
from ml.retraining import RetrainingPolicy

ALLOWED_ESTIMATORS = (
    "sklearn.linear_model.LogisticRegression",
    "sklearn.ensemble.RandomForestClassifier",
    "sklearn.ensemble.HistGradientBoostingClassifier",
)
ALLOWED_LABELS = ("is_failed", "has_critical_violation")
ALLOWED_BASELINES = ("random", "highest_risk", "most_prior_fails")
ALLOWED_BIAS_METRICS = ("fnr", "for", "precision", "fpr", "fdr", "tpr", "ppr", "pprev")
ALLOWED_RULES = (
    "best_average",
    "lowest_variance",
    "best_most_recent",
    "best_recent_average",
    "most_frequent_best",
)
TOP_KEYS = frozenset(
    {
        "name",
        "random_seed",
        "label",
        "features",
        "temporal",
        "grid",
        "baselines",
        "top_k_percent",
        "daily_capacity",
        "bias_audit",
        "selection",
        "monitoring",
        "retraining",
        "ablation",
        "promotion",
        "profiles",
    }
)


class ConfigError(ValueError):
    """The experiment file is invalid; the message names the offending key."""


@dataclass(frozen=True)
class AblationConfig:
    """What `canvass ablation` measures: one model, the feature groups added in turn (each step
    named, with the catalogue's feature groups it adds), for each label."""

    # an algorithm (or class path) of the grid, resolved when the ablation runs (a profile or a
    # test may narrow the grid); None: the grid's first gradient-boosting entry
    model: str | None = None
    steps: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("history", ("establishment", "time", "history")),
        ("area", ("area",)),
        ("recent_area", ("area_recent",)),
        ("complaints", ("complaints",)),
        ("burglary", ("burglary",)),
        ("weather", ("weather",)),
    )
    labels: tuple[str, ...] = ("is_failed", "has_critical_violation")


@dataclass(frozen=True)
class TemporalConfig:
    test_window_months: int = 1
    n_windows: int = 12
    max_train_months: int | None = None


@dataclass(frozen=True)
class GroupSpec:
    """One model group: an estimator class and one combination of its hyperparameters."""

    class_path: str
    params: dict[str, Any]

    @property
    def algorithm(self) -> str:
        return self.class_path.rsplit(".", 1)[-1]

    def label(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.algorithm}({args})"


@dataclass(frozen=True)
class BiasConfig:
    attributes: tuple[str, ...] = ("facility_group", "zip")
    reference_groups: dict[str, str] = field(default_factory=dict)  # attribute -> value
    metrics: tuple[str, ...] = ("fnr", "for", "precision")
    threshold_lower: float = 0.8
    threshold_upper: float = 1.25
    top_k_percent: float = 10.0
    max_groups: int = 15  # high-cardinality attributes (zip): largest N groups, the rest "other"
    min_group_size: int = 20  # groups smaller than this are pooled into "other"


@dataclass(frozen=True)
class SelectionConfig:
    metric: str = "precision@"
    parameter: str = "10_pct"
    rules: tuple[str, ...] = ALLOWED_RULES
    primary_rule: str = "best_average"
    variance_tolerance: float = 0.02  # lowest_variance picks among groups this close to the best
    recent_windows: int = 3  # best_recent_average: the mean over this many latest windows
    fairness_metric: str = "fnr"
    min_parity_share: float = 0.5  # share of audited groups within thresholds, mean over windows


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    random_seed: int
    label: str
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    temporal: TemporalConfig
    grid: tuple[GroupSpec, ...]
    baselines: tuple[str, ...] = ALLOWED_BASELINES
    top_k_percent: tuple[float, ...] = (1.0, 5.0, 10.0, 20.0)
    daily_capacity: int = 10  # inspections a day the team spends on the list
    bias: BiasConfig = field(default_factory=BiasConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    # How the monitor grades drift; not part of the experiment's hash (it changes no model).
    monitoring: DriftThresholds = field(default_factory=DriftThresholds, compare=False)
    # When the weekly cycle retrains; not part of the hash either.
    retraining: RetrainingPolicy = field(default_factory=RetrainingPolicy, compare=False)
    # What the ablation measures; not part of the hash (it deploys nothing).
    ablation: AblationConfig = field(default_factory=AblationConfig, compare=False)
    # Whether a selection's model scores at once (auto) or waits for `canvass models promote`
    # (manual; ml/governance.py); not part of the hash (it changes no model).
    promotion: str = field(default="auto", compare=False)
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def features(self) -> list[str]:
        return [*self.categorical, *self.numeric]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("raw", None)
        out.pop("monitoring", None)
        out.pop("retraining", None)
        out.pop("ablation", None)
        out.pop("promotion", None)
        return out

    @property
    def hash(self) -> str:
        """Content hash of the resolved configuration (what was actually run)."""
        return stable_hash(self.to_dict())


def stable_hash(obj: Any) -> str:
    """sha256 (hex, 32 chars) of a canonical JSON rendering."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "grid":
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _check_keys(
    block: Any, where: str, allowed: set[str], required: set[str] = frozenset()
) -> dict:
    if not isinstance(block, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(block).__name__}")
    unknown = sorted(set(block) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})"
        )
    missing = sorted(required - set(block))
    if missing:
        raise ConfigError(f"{where}.{missing[0]}: required key is missing")
    return block


def _int(value: Any, where: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where}: must be >= {minimum}, got {value}")
    return value


def _num(value: Any, where: str, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{where}: must be within [{low}, {high}], got {value}")
    return float(value)


def _str_list(value: Any, where: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    if allowed is not None:
        for i, v in enumerate(value):
            if v not in allowed:
                raise ConfigError(f"{where}[{i}]: {v!r} is not one of {', '.join(allowed)}")
    if len(set(value)) != len(value):
        raise ConfigError(f"{where}: duplicate entries")
    return tuple(value)


def _expand_grid(grid: Any) -> tuple[GroupSpec, ...]:
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(
            "grid: expected a non-empty mapping of estimator class path -> parameters"
        )
    specs: list[GroupSpec] = []
    for class_path, params in grid.items():
        where = f"grid.{class_path}"
        if class_path not in ALLOWED_ESTIMATORS:
            raise ConfigError(
                f"{where}: estimator not allowed (use one of {', '.join(ALLOWED_ESTIMATORS)})"
            )
        params = params or {}
        if not isinstance(params, dict):
            raise ConfigError(f"{where}: expected a mapping of parameter -> list of values")
        module, _, name = class_path.rpartition(".")
        estimator_cls = getattr(importlib.import_module(module), name)
        valid = set(estimator_cls().get_params())
        for key, values in params.items():
            if key not in valid:
                raise ConfigError(f"{where}.{key}: not a parameter of {name}")
            if key == "random_state":
                raise ConfigError(f"{where}.{key}: set random_seed at the top level instead")
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{where}.{key}: expected a non-empty list of values")
        keys = sorted(params)
        for combo in itertools.product(*(params[k] for k in keys)):
            specs.append(GroupSpec(class_path, dict(zip(keys, combo, strict=True))))
    return tuple(specs)


def _resolve(data: dict[str, Any], profile: str | None) -> dict[str, Any]:
    """The experiment mapping with `profile` applied (every profile validated when none is)."""
    top = _check_keys(data, "experiment", TOP_KEYS, {"random_seed", "label", "grid"})
    profiles = top.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise ConfigError("profiles: expected a mapping of profile name -> overrides")
    for pname, override in profiles.items():
        if not isinstance(override, dict) or "profiles" in override:
            raise ConfigError(f"profiles.{pname}: expected a mapping of overrides (no nesting)")
    if profile is None:
        for pname in profiles:  # every profile is validated too, not only the one in use
            try:
                parse_experiment(data, str(pname))
            except ConfigError as err:
                message = str(err)
                if not message.startswith("profiles."):
                    message = f"profiles.{pname} -> {message}"
                raise ConfigError(message) from None
    base = {k: v for k, v in top.items() if k != "profiles"}
    if profile:
        if profile not in profiles:
            raise ConfigError(
                f"profiles.{profile}: no such profile (have: {', '.join(profiles) or 'none'})"
            )
        _check_keys(profiles[profile], f"profiles.{profile}", TOP_KEYS - {"profiles"})
        base = _deep_merge(base, profiles[profile])
    return base


def _features(block: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(categorical, numeric): the catalogue's features unless the block lists its own."""
    feats = _check_keys(block or {}, "features", {"categorical", "numeric"})
    known = catalogue.by_name()
    chosen = []
    for kind in catalogue.KINDS:
        where = f"features.{kind}"
        names = _str_list(feats.get(kind, list(catalogue.names(kind))), where)
        for i, name in enumerate(names):
            if name not in known:
                raise ConfigError(f"{where}[{i}]: {name!r} is not in the feature catalogue")
            if known[name].kind != kind:
                raise ConfigError(f"{where}[{i}]: {name!r} is {known[name].kind} in the catalogue")
        chosen.append(names)
    categorical, numeric = chosen
    if not categorical and not numeric:
        raise ConfigError("features: at least one feature is needed")
    return categorical, numeric


def _temporal(block: Any) -> TemporalConfig:
    t = _check_keys(
        block or {}, "temporal", {"test_window_months", "n_windows", "max_train_months"}
    )
    default = TemporalConfig()
    max_train = t.get("max_train_months", default.max_train_months)
    return TemporalConfig(
        test_window_months=_int(
            t.get("test_window_months", default.test_window_months),
            "temporal.test_window_months",
            1,
        ),
        n_windows=_int(t.get("n_windows", default.n_windows), "temporal.n_windows", 1),
        max_train_months=None
        if max_train is None
        else _int(max_train, "temporal.max_train_months", 1),
    )


_BIAS_KEYS = {
    "attributes",
    "reference_groups",
    "metrics",
    "thresholds",
    "top_k_percent",
    "max_groups",
    "min_group_size",
}


def _bias(block: Any, categorical: tuple[str, ...]) -> BiasConfig:
    b = _check_keys(block or {}, "bias_audit", _BIAS_KEYS)
    default = BiasConfig()
    attributes = _str_list(b.get("attributes", list(default.attributes)), "bias_audit.attributes")
    for i, attr in enumerate(attributes):
        if attr not in categorical:
            raise ConfigError(f"bias_audit.attributes[{i}]: {attr!r} must be a categorical feature")
    refs = b.get("reference_groups", "largest")
    if refs in (None, "largest"):
        refs = {}
    if not isinstance(refs, dict):
        raise ConfigError(
            "bias_audit.reference_groups: expected 'largest' or a mapping attribute -> group"
        )
    for attr, value in refs.items():
        if attr not in attributes:
            raise ConfigError(f"bias_audit.reference_groups.{attr}: not an audited attribute")
        if not isinstance(value, str):
            raise ConfigError(f"bias_audit.reference_groups.{attr}: expected a group name (string)")
    thresholds = b.get("thresholds", [default.threshold_lower, default.threshold_upper])
    if not isinstance(thresholds, list) or len(thresholds) != 2:
        raise ConfigError("bias_audit.thresholds: expected [lower, upper]")
    return BiasConfig(
        attributes=attributes,
        reference_groups=dict(refs),
        metrics=_str_list(
            b.get("metrics", list(default.metrics)), "bias_audit.metrics", ALLOWED_BIAS_METRICS
        ),
        threshold_lower=_num(thresholds[0], "bias_audit.thresholds[0]", 0.0, 1.0),
        threshold_upper=_num(thresholds[1], "bias_audit.thresholds[1]", 1.0, None),
        top_k_percent=_num(
            b.get("top_k_percent", default.top_k_percent), "bias_audit.top_k_percent", 0.01, 100
        ),
        max_groups=_int(b.get("max_groups", default.max_groups), "bias_audit.max_groups", 1),
        min_group_size=_int(
            b.get("min_group_size", default.min_group_size), "bias_audit.min_group_size", 1
        ),
    )


_SELECTION_KEYS = {
    "metric",
    "parameter",
    "rules",
    "primary_rule",
    "variance_tolerance",
    "recent_windows",
    "fairness_metric",
    "min_parity_share",
}
SELECTION_METRICS = ("precision@", "recall@", "days_earlier", "roc_auc")


def _selection(block: Any, bias: BiasConfig) -> SelectionConfig:
    s = _check_keys(block or {}, "selection", _SELECTION_KEYS)
    default = SelectionConfig()
    rules = _str_list(s.get("rules", list(default.rules)), "selection.rules", ALLOWED_RULES)
    primary = s.get("primary_rule", default.primary_rule)
    if primary not in rules:
        raise ConfigError(f"selection.primary_rule: {primary!r} must be one of selection.rules")
    metric = s.get("metric", default.metric)
    if metric not in SELECTION_METRICS:
        raise ConfigError(f"selection.metric: {metric!r} is not a supported selection metric")
    fairness_metric = s.get("fairness_metric", default.fairness_metric)
    if fairness_metric not in bias.metrics:
        raise ConfigError(
            f"selection.fairness_metric: {fairness_metric!r} is not in bias_audit.metrics"
        )
    return SelectionConfig(
        metric=metric,
        parameter=str(s.get("parameter", default.parameter)),
        rules=rules,
        primary_rule=primary,
        variance_tolerance=_num(
            s.get("variance_tolerance", default.variance_tolerance),
            "selection.variance_tolerance",
            0.0,
            1.0,
        ),
        recent_windows=_int(
            s.get("recent_windows", default.recent_windows), "selection.recent_windows", 1
        ),
        fairness_metric=fairness_metric,
        min_parity_share=_num(
            s.get("min_parity_share", default.min_parity_share),
            "selection.min_parity_share",
            0.0,
            1.0,
        ),
    )


_MONITORING_STATS = {
    "psi": "psi",
    "ks": "ks",
    "js_distance": "js",
    "missing_change": "missing",
    "wasserstein": "wasserstein",
    "score_psi": "score_psi",
    "estimate_gap": "estimate_gap",
}


def _monitoring(block: Any) -> DriftThresholds:
    """`monitoring:` {statistic: {warn, alert}}, psi_bins, calibration and estimate_min_inspected,
    over DriftThresholds' defaults."""
    m = _check_keys(
        block or {},
        "monitoring",
        {*_MONITORING_STATS, "psi_bins", "calibration", "estimate_min_inspected"},
    )
    default = DriftThresholds()
    levels: dict[str, Any] = {}
    for key, attr in _MONITORING_STATS.items():
        if key not in m:
            continue
        spec = _check_keys(m[key], f"monitoring.{key}", {"warn", "alert"}, {"warn", "alert"})
        warn = _num(spec["warn"], f"monitoring.{key}.warn", 0.0)
        alert = _num(spec["alert"], f"monitoring.{key}.alert", 0.0)
        if alert < warn:
            raise ConfigError(f"monitoring.{key}: alert ({alert}) is below warn ({warn})")
        levels[attr] = Thresholds(warn, alert)
    bins = _int(m.get("psi_bins", default.psi_bins), "monitoring.psi_bins", 2)
    method = m.get("calibration", default.calibration)
    if method not in calibration.METHODS:
        raise ConfigError(
            f"monitoring.calibration: {method!r} is not one of {', '.join(calibration.METHODS)}"
        )
    min_inspected = _int(
        m.get("estimate_min_inspected", default.estimate_min_inspected),
        "monitoring.estimate_min_inspected",
        1,
    )
    return replace(
        default,
        psi_bins=bins,
        calibration=method,
        estimate_min_inspected=min_inspected,
        **levels,
    )


def _promotion(value: Any) -> str:
    if value not in ("auto", "manual"):
        raise ConfigError(f"promotion: {value!r} is not auto or manual")
    return value


def _retraining(block: Any, top_k_percent: tuple[float, ...]) -> RetrainingPolicy:
    r = _check_keys(
        block or {},
        "retraining",
        {
            "max_model_age_days",
            "on_drift_alert",
            "on_estimate_alert",
            "max_precision_gap",
            "gap_cut",
            "min_inspected",
        },
    )
    default = RetrainingPolicy()
    on_drift = r.get("on_drift_alert", default.on_drift_alert)
    if not isinstance(on_drift, bool):
        raise ConfigError("retraining.on_drift_alert: expected true or false")
    on_estimate = r.get("on_estimate_alert", default.on_estimate_alert)
    if not isinstance(on_estimate, bool):
        raise ConfigError("retraining.on_estimate_alert: expected true or false")
    cuts = {f"{k:g}_pct" for k in top_k_percent} | {"capacity"}
    gap_cut = str(r.get("gap_cut", default.gap_cut))
    if gap_cut not in cuts:
        raise ConfigError(
            f"retraining.gap_cut: {gap_cut!r} is not one of {', '.join(sorted(cuts))}"
        )
    return RetrainingPolicy(
        max_model_age_days=_int(
            r.get("max_model_age_days", default.max_model_age_days),
            "retraining.max_model_age_days",
            1,
        ),
        on_drift_alert=on_drift,
        on_estimate_alert=on_estimate,
        max_precision_gap=_num(
            r.get("max_precision_gap", default.max_precision_gap),
            "retraining.max_precision_gap",
            0.0,
            1.0,
        ),
        gap_cut=gap_cut,
        min_inspected=_int(
            r.get("min_inspected", default.min_inspected), "retraining.min_inspected", 1
        ),
    )


def _ablation(block: Any) -> AblationConfig:
    a = _check_keys(block or {}, "ablation", {"model", "steps", "labels"})
    default = AblationConfig()
    model = str(a["model"]) if "model" in a else None
    steps = default.steps
    if "steps" in a:
        raw = a["steps"]
        if not isinstance(raw, dict) or not raw:
            raise ConfigError("ablation.steps: expected a mapping step name -> feature groups")
        known = {f.feature_group for f in catalogue.catalogue()}
        steps = tuple(
            (str(name), _str_list(groups, f"ablation.steps.{name}", tuple(sorted(known))))
            for name, groups in raw.items()
        )
    labels = _str_list(a.get("labels", list(default.labels)), "ablation.labels", ALLOWED_LABELS)
    return AblationConfig(model=model, steps=steps, labels=labels)


def parse_experiment(data: dict[str, Any], profile: str | None = None) -> ExperimentConfig:
    """Validate a parsed experiment mapping (optionally with a profile applied) into a config.

    Every default lives on the config dataclasses (and the features in the feature catalogue), so
    a key left out of the YAML means the same thing everywhere."""
    base = _resolve(data, profile)
    name = base.get("name", "canvass")
    if not isinstance(name, str) or not name:
        raise ConfigError("name: expected a non-empty string")
    label = base["label"]
    if label not in ALLOWED_LABELS:
        raise ConfigError(f"label: {label!r} is not one of {', '.join(ALLOWED_LABELS)}")
    categorical, numeric = _features(base.get("features"))
    defaults = {f.name: f.default for f in fields(ExperimentConfig) if f.default is not MISSING}
    top_k_raw = base.get("top_k_percent", list(defaults["top_k_percent"]))
    if not isinstance(top_k_raw, list) or not top_k_raw:
        raise ConfigError("top_k_percent: expected a non-empty list of percentages")
    bias = _bias(base.get("bias_audit"), categorical)
    return ExperimentConfig(
        name=name,
        random_seed=_int(base["random_seed"], "random_seed", 0),
        label=label,
        categorical=categorical,
        numeric=numeric,
        temporal=_temporal(base.get("temporal")),
        grid=_expand_grid(base["grid"]),
        baselines=_str_list(
            base.get("baselines", list(defaults["baselines"])), "baselines", ALLOWED_BASELINES
        ),
        top_k_percent=tuple(
            _num(v, f"top_k_percent[{i}]", 0.01, 100) for i, v in enumerate(top_k_raw)
        ),
        daily_capacity=_int(
            base.get("daily_capacity", defaults["daily_capacity"]), "daily_capacity", 1
        ),
        bias=bias,
        selection=_selection(base.get("selection"), bias),
        monitoring=_monitoring(base.get("monitoring")),
        retraining=_retraining(
            base.get("retraining"),
            tuple(_num(v, f"top_k_percent[{i}]", 0.01, 100) for i, v in enumerate(top_k_raw)),
        ),
        ablation=_ablation(base.get("ablation")),
        promotion=_promotion(base.get("promotion", defaults["promotion"])),
        raw=copy.deepcopy(data),
    )


def load_experiment(path: str | Path, profile: str | None = None) -> ExperimentConfig:
    """Read and validate an experiment YAML file (with an optional profile such as `quick`)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_experiment(data, profile)
