"""Helpers for the sanctions-timeline thread: filtering the dated measures and reading the tariff series."""

from __future__ import annotations

import pandas as pd

KINDS = ("investigation", "tariff", "tariff_relief", "entity_list", "export_control", "allied_control",
         "fab_waiver", "agreement")
PIIE = "us_on_china_trade_weighted_piie"

# Presidential terms, to attribute measures to an administration (inauguration days).
TERMS = {
    "Obama": ("2009-01-20", "2017-01-20"),
    "Trump (first term)": ("2017-01-20", "2021-01-20"),
    "Biden": ("2021-01-20", "2025-01-20"),
    "Trump (second term)": ("2025-01-20", "2029-01-20"),
}


def between(events: pd.DataFrame, start: str, end: str, kinds=KINDS) -> pd.DataFrame:
    """Measures dated from ``start`` to ``end`` inclusive whose kind is in ``kinds``, oldest first."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown event kind(s) {', '.join(unknown)}; allowed: {', '.join(KINDS)}")
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if lo > hi:
        raise ValueError(f"start {start} is after end {end}")
    mask = events["date"].between(lo, hi) & events["kind"].isin(list(kinds))
    return events[mask].sort_values(["date", "event_id"]).reset_index(drop=True)


def term_of(day) -> str:
    """The administration in office on ``day`` (a measure on inauguration day belongs to the new one)."""
    day = pd.Timestamp(day)
    for name, (a, b) in TERMS.items():
        if pd.Timestamp(a) <= day < pd.Timestamp(b):
            return name
    raise ValueError(f"{day.date()} is outside the terms this module knows")


def first(events: pd.DataFrame, kinds) -> pd.Series:
    """The earliest measure of the given kinds."""
    hit = events[events["kind"].isin(list(kinds))].sort_values("date")
    if hit.empty:
        raise ValueError(f"no measure of kind {', '.join(kinds)}")
    return hit.iloc[0]


def tariff_levels(avg: pd.DataFrame, series: str = PIIE, include_projections: bool = False) -> pd.DataFrame:
    """One published series of the average tariff, realised levels only unless asked, by date."""
    rows = avg[avg["series"] == series]
    if not include_projections:
        rows = rows[~rows["projection"].astype(bool)]
    return rows.sort_values("date").reset_index(drop=True)


def level_on(levels: pd.DataFrame, day) -> float:
    """The last published level on or before ``day`` (the series is a step function)."""
    before = levels[levels["date"] <= pd.Timestamp(day)]
    if before.empty:
        raise ValueError(f"no published level on or before {pd.Timestamp(day).date()}")
    return float(before.iloc[-1]["avg_tariff_pct"])


def peak(levels: pd.DataFrame, start, end) -> pd.Series:
    """The highest published level dated within [start, end)."""
    window = levels[(levels["date"] >= pd.Timestamp(start)) & (levels["date"] < pd.Timestamp(end))]
    if window.empty:
        raise ValueError("no published level in that window")
    return window.loc[window["avg_tariff_pct"].idxmax()]


LANES = {  # kind -> (row on the timeline, label); related kinds share a row
    "investigation": (0, "Investigations"),
    "tariff": (1, "Tariffs raised"),
    "tariff_relief": (2, "Tariffs cut / truces"),
    "agreement": (2, "Tariffs cut / truces"),
    "entity_list": (3, "Entity List"),
    "export_control": (4, "Export-control rules"),
    "allied_control": (5, "Dutch & Japanese rules"),
    "fab_waiver": (6, "Korean fabs in China"),
}


def timeline_figure(events: pd.DataFrame, title: str):
    """One row per kind of measure, one marker per measure; tariff markers carry their rate."""
    from . import plotting

    fig, ax = plotting.figure(title, "Date the measure took effect", "", size=(10, 5.2))
    plotted = events.assign(lane=events["kind"].map(lambda k: LANES[k][0]),
                            lane_label=events["kind"].map(lambda k: LANES[k][1]))
    for kind, rows in plotted.groupby("kind", sort=False):
        ax.scatter(rows["date"], rows["lane"], s=36, zorder=3, edgecolor="#333333", linewidth=0.4,
                   color=plotting.PALETTE[LANES[kind][0] % len(plotting.PALETTE)])
    rated = plotted[plotted["kind"].isin(["tariff", "tariff_relief"]) & plotted["rate_pct"].notna()]
    for k, (_, r) in enumerate(rated.sort_values("date").iterrows()):  # alternate above/below: dates crowd
        ax.annotate(f"{r['rate_pct']:g}%", (r["date"], r["lane"]), textcoords="offset points",
                    xytext=(0, 7 if k % 2 == 0 else -13), ha="center", fontsize=7)
    labels = {lane: label for lane, label in LANES.values()}
    ax.set_yticks(list(labels), list(labels.values()))
    ax.set_ylim(max(labels) + 0.7, -0.7)
    ax.grid(axis="y", visible=False)
    data = plotted[["date", "kind", "lane_label", "event_id", "rate_pct"]].assign(
        date=lambda d: d["date"].dt.strftime("%Y-%m-%d"))
    return fig, data


def tariff_figure(avg: pd.DataFrame, claimed_rate: float, claimed_from: str, title: str):
    """The published averages as steps (PIIE) and points (others), against the article's rate and year."""
    from . import plotting

    fig, ax = plotting.figure(title, "Date", "Average US tariff on imports from China (%)", size=(10, 5.2))
    names = {PIIE: "PIIE, trade-weighted (realised)", "us_on_china_average_crs": "CRS average",
             "us_on_china_overall_us_officials": "US officials' stated figure"}
    piie = tariff_levels(avg, PIIE)
    ax.step(piie["date"], piie["avg_tariff_pct"], where="post", label=names[PIIE], color=plotting.PALETTE[0],
            marker="o", markersize=3)
    for k, (series, marker) in enumerate([("us_on_china_average_crs", "s"),
                                          ("us_on_china_overall_us_officials", "D")]):
        rows = tariff_levels(avg, series)
        ax.scatter(rows["date"], rows["avg_tariff_pct"], marker=marker, label=names[series], zorder=3,
                   color=plotting.PALETTE[k + 1])
    ax.axhline(claimed_rate, color=plotting.PALETTE[3], linestyle="--", linewidth=1)
    ax.axvline(pd.Timestamp(claimed_from), color=plotting.PALETTE[3], linestyle=":", linewidth=1)
    ax.annotate(f"article: {claimed_rate:g}% from {pd.Timestamp(claimed_from).year}",
                (pd.Timestamp(claimed_from), claimed_rate), textcoords="offset points", xytext=(6, 6),
                fontsize=8, color=plotting.PALETTE[3])
    ax.legend(loc="upper left")
    shown = pd.concat([tariff_levels(avg, s) for s in names])
    data = shown[["date", "series", "avg_tariff_pct"]].assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d"))
    return fig, data


DOZENS = (24, 99)  # our reading of "several dozen": two dozen or more, fewer than a hundred


def count_label(n: float, span: tuple[float, float] = DOZENS) -> str:
    """How a vague count ("several dozen") fits a documented count ``n``: inside the span accurate; above it
    mostly accurate (the word understates, the substance holds); below it mixed, and false under half its
    lower end."""
    low, high = span
    if low <= n <= high:
        return "accurate"
    if n > high:
        return "mostly accurate"
    return "mixed" if n >= low / 2 else "false"


def sixty_finding(claimed: float, first_term: pd.DataFrame, levels: pd.DataFrame, pledge: pd.Series) -> dict:
    """The verdict on "Trump began imposing a 60% tariff in 2017" (label, reason, evidence, readings, conclusion).

    ``first_term`` holds the first-term tariff rows (date, event_id, rate_pct), ``levels`` the trade-weighted average
    (:func:`tariff_levels`) and ``pledge`` the campaign proposal (date, fact, value). The headline is the statutory
    rate of each tranche, which is what "imposing a 60% tariff" names; the average and the 2025 peak are other
    readings."""
    from . import claims
    from .evidence import Reading

    low, high = float(first_term["rate_pct"].min()), float(first_term["rate_pct"].max())
    r = claims.rate_number(claimed, low, high)
    start, end = TERMS["Trump (first term)"]
    at_start, top = level_on(levels, start), peak(levels, start, end)
    later = peak(levels, *TERMS["Trump (second term)"])
    reason = (f"First-term tariff tranches were set at {low:g}% to {high:g}% ({r.explanation}); the trade-weighted "
              f"average was {at_start:g}% when Trump took office and peaked at {top['avg_tariff_pct']:g}% in that term. "
              f"No tariff took effect in 2017. A rate of {claimed:g}% appears only as a campaign proposal in "
              f"{pledge['date']:%B %Y}; the 2025 stack went far above it, briefly, eight years after the date the article gives.")
    readings = [Reading(f"a statutory tariff rate of {claimed:g}% imposed in 2017 or the first term", r.label, chosen=True,
                        why=f"'imposing a {claimed:g}% tariff' names a rate set on imports, dated 2017"),
                Reading(f"an average tariff on Chinese imports of {claimed:g}% in the first term",
                        claims.rate_number(claimed, at_start, float(top["avg_tariff_pct"])).label),
                Reading(f"a tariff of {claimed:g}% or more at any time under Trump (reached in 2025)",
                        claims.rate_year(2017, pd.Timestamp(later["date"]).year).label)]
    return {"label": r.label, "reason": reason, "readings": readings,
            "evidence": [f"{x['date']:%Y-%m-%d} {x['event_id']}: {x['rate_pct']:g}%" for _, x in first_term.iterrows()]
                        + [f"PIIE average on {start}: {at_start:g}%", f"Campaign proposal ({pledge['date']:%Y-%m-%d}): {pledge['fact']}"],
            "conclusion": (f"No {claimed:g}% tariff was imposed in 2017 or in Trump's first term, whose tariff rates ran from "
                           f"{low:g}% to {high:g}%; {pledge['value']:g}% was a {pledge['date'].year} campaign proposal."
                           if r.label in ("false", "mixed") else
                           f"First-term tariff rates ran from {low:g}% to {high:g}%, close to the claimed {claimed:g}%.")}


def controls_finding(entities: pd.DataFrame, rules: pd.DataFrame, packages_before: int, n_table: int) -> dict:
    """The verdict on "several dozen export-control measures under Biden" (label, reason, evidence, readings,
    conclusion), by :func:`count_label` on the tallies of Chinese parties added to the Entity List (``entities``:
    count_id, measure, value, unit, period_end), the only complete count; rule documents (``rules``) and major
    packages (``packages_before`` before December 2024, plus that month's and January 2025's) are other readings.
    ``n_table`` is how many Biden-era actions our own event table holds."""
    from .evidence import Reading

    listed = (int(entities["value"].min()), int(entities["value"].max()))
    label = count_label(listed[0])
    n_rules, n_packages = int(rules["value"].sum()), packages_before + 2
    reason = (f"Counted as Chinese parties added to the Entity List, the Biden years brought {listed[0]} to {listed[1]} "
              f"(BIS and CNAS tallies to mid-2024), far more than 'dozens' ({DOZENS[0]}-{DOZENS[1]}); counted as rule "
              f"documents in the major chip packages, at least {n_rules}; counted as major packages, {packages_before} "
              f"before December 2024 plus the December 2024 and January 2025 rules. Our own event table holds {n_table} "
              "such Biden-era actions but is not a complete register. The substance, a large and growing body of controls, "
              "holds; the word 'dozens' fits some units only.")
    readings = [Reading(f"Chinese parties added to the Entity List ({listed[0]}-{listed[1]})", label, chosen=True,
                        why="the only complete tallies of Biden-era export-control actions count the parties listed"),
                Reading(f"rule documents (at least {n_rules} in the chip packages alone; no complete count found)", "unverifiable"),
                Reading(f"major chip-control packages ({n_packages})", count_label(n_packages))]
    return {"label": label, "reason": reason, "readings": readings,
            "evidence": [f"{r['count_id']}: {r['measure']} = {r['value']:g} {r['unit']} (to {r['period_end']:%Y-%m-%d})"
                         for _, r in pd.concat([entities, rules]).iterrows()],
            "conclusion": ("The Biden administration's export controls on China were numerous: hundreds of Chinese parties "
                           "listed and several rule packages, so 'dozens' is loose but not overstated."
                           if label == "mostly accurate" else
                           f"The tallies of Chinese parties listed under Biden ({listed[0]}-{listed[1]}) "
                           + ("fit 'several dozen'." if label == "accurate" else "fall short of 'several dozen'."))}
