"""The ranking dashboard's layout and callbacks.

Bokeh runs this file once per browser session; `build_document(doc)` does the work, so tests can
build the same document in-process. Every widget feeds one ColumnDataSource through `update()`;
the table and the map share that source, so selecting a row in one selects it in the other.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC
from typing import Any

import pandas as pd
from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColorBar,
    ColumnDataSource,
    CustomJS,
    DataTable,
    DateFormatter,
    Div,
    HoverTool,
    NumberFormatter,
    Select,
    Spinner,
    TableColumn,
    TextInput,
)
from bokeh.palettes import YlOrRd9
from bokeh.plotting import figure
from bokeh.transform import linear_cmap

from dashboards.pages import dress, establishment_link
from dashboards.ranking.data import (
    ALL,
    Filters,
    RankingStore,
    ScoringRun,
    Snapshot,
    choices,
    display_text,
    filter_ranking,
    plan_route,
    zip_areas,
)

log = logging.getLogger(__name__)

DEFAULT_TOP_N = 100
DEFAULT_STOPS = 10  # a day's routine inspections for one inspector
RISK_OPTIONS = [(ALL, ALL), ("1", "1 (high)"), ("2", "2 (medium)"), ("3", "3 (low)")]
EMPTY_STYLE = (
    "padding:16px 20px;background:#ffffff;border:1px solid #d9dde3;border-left:4px solid #1f3a5f;"
    "font-size:15px;max-width:760px"
)
SCORE_PALETTE = tuple(reversed(YlOrRd9))  # light yellow for low scores, dark red for high
SOURCE_COLUMNS = [
    "rank",
    "score",
    "establishment_id",
    "license",
    "name",
    "address",
    "zip",
    "facility_group",
    "risk",
    "latitude",
    "longitude",
    "last_visit_date",
    "last_result",
]


def source_data(view: pd.DataFrame) -> dict[str, list[Any]]:
    """The ranking rows as ColumnDataSource columns: text for display, NaN for missing numbers."""

    def text(series: pd.Series) -> list[str]:
        return [display_text(v) for v in series]

    def number(series: pd.Series) -> list[float]:
        return [float("nan") if pd.isna(v) else float(v) for v in series]

    def integer_text(series: pd.Series) -> list[str]:
        return ["—" if pd.isna(v) else str(int(v)) for v in series]

    dates = pd.to_datetime(view["last_visit_date"])
    return {
        "rank": [int(v) for v in view["rank"]],
        "score": number(view["score"]),
        "establishment_id": [str(v) for v in view["establishment_id"]],
        "license": integer_text(view["license_number"]),
        "name": text(view["name"]),
        "address": text(view["address"]),
        "zip": text(view["zip"]),
        "facility_group": text(view["facility_group"]),
        "risk": integer_text(view["risk_level"]),
        "latitude": number(view["latitude"]),
        "longitude": number(view["longitude"]),
        # milliseconds since the epoch, as Bokeh's DateFormatter reads them; NaN when never inspected
        "last_visit_date": [float("nan") if pd.isna(d) else d.timestamp() * 1000.0 for d in dates],
        "last_result": [v.replace("_", " ") for v in text(view["last_result"])],
    }


def header_html(snapshot: Snapshot) -> str:
    if snapshot.problem:
        problem = html.escape(snapshot.problem)
        for command in re.findall(r"`([^`]+)`", problem):  # commands as code
            problem = problem.replace(f"`{command}`", f"<code>{command}</code>")
        return f"<div style='{EMPTY_STYLE}'><b>Nothing can be shown.</b> {problem}</div>"
    run = snapshot.run
    if run is None:
        return (
            f"<div style='{EMPTY_STYLE}'><b>Nothing is scored yet.</b> Run the pipeline "
            "(<code>canvass demo</code>, or the score flow after training) and reload this page."
            "</div>"
        )
    scored_at = (
        f" · scored {run.scored_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if run.scored_at else ""
    )
    return (
        f"<div class='canvass-run'>{model_html(run)} · "
        f"scores as of <b>{run.as_of_date:%Y-%m-%d}</b> · "
        f"{run.scored_establishments:,} establishments due for a routine inspection{scored_at}</div>"
    )


def model_html(run: ScoringRun) -> str:
    """The model as people name it: its version, algorithm and alias, the id (a content hash)
    shortened, whole in the tooltip."""
    short = run.model_id if len(run.model_id) <= 12 else f"{run.model_id[:8]}…"
    ident = f"<code title='{html.escape(run.model_id)}'>{html.escape(short)}</code>"
    if run.model_version is None:
        return f"Model {ident}"
    alias = f" ({html.escape(run.model_alias)})" if run.model_alias else ""
    return (
        f"Model <b>version {run.model_version}</b>{alias}: "
        f"{html.escape(run.algorithm or 'unknown algorithm')}, {ident}"
    )


def weight_text(share: float | None) -> str:
    """The model's weight on a feature as a person reads it: '' when the model recorded none."""
    if share is None:
        return ""
    if 0 < share < 0.005:
        return "<1%"
    return f"{share:.0%}"


def explanation_html(snapshot: Snapshot, store: RankingStore, row: dict[str, Any]) -> str:
    """The panel for one selected row: who it is, its score, and the features behind it."""
    name = html.escape(str(row["name"]))
    head = (
        f"<h3 style='margin:0 0 4px'>#{row['rank']} {name}</h3>"
        f"<div>{html.escape(str(row['address']))} · {html.escape(str(row['facility_group']))} · "
        f"risk {html.escape(str(row['risk']))} · license {html.escape(str(row['license']))}</div>"
        f"<div style='margin:4px 0 8px'>Estimated chance of failing: <b>{row['score']:.0%}</b> · "
        + establishment_link(str(row["establishment_id"]), "its inspections and past scores")
        + "</div>"
    )
    if snapshot.run is None:
        return head
    explanation = store.explanation(str(row["establishment_id"]), snapshot.run)
    if explanation is None:
        return head + "<i>No features recorded for this establishment in the scoring cohort.</i>"
    weighted = any(share is not None for _, _, share in explanation.features)
    lines = "".join(
        f"<tr><td>{html.escape(label)}</td><td style='text-align:right'><b>{html.escape(value)}</b>"
        f"</td><td style='text-align:right;color:#6b7785'>"
        f"{weight_text(share)}</td></tr>"
        for label, value, share in explanation.features
    )
    caption = (
        f"What the model saw as of {explanation.as_of_date:%Y-%m-%d}"
        if explanation.as_of_date
        else "What the model saw"
    )
    weight_head = "model weight" if weighted else ""
    return (
        head + f"<table class='canvass-features' style='border-collapse:collapse;width:100%'>"
        f"<caption style='text-align:left;font-weight:600'>{caption}</caption>"
        f"<tr style='color:#6b7785'><th style='text-align:left'>feature</th>"
        f"<th style='text-align:right'>value</th><th style='text-align:right'>{weight_head}</th>"
        f"</tr>{lines}</table>"
    )


# The CSV columns (ColumnDataSource field, CSV header) of the list as shown, in the table's order.
CSV_COLUMNS = [
    ("rank", "rank"),
    ("score", "score"),
    ("license", "license"),
    ("name", "name"),
    ("address", "address"),
    ("zip", "zip"),
    ("facility_group", "facility_group"),
    ("risk", "risk_level"),
    ("last_visit_date", "last_visit_date"),
    ("last_result", "last_result"),
    ("latitude", "latitude"),
    ("longitude", "longitude"),
]

# In the browser, from the source as filtered: no round trip, so it works offline and exports
# exactly the rows on screen. Missing values ("—", NaN) become empty cells.
DOWNLOAD_CSV_JS = """
const data = source.data;
const n = data['rank'].length;
const cell = (field, i) => {
  let v = data[field][i];
  if (v === null || v === undefined || v === '—' || (typeof v === 'number' && isNaN(v))) return '';
  if (field === 'last_visit_date') v = new Date(v).toISOString().slice(0, 10);
  v = String(v);
  // text a spreadsheet would run as a formula (a name starting with "="): kept as text
  if (/^[=+\\-@\\t\\r]/.test(v) && isNaN(Number(v))) v = "'" + v;
  return /[",\\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
};
const lines = [columns.map(c => c[1]).join(',')];
for (let i = 0; i < n; i++) lines.push(columns.map(c => cell(c[0], i)).join(','));
const blob = new Blob([lines.join('\\n') + '\\n'], {type: 'text/csv;charset=utf-8'});
const link = document.createElement('a');
link.href = URL.createObjectURL(blob);
link.download = filename;
document.body.appendChild(link);
link.click();
link.remove();
setTimeout(() => URL.revokeObjectURL(link.href), 1000);
"""

# The route alone on a page of its own, printed from there (the dashboard's layout is not for
# paper).
PRINT_ROUTE_JS = """
const page = window.open('', '_blank');
page.document.write('<!doctype html><html><head><meta charset="utf-8"><title>' + title +
  '</title><style>body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px}' +
  'table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:6px;' +
  'text-align:left;vertical-align:top}th{background:#eee}</style></head><body>' +
  route.text + '</body></html>');
page.document.close();
page.focus();
page.print();
"""


def route_html(route: pd.DataFrame, as_of: str) -> str:
    """The day's route as a table an inspector can print: stop, who, where, and the leg."""
    if route.empty:
        return "<i>No establishment in the list: no route.</i>"
    km = route["leg_km"].sum(skipna=True)
    without = route["latitude"].isna() | route["longitude"].isna()
    unlocated = int(without.sum())
    starts = not bool(without.iloc[0])  # the first stop has coordinates: the walk starts there
    rows = "".join(
        "<tr>"
        f"<td>{r.stop}</td>"
        f"<td><b>{html.escape(display_text(r.name))}</b><br>{html.escape(display_text(r.facility_group).replace('_', ' '))}</td>"
        f"<td>{html.escape(display_text(r.address))}<br>{html.escape(display_text(r.zip))}</td>"
        f"<td>{'' if pd.isna(r.license_number) else int(r.license_number)}</td>"
        f"<td>#{r.rank} · {r.score:.0%}</td>"
        f"<td>{'start' if r.stop == 1 and starts else _leg(r.leg_km)}</td>"
        "<td style='width:90px'></td>"
        "</tr>"
        for r in route.itertuples()
    )
    note = (
        f" {unlocated} without coordinates at the end: find them by address."
        if unlocated > 0
        else ""
    )
    return (
        f"<h3 style='margin:0 0 4px'>Route as of {html.escape(as_of)}: {len(route)} stops, "
        f"about {km:.1f} km between them</h3>"
        "<div style='color:#6b7785;margin-bottom:6px'>From the highest-ranked establishment, each "
        f"next stop the nearest one not yet visited (straight-line km).{note}</div>"
        "<table class='canvass-route' style='border-collapse:collapse;width:100%'>"
        "<tr style='text-align:left'><th>stop</th><th>establishment</th><th>address</th><th>license</th>"
        "<th>rank · score</th><th>leg</th><th>done</th></tr>"
        f"{rows}</table>"
    )


def _leg(km: float) -> str:
    return "—" if pd.isna(km) else f"{km:.1f} km"


def _store_for(doc: Document) -> RankingStore:
    """The server's shared store (made by app_hooks), or a new one outside a server."""
    context = doc.session_context
    server_context = getattr(context, "server_context", None) if context else None
    store = getattr(server_context, "ranking_store", None)
    return store if isinstance(store, RankingStore) else RankingStore()


def build_document(doc: Document, store: RankingStore | None = None) -> dict[str, Any]:
    """Lay out the dashboard in `doc`; return its main models by name (for tests)."""
    store = store or _store_for(doc)
    snapshot = store.snapshot()
    frame = snapshot.ranking

    header = Div(text=header_html(snapshot), name="header", sizing_mode="stretch_width")
    facility_group = Select(
        title="Facility group", value=ALL, options=choices(frame, "facility_group"), width=200
    )
    area = Select(title="Zip", value=ALL, options=choices(frame, "zip"), width=130)
    risk = Select(title="Risk level", value=ALL, options=RISK_OPTIONS, width=130)
    top_n = Spinner(
        title="Top N", low=1, high=100_000, step=25, value=DEFAULT_TOP_N, width=110, name="top_n"
    )
    search = TextInput(
        title="Search",
        placeholder="name, address or license",
        width=240,
        name="search",
    )
    summary = Div(text="", name="summary")
    stops = Spinner(
        title="Stops on the route",
        low=1,
        high=60,
        step=1,
        value=DEFAULT_STOPS,
        width=130,
        name="stops",
    )
    route = Div(
        text="",
        name="route",
        sizing_mode="stretch_width",
        styles={"padding": "8px", "background": "#ffffff", "border": "1px solid #d9dde3"},
    )
    as_of = f"{snapshot.run.as_of_date:%Y-%m-%d}" if snapshot.run else "today"
    download = Button(label="Download the list (CSV)", name="download_csv", width=200)
    print_route = Button(label="Print the route", name="print_route", width=160)

    source = ColumnDataSource(data=source_data(filter_ranking(frame, Filters())), name="ranking")
    download.js_on_click(
        CustomJS(
            args={
                "source": source,
                "columns": CSV_COLUMNS,
                "filename": f"canvass-ranking-{as_of}.csv",
            },
            code=DOWNLOAD_CSV_JS,
        )
    )
    print_route.js_on_click(
        CustomJS(args={"route": route, "title": f"Canvass route {as_of}"}, code=PRINT_ROUTE_JS)
    )
    table = DataTable(
        source=source,
        name="ranking_table",
        columns=[
            TableColumn(field="rank", title="Rank", width=45),
            TableColumn(field="name", title="Name", width=210),
            TableColumn(field="address", title="Address", width=190),
            TableColumn(field="facility_group", title="Facility group", width=120),
            TableColumn(field="risk", title="Risk", width=40),
            TableColumn(
                field="score", title="Score", width=60, formatter=NumberFormatter(format="0.000")
            ),
            TableColumn(
                field="last_visit_date",
                title="Last visit",
                width=100,
                formatter=DateFormatter(format="%Y-%m-%d"),
            ),
            TableColumn(field="last_result", title="Last result", width=140),
        ],
        index_position=None,
        selectable=True,
        sortable=True,
        width=940,
        height=420,
    )

    color = linear_cmap("score", SCORE_PALETTE, low=0.0, high=1.0, nan_color="#cccccc")
    city_map = figure(
        title="Where they are (colour: score; grey: approximate zip areas)",
        name="map",
        width=460,
        height=420,
        x_axis_label="longitude",
        y_axis_label="latitude",
        tools="pan,wheel_zoom,box_zoom,tap,reset",
        match_aspect=True,
    )
    # The basemap, drawn offline: approximate zip areas around where the establishments are.
    areas = zip_areas(frame)
    area_source = ColumnDataSource(
        {column: areas[column].tolist() for column in areas.columns}, name="zip_areas"
    )
    city_map.patches(
        "xs",
        "ys",
        source=area_source,
        fill_color="#eef1f5",
        fill_alpha=0.9,
        line_color="#aab4c0",
        line_width=0.8,
    )
    city_map.text(
        "x",
        "y",
        text="zip",
        source=area_source,
        text_font_size="8pt",
        text_color="#8a96a3",
        text_align="center",
        text_baseline="middle",
    )
    dots = city_map.scatter(
        x="longitude",
        y="latitude",
        source=source,
        size=9,
        color=color,
        line_color="#4a5563",
        line_width=0.6,
        selection_line_color="#1f3a5f",
        selection_line_width=2.5,
        nonselection_fill_alpha=0.35,
    )
    city_map.add_tools(
        HoverTool(
            renderers=[dots],
            tooltips=[("", "#@rank @name"), ("score", "@score{0.000}"), ("address", "@address")],
        )
    )
    city_map.add_layout(ColorBar(color_mapper=color.transform, width=8, title="score"), "right")

    explanation = Div(
        text="<i>Select a row (or a dot) to see why it ranks where it does.</i>",
        name="explanation",
        width=460,
        styles={"padding": "8px", "background": "#ffffff", "border": "1px solid #d9dde3"},
    )

    # The search box's text as last changed: `value_input` as the user types, `value` when the
    # browser commits it (focus lost, Enter) or code sets it. Preferring one of the two would keep
    # a stale word: emptied after a commit, value_input is "" while value still holds the word.
    typed = {"search": ""}

    def current_filters() -> Filters:
        return Filters(
            facility_group=facility_group.value,
            zip=area.value,
            risk_level=None if risk.value == ALL else int(risk.value),
            top_n=int(top_n.value) if top_n.value is not None else None,
            search=typed["search"],
        )

    def update() -> None:
        """The one place the source changes: apply every filter to the snapshot's ranking."""
        view = filter_ranking(frame, current_filters())
        source.selected.indices = []
        source.data = source_data(view)
        if frame.empty:
            summary.text = ""
        else:
            unmapped = int((view["latitude"].isna() | view["longitude"].isna()).sum())
            summary.text = (
                f"Showing <b>{len(view):,}</b> of {len(frame):,} scored establishments, "
                "highest score first."
                + (
                    f" <span class='canvass-unmapped'>{unmapped:,} of them have no coordinates: "
                    "listed in the table, not on the map.</span>"
                    if unmapped
                    else ""
                )
            )
        explanation.text = "<i>Select a row (or a dot) to see why it ranks where it does.</i>"
        route.text = route_html(plan_route(view, int(stops.value or DEFAULT_STOPS)), as_of)

    def on_select(attr: str, old: list[int], new: list[int]) -> None:
        if not new:
            return
        index = new[0]
        selected = {key: values[index] for key, values in source.data.items()}
        explanation.text = explanation_html(snapshot, store, selected)

    def on_filter(attr: str, old: Any, new: Any) -> None:
        update()

    for widget in (facility_group, area, risk, top_n, stops):
        widget.on_change("value", on_filter)

    def on_search(attr: str, old: str, new: str) -> None:
        typed["search"] = new or ""
        update()

    search.on_change("value_input", on_search)  # as the user types
    search.on_change("value", on_search)
    source.selected.on_change("indices", on_select)
    update()

    # Rows wrap on a narrow screen (the map goes below the table) instead of running off it.
    wrap = {"flex-wrap": "wrap", "gap": "8px"}
    filters = row(search, facility_group, area, risk, top_n, name="filters", styles=wrap)
    content = row(table, column(city_map, explanation), name="content", styles=wrap)
    day = column(
        row(stops, print_route, download, name="route_tools"),
        route,
        name="day",
        sizing_mode="stretch_width",
    )
    # Nothing scored (or unreadable): the header says why; empty widgets would only distract.
    filters.visible = content.visible = day.visible = not frame.empty
    layout = column(
        header,
        filters,
        summary,
        content,
        day,
        name="ranking_layout",
        sizing_mode="stretch_width",
    )
    doc.add_root(layout)
    dress(doc, "/ranking", "Canvass · who to inspect first")
    return {
        "source": source,
        "table": table,
        "map": city_map,
        "zip_areas": area_source,
        "header": header,
        "summary": summary,
        "explanation": explanation,
        "facility_group": facility_group,
        "zip": area,
        "risk": risk,
        "top_n": top_n,
        "search": search,
        "filters": filters,
        "content": content,
        "stops": stops,
        "route": route,
        "download": download,
        "print_route": print_route,
        "update": update,
    }


# Bokeh runs this file as a module named `bokeh_app_<id>`; importing it elsewhere builds nothing.
if __name__.startswith("bokeh_app_"):
    from bokeh.io import curdoc

    build_document(curdoc())
