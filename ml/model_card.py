"""A model card for a proposed model version (Mitchell et al., "Model Cards for Model Reporting"):
what it is, the data it saw, its features, how it did window by window against the baselines,
what the bias audit found, and its limits. Generated once when a selection proposes the model
(`ml.governance.propose`), kept with the version (`ml.model_versions.card`), shown by the report,
`canvass models card` and the API (`/models/{id}/card`).
"""

from __future__ import annotations

import json

import psycopg

# What every Canvass model cannot do, whatever its metrics say.
LIMITS = (
    "Labels exist only for establishments that were inspected: the model learns who failed among "
    "those the City chose to visit, not among all establishments.",
    "Scores order the list; only the calibrated probability (when present) reads as a chance of "
    "failing, and its calibration was fitted on one out-of-time window.",
    "Establishments not inspected for years get extrapolated histories (long "
    "`days_since_last_inspection`); check their reasons before sending an inspector.",
    "The bias audit covers the attributes configured in `bias_audit` (zip and facility group) on "
    "the test windows; groups too small to audit are not judged.",
    "Metrics come from past windows of Chicago's inspections; a change of inspection policy or of "
    "the City's data makes them a promise, not a guarantee: watch the monitoring page.",
)


def _rows(conn: psycopg.Connection, query: str, params: list) -> list[dict]:
    cur = conn.execute(query, params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def card(
    conn: psycopg.Connection, model_id: str, experiment_hash: str, description: str, version: int
) -> str:
    """The card of `model_id` (a refit of its group) as Markdown, from the registry."""
    model = _rows(
        conn,
        "select models.model_id, models.train_start, models.train_end, models.train_rows, "
        "models.random_seed, models.git_commit, groups.algorithm, groups.hyperparameters, "
        "groups.feature_list, groups.label, groups.model_group_id "
        "from ml.models as models join ml.model_groups as groups using (model_group_id) "
        "where models.model_id = %s",
        [model_id],
    )[0]
    windows = _rows(
        conn,
        "select models.test_start, models.test_end, "
        "max(e.value) filter (where e.metric = 'precision@' and e.parameter = '10_pct') as p10, "
        "max(e.value) filter (where e.metric = 'roc_auc') as auc, "
        "max(e.value) filter (where e.metric = 'days_earlier') as days "
        "from ml.experiment_models as em join ml.models as models using (model_id) "
        "left join ml.evaluations as e using (model_id) "
        "where em.experiment_hash = %s and em.role = 'cv' and models.model_group_id = %s "
        "group by models.test_start, models.test_end order by models.test_start",
        [experiment_hash, model["model_group_id"]],
    )
    baselines = _rows(
        conn,
        "select baseline, avg(value) as p10 from ml.baseline_evaluations "
        "where experiment_hash = %s and metric = 'precision@' and parameter = '10_pct' "
        "group by baseline order by baseline",
        [experiment_hash],
    )
    fairness = _rows(
        conn,
        "select audits.attribute_name, count(*) as audited, "
        "count(*) filter (where audits.is_fair) as fair, min(audits.disparity) as lowest, "
        "max(audits.disparity) as highest "
        "from ml.experiment_models as em join ml.models as models using (model_id) "
        "join ml.bias_audits as audits using (model_id) "
        "where em.experiment_hash = %s and em.role = 'cv' and models.model_group_id = %s "
        "and audits.disparity is not null "
        "group by audits.attribute_name order by audits.attribute_name",
        [experiment_hash, model["model_group_id"]],
    )
    calibration = _rows(
        conn,
        "select method, fitted_rows, ece_before, ece_after from ml.calibrations where model_id = %s",
        [model_id],
    )
    params = model["hyperparameters"]
    params = params if isinstance(params, dict) else json.loads(params or "{}")
    lines = [
        f"# Model card: version {version} ({model_id})",
        "",
        description,
        "",
        "## Model",
        f"- Algorithm: {model['algorithm']} "
        f"({', '.join(f'{k}={v}' for k, v in sorted(params.items())) or 'defaults'})",
        f"- Predicts: `{model['label']}` of a routine inspection",
        f"- Random seed {model['random_seed']}; code {model['git_commit'] or 'not under git'}",
        "",
        "## Data",
        f"- Trained on {model['train_rows']:,} labelled inspections dated "
        f"{model['train_start'] or 'from the first'} to before {model['train_end']}",
        f"- Features ({len(model['feature_list'])}): "
        + ", ".join(f"`{f}`" for f in model["feature_list"]),
        "",
        "## How it did (out-of-time cross-validation windows of its group)",
        "",
        "| test window | precision@10% | ROC AUC | days earlier |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {w['test_start']} to {w['test_end']} | {_fmt(w['p10'])} | {_fmt(w['auc'])} | "
            f"{_fmt(w['days'])} |"
            for w in windows
        ),
        "",
        "Baselines, mean precision@10% over the same windows: "
        + (", ".join(f"{b['baseline']} {_fmt(b['p10'])}" for b in baselines) or "none"),
        "",
        "## Fairness (FNR disparity against each attribute's reference group, top 10%)",
        "",
        *(
            f"- {f['attribute_name']}: {f['fair']} of {f['audited']} group-windows within the "
            f"parity band (disparity {_fmt(f['lowest'])} to {_fmt(f['highest'])})"
            for f in fairness
        ),
        *([] if fairness else ["- No group was large enough to audit."]),
        "",
        "## Calibration",
        *(
            f"- {c['method']} on {c['fitted_rows']:,} out-of-time inspections: expected "
            f"calibration error {_fmt(c['ece_before'])} before, {_fmt(c['ece_after'])} after"
            for c in calibration
        ),
        *([] if calibration else ["- Not calibrated: its score is no probability."]),
        "",
        "## Limits",
        *(f"- {limit}" for limit in LIMITS),
        "",
    ]
    return "\n".join(lines)
