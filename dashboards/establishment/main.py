"""The establishment page: who it is, where it ranks now, its score over past runs, the features
behind the score with the model's weights and their direction, and every inspection.

Opened from the ranking page (`/establishment?id=ESTABLISHMENT_ID`, or `?license=LICENSE`).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from bokeh.document import Document
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, DataTable, DateFormatter, Div, HoverTool, TableColumn
from bokeh.plotting import figure

from dashboards.establishment.data import EstablishmentView, direction, read
from dashboards.pages import dress
from dashboards.ranking.data import display_text, format_feature
from dashboards.ranking.main import weight_text

NOTE = "color:#4a5568;font-size:14px;max-width:900px"
BOX = "padding:10px 14px;background:#ffffff;border:1px solid #d9dde3;max-width:900px"


def requested(doc: Document) -> tuple[str | None, int | None]:
    """The establishment id and license the page was opened with (`?id=`, `?license=`)."""
    context = doc.session_context
    request = getattr(context, "request", None) if context else None
    arguments: dict[str, list[bytes]] = getattr(request, "arguments", None) or {}

    def first(name: str) -> str | None:
        values = arguments.get(name) or []
        text = values[0].decode("utf-8", "replace").strip() if values else ""
        return text or None

    license_text = first("license")
    return first("id"), int(license_text) if license_text and license_text.isdigit() else None


def identity_html(who: dict[str, Any]) -> str:
    license_number = who["license_number"]
    head = (
        f"<h1 style='margin:0 0 4px'>{html.escape(display_text(who['establishment_name']))}</h1>"
        f"<div>{html.escape(display_text(who['address']))} {html.escape(display_text(who['zip']))} · "
        f"{html.escape(display_text(who['facility_type']))} ({html.escape(display_text(who['facility_group']))})"
        f" · risk {html.escape(display_text(who['risk_level']))} · license "
        f"{'—' if pd.isna(license_number) else int(license_number)}</div>"
    )
    if pd.isna(who["score_rank"]):
        now = "Not in the current ranking (not due for a routine inspection, or not scored)."
    else:
        now = (
            f"Ranked <b>#{int(who['score_rank'])}</b> as of {who['as_of_date']:%Y-%m-%d}: "
            f"score <b>{float(who['score']):.3f}</b>"
            + (
                f", an estimated <b>{float(who['probability']):.0%}</b> chance of failing"
                if not pd.isna(who["probability"])
                else ""
            )
            + f" (model <code>{html.escape(str(who['model_id']))}</code>)."
        )
    return head + f"<div style='margin-top:6px'>{now}</div>"


def features_html(features: pd.DataFrame) -> str:
    if features.empty:
        return (
            f"<p style='{NOTE}'>No features recorded for it in the current run: the run did not "
            "score it.</p>"
        )
    as_of = features.iloc[0]["features_as_of_date"]
    rows = "".join(
        f"<tr><td>{html.escape(str(r.feature_label))}</td>"
        f"<td style='text-align:right'><b>{html.escape(format_feature(r.feature_unit, r.feature_value))}</b></td>"
        f"<td style='text-align:right'>{weight_text(None if pd.isna(r.model_weight) else float(r.model_weight))}</td>"
        f"<td>{direction(r.score_correlation)}</td></tr>"
        for r in features.itertuples()
    )
    return (
        f"<p style='{NOTE}'>What the model saw as of {as_of:%Y-%m-%d}, most weighed first. Weight: "
        "the model's share of its attention on the feature, the same for every establishment. "
        "Direction: how the feature moves with the score across every establishment this run "
        "scored (the sign of their correlation); it says which way, not why.</p>"
        "<table class='canvass-features' style='border-spacing:14px 3px;margin-left:-14px'>"
        "<tr style='color:#6b7785;text-align:left'><th>feature</th><th style='text-align:right'>"
        "value</th><th style='text-align:right'>weight</th><th>direction</th></tr>"
        f"{rows}</table>"
    )


def score_chart(history: pd.DataFrame) -> Any:
    frame = history.copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    frame["score"] = frame["score"].astype(float)
    frame["rank_text"] = [
        f"#{int(r)} of {int(n):,}"
        for r, n in zip(frame["score_rank"], frame["scored_establishments"], strict=True)
    ]
    source = ColumnDataSource(frame[["as_of_date", "score", "model_id", "rank_text"]])
    chart = figure(
        title="Score in every scoring run that ranked it",
        name="score_history",
        x_axis_type="datetime",
        y_range=(0, 1),
        height=260,
        width=900,
        x_axis_label="as of",
        y_axis_label="score",
        tools="pan,wheel_zoom,reset",
    )
    chart.line("as_of_date", "score", source=source, line_width=2, color="#1f3a5f")
    dots = chart.scatter("as_of_date", "score", source=source, size=8, color="#c05621")
    chart.add_tools(
        HoverTool(
            renderers=[dots],
            tooltips=[
                ("as of", "@as_of_date{%F}"),
                ("score", "@score{0.000}"),
                ("rank", "@rank_text"),
                ("model", "@model_id"),
            ],
            formatters={"@as_of_date": "datetime"},
        )
    )
    return chart


def inspections_table(inspections: pd.DataFrame) -> DataTable:
    frame = inspections.copy()
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["result"] = [display_text(v).replace("_", " ") for v in frame["result"]]
    frame["inspection_type"] = [display_text(v).replace("_", " ") for v in frame["inspection_type"]]
    counts = ["violation_count", "critical_violation_count", "serious_violation_count"]
    for name in counts:
        frame[name] = [display_text(v if pd.isna(v) else int(v)) for v in frame[name]]
    return DataTable(
        source=ColumnDataSource(frame),
        name="inspections",
        columns=[
            TableColumn(
                field="inspection_date",
                title="date",
                formatter=DateFormatter(format="%Y-%m-%d"),
                width=100,
            ),
            TableColumn(field="inspection_type", title="type", width=170),
            TableColumn(field="result", title="result", width=160),
            TableColumn(field="violation_count", title="violations", width=80),
            TableColumn(field="critical_violation_count", title="critical", width=70),
            TableColumn(field="serious_violation_count", title="serious", width=70),
        ],
        index_position=None,
        width=900,
        height=min(60 + 28 * len(frame), 420),
    )


def build_document(
    doc: Document, view: EstablishmentView | None = None, asked: str = ""
) -> dict[str, Any]:
    """Lay out the page in `doc` (reading the establishment the URL names unless `view` is
    given); return its parts by name (for tests)."""
    if view is None:
        establishment_id, license_number = requested(doc)
        asked = establishment_id or (str(license_number) if license_number else "")
        view = (
            read(establishment_id, license_number)
            if asked
            else EstablishmentView(problem="No establishment given.")
        )
    dress(doc, "/establishment", "Canvass · establishment")
    parts: dict[str, Any] = {}
    back = "Open one from the <a href='/ranking'>ranking</a> (select a row, then its page link)."
    if view.problem or view.establishment.empty:
        why = view.problem or f"No establishment {html.escape(asked)} in the warehouse."
        parts["header"] = Div(text=f"<div style='{BOX}'><b>{html.escape(why)}</b> {back}</div>")
        doc.add_root(column(*parts.values()))
        return parts
    who = view.establishment.iloc[0].to_dict()
    doc.title = f"Canvass · {display_text(who['establishment_name'])}"
    parts["header"] = Div(text=f"<div style='{BOX}'>{identity_html(who)}</div>", name="header")
    parts["history_title"] = Div(
        text="<h2>Score over past runs</h2>"
        f"<p style='{NOTE}'>Each dot is a scoring run that ranked it; a rising line means the "
        "model expects a failure more than it did. Hover for the rank and the model.</p>"
    )
    parts["score_history"] = (
        score_chart(view.score_history)
        if not view.score_history.empty
        else Div(text=f"<p style='{NOTE}'>No scoring run has ranked it yet.</p>")
    )
    parts["features"] = Div(
        text="<h2>Why it ranks where it does</h2>" + features_html(view.features),
        name="features",
    )
    parts["inspections_title"] = Div(
        text=f"<h2>Inspections ({len(view.inspections):,})</h2>"
        + (
            ""
            if len(view.inspections)
            else f"<p style='{NOTE}'>The City has no inspection of it on record.</p>"
        )
    )
    if len(view.inspections):
        parts["inspections"] = inspections_table(view.inspections)
    doc.add_root(column(*parts.values(), name="establishment_layout"))
    return parts


# Bokeh runs this file as a module named `bokeh_app_<id>`; importing it elsewhere builds nothing.
if __name__.startswith("bokeh_app_"):
    from bokeh.io import curdoc

    build_document(curdoc())
