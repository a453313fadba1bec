"""The monitoring dashboard's layout: the SLA board and its history, drift of the newest run and
feature by run, the score distribution over time, the data-quality trend, and realised against
expected precision over time. Every panel says what "good" looks like."""

from __future__ import annotations

import pandas as pd
from bokeh.document import Document
from bokeh.layouts import column
from bokeh.models import (
    ColumnDataSource,
    DataTable,
    Div,
    HoverTool,
    NumberFormatter,
    Span,
    TableColumn,
)
from bokeh.plotting import figure

from dashboards.monitoring.data import CUT, MonitoringView, read
from dashboards.pages import dress

NOTE = "color:#4a5568;font-size:14px;max-width:900px"


NUMBERS = ("measured_value", "threshold_value", "statistic_value", "warn_at", "alert_at")
# One colour per status wherever a status is drawn.
STATUS_COLOURS = {
    "ok": "#9ae6b4",
    "warn": "#f6e05e",
    "alert": "#f56565",
    "breach": "#f56565",
    "unknown": "#e2e8f0",
}
SEVERITY = {3: "alert", 2: "warn", 1: "ok", 0: "unknown"}


def _table(frame: pd.DataFrame, columns: list[tuple[str, str]], height: int) -> DataTable:
    """A table of `frame`'s columns (numbers to three places, nulls blank)."""
    data = (
        {name: frame[name].astype(object).where(frame[name].notna(), None) for name, _ in columns}
        if len(frame)
        else {name: [] for name, _ in columns}
    )
    return DataTable(
        source=ColumnDataSource(data),
        columns=[
            TableColumn(field=name, title=title, formatter=NumberFormatter(format="0.000"))
            if name in NUMBERS
            else TableColumn(field=name, title=title)
            for name, title in columns
        ],
        width=1100,
        height=height,
        index_position=None,
    )


def _day(values: pd.Series) -> list[str]:
    return [str(pd.Timestamp(v).date()) for v in values]


def status_grid(
    frame: pd.DataFrame, x: str, y: str, status: str, title: str, height: int = 320
) -> figure:
    """A heat map of `status` (ok/warn/alert/breach/unknown), one cell per (x day, y name)."""
    days = sorted(set(_day(frame[x]))) if len(frame) else []
    names = sorted(set(frame[y]), reverse=True) if len(frame) else []
    chart = figure(
        title=title,
        x_range=days or ["no run yet"],
        y_range=names or ["nothing monitored"],
        width=1100,
        height=max(height, 22 * len(names) + 80),
        toolbar_location=None,
        tools="",
    )
    if len(frame):
        cells = ColumnDataSource(
            {
                "day": _day(frame[x]),
                "name": list(frame[y]),
                "status": list(frame[status]),
                "colour": [STATUS_COLOURS.get(v, "#e2e8f0") for v in frame[status]],
            }
        )
        chart.rect(
            "day",
            "name",
            width=0.95,
            height=0.9,
            source=cells,
            fill_color="colour",
            line_color=None,
        )
        chart.add_tools(
            HoverTool(tooltips=[("", "@name"), ("as of", "@day"), ("status", "@status")])
        )
    chart.xaxis.major_label_orientation = 0.9
    chart.grid.visible = False
    return chart


def score_chart(scores: pd.DataFrame) -> figure:
    """The score band of every run (10th-90th and 25th-75th percentiles, the median) and the mean
    calibrated probability."""
    chart = figure(
        title="Scores of every run: 10th–90th percentile (light), quartiles (dark), median; "
        "mean calibrated probability (green)",
        x_axis_type="datetime",
        width=1100,
        height=300,
        y_range=(0, 1),
        toolbar_location=None,
    )
    if len(scores):
        frame = scores.copy()
        frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
        numbers = [c for c in frame.columns if c.startswith("score_") or c == "mean_probability"]
        source = ColumnDataSource(frame.astype({c: float for c in numbers}))
        chart.varea("as_of_date", "score_p10", "score_p90", source=source, color="#bee3f8")
        chart.varea("as_of_date", "score_p25", "score_p75", source=source, color="#63b3ed")
        chart.line(
            "as_of_date",
            "score_median",
            source=source,
            color="#1f3a5f",
            line_width=2,
            legend_label="median score",
        )
        chart.scatter("as_of_date", "score_median", source=source, color="#1f3a5f", size=6)
        chart.line(
            "as_of_date",
            "mean_probability",
            source=source,
            color="#2f855a",
            line_dash="dashed",
            legend_label="mean calibrated probability",
        )
        chart.legend.location = "top_left"
    return chart


def quality_chart(history: pd.DataFrame) -> figure:
    """The data-quality SLAs with a non-zero threshold as a share of it, per monitor run."""
    chart = figure(
        title="Data quality: each measure as a share of its threshold (the dashed line)",
        x_axis_type="datetime",
        width=1100,
        height=280,
        toolbar_location=None,
    )
    quality = (
        history[(history["sla_kind"] == "quality") & (history["threshold_value"].astype(float) > 0)]
        if len(history)
        else history
    )
    palette = ["#1f3a5f", "#c05621", "#6b46c1", "#2f855a"]
    for i, (name, rows) in enumerate(quality.groupby("sla_name") if len(quality) else []):
        rows = rows.dropna(subset=["measured_value"])
        share = rows["measured_value"].astype(float) / rows["threshold_value"].astype(float)
        source = ColumnDataSource({"at": pd.to_datetime(rows["measured_as_of"]), "share": share})
        colour = palette[i % len(palette)]
        chart.line("at", "share", source=source, color=colour, legend_label=name)
        chart.scatter("at", "share", source=source, color=colour, size=6)
    chart.add_layout(Span(location=1, dimension="width", line_dash="dashed", line_color="#c53030"))
    if chart.legend:
        chart.legend.location = "top_left"
    return chart


def dbt_chart(runs: pd.DataFrame) -> figure:
    """Per whole-warehouse dbt build its warned and failed tests; per freshness check its late
    and stale sources."""
    chart = figure(
        title="dbt: tests warned and failed per build, sources late and stale per freshness check",
        x_axis_type="datetime",
        width=1100,
        height=260,
        toolbar_location=None,
    )
    if not len(runs):
        return chart
    frame = runs.copy()
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    builds = frame[~frame["is_freshness_check"].astype(bool)]
    checks = frame[frame["is_freshness_check"].astype(bool)]
    for rows, column_name, colour, label in (
        (builds, "tests_warned", "#d69e2e", "tests warned (build)"),
        (builds, "failed", "#c53030", "tests failed or models errored (build)"),
        (checks, "sources_late", "#6b46c1", "sources late (freshness)"),
        (checks, "sources_stale", "#1a202c", "sources stale (freshness)"),
    ):
        if len(rows):
            source = ColumnDataSource(
                {"at": rows["started_at"], "n": rows[column_name].astype(int)}
            )
            chart.line("at", "n", source=source, color=colour, legend_label=label)
            chart.scatter("at", "n", source=source, color=colour, size=6)
    chart.legend.location = "top_left"
    return chart


def freshness_note(runs: pd.DataFrame) -> str:
    checks = runs[runs["is_freshness_check"].astype(bool)] if len(runs) else runs
    if not len(checks):
        return "No <code>dbt source freshness</code> check recorded yet."
    newest = checks.iloc[-1]
    return (
        f"The newest <code>dbt source freshness</code>: {int(newest['sources_fresh'])} fresh, "
        f"{int(newest['sources_late'])} late, {int(newest['sources_stale'])} stale."
    )


def build_document(doc: Document, view: MonitoringView | None = None) -> None:
    view = view or read()
    dress(doc, "/monitoring", "Canvass · monitoring")
    parts = [
        Div(text="<h1>Canvass — is the product healthy?</h1>"),
    ]
    if view.problem:
        parts.append(Div(text=f"<p style='{NOTE}'>{view.problem}</p>"))
        doc.add_root(column(*parts))
        return
    breaches = int((view.slas["sla_status"] == "breach").sum()) if len(view.slas) else 0
    parts += [
        Div(
            text="<h2>Service levels</h2>"
            f"<p style='{NOTE}'>Good: every SLA of slas.yml is <b>ok</b>. "
            + (
                f"<b>{breaches} breached</b> in the newest monitor run."
                if breaches
                else (
                    "None breached in the newest monitor run."
                    if len(view.slas)
                    else "No monitor run yet: run <code>canvass monitor</code>."
                )
            )
            + "</p>"
        ),
        _table(
            view.slas,
            [
                ("sla_name", "SLA"),
                ("sla_status", "status"),
                ("measured_value", "value"),
                ("threshold_value", "threshold"),
                ("unit", "unit"),
                ("detail", "measured on"),
            ],
            300,
        ),
    ]

    def count(comparison: str) -> int:
        if not len(view.drift):
            return 0
        rows = view.drift[view.drift["comparison"] == comparison]
        return int((rows["drift_status"] == "alert").sum())

    parts += [
        Div(
            text="<h2>Drift of the deployed model's inputs</h2>"
            f"<p style='{NOTE}'>Good: against the previous run every statistic is <b>ok</b> "
            "(PSI below 0.1, KS and Jensen–Shannon below 0.1; the area rates by Wasserstein "
            "distance below 0.1 sd). Against the training rows, features of time since an event "
            "differ by construction, so they are shifts to read, not alerts. "
            + (
                f"{count('previous_run')} alert(s) against the previous run and "
                f"{count('training')} shift(s) against the training rows in the newest run."
                if len(view.drift)
                else "Nothing monitored yet."
            )
            + "</p>"
        ),
        _table(
            view.drift,
            [
                ("comparison", "against"),
                ("feature", "feature"),
                ("statistic", "statistic"),
                ("statistic_value", "value"),
                ("warn_at", "warn at"),
                ("alert_at", "alert at"),
                ("drift_status", "status"),
            ],
            300,
        ),
    ]
    drift_history = view.drift_history.copy()
    if len(drift_history):
        drift_history["drift_status"] = drift_history["severity"].map(SEVERITY)
    parts += [
        Div(
            text="<h2>Drift feature by run</h2>"
            f"<p style='{NOTE}'>Good: green columns. Each cell is a feature's worst statistic "
            "against the run before; a column of yellow or red is a population that moved, one "
            "red row a feature that broke.</p>"
        ),
        status_grid(
            drift_history, "as_of_date", "feature", "drift_status", "Drift against the previous run"
        ),
        Div(
            text="<h2>Score distribution over time</h2>"
            f"<p style='{NOTE}'>Good: a steady band between retrains. A band that moves while the "
            "model stays is the population moving; after a retrain the scale may change, which "
            "the calibrated probability (green) puts back on one scale.</p>"
        ),
        score_chart(view.scores),
        Div(
            text="<h2>Service levels and data quality over time</h2>"
            f"<p style='{NOTE}'>Good: every cell green and every line below the dashed line "
            "(rejected rows, last week's count in standard deviations of the weeks before).</p>"
        ),
        status_grid(
            view.sla_history,
            "measured_as_of",
            "sla_name",
            "sla_status",
            "SLA status by monitor run",
        ),
        quality_chart(view.sla_history),
        Div(
            text="<h2>dbt tests and source freshness</h2>"
            f"<p style='{NOTE}'>Good: no failed test, no stale source, warnings that stay few. "
            f"{freshness_note(view.dbt_runs)}</p>"
        ),
        dbt_chart(view.dbt_runs),
    ]
    chart = figure(
        title=f"precision@{CUT.replace('_pct', '%')}: realised (inspected so far), promised and "
        "expected",
        x_axis_type="datetime",
        width=1100,
        height=320,
        y_range=(0, 1),
        toolbar_location=None,
    )
    perf = view.performance.copy()
    if len(perf):
        perf["as_of_date"] = pd.to_datetime(perf["as_of_date"])
        source = ColumnDataSource(
            perf.astype(
                {
                    "realised_precision": float,
                    "promised_precision": float,
                    "expected_precision_inspected": float,
                }
            )
        )
        chart.line(
            "as_of_date",
            "promised_precision",
            source=source,
            color="#1f3a5f",
            line_dash="dashed",
            legend_label="promised (cross-validation)",
        )
        chart.line(
            "as_of_date",
            "expected_precision_inspected",
            source=source,
            color="#2f855a",
            line_width=2,
            legend_label="expected (calibrated probabilities of the inspected)",
        )
        chart.scatter(
            "as_of_date",
            "realised_precision",
            source=source,
            color="#c53030",
            size=8,
            legend_label="realised",
        )
        chart.legend.location = "top_left"
    parts += [
        Div(
            text="<h2>Does the ranking find failing establishments?</h2>"
            f"<p style='{NOTE}'>Good: the red points (failed among the ranked that have been "
            "inspected since) sit on or above the dashed line (what cross-validation promised) "
            "and near the green line (what the model's calibrated probabilities expected of the "
            "same establishments, known before any label; a gap beyond the monitoring block's "
            "estimate_gap alert asks for a retrain). Points of recent runs rest on few "
            "inspections.</p>"
        ),
        chart,
    ]
    doc.add_root(column(*parts))


# Bokeh runs this file as a module named `bokeh_app_<id>`; importing it elsewhere builds nothing.
if __name__.startswith("bokeh_app_"):
    from bokeh.io import curdoc

    build_document(curdoc())
