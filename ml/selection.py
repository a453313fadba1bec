"""Model selection over the temporal windows, after triage's audition rules.

Input: one value of the selection metric (by default precision at the top 10%) per model group and
test window, and optionally each model's parity share (the share of audited groups whose FNR
disparity is within [0.8, 1.25]). Rules:

- `best_average`: highest mean over windows;
- `lowest_variance`: among groups within `variance_tolerance` of the best mean, the lowest standard
  deviation (a model that is nearly as good every month beats one that is brilliant sometimes);
- `best_most_recent`: highest value in the most recent window;
- `best_recent_average`: highest mean over the last `recent_windows` (3) windows (recent enough to
  follow a change, long enough not to chase one lucky month);
- `most_frequent_best`: the group that was best (ties: each tied group) in the most windows.

`regret()` replays the rules window by window, as triage's audition does: at each window, each
rule chooses from the windows before it alone, and its regret is how far the chosen group fell
short of that window's best group. A rule with a low mean regret would have served well.

Fairness constraint: groups whose mean parity share is below `min_parity_share` are not eligible;
if no group qualifies, every group is (and the reason says so). Ties go to the higher mean, then the
lower standard deviation, then the smaller group id, so selection is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ml.config import SelectionConfig


@dataclass(frozen=True)
class Choice:
    rule: str
    model_group_id: str
    metric: str
    value: float
    reason: str
    is_primary: bool


def summarize(
    evaluations: pd.DataFrame, parity: pd.DataFrame | None = None, recent_windows: int = 3
) -> pd.DataFrame:
    """Per group: mean, std (population), windows, most recent value, mean of the last
    `recent_windows` windows, windows won, and mean parity share.

    `evaluations`: model_group_id, test_start, value. `parity`: model_group_id, test_start, parity_share.
    """
    ev = evaluations.dropna(subset=["value"])
    if ev.empty:
        return pd.DataFrame(
            columns=["mean", "std", "windows", "recent", "recent_mean", "wins", "parity_share"]
        )
    stats = ev.groupby("model_group_id")["value"].agg(["mean", "count"])
    stats["std"] = ev.groupby("model_group_id")["value"].std(ddof=0)
    stats = stats.rename(columns={"count": "windows"})
    last_window = ev["test_start"].max()
    recent = ev[ev["test_start"] == last_window].groupby("model_group_id")["value"].mean()
    stats["recent"] = recent
    latest = sorted(ev["test_start"].unique())[-recent_windows:]
    stats["recent_mean"] = (
        ev[ev["test_start"].isin(latest)].groupby("model_group_id")["value"].mean()
    )
    per_window = ev.groupby(["test_start", "model_group_id"])["value"].mean().reset_index()
    best = per_window.groupby("test_start")["value"].transform("max")
    won = per_window[per_window["value"] >= best - 1e-12]
    stats["wins"] = won.groupby("model_group_id").size().reindex(stats.index, fill_value=0)
    if parity is not None and not parity.empty:
        stats["parity_share"] = parity.groupby("model_group_id")["parity_share"].mean()
    else:
        stats["parity_share"] = float("nan")
    return stats


def _pick(frame: pd.DataFrame, column: str, ascending: bool) -> str:
    ordered = frame.reset_index().sort_values(
        [column, "mean", "std", "model_group_id"],
        ascending=[ascending, False, True, True],
        kind="stable",
    )
    return str(ordered.iloc[0]["model_group_id"])


def select(
    evaluations: pd.DataFrame, config: SelectionConfig, parity: pd.DataFrame | None = None
) -> list[Choice]:
    """Apply each configured rule; the primary rule's choice is the one to deploy."""
    stats = summarize(evaluations, parity, config.recent_windows)
    if stats.empty:
        raise ValueError("no evaluations to select from")
    metric = f"{config.metric}{config.parameter}"
    fair = stats["parity_share"].isna() | (stats["parity_share"] >= config.min_parity_share)
    if fair.any():
        eligible = stats[fair]
        excluded = sorted(stats.index[~fair])
        fairness_note = (
            f"{len(excluded)} group(s) excluded for {config.fairness_metric.upper()} parity share "
            f"below {config.min_parity_share:g}"
            if excluded
            else f"all groups meet the {config.fairness_metric.upper()} parity constraint"
        )
    else:
        eligible = stats
        fairness_note = (
            f"no group meets the {config.fairness_metric.upper()} parity share of "
            f"{config.min_parity_share:g}; constraint relaxed"
        )
    choices: list[Choice] = []
    for rule in config.rules:
        if rule == "best_average":
            gid = _pick(eligible, "mean", ascending=False)
            value = float(eligible.loc[gid, "mean"])
            stat = "mean"
            why = f"highest mean {metric} over {int(eligible.loc[gid, 'windows'])} windows ({value:.3f})"
        elif rule == "lowest_variance":
            best = float(eligible["mean"].max())
            near = eligible[eligible["mean"] >= best - config.variance_tolerance]
            gid = _pick(near, "std", ascending=True)
            value = float(near.loc[gid, "std"])
            stat = "std"
            why = (
                f"lowest std of {metric} ({value:.3f}) among {len(near)} group(s) within "
                f"{config.variance_tolerance:g} of the best mean {best:.3f}"
            )
        elif rule == "best_most_recent":
            recent = eligible.dropna(subset=["recent"])
            gid = _pick(recent if not recent.empty else eligible, "recent", ascending=False)
            value = float(eligible.loc[gid, "recent"])
            stat = "last"
            why = f"highest {metric} in the most recent window ({value:.3f})"
        elif rule == "best_recent_average":
            recent = eligible.dropna(subset=["recent_mean"])
            gid = _pick(recent if not recent.empty else eligible, "recent_mean", ascending=False)
            value = float(eligible.loc[gid, "recent_mean"])
            stat = f"mean_last_{config.recent_windows}"
            why = (
                f"highest mean {metric} over the last {config.recent_windows} windows ({value:.3f})"
            )
        elif rule == "most_frequent_best":
            gid = _pick(eligible, "wins", ascending=False)
            value = float(eligible.loc[gid, "wins"])
            stat = "wins"
            why = (
                f"best {metric} in {int(value)} of {int(stats['windows'].max())} windows "
                "(ties count for each tied group)"
            )
        else:
            raise ValueError(f"unknown selection rule {rule!r}")
        parity_value = eligible.loc[gid, "parity_share"]
        if not (isinstance(parity_value, float) and math.isnan(parity_value)):
            why += f"; parity share {float(parity_value):.2f}"
        choices.append(
            Choice(
                rule=rule,
                model_group_id=gid,
                metric=f"{stat}:{metric}",
                value=value,
                reason=f"{why}; {fairness_note}",
                is_primary=rule == config.primary_rule,
            )
        )
    return choices


def regret(
    evaluations: pd.DataFrame, config: SelectionConfig, parity: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each rule replayed over the windows: at every window but the first, the group the rule
    would have chosen from the earlier windows only, that group's value in the window, the
    window's best value, and the regret (best - chosen, never negative). Columns: rule,
    test_start, model_group_id, value, best, regret."""
    ev = evaluations.dropna(subset=["value"])
    rows = []
    windows = sorted(ev["test_start"].unique())
    for window in windows[1:]:
        earlier = ev[ev["test_start"] < window]
        earlier_parity = (
            parity[parity["test_start"] < window]
            if parity is not None and not parity.empty
            else None
        )
        now = ev[ev["test_start"] == window].groupby("model_group_id")["value"].mean()
        best = float(now.max())
        for choice in select(earlier, config, earlier_parity):
            if choice.model_group_id not in now.index:
                continue  # the chosen group has no model on this window
            value = float(now[choice.model_group_id])
            rows.append((choice.rule, window, choice.model_group_id, value, best, best - value))
    return pd.DataFrame(
        rows, columns=["rule", "test_start", "model_group_id", "value", "best", "regret"]
    )


def regret_summary(replayed: pd.DataFrame) -> pd.DataFrame:
    """Per rule: windows replayed, mean and worst regret, and how often it chose the window's
    best group; lowest mean regret first."""
    if replayed.empty:
        return pd.DataFrame(columns=["rule", "windows", "mean_regret", "max_regret", "best_share"])
    grouped = replayed.assign(hit=replayed["regret"] <= 1e-12).groupby("rule")
    summary = pd.DataFrame(
        {
            "windows": grouped.size(),
            "mean_regret": grouped["regret"].mean(),
            "max_regret": grouped["regret"].max(),
            "best_share": grouped["hit"].mean(),
        }
    ).reset_index()
    return summary.sort_values(["mean_regret", "rule"], kind="stable").reset_index(drop=True)
