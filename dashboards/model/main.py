"""The model dashboard's layout: the leaderboard of the experiment whose model scores now,
precision@10% on every cross-validation window, and the fairness disparities of every scoring run
against the selection-time audit. Every panel says what "good" looks like."""

from __future__ import annotations

import pandas as pd
from bokeh.document import Document
from bokeh.layouts import column
from bokeh.models import (
    BoxAnnotation,
    ColumnDataSource,
    DataTable,
    Div,
    HoverTool,
    Legend,
    NumberFormatter,
    TableColumn,
)
from bokeh.plotting import figure

from dashboards.model.data import CUT, FAIR_BAND, FAIRNESS_METRIC, ModelView, read
from dashboards.pages import dress

NOTE = "color:#4a5568;font-size:14px;max-width:900px"
PERCENT = CUT.replace("_pct", "%")
BASELINE_DASHES = ("dashed", "dotted", "dashdot", "dotdash")
PALETTE = ["#1f3a5f", "#c05621", "#6b46c1", "#2f855a", "#b83280", "#2c7a7b", "#975a16"]
LEADERBOARD = [
    ("candidate", "model group or baseline"),
    ("windows", "windows"),
    ("mean_precision", f"precision@{PERCENT} (mean)"),
    ("worst_precision", "worst window"),
    ("mean_recall", f"recall@{PERCENT}"),
    ("mean_days_earlier", "days earlier"),
    ("mean_roc_auc", "ROC AUC"),
]


def leaderboard_table(board: pd.DataFrame) -> DataTable:
    frame = board.copy()
    if len(frame):
        frame["candidate"] = [
            ("★ " if deployed else "") + name
            for name, deployed in zip(
                frame["candidate_name"], frame["is_deployed_group"], strict=True
            )
        ]
    data = {
        name: (
            list(frame[name].astype(object).where(frame[name].notna(), None)) if len(frame) else []
        )
        for name, _ in LEADERBOARD
    }
    return DataTable(
        source=ColumnDataSource(data),
        columns=[
            TableColumn(field=name, title=title, width=460 if name == "candidate" else 70)
            if name in {"candidate", "windows"}
            else TableColumn(
                field=name, title=title, formatter=NumberFormatter(format="0.000"), width=110
            )
            for name, title in LEADERBOARD
        ],
        width=1100,
        height=min(60 + 28 * max(len(frame), 1), 360),
        index_position=None,
    )


def leaderboard_note(board: pd.DataFrame) -> str:
    """Good, and whether it holds: the deployed group above the best baseline."""
    good = (
        f"Good: the deployed model group (★) finds more failures in its top {PERCENT} than "
        "every baseline, window after window, not only on average."
    )
    if not len(board):
        return good + " No experiment has been trained yet: run <code>canvass train</code>."
    deployed = board[board["is_deployed_group"].astype(bool)]
    baselines = board[board["candidate_kind"] == "baseline"]
    if not len(deployed) or not len(baselines):
        return good
    mine = float(deployed["mean_precision"].iloc[0])
    best = baselines.sort_values("mean_precision", ascending=False).iloc[0]
    verdict = "above" if mine > float(best["mean_precision"]) else "<b>not above</b>"
    return (
        f"{good} Now: {mine:.3f} on average, {verdict} the best baseline "
        f"({best['candidate_name'].removeprefix('baseline: ')}, "
        f"{float(best['mean_precision']):.3f})."
    )


def window_chart(windows: pd.DataFrame) -> figure:
    """precision at the cut per test window: one line per candidate, baselines dashed."""
    chart = figure(
        title=f"precision@{PERCENT} on each out-of-time test window",
        x_axis_type="datetime",
        width=1100,
        height=460,
        y_range=(0, 1),
        toolbar_location=None,
    )
    # the legend under the plot, so no line hides behind it (names are long: two columns)
    chart.add_layout(Legend(ncols=2, label_text_font_size="10px", click_policy="hide"), "below")
    if not len(windows):
        return chart
    frame = windows.copy()
    frame["test_start_date"] = pd.to_datetime(frame["test_start_date"])
    frame["window_precision"] = frame["window_precision"].astype(float)
    models = sorted(frame.loc[frame["candidate_kind"] == "model", "candidate_name"].unique())
    baselines = sorted(frame.loc[frame["candidate_kind"] == "baseline", "candidate_name"].unique())
    for name, rows in frame.groupby("candidate_name"):
        source = ColumnDataSource(rows)
        if rows["candidate_kind"].iloc[0] == "baseline":
            dash = BASELINE_DASHES[baselines.index(name) % len(BASELINE_DASHES)]
            style = {"color": "#718096", "line_dash": dash, "line_width": 1.5}
        else:
            deployed = bool(rows["is_deployed_group"].iloc[0])
            style = {
                "color": PALETTE[models.index(name) % len(PALETTE)],
                "line_width": 3 if deployed else 1.5,
            }
        label = ("★ " if bool(rows["is_deployed_group"].iloc[0]) else "") + name
        chart.line(
            "test_start_date", "window_precision", source=source, legend_label=label, **style
        )
        chart.scatter(
            "test_start_date", "window_precision", source=source, size=5, color=style["color"]
        )
    chart.add_tools(
        HoverTool(
            tooltips=[
                ("", "@candidate_name"),
                ("window", "@test_start_date{%F}"),
                ("precision", "@window_precision{0.000}"),
            ],
            formatters={"@test_start_date": "datetime"},
        )
    )
    return chart


def fairness_chart(fairness: pd.DataFrame) -> figure:
    """Realised disparity per group and run (solid) beside the selection-time audit (hollow)."""
    chart = figure(
        title=f"{FAIRNESS_METRIC.upper()} disparity to the reference group: realised on each "
        "run's inspected establishments (filled), at selection (hollow); fair band shaded",
        x_axis_type="datetime",
        width=1100,
        height=320,
        toolbar_location=None,
    )
    chart.add_layout(
        BoxAnnotation(bottom=FAIR_BAND[0], top=FAIR_BAND[1], fill_color="#c6f6d5", fill_alpha=0.5)
    )
    if not len(fairness):
        return chart
    frame = fairness.copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    frame["group"] = frame["attribute_name"] + " = " + frame["attribute_value"].astype(str)
    for column_name in ("disparity", "disparity_at_selection"):
        frame[column_name] = pd.to_numeric(frame[column_name], errors="coerce")
    for i, (group, rows) in enumerate(frame.groupby("group")):
        colour = PALETTE[i % len(PALETTE)]
        source = ColumnDataSource(rows)
        chart.line("as_of_date", "disparity", source=source, color=colour, legend_label=group)
        chart.scatter("as_of_date", "disparity", source=source, color=colour, size=7)
        chart.scatter(
            "as_of_date",
            "disparity_at_selection",
            source=source,
            color=colour,
            fill_color=None,
            size=9,
        )
    chart.add_tools(
        HoverTool(
            tooltips=[
                ("", "@group"),
                ("as of", "@as_of_date{%F}"),
                ("realised", "@disparity{0.00}"),
                ("at selection", "@disparity_at_selection{0.00}"),
                ("inspected in group", "@group_size"),
            ],
            formatters={"@as_of_date": "datetime"},
        )
    )
    chart.legend.location = "top_left"
    chart.legend.label_text_font_size = "10px"
    return chart


def fairness_note(fairness: pd.DataFrame) -> str:
    good = (
        f"Good: every group's {FAIRNESS_METRIC.upper()} disparity inside the shaded band "
        f"[{FAIR_BAND[0]}, {FAIR_BAND[1]}] on every run, near where the selection-time audit put "
        "it. Groups with few inspected establishments are pooled, so a run with little follow-up "
        "compares few groups."
    )
    if not len(fairness):
        return good + " No scoring run has inspections since it yet."
    known = fairness.dropna(subset=["disparity"])
    groups = known.groupby(["attribute_name", "attribute_value"]).ngroups
    unfair = int((known["is_fair"] == False).sum())  # noqa: E712 (a nullable column)
    return (
        f"{good} Now: {len(known)} measured disparities of {groups} group(s), "
        f"{unfair} outside the band."
    )


def build_document(doc: Document, view: ModelView | None = None) -> None:
    view = view or read()
    dress(doc, "/model", "Canvass · model")
    parts = [
        Div(text="<h1>Canvass — which model ranks, and is it fair?</h1>"),
    ]
    if view.problem:
        parts.append(Div(text=f"<p style='{NOTE}'>{view.problem}</p>"))
        doc.add_root(column(*parts))
        return
    parts += [
        Div(
            text="<h2>Leaderboard</h2>"
            f"<p style='{NOTE}'>{leaderboard_note(view.leaderboard)} Means over the "
            "cross-validation windows of the experiment whose model scores now.</p>"
        ),
        leaderboard_table(view.leaderboard),
        Div(
            text="<h2>precision by window</h2>"
            f"<p style='{NOTE}'>Good: the thick line (the deployed group) above the dashed "
            "baselines on every window; a group that wins on average but dips on recent windows "
            "is the one the lowest-variance and most-recent rules would not pick.</p>"
        ),
        window_chart(view.windows),
        Div(
            text=f"<h2>Fairness over time</h2><p style='{NOTE}'>{fairness_note(view.fairness)}</p>"
        ),
        fairness_chart(view.fairness),
    ]
    doc.add_root(column(*parts))


# Bokeh runs this file as a module named `bokeh_app_<id>`; importing it elsewhere builds nothing.
if __name__.startswith("bokeh_app_"):
    from bokeh.io import curdoc

    build_document(curdoc())
