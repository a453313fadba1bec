"""The modelling report: a leaderboard frame and a standalone Bokeh HTML page.

`leaderboard(conn)` lists every model group and baseline of an experiment with each metric averaged
over the test windows (plus the parity share of the selection's fairness metric, computed as
selection computes it, and which selection rules chose the group);
`write_html(conn, path)` draws precision@k over time, days earlier, and the FNR/FOR disparities of
the deployed group's test windows pooled, and the audition (each selection rule's regret), next to
that table.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import psycopg
from bokeh.embed import components
from bokeh.models import (
    BoxAnnotation,
    ColumnDataSource,
    Div,
    FactorRange,
    HoverTool,
    InlineStyleSheet,
    Span,
)
from bokeh.palettes import Category10_10
from bokeh.plotting import figure
from bokeh.resources import INLINE
from psycopg import sql

from ml import bias, governance
from ml.bias import threshold_name
from ml.config import ALLOWED_RULES, BiasConfig, SelectionConfig
from ml.experiment import parity_frame
from ml.frames import read_frame
from ml.metrics import k_rows
from ml.selection import regret, regret_summary

if TYPE_CHECKING:
    from ml.deploy import Deployment

# Per-window counts, not metrics: kept out of the leaderboard (capacity_share reads them).
COUNTS = ("test_rows", "capacity_rows")
# Metrics where lower is better (the leaderboard marks each column's best).
LOWER_IS_BETTER = ("brier",)

_PREFERRED = [
    "precision@1_pct",
    "precision@5_pct",
    "precision@10_pct",
    "precision@20_pct",
    "recall@10_pct",
    "precision@capacity",
    "roc_auc",
    "brier",
    "days_earlier",
]


def latest_experiment(conn: psycopg.Connection) -> str | None:
    """The experiment most recently selected (else most recently created)."""
    row = conn.execute(
        """
        select e.experiment_hash
        from ml.experiments as e
        left join ml.selections as s on s.experiment_hash = e.experiment_hash
        group by e.experiment_hash, e.created_at
        order by max(s.selected_at) desc nulls last, e.created_at desc
        limit 1
        """
    ).fetchone()
    return row[0] if row else None


def _experiment_config(conn: psycopg.Connection, experiment_hash: str) -> dict:
    row = conn.execute(
        "select config from ml.experiments where experiment_hash = %s", [experiment_hash]
    ).fetchone()
    if row is None:
        raise KeyError(f"no experiment {experiment_hash}")
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def _group_name(algorithm: str, params: object) -> str:
    p = params if isinstance(params, dict) else json.loads(str(params))
    args = ", ".join(f"{k}={v}" for k, v in sorted(p.items()) if k != "n_jobs")
    return f"{algorithm.rsplit('.', 1)[-1]}({args})"


def window_metrics(conn: psycopg.Connection, experiment_hash: str) -> pd.DataFrame:
    """Long frame: kind, name, model_group_id, test_start, metric (e.g. precision@10_pct), value."""
    models = read_frame(
        conn,
        """
        select 'model' as kind, g.algorithm, g.hyperparameters, m.model_group_id, m.test_start,
               e.metric, e.parameter, e.value
        from ml.experiment_models as em
        inner join ml.models as m on m.model_id = em.model_id
        inner join ml.model_groups as g on g.model_group_id = m.model_group_id
        inner join ml.evaluations as e on e.model_id = m.model_id
        where em.experiment_hash = %s and em.role = 'cv'
        """,
        [experiment_hash],
    )
    # A reused model keeps the evaluations of the experiments that used it before (another
    # capacity, other cuts): keep the metrics this experiment asks for.
    config = _experiment_config(conn, experiment_hash)
    cuts = {f"{float(k):g}_pct" for k in config.get("top_k_percent", [])}
    cuts.add(f"{config.get('daily_capacity')}_per_day")
    models = models[models["parameter"].fillna("").eq("") | models["parameter"].isin(cuts)]
    if not models.empty:
        models["name"] = [
            _group_name(a, p)
            for a, p in zip(models["algorithm"], models["hyperparameters"], strict=True)
        ]
    baselines = read_frame(
        conn,
        """
        select 'baseline' as kind, baseline as name, null::text as model_group_id, test_start,
               metric, parameter, value
        from ml.baseline_evaluations
        where experiment_hash = %s
        """,
        [experiment_hash],
    )
    frame = pd.concat([models, baselines], ignore_index=True)
    if frame.empty:
        return pd.DataFrame(
            columns=["kind", "name", "model_group_id", "test_start", "metric", "value"]
        )
    frame["metric"] = frame["metric"] + frame["parameter"].fillna("")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame[["kind", "name", "model_group_id", "test_start", "metric", "value"]]


def leaderboard(conn: psycopg.Connection, experiment_hash: str | None = None) -> pd.DataFrame:
    """Model groups and baselines x metrics averaged over windows, best selection metric first."""
    experiment_hash = experiment_hash or latest_experiment(conn)
    if experiment_hash is None:
        return pd.DataFrame()
    config = _experiment_config(conn, experiment_hash)
    sel = config.get("selection", {})
    sort_metric = f"{sel.get('metric', SelectionConfig.metric)}{sel.get('parameter', SelectionConfig.parameter)}"
    frame = window_metrics(conn, experiment_hash)
    if frame.empty:
        return pd.DataFrame()
    frame = frame[~frame["metric"].str.startswith(COUNTS)]
    keys = ["kind", "name", "model_group_id"]
    frame["model_group_id"] = frame["model_group_id"].fillna("")
    table = frame.pivot_table(index=keys, columns="metric", values="value", aggfunc="mean")
    windows = frame.groupby(keys)["test_start"].nunique().rename("windows")
    table = table.join(windows).reset_index()
    # The parity share exactly as selection computes it: per model, then averaged over windows.
    fairness_metric = sel.get("fairness_metric", SelectionConfig.fairness_metric)
    top_k = config.get("bias", {}).get("top_k_percent", BiasConfig.top_k_percent)
    per_model = parity_frame(conn, experiment_hash, fairness_metric, threshold_name(top_k))
    parity = (
        per_model.groupby("model_group_id")["parity_share"]
        .mean()
        .rename("parity_share")
        .reset_index()
        if not per_model.empty  # no window had enough rows to audit: no parity to show
        else pd.DataFrame(
            {"model_group_id": pd.Series(dtype=str), "parity_share": pd.Series(dtype=float)}
        )
    )
    table = table.merge(parity, on="model_group_id", how="left")
    rules = read_frame(
        conn,
        "select model_group_id, string_agg(rule, ', ' order by rule) as selected_by "
        "from ml.selections where experiment_hash = %s group by model_group_id",
        [experiment_hash],
    )
    table = table.merge(rules, on="model_group_id", how="left")
    table["selected_by"] = table["selected_by"].fillna("")
    metric_cols = [  # the capacity's column carries its parameter: precision@capacity10_per_day
        c
        for name in _PREFERRED
        for c in table.columns
        if c == name or (name == "precision@capacity" and c.startswith(name))
    ]
    metric_cols = list(dict.fromkeys(metric_cols))
    metric_cols += sorted(
        c
        for c in table.columns
        if c not in metric_cols and c not in (*keys, "windows", "parity_share", "selected_by")
    )
    table = table[[*keys, "windows", *metric_cols, "parity_share", "selected_by"]]
    table.attrs["fairness_metric"] = fairness_metric
    if sort_metric in table.columns:
        table = table.sort_values(sort_metric, ascending=False, kind="stable")
    table["model_group_id"] = table["model_group_id"].replace("", None)
    return table.reset_index(drop=True)


def _stored(kind: type, stored: dict) -> Any:
    """A config block of a stored experiment as its dataclass (keys it lacks keep their
    defaults; lists become tuples)."""
    known = {f.name for f in dataclasses.fields(kind)}
    return kind(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in stored.items() if k in known}
    )


def selection_config(config: dict) -> SelectionConfig:
    """The stored experiment's selection settings."""
    return _stored(SelectionConfig, config.get("selection", {}))


def pooled_audit(conn: psycopg.Connection, experiment_hash: str) -> pd.DataFrame:
    """The deployed group's bias audit over all its test windows pooled: each window's list is its
    own top k% (as in training), then the windows' rows are audited together, so a group too
    small to judge in one month (most zips) is judged over the year. AUDIT_COLUMNS rows."""
    config = _experiment_config(conn, experiment_hash)
    bias_config = _stored(BiasConfig, config.get("bias", {}))
    if conn.execute("select to_regclass('marts.ml_features') is null").fetchone()[0]:
        return bias.audit(pd.DataFrame(), bias_config)  # the warehouse is not built
    attributes = sql.SQL(", ").join(sql.Identifier("features", a) for a in bias_config.attributes)
    query = sql.SQL(
        """
        with chosen as (  -- the group the experiment's latest selection deployed
            select s.experiment_hash, s.model_group_id
            from ml.selections as s
            where s.experiment_hash = %s and s.deployed_model_id is not null
            order by s.selected_at desc, s.selection_id desc
            limit 1
        )
        select m.test_start, p.inspection_id, p.label, p.rank_abs, {attributes}
        from chosen
        inner join ml.experiment_models as em
            on em.experiment_hash = chosen.experiment_hash and em.role = 'cv'
        inner join ml.models as m
            on m.model_id = em.model_id and m.model_group_id = chosen.model_group_id
        inner join ml.test_predictions as p on p.model_id = m.model_id
        inner join marts.ml_features as features on features.inspection_id = p.inspection_id
        """
    ).format(attributes=attributes)
    rows = read_frame(conn, query, [experiment_hash])
    if rows.empty:
        return bias.audit(rows, bias_config)
    window_rows = rows.groupby("test_start")["inspection_id"].transform("size")
    cut = [k_rows(int(n), bias_config.top_k_percent) for n in window_rows]
    rows["flagged"] = (rows["rank_abs"] <= cut).astype(int)
    return bias.audit(rows, bias_config, flagged_column="flagged")


def audition(
    conn: psycopg.Connection, experiment_hash: str, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every audition rule (the configured ones and the others) replayed over the experiment's
    windows with its selection metric and fairness constraint: per rule, the windows replayed,
    mean and worst regret and how often it chose the window's best (`ml.selection.regret`).
    `frame`: the experiment's `window_metrics`, when the caller has read them already."""
    config = _experiment_config(conn, experiment_hash)
    sel = dataclasses.replace(selection_config(config), rules=ALLOWED_RULES)
    metric = f"{sel.metric}{sel.parameter}"
    frame = window_metrics(conn, experiment_hash) if frame is None else frame
    evaluations = frame[(frame["kind"] == "model") & (frame["metric"] == metric)]
    if evaluations.empty:
        return regret_summary(pd.DataFrame())
    top_k = config.get("bias", {}).get("top_k_percent", BiasConfig.top_k_percent)
    parity = parity_frame(conn, experiment_hash, sel.fairness_metric, threshold_name(top_k))
    summary = regret_summary(regret(evaluations, sel, parity if not parity.empty else None))
    configured = selection_config(config)
    summary["configured"] = [
        "primary" if r == configured.primary_rule else "yes" if r in configured.rules else ""
        for r in summary["rule"]
    ]
    return summary


def audition_html(summary: pd.DataFrame, metric: str) -> str:
    if summary.empty:
        return "<p class='note'>Fewer than two windows: no rule can be replayed yet.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(r.rule)}</td><td>{html.escape(r.configured)}</td>"
        f"<td>{r.windows}</td><td>{r.mean_regret:.3f}</td><td>{r.max_regret:.3f}</td>"
        f"<td>{r.best_share:.0%}</td></tr>"
        for r in summary.itertuples()
    )
    return (
        "<h2>Audition: what each selection rule would have cost</h2>"
        f"<p class='note'>Each rule replayed window by window: it chooses a group from the earlier "
        f"windows only; its regret is how far that group's {html.escape(metric)} fell short of the "
        "window's best group. Lower is better; the first row would have served best.</p>"
        "<table class='leaderboard'><tr><th>rule</th><th>in the experiment</th><th>windows</th>"
        "<th>mean regret</th><th>worst regret</th><th>chose the best</th></tr>"
        f"{rows}</table>"
    )


def capacity_share(frame: pd.DataFrame) -> float | None:
    """The team's budget as a share of each test window's rows, averaged over the windows (from
    `window_metrics`); None when the windows did not record it. At 1, the budget reaches every
    row and precision@capacity is the base rate."""
    per_window = frame[frame["kind"] == "baseline"]
    counts = per_window.assign(
        count=per_window["metric"].str.extract(r"^(test_rows|capacity_rows)", expand=False)
    ).dropna(subset=["count"])
    if counts.empty:
        return None
    wide = counts.pivot_table(index=["name", "test_start"], columns="count", values="value")
    if "capacity_rows" not in wide or "test_rows" not in wide:
        return None
    shares = (wide["capacity_rows"] / wide["test_rows"]).clip(upper=1.0)
    return float(shares.mean())


def _header(column: str) -> str:
    if column.startswith("precision@capacity"):
        per_day = column.removeprefix("precision@capacity").replace("_per_day", "")
        return f"precision@capacity ({per_day} a day)"
    names = {"roc_auc": "ROC AUC", "days_earlier": "days earlier", "parity_share": "parity share"}
    return names.get(column, column.replace("_pct", "%").replace("_", " "))


# The leaderboard's columns for people (the frame holds every metric; the base rate goes in the
# intro: it is the same for every candidate).
SHOWN = (
    "precision@5_pct",
    "precision@10_pct",
    "precision@20_pct",
    "recall@10_pct",
    "roc_auc",
    "brier",
    "days_earlier",
    "parity_share",
)

# Inside the leaderboard's Div (Bokeh draws a Div in a shadow root: page styles do not reach it).
LEADERBOARD_CSS = (
    ".leaderboard{border-collapse:collapse;font-family:sans-serif}"
    ".leaderboard td,.leaderboard th{padding:3px 8px;font-size:12px;"
    "border-bottom:1px solid #e2e8f0;text-align:right}"
    ".leaderboard td:first-child,.leaderboard th:first-child{text-align:left}"
    ".leaderboard .baseline td{color:#718096}.leaderboard td.best{background:#f0fff4}"
    ".note{color:#4a5568;font-size:12px;font-family:sans-serif}"
)


def leaderboard_html(board: pd.DataFrame) -> str:
    """The leaderboard as a table a person reads: names, not ids; each metric column's best
    (highest, lowest for Brier) in bold with a star, baselines in grey italics."""
    metrics = [c for c in board.columns if c in SHOWN or c.startswith("precision@capacity")]
    best = {
        c: (board[c].min() if c in LOWER_IS_BETTER else board[c].max())
        for c in metrics
        if board[c].notna().any()
    }
    head = "".join(
        f"<th>{html.escape(_header(c))}</th>" for c in ["name", "windows", *metrics, "selected_by"]
    )
    rows = []
    for record in board.to_dict("records"):
        baseline = record["kind"] == "baseline"
        cells = [
            f"<td><i>{html.escape(record['name'])} (baseline)</i></td>"
            if baseline
            else f"<td>{html.escape(record['name'])}</td>",
            f"<td>{'' if pd.isna(record['windows']) else int(record['windows'])}</td>",
        ]
        for c in metrics:
            value = record[c]
            if pd.isna(value):
                cells.append("<td></td>")
            elif c in best and math.isclose(value, best[c], abs_tol=5e-4):
                cells.append(f"<td class='best'><b>★&nbsp;{value:.3f}</b></td>")
            else:
                cells.append(f"<td>{value:.3f}</td>")
        cells.append(f"<td>{html.escape(record.get('selected_by') or '')}</td>")
        style = " class='baseline'" if baseline else ""
        rows.append(f"<tr{style}>{''.join(cells)}</tr>")
    return (
        f"<table class='leaderboard'><tr>{head}</tr>{''.join(rows)}</table>"
        "<p class='note'>★ the best of its column (for Brier, the lowest); baselines in grey. "
        "Means over the test windows.</p>"
    )


def _precision_figure(frame: pd.DataFrame, metric: str):
    fig = figure(
        title=f"{metric} by test window: the solid lines (models) should stay above the dashed "
        "baselines in every window, not only on average",
        x_axis_type="datetime",
        frame_width=650,
        frame_height=320,
        y_axis_label=metric,
        tools="pan,wheel_zoom,reset,save",
    )
    data = frame[frame["metric"] == metric].copy()
    data["test_start"] = pd.to_datetime(data["test_start"])
    for i, (name, part) in enumerate(data.groupby("name", sort=True)):
        part = part.sort_values("test_start")
        baseline = part["kind"].iloc[0] == "baseline"
        source = ColumnDataSource(
            {"x": part["test_start"], "y": part["value"], "name": [name] * len(part)}
        )
        color = Category10_10[i % 10]
        fig.line(
            "x",
            "y",
            source=source,
            color=color,
            line_width=2,
            line_dash="dashed" if baseline else "solid",
            legend_label=name,
        )
        fig.scatter("x", "y", source=source, color=color, size=5)
    fig.add_tools(
        HoverTool(
            tooltips=[("", "@name"), ("window", "@x{%F}"), ("value", "@y{0.000}")],
            formatters={"@x": "datetime"},
        )
    )
    if fig.legend:
        legend = fig.legend[0]
        fig.center.remove(legend)
        legend.label_text_font_size = "8pt"
        legend.click_policy = "hide"
        fig.add_layout(legend, "right")
    return fig


def _days_figure(board: pd.DataFrame):
    data = board.dropna(subset=["days_earlier"]) if "days_earlier" in board else board.iloc[0:0]
    names = list(data["name"])
    fig = figure(
        y_range=FactorRange(*names[::-1]) if names else FactorRange("none"),
        title="Days earlier a failure is found: longer is better (grey: baselines)",
        frame_width=500,
        frame_height=26 * max(1, len(names)),
        tools="save",
    )
    if names:
        colors = ["#9aa5b1" if k == "baseline" else "#1f77b4" for k in data["kind"]]
        fig.hbar(y=names, right=list(data["days_earlier"]), height=0.7, color=colors)
    fig.add_layout(Span(location=0, dimension="height", line_color="black"))
    return fig


def _disparity_figure(conn: psycopg.Connection, experiment_hash: str, lower: float, upper: float):
    audit = pooled_audit(conn, experiment_hash)
    audit = audit[audit["metric"].isin(["fnr", "for"]) & audit["disparity"].notna()]
    if audit.empty:
        return Div(text="<p>No bias audit of the deployed group yet: no disparity chart.</p>")
    audit = audit.sort_values(["attribute_name", "group_size"], ascending=[True, False])
    audit["factor"] = [
        f"{a}: {v} (n={n:,})"
        for a, v, n in zip(
            audit["attribute_name"], audit["attribute_value"], audit["group_size"], strict=True
        )
    ]
    factors = list(dict.fromkeys(audit["factor"]))
    fig = figure(
        y_range=FactorRange(*factors[::-1]),
        x_range=(0.0, max(2.0, float(audit["disparity"].clip(upper=10).max()) * 1.05)),
        title="FNR and FOR disparity vs the reference group, deployed group, its test windows "
        "pooled: dots inside the green band are fair",
        width=900,
        height=120 + 18 * len(factors),
        x_axis_label="ratio to the reference group (each window's list is its own top k%)",
        tools="save",
    )
    fig.add_layout(BoxAnnotation(left=lower, right=upper, fill_alpha=0.15, fill_color="green"))
    for metric, color in (("fnr", "#d62728"), ("for", "#1f77b4")):
        part = audit[audit["metric"] == metric]
        src = ColumnDataSource({"y": list(part["factor"]), "x": part["disparity"].tolist()})
        fig.scatter(x="x", y="y", source=src, color=color, size=8, legend_label=metric.upper())
    fig.add_layout(Span(location=1.0, dimension="height", line_dash="dotted"))
    return fig


def write_html(
    conn: psycopg.Connection, path: str | Path, experiment_hash: str | None = None
) -> Path:
    """Write the modelling report to `path` (self-contained HTML); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    experiment_hash = experiment_hash or latest_experiment(conn)
    if experiment_hash is None:
        parts = [Div(text="<h1>Canvass models</h1><p>No experiment has been run yet.</p>")]
    else:
        config = _experiment_config(conn, experiment_hash)
        board = leaderboard(conn, experiment_hash)
        frame = window_metrics(conn, experiment_hash)
        sel = config.get("selection", {})
        metric = f"{sel.get('metric', 'precision@')}{sel.get('parameter', '10_pct')}"
        bias_cfg = config.get("bias", {})
        share = capacity_share(frame)
        capacity = config.get("daily_capacity")
        budget = (
            ""
            if share is None or capacity is None
            else f"The team's capacity ({capacity} a day) is {share:.0%} of the test windows' "
            "inspections"
            + (
                ": it reaches every one, so precision@capacity is only the base rate here; lower "
                "`daily_capacity` to your team's real budget. "
                if share >= 0.95
                else ". "
            )
        )
        rate = board["prevalence"].dropna() if "prevalence" in board else pd.Series(dtype=float)
        base_rate = (
            f"Base rate (the share of failed inspections in the windows): {rate.mean():.3f}; "
            "a precision near it means the list is no better than chance. Visiting in score order "
            "in Chicago's 2014 pilot found failures 7.44 days earlier."
            if len(rate)
            else ""
        )
        intro = (
            f"<h1>Canvass models — experiment {html.escape(config.get('name', ''))}</h1>"
            f"<p>Experiment <code>{experiment_hash}</code>; label <b>{html.escape(str(config.get('label')))}</b>; "
            f"selection metric <b>{html.escape(metric)}</b>. Metrics are means over the test windows; "
            "dashed lines are baselines. Ties in scores count at their expected value. "
            f"{budget}{base_rate}</p>"
        )
        parts = [
            Div(text=intro, width=900),
            Div(
                text=leaderboard_html(board),
                width=1100,
                stylesheets=[InlineStyleSheet(css=LEADERBOARD_CSS)],
            ),
            Div(
                text=audition_html(audition(conn, experiment_hash, frame), metric),
                width=1100,
                stylesheets=[InlineStyleSheet(css=LEADERBOARD_CSS)],
            ),
            _precision_figure(frame, metric),
            _days_figure(board),
            _disparity_figure(
                conn,
                experiment_hash,
                float(bias_cfg.get("threshold_lower", 0.8)),
                float(bias_cfg.get("threshold_upper", 1.25)),
            ),
        ]
        card = governance.card_of(conn)
        if card:
            parts.append(
                Div(
                    text="<h2>The champion's model card</h2><pre style='white-space:pre-wrap'>"
                    + html.escape(card)
                    + "</pre>",
                    width=900,
                )
            )
    # One Bokeh root per part: each is laid out on its own, so a wide axis never squeezes another.
    script, divs = components(parts)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Canvass: models</title>'
        + INLINE.render()
        + "<style>body{font-family:sans-serif;margin:1.5em}"
        "</style>"
        + script
        + "</head><body>"
        + "".join(f"<div>{d}</div>" for d in divs)
        + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path


def _value(value: object) -> object:
    """Floats rounded for people and JSON (NaN as None); other values as they are."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


# Leaderboard columns a summary row carries, under names without punctuation.
SUMMARY_COLUMNS = {
    "precision_at_5": "precision@5_pct",
    "precision_at_10": "precision@10_pct",
    "precision_at_20": "precision@20_pct",
    "recall_at_10": "recall@10_pct",
    "roc_auc": "roc_auc",
    "days_earlier": "days_earlier",
    "parity_share": "parity_share",
    "selected_by": "selected_by",
}


def leaderboard_rows(board: pd.DataFrame) -> list[dict[str, object]]:
    """The leaderboard as plain rows: kind, model_group_id (the name for baselines), algorithm,
    and the SUMMARY_COLUMNS metrics."""
    return [
        {
            "kind": rec["kind"],
            "model_group_id": rec["model_group_id"] or rec["name"],
            "algorithm": rec["name"],
            **{key: _value(rec.get(column)) for key, column in SUMMARY_COLUMNS.items()},
        }
        for rec in board.to_dict("records")
    ]


def training_summary(
    conn: psycopg.Connection,
    experiment_hash: str,
    deployed: Deployment,
    report_path: Path,
    *,
    windows: int,
    models_trained: int,
    models_reused: int,
) -> dict[str, object]:
    """What a training run did, for the CLI and the flow's return value (JSON-safe values)."""
    board = leaderboard(conn, experiment_hash)
    rows = leaderboard_rows(board)
    primary = deployed.primary
    deployed_row = next((r for r in rows if r["model_group_id"] == primary.model_group_id), {})
    return {
        "experiment_hash": experiment_hash,
        "windows": windows,
        "models_trained": models_trained,
        "models_reused": models_reused,
        "leaderboard": rows,
        "fairness_metric": board.attrs.get("fairness_metric"),
        "selected_model_group_id": primary.model_group_id,
        "deployed_model_id": deployed.champion_id or deployed.model_id,
        "proposed_model_id": deployed.model_id,
        "proposed_version": deployed.version,
        "promoted": deployed.promoted,
        "selection_reason": f"{primary.rule}: {primary.reason}",
        "days_earlier": deployed_row.get("days_earlier"),
        "report": str(report_path),
    }
