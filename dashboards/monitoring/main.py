"""The monitoring dashboard's layout: the SLA board, drift of the newest run, and realised
against expected precision over time. Every panel says what "good" looks like."""

from __future__ import annotations

import pandas as pd
from bokeh.document import Document
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, DataTable, Div, NumberFormatter, TableColumn
from bokeh.plotting import figure

from dashboards.monitoring.data import CUT, MonitoringView, read

NOTE = "color:#4a5568;font-size:14px;max-width:900px"


NUMBERS = ("measured_value", "threshold_value", "statistic_value", "warn_at", "alert_at")


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


def build_document(doc: Document, view: MonitoringView | None = None) -> None:
    view = view or read()
    doc.title = "Canvass — monitoring"
    parts = [Div(text="<h1>Canvass — is the product healthy?</h1>")]
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
    alerts = int((view.drift["drift_status"] == "alert").sum()) if len(view.drift) else 0
    parts += [
        Div(
            text="<h2>Drift of the deployed model's inputs</h2>"
            f"<p style='{NOTE}'>Good: against the previous run every statistic is <b>ok</b> "
            "(PSI below 0.1, KS and Jensen–Shannon below 0.1). Against the training rows, features "
            "of time since an event differ by construction. "
            + (
                f"{alerts} alert(s) in the newest run."
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
