"""Provenance of quotes, attributions and reported results: how far a trace can be trusted, whether an item
counts as traced, and the rules that turn a trace into a verdict.

Reliability uses the registry's one standard: a source's level is its ``grade`` in ``data/sources.csv``
(weak < established < primary, see :mod:`techduel.evidence`), except that a source flagged ``satire`` in
``provenance/source_reliability.csv`` sits below weak (it tells where words came from, never that they are
true). There is no second grading: the thread's table only adds the satire flag and the reason. A reader picks
the lowest level that counts as a trace; verdicts use one fixed standard, ``VERDICT_STANDARD`` (the first
non-weak grade, as the shared evidence rule requires), so that a different view never changes a rating; the
shared rule in :func:`techduel.claims.verdict` then caps the label by the independence of the origins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from . import claims, evidence, fmt

RELIABILITY = ("satire", "weak", "established", "primary")  # worst to best
THRESHOLDS = RELIABILITY[1:]  # what a reader may require: a satire is never evidence that something happened
VERDICT_STANDARD = "established"  # a verdict other than unverifiable needs evidence at least this reliable

# How what the sources say compares with the claim -> the label it earns when the evidence meets the standard.
MATCHES = {
    "holds": "accurate",  # the sources say what the claim says
    "qualified": "mostly accurate",  # same substance; a word, name or detail needs a qualifier
    "partly": "mixed",  # one part holds, another does not
    "framing": "misleading",  # literally defensible, but the context left out changes the picture
    "contradicted": "false",  # the sources say otherwise
    "satire": "false",  # the words come from a satire, not from the person they are put in the mouth of
    "not_found": "unverifiable",  # nothing found either way
}

_WHY = {"holds": "the sources say what the claim says",
        "qualified": "the substance holds but a word, name or detail needs a qualifier",
        "partly": "one part holds and another does not",
        "framing": "it is literally defensible but framed to suggest more than the sources show",
        "contradicted": "the sources contradict it",
        "satire": "the words trace back to a satire, not to the person they are attributed to"}


def reliability_levels(table: pd.DataFrame, registry: pd.DataFrame) -> dict[str, str]:
    """source_id -> reliability level: the registry grade, or ``satire`` where the thread's table flags it.
    A satire must be graded weak in the registry (a satirical text is never a good source of facts); a row
    missing from the registry is an error naming it."""
    reg = registry.set_index("source_id") if "source_id" in registry.columns else registry
    out = {}
    for _, row in table.iterrows():
        sid = row["source_id"]
        if sid not in reg.index:
            raise KeyError(f"data/provenance/source_reliability.csv: source '{sid}' is not in data/sources.csv")
        grade = reg.at[sid, "grade"]
        if grade not in evidence.GRADES:
            raise ValueError(f"data/sources.csv: source '{sid}' has grade '{grade}', not one of "
                             f"{', '.join(evidence.GRADES)}")
        if bool(row["satire"]):
            if grade != "weak":
                raise ValueError(f"data/provenance/source_reliability.csv: '{sid}' is flagged satire but graded "
                                 f"'{grade}' in data/sources.csv; a satire must be graded weak")
            out[sid] = "satire"
        else:
            out[sid] = grade
    return out


ROLES = ("origin", "record", "report", "translation", "repost", "amplification", "identification", "article")
QUALIFIERS = ("exact", "about", "nearly", "more_than", "up_to")


def rank(level: str) -> int:
    """Position of ``level`` on the scale (satire 0 ... primary 3); an unknown level is an error."""
    if level not in RELIABILITY:
        raise ValueError(f"reliability '{level}' is not one of {', '.join(RELIABILITY)}")
    return RELIABILITY.index(level)


def best(levels: Iterable[str]) -> str | None:
    """The most reliable of ``levels``, or None when there are none."""
    levels = list(levels)
    return max(levels, key=rank) if levels else None


def meets(level: str, min_reliability: str) -> bool:
    """Whether one source of ``level`` is reliable enough for a reader who requires ``min_reliability``."""
    if min_reliability not in THRESHOLDS:
        raise ValueError(f"minimum reliability '{min_reliability}' is not one of {', '.join(THRESHOLDS)}")
    return rank(level) >= rank(min_reliability)


def counts_as_traced(levels: Iterable[str], min_reliability: str) -> bool:
    """An item counts as traced when at least one source that evidences its trace meets the threshold: one
    good source is enough, and no number of weak copies adds up to a good one."""
    return any(meets(level, min_reliability) for level in levels)


def step_reliability(source_ids: Iterable[str], reliability: Mapping[str, str]) -> str:
    """A step is as reliable as the best source it rests on; a source without a rating is an error."""
    ids = list(source_ids)
    missing = [s for s in ids if s not in reliability]
    if missing:
        raise KeyError(f"no reliability rating for source(s) {', '.join(missing)}")
    if not ids:
        raise ValueError("a step must rest on at least one source")
    return best(reliability[s] for s in ids)


def traced_items(steps: pd.DataFrame, reliability: Mapping[str, str], min_reliability: str,
                 items: Iterable[str] | None = None) -> pd.Series:
    """item_id -> whether it counts as traced: only steps flagged ``evidences`` (they show the item was said
    or done as attributed, or where it really came from) count; reposts, amplifications and the article
    itself never do."""
    ids = list(items) if items is not None else list(dict.fromkeys(steps["item_id"]))
    out = {}
    for item in ids:
        rows = steps[(steps["item_id"] == item) & steps["evidences"].astype(bool)]
        levels = [step_reliability(s, reliability) for s in rows["source_ids"]]
        out[item] = counts_as_traced(levels, min_reliability)
    return pd.Series(out, name="traced", dtype=bool)


def judge(match: str, evidence_levels: Iterable[str], standard: str = VERDICT_STANDARD) -> claims.Rating:
    """The verdict for an attribution or event: the label ``match`` earns if the evidence behind it meets
    ``standard``; unverifiable if nothing was found or the best evidence falls short of the standard."""
    if match not in MATCHES:
        raise ValueError(f"match '{match}' is not one of {', '.join(MATCHES)}")
    levels = list(evidence_levels)
    top = best(levels)
    if match == "not_found":
        return claims.Rating("unverifiable", math.inf, "no source was found that settles it")
    if not counts_as_traced(levels, standard):
        why = f"the best evidence is {top or 'absent'}, below the standard ({standard} or better)"
        return claims.Rating("unverifiable", math.inf, why)
    why = _WHY[match]
    return claims.Rating(MATCHES[match], 0.0,
                         f"{why}; best evidence {top}, meeting the standard ({standard})")


def hold_to_standard(rating: claims.Rating, evidence_levels: Iterable[str],
                     standard: str = VERDICT_STANDARD) -> claims.Rating:
    """A rating computed from figures stands only if the sources of those figures meet the standard; otherwise
    the claim is unverifiable, whatever the arithmetic says."""
    levels = list(evidence_levels)
    if rating.label == "unverifiable" or counts_as_traced(levels, standard):
        return rating
    why = (f"{rating.explanation}; but the best evidence is {best(levels) or 'absent'}, "
           f"below the standard ({standard})")
    return claims.Rating("unverifiable", math.inf, why)


def no_record_verdict(record_found: bool, object_existed: bool | None) -> claims.Rating:
    """A claimed event of which no record was found. If the thing it needs did not exist (a sale of a system
    that was never built), the record contradicts the claim: false. If it might have existed, absence of a
    record settles nothing: unverifiable."""
    if record_found:
        raise ValueError("a record was found: judge the claim against it instead")
    if object_existed is False:
        return claims.Rating("false", math.inf, "no record was found and what the claim needs did not exist")
    return claims.Rating("unverifiable", math.inf,
                         "no record was found, and its absence alone settles nothing")


def comparison_verdict(numeric: claims.Rating, same_comparison: bool, what: str = "") -> claims.Rating:
    """A figure that matches its source but is set against a different baseline than the source's is
    misleading: the number is right and the reader's conclusion is wrong. A figure that does not match keeps
    the numeric rule's label."""
    if same_comparison or numeric.label not in ("accurate", "mostly accurate"):
        return numeric
    detail = f": {what}" if what else ""
    return claims.Rating("misleading", numeric.distance,
                         f"{numeric.explanation}; but the source's comparison is a different one{detail}")


def rate_against_source(claimed: float, comparator: str, value: float,
                        qualifier: str = "exact") -> claims.Rating:
    """Rate a claimed figure against a source that states its own figure with a qualifier: when both state
    the same bound in the same direction ("more than 50" against "more than 50") they agree; otherwise the
    shared numeric rule applies to the source's figure."""
    if qualifier not in QUALIFIERS:
        raise ValueError(f"qualifier '{qualifier}' is not one of {', '.join(QUALIFIERS)}")
    same_direction = (qualifier == "more_than" and comparator in ("gt", "ge")) or \
                     (qualifier == "up_to" and comparator in ("lt", "le"))
    if same_direction:
        holds = value >= claimed if comparator in ("gt", "ge") else value <= claimed
        if holds:
            phrase = claims.COMPARATORS[comparator]
            return claims.Rating("accurate", 0.0, f"the source states the same bound: {phrase} "
                                                  f"{fmt.number(value)} against a claim of {phrase} "
                                                  f"{fmt.number(claimed)}")
    return claims.rate_number(claimed, value, value, comparator)


def year_readings(claimed: int, readings: Mapping[str, int]) -> pd.DataFrame:
    """The claimed year rated against each reading of an ambiguous event (agreement, founding, opening), one
    row each, so a reader sees how the verdict depends on the reading."""
    rows = []
    for name, year in readings.items():
        r = claims.rate_year(claimed, int(year), name)
        rows.append({"reading": name, "documented_year": int(year), "claimed_year": int(claimed),
                     "years_off": int(r.distance), "label": r.label})
    return pd.DataFrame(rows)


_QUALIFIER_WORDS = {"exact": "", "about": "about ", "nearly": "nearly ", "more_than": "more than ",
                    "up_to": "up to "}


def describe_fact(fact: Mapping) -> str:
    """A fact as a reader should see it inside a sentence: 'not found', a figure with its qualifier and unit,
    a text, or a date written to the precision the source gives."""
    if fact.get("status") == "not_found":
        return "not found"
    value = fact.get("value")
    if value is not None and not pd.isna(value):
        unit = _text(fact.get("unit"))
        if unit == "year":
            return f"{int(value)}"
        q = _QUALIFIER_WORDS[_text(fact.get("qualifier")) or "exact"]
        return f"{q}{value:,g}%" if unit == "percent" else f"{q}{value:,g} {unit}".rstrip()
    if _text(fact.get("text")):
        return _text(fact.get("text"))
    day = fact.get("date")
    if day is not None and not pd.isna(day):
        day = pd.Timestamp(day)
        precision = _text(fact.get("date_precision")) or "day"
        return {"day": f"{day.day} {day:%B %Y}", "month": f"{day:%B %Y}", "year": f"{day.year}"}[precision]
    raise ValueError(f"fact {fact.get('fact_id', '?')} has neither a value, a text nor a date")


def _text(value) -> str:
    """A table cell as text: missing cells (None or NaN) become ''."""
    return value if isinstance(value, str) else ""


def earliest_trace(steps: pd.DataFrame) -> pd.DataFrame:
    """Per item, the earliest step that evidences it (its date may be unknown: NaT); where no step evidences
    it, the article itself is the earliest trace. Reposts, amplifications and context records do not count,
    so an item is never dated by a step that does not show it was said or done."""
    rows = []
    for item, g in steps.groupby("item_id", sort=False):
        ev = g[g["evidences"].astype(bool)]
        if ev.empty:
            ev = g[g["role"] == "article"]
        if ev.empty:
            raise ValueError(f"item {item} has neither an evidencing step nor the article")
        dated = ev[ev["date"].notna()].sort_values(["date", "seq"])
        first = dated.iloc[0] if not dated.empty else ev.sort_values("seq").iloc[0]
        rows.append({"item_id": item, "earliest_trace": first["date"], "earliest_outlet": first["outlet"],
                     "earliest_role": first["role"]})
    return pd.DataFrame(rows)


# ---- the figure -----------------------------------------------------------------------------------------

COLOURS = {"primary": "#009E73", "established": "#0072B2", "weak": "#E69F00", "satire": "#CC79A7"}
MARKERS = {"origin": "D", "record": "s", "report": "o", "translation": "^", "repost": "v",
           "amplification": ">", "identification": "P", "article": "X"}
UNTRACED = "#D55E00"
ARTICLE_X = 0.5  # the article itself sits half a day to the right of the last day before it (log axis)


def days_before(dates: pd.Series, article_date) -> pd.Series:
    """Whole days from each date to the article's; the article's own day is 0."""
    return (pd.Timestamp(article_date) - pd.to_datetime(dates)).dt.days


def chain_figure(steps: pd.DataFrame, items: pd.DataFrame, traced: pd.Series, min_reliability: str,
                 article_date, title: str):
    """One row per item, one marker per dated step of its trace, on a log scale of days before the article:
    colour = reliability, shape = role, filled = a step that evidences the trace at the chosen threshold;
    items that do not count as traced are labelled in red and end in a red cross at the article.
    ``steps`` needs a ``reliability`` column (see :func:`step_reliability`), ``items`` a ``short`` label.
    Returns the figure and exactly the data plotted."""
    from matplotlib.lines import Line2D

    from . import plotting

    order = list(items["item_id"])
    fig, ax = plotting.figure(title, "days before the article (log scale; older to the left)", "",
                              size=(11, 0.5 * len(order) + 2.6))
    pos = {item: i for i, item in enumerate(order)}
    dated = steps[steps["date"].notna() & steps["item_id"].isin(order)].copy()
    dated["days_before"] = days_before(dated["date"], article_date)
    if (dated["days_before"] < 0).any():
        raise ValueError("a step is dated after the article")
    dated["x"] = dated["days_before"].clip(lower=1).astype(float)  # a same-day report sits at one day
    dated.loc[dated["role"] == "article", "x"] = ARTICLE_X
    dated["y"] = dated["item_id"].map(pos)
    enough = dated["reliability"].map(lambda r: meets(r, min_reliability))
    dated["counts"] = dated["evidences"].astype(bool) & enough
    dated["item_traced"] = dated["item_id"].map(traced).astype(bool)
    for item, g in dated.groupby("item_id", sort=False):
        ax.plot(g["x"], g["y"], color="#bbbbbb", linewidth=1, zorder=1)
    article_colour = dated["item_traced"].map({True: "#555555", False: UNTRACED})
    edge = dated["reliability"].map(COLOURS).where(dated["role"] != "article", article_colour)
    face = edge.where(dated["counts"] | (dated["role"] == "article"), "white")
    for (role, e, f), g in dated.assign(edge=edge, face=face).groupby(["role", "edge", "face"], sort=True):
        ax.scatter(g["x"], g["y"], marker=MARKERS[role], s=90 if role == "article" else 60, facecolor=f,
                   edgecolor=e, linewidth=1.5, zorder=3)
    short = items.set_index("item_id")["short"]
    labels = [f"{i} {short[i]}" + ("" if traced.get(i, False) else "  (not traced)") for i in order]
    ax.set_yticks(range(len(order)), labels)
    for tick, item in zip(ax.get_yticklabels(), order):
        if not traced.get(item, False):
            tick.set_color(UNTRACED)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(max(float(dated["x"].max()) * 1.6, 400), ARTICLE_X * 0.6)
    ticks = [ARTICLE_X, 7, 30, 365, 3650]
    ax.set_xticks(ticks, ["article", "1 week", "1 month", "1 year", "10 years"])
    ax.minorticks_off()
    ax.grid(axis="y", visible=False)
    shown = set(dated.loc[dated["role"] != "article", "reliability"])
    handles = [Line2D([], [], linestyle="", marker="o", markersize=8, markerfacecolor=c, markeredgecolor=c,
                      label=f"{level} source") for level, c in COLOURS.items() if level in shown]
    handles += [Line2D([], [], linestyle="", marker=m, markersize=8, markerfacecolor="#000000",
                       markeredgecolor="#000000", label=role) for role, m in MARKERS.items()
                if role != "article" and role in set(dated["role"])]
    handles += [Line2D([], [], linestyle="", marker="o", markersize=8, markerfacecolor="white",
                       markeredgecolor="#000000", label=f"hollow: not counted at '{min_reliability}'"),
                Line2D([], [], linestyle="", marker="X", markersize=9, markerfacecolor=UNTRACED,
                       markeredgecolor=UNTRACED, label="article; red: no trace counted")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    cols = ["item_id", "step_id", "date", "days_before", "role", "reliability", "evidences", "counts",
            "item_traced"]
    plotted = dated[cols].assign(date=dated["date"].dt.strftime("%Y-%m-%d")).reset_index(drop=True)
    return fig, plotted


# ---- from a check row to a verdict ------------------------------------------------------------------------

def _ids(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else []


def searched_text(item: Mapping) -> str:
    """What was looked for and where, from the item's ``searched`` queries."""
    queries = "; ".join(q.strip() for q in _text(item.get("searched")).split(";") if q.strip())
    return f"Stored pages (and, where noted, code and documentation) searched on 2026-12-01 for: {queries}."


def verdict_kwargs(cid: str, rating: claims.Rating, check: Mapping, claimed, facts: pd.DataFrame,
                   texts: Mapping[str, str], trace: Mapping, item: Mapping, reliability: Mapping[str, str],
                   readings: Iterable[evidence.Reading] = (), **computed) -> dict:
    """The arguments of :func:`techduel.claims.verdict` for one check row: its reasoning and conclusion filled in
    from the facts and the computations; as evidence, the row's sources and those of its facts, less the
    row's ``context_ids`` (shown, never counted); the label held to the verdict standard on that evidence; what
    was searched, from the item. The shared rule then caps the label by the independence of the origins."""
    context = _ids(check.get("context_ids"))
    fact_ids = _ids(check.get("fact_ids"))
    cited = list(dict.fromkeys(_ids(check.get("source_ids"))
                               + [s for f in fact_ids for s in facts.loc[f, "source_ids"]]))
    sources = [s for s in cited if s not in context]
    levels = [reliability[s] for s in sources]
    rating = hold_to_standard(rating, levels)
    values = {**texts, "claimed": claimed, **computed}
    evidence_lines = [f"{f}: {facts.loc[f, 'fact']}: {texts[f]} ({'; '.join(facts.loc[f, 'source_ids'])})"
                      for f in fact_ids]
    when = "undated" if pd.isna(trace["earliest_trace"]) else f"{pd.Timestamp(trace['earliest_trace']):%Y-%m-%d}"
    evidence_lines.append(f"Item {check['item_id']}: earliest trace {when} ({trace['earliest_outlet']}); "
                          f"most reliable source the verdict rests on: {best(levels) or 'none'}")
    return {"claim_id": cid, "label": rating.label,
            "reason": check["reason"].format_map(values) + f" Rule: {rating.explanation}.",
            "evidence": evidence_lines, "sources": sources, "context": context,
            "conclusion": check["conclusion"].format_map(values), "searched": searched_text(item),
            "readings": list(readings)}


def claimed_text(value, unit: str) -> str:
    """The claimed value as the conclusion writes it: a year without separators, other numbers with them."""
    if value is None or pd.isna(value):
        return ""
    return f"{value:.0f}" if unit == "year" else f"{value:,g}"


def stated_readings(table: pd.DataFrame, claim_id: str) -> list[evidence.Reading]:
    """The readings ``provenance/readings.csv`` lists for ``claim_id`` (none if it lists none); a claim with
    readings must have exactly one chosen, which :func:`techduel.claims.verdict` checks against its label."""
    rows = table[table["claim_id"] == claim_id]
    return [evidence.Reading(r["reading"], r["label"], bool(r["chosen"]), _text(r.get("why")))
            for _, r in rows.iterrows()]
