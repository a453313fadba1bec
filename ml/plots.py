"""Bokeh figures for the modelling report: the temporal splits, saved as standalone HTML."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from bokeh.io import save
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure
from bokeh.resources import INLINE

from ml.splits import Split


def splits_figure(splits: Sequence[Split], title: str = "Temporal cross-validation windows"):
    """One row per window: the training span (grey) then the test span (orange)."""
    rows = []
    for i, s in enumerate(splits):
        rows.append(
            {
                "y": i,
                "left": s.train_start,
                "right": s.train_end,
                "kind": "train",
                "color": "#9aa5b1",
            }
        )
        rows.append(
            {"y": i, "left": s.test_start, "right": s.test_end, "kind": "test", "color": "#e8710a"}
        )
    frame = pd.DataFrame(rows, columns=["y", "left", "right", "kind", "color"])
    for col in ("left", "right"):
        frame[col] = pd.to_datetime(frame[col])
    fig = figure(
        title=title,
        x_axis_type="datetime",
        frame_height=22 * max(1, len(splits)),
        frame_width=800,
        y_axis_label="window",
        tools="pan,wheel_zoom,reset,save",
    )
    source = ColumnDataSource(frame)
    fig.hbar(
        y="y",
        left="left",
        right="right",
        height=0.7,
        color="color",
        legend_field="kind",
        source=source,
    )
    fig.add_tools(
        HoverTool(
            tooltips=[("", "@kind"), ("from", "@left{%F}"), ("to (excl.)", "@right{%F}")],
            formatters={"@left": "datetime", "@right": "datetime"},
        )
    )
    fig.legend.location = "top_left"
    return fig


def save_splits(splits: Sequence[Split], path: str | Path) -> Path:
    """Write the splits figure to a self-contained HTML file; return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save(splits_figure(splits), filename=path, resources=INLINE, title="Canvass: temporal splits")
    return path
