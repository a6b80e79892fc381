"""The article's forecasts judged in hindsight: each against its written criterion, as of a date a reader moves.

The as-of rule: a forecast is about what happens after it is made, and what became known later cannot be used
earlier. So a forecast verdict as of a date uses only evidence dated *after the article* and *on or before* that
date; ``context`` rows (what was already true when the article appeared, background) are shown, never counted.
A date known to the year only counts as 31 December of that year, so it is never used too early.

The resolution rule (``data/forecasts/criteria.csv`` gives each forecast its parts, kind and horizon):

- ``event`` (something will happen): ``came true`` on the date every part has a ``meets`` item dated on or
  before the horizon. Until the horizon otherwise ``too early to tell``. From the horizon: some parts met (or
  met in part) → ``partly came true``; none, with ``against`` evidence → ``did not come true``; nothing either
  way → ``not resolvable``.
- ``state`` (something will go on holding): an ``against`` item before the horizon is a breach → ``did not come
  true`` on its date; otherwise ``too early to tell`` until the horizon; from the horizon every part met →
  ``came true``, some → ``partly came true``, none → ``not resolvable``.

Met parts count only when dated on or before the horizon. The evidence strength then caps the label
(``techduel.evidence.cap_forecast``), as for every verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import data

EARLY, CAME, PARTLY, MISSED, OPEN = ("too early to tell", "came true", "partly came true", "did not come true",
                                    "not resolvable")


def article_date() -> pd.Timestamp:
    art = data.load("article").set_index("field")
    return pd.Timestamp(art.at["date", "value"])


def check_as_of(as_of: str, article: pd.Timestamp, latest: pd.Timestamp) -> pd.Timestamp:
    """The as-of date as a timestamp, or an error naming the parameter and the dates allowed."""
    try:
        day = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise ValueError(f"parameter as_of: '{as_of}' is not a date (YYYY-MM-DD)") from None
    if not article <= day <= latest:
        raise ValueError(f"parameter as_of: {day:%Y-%m-%d} is outside {article:%Y-%m-%d} (the article's date) "
                         f"to {latest:%Y-%m-%d} (the latest evidence or horizon)")
    return day


def _row_of(table: str, key: str) -> pd.Series:
    frame = data.load(table)
    pk = data.resource(table).descriptor["schema"]["primaryKey"]
    hit = frame[frame[pk] == key]
    if hit.empty:
        raise KeyError(f"data/forecasts/evidence.csv points at {table} row '{key}', which does not exist")
    return hit.iloc[0]


def _date_of(row: pd.Series) -> pd.Timestamp | None:
    if "date" in row.index and pd.notna(row["date"]):
        return pd.Timestamp(row["date"])
    if "year" in row.index and pd.notna(row["year"]):
        return pd.Timestamp(year=int(row["year"]), month=12, day=31)  # known to the year: never used too early
    return None


def resolve(evidence: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows with their date and sources filled from the thread table they point at (read, not copied)."""
    out = evidence.copy()
    dates, sources = [], []
    for _, r in out.iterrows():
        if isinstance(r["table"], str) and r["table"]:
            row = _row_of(r["table"], r["row"])
            dates.append(_date_of(row))
            sources.append(list(row["source_ids"]))
        else:
            dates.append(pd.Timestamp(r["date"]) if pd.notna(r["date"]) else None)
            sources.append(list(r["source_ids"]) if isinstance(r["source_ids"], list) else [])
    out["date"] = pd.to_datetime(pd.Series(dates, index=out.index, dtype="object"))
    out["source_ids"] = sources
    missing = out[out["date"].isna() & out["bears"].ne("context")]
    if not missing.empty:
        raise ValueError(f"data/forecasts/evidence.csv: rows {', '.join(missing['evidence_id'])} count as evidence "
                         "but have no date (give one, or mark them context)")
    return out


def window(evidence: pd.DataFrame, article: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """The evidence a verdict as of ``as_of`` may use: after the article, on or before as_of, not context."""
    d = evidence["date"]
    return evidence[(evidence["bears"] != "context") & (d > article) & (d <= as_of)]


@dataclass(frozen=True)
class Outcome:
    claim_id: str
    label: str  # what the rule gives (before the evidence cap)
    as_of: pd.Timestamp
    resolved_on: pd.Timestamp | None  # when the label stopped being 'too early to tell'
    met: tuple[str, ...]
    partly: tuple[str, ...]
    against: tuple[str, ...]
    parts: tuple[str, ...]
    used: pd.DataFrame = field(repr=False, compare=False)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(s for ids in self.used["source_ids"] for s in ids))


def judge(criterion: pd.Series, evidence: pd.DataFrame, article: pd.Timestamp, as_of) -> Outcome:
    """The rule label of one forecast as of ``as_of``, from its resolved evidence rows (see the module doc)."""
    as_of = pd.Timestamp(as_of)
    horizon = pd.Timestamp(criterion["horizon"])
    parts = tuple(criterion["parts"])
    used = window(evidence[evidence["claim_id"] == criterion["claim_id"]], article, as_of)
    in_time = used[used["date"] <= horizon]
    first = {p: in_time.loc[(in_time["part"] == p) & (in_time["bears"] == "meets"), "date"].min() for p in parts}
    met = tuple(p for p in parts if pd.notna(first[p]))
    partly = tuple(p for p in parts if p not in met and ((in_time["part"] == p) & (in_time["bears"] == "partly")).any())
    against_rows = used[used["bears"] == "against"]
    against = tuple(dict.fromkeys(against_rows["part"]))
    passed = as_of >= horizon
    label, when = EARLY, None
    if criterion["resolves"] == "state":
        breach = against_rows[against_rows["date"] <= horizon]
        if not breach.empty:
            label, when = MISSED, breach["date"].min()
        elif passed:
            label = CAME if len(met) == len(parts) else PARTLY if met or partly else OPEN
            when = horizon
    elif len(met) == len(parts):
        label, when = CAME, max(first[p] for p in parts)
    elif passed:
        label = PARTLY if met or partly else MISSED if against else OPEN
        when = horizon
    return Outcome(criterion["claim_id"], label, as_of, when, met, partly, against, parts, used)


def judge_all(criteria: pd.DataFrame, evidence: pd.DataFrame, article: pd.Timestamp, as_of) -> list[Outcome]:
    """Every forecast this notebook judges (linked ones, judged by another thread, are left out)."""
    own = criteria[~criteria["judged_in"].fillna("").astype(bool)]
    return [judge(c, evidence, article, as_of) for _, c in own.iterrows()]


def latest(evidence: pd.DataFrame) -> pd.Timestamp:
    """The last date a reader may set as_of to: the day the evidence was last read (the latest ``accessed``
    date of the sources it cites), never before the latest dated item."""
    reg = data.load("sources").set_index("source_id")
    cited = [s for ids in evidence["source_ids"] for s in ids]
    read = pd.to_datetime(reg.loc[cited, "accessed"]).max() if cited else evidence["date"].max()
    return max(read, evidence["date"].max())


def readings(o: Outcome, criterion: pd.Series, evidence: pd.DataFrame, article: pd.Timestamp) -> list:
    """Where the article gives no horizon and another is defensible: both horizons, with the label each gives
    as of the same date (the one we take is chosen, with its reason)."""
    from . import evidence as ev_

    alt = criterion.get("alt_horizon")
    if alt is None or pd.isna(alt):
        return []
    moved = criterion.copy()
    moved["horizon"] = pd.Timestamp(alt)
    other = judge(moved, evidence, article, o.as_of)
    return [ev_.Reading(f"horizon {_d(criterion['horizon'])}", o.label, chosen=True, why=criterion["horizon_reason"]),
            ev_.Reading(f"horizon {_d(alt)}: {criterion['alt_reason']}", other.label)]


def record(o: Outcome, criterion: pd.Series, evidence: pd.DataFrame, article: pd.Timestamp) -> None:
    """Show and record the verdict of one forecast as of its date: the shared rule label, capped by the
    strength of the evidence it used (the conclusion names the party when the evidence is theirs alone)."""
    from . import claims, evidence as ev_

    row = claims.claim(o.claim_id)
    found = ev_.strength(o.sources, row["parties"] if isinstance(row["parties"], list) else [])
    final = ev_.cap_forecast(o.label, found.level)
    speaking = found.parties if found.level == ev_.INTERESTED else ()
    shown = Outcome(o.claim_id, final, o.as_of, o.resolved_on, o.met, o.partly, o.against, o.parts, o.used)
    searched = ""
    if final == OPEN or o.used.empty:  # say where we looked whenever nothing settles it or nothing counts yet
        searched = ("the stored pages and the thread tables (sanctions, trade, industry, huawei) for dated "
                    f"records bearing on: {criterion['criterion']}")
    claims.verdict(o.claim_id, o.label, reason(o, criterion, article), evidence_lines(o), o.sources,
                   conclusion=conclusion(shown, criterion, speaking), searched=searched,
                   readings=readings(o, criterion, evidence, article),
                   context=context_sources(evidence, o.claim_id, o.sources), as_of=f"{o.as_of:%Y-%m-%d}")


def table(outcomes: list[Outcome], criteria: pd.DataFrame) -> pd.DataFrame:
    crit = criteria.set_index("claim_id")
    rows = [{"claim_id": o.claim_id, "rule label": o.label, "horizon": crit.at[o.claim_id, "horizon"],
             "resolved on": o.resolved_on, "parts met": ", ".join(o.met) or "none",
             "of": len(o.parts), "evidence used": len(o.used)} for o in outcomes]
    return pd.DataFrame(rows).set_index("claim_id")


# --- what the verdict box says -------------------------------------------------------------------------------

def _d(ts) -> str:
    return pd.Timestamp(ts).strftime("%d %B %Y").lstrip("0")


def reason(o: Outcome, criterion: pd.Series, article: pd.Timestamp) -> str:
    horizon = pd.Timestamp(criterion["horizon"])
    told = (f"Criterion: {criterion['criterion']} Horizon: {_d(horizon)} ({criterion['horizon_reason']}) "
            f"Counted: evidence dated after the article ({_d(article)}) and on or before {_d(o.as_of)}; "
            f"{len(o.used)} item(s). Parts met: {', '.join(o.met) or 'none'} (of {', '.join(o.parts)})"
            + (f"; met in part: {', '.join(o.partly)}" if o.partly else "")
            + (f"; evidence against: {', '.join(o.against)}" if o.against else "") + ".")
    return told


def _clause(text: str) -> str:
    """A finding as a clause after a colon: first letter lowered unless it starts an acronym or a name."""
    text = text.rstrip(".")
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() and text.split()[0] not in NAMES else text


NAMES = ("China", "China's", "Chinese", "Russia", "Russia's", "Alibaba", "Huawei", "Tencent", "Trump", "Nvidia",
         "The")  # words a finding may start with that keep their capital ("The" is lowered below)


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _finding(o: Outcome, bears: str, parts=(), on=None, until=None) -> str:
    """The finding of the latest matching item (of the item dated ``on``, or the latest up to ``until``)."""
    rows = o.used[(o.used["bears"] == bears) & (o.used["part"].isin(parts) if parts else True)]
    if on is not None:
        rows = rows[rows["date"] == on]
    if until is not None:
        rows = rows[rows["date"] <= pd.Timestamp(until)]
    if rows.empty:
        return ""
    text = _clause(rows.sort_values("date").iloc[-1]["finding"])
    return text[0].lower() + text[1:] if text.startswith("The ") else text


def conclusion(o: Outcome, criterion: pd.Series, speaking: tuple[str, ...] = ()) -> str:
    """One self-standing sentence saying what happened; it names the party whose word the verdict rests on
    when the evidence is theirs alone."""
    whose = f", on the word of {_and(speaking)} alone" if speaking else ""
    as_of, horizon = _d(o.as_of), _d(criterion["horizon"])
    if o.label == CAME:
        what = _finding(o, "meets", on=o.resolved_on)
        return f"As of {as_of}, the forecast had come true by {_d(o.resolved_on)}{whose}: {what}."
    if o.label == PARTLY:
        done = _and(o.met + o.partly)
        what = _finding(o, "meets", o.met, until=criterion["horizon"]) or _finding(o, "partly")
        return (f"As of {as_of}, only part of the forecast ({done}, of {_and(o.parts)}) was met by its horizon of "
                f"{horizon}{whose}: {what}.")
    if o.label == MISSED:
        return (f"As of {as_of}, the forecast had not come true by {_d(o.resolved_on)}{whose}: "
                f"{_finding(o, 'against')}.")
    if o.label == OPEN:
        return (f"As of {as_of}, the horizon of {horizon} has passed and no dated record settles the forecast "
                "either way.")
    so_far = (f"; so far the evidence meets the {_and(o.met)} part{'s' if len(o.met) > 1 else ''} of the criterion"
              if o.met else "")
    return f"As of {as_of}, it is too early to tell: the horizon is {horizon}{so_far}."


def evidence_lines(o: Outcome) -> list[str]:
    if o.used.empty:
        return ["No evidence dated in the window yet."]
    return [f"{r['date']:%Y-%m-%d} [{r['bears']}{' ' + r['part'] if r['part'] else ''}] {r['finding']}"
            for _, r in o.used.sort_values("date").iterrows()]


def context_sources(evidence: pd.DataFrame, claim_id: str, used: list[str]) -> list[str]:
    """Sources of this forecast's rows that are not counted as of this date (context, or outside the window)."""
    rows = evidence[evidence["claim_id"] == claim_id]
    return [s for s in dict.fromkeys(s for ids in rows["source_ids"] for s in ids) if s not in used]


# --- the timeline --------------------------------------------------------------------------------------------

MARKS = {"meets": "o", "partly": "s", "against": "X", "context": "."}


def timeline_figure(criteria: pd.DataFrame, evidence: pd.DataFrame, outcomes: list[Outcome],
                    article: pd.Timestamp, as_of: pd.Timestamp, title: str):
    """One row per forecast: its evidence by date, its horizon (|) and, where it resolved by as_of, a star
    coloured by the label; the article's date and the as-of date as vertical lines."""
    from . import claims, plotting

    crit = criteria.set_index("claim_id")
    fig, ax = plotting.figure(title, "Date", "", size=(11.5, 5.6))
    right = max(as_of, evidence["date"].max()) + pd.Timedelta(days=120)
    order = [o.claim_id for o in outcomes]
    y = {cid: i for i, cid in enumerate(order)}
    rows = []
    for o in outcomes:
        ev = evidence[(evidence["claim_id"] == o.claim_id) & evidence["date"].notna()]
        for bears, g in ev.groupby("bears"):
            shown = g[g["date"] <= as_of]
            ax.scatter(shown["date"], [y[o.claim_id]] * len(shown), marker=MARKS[bears], s=30, color="#555555",
                       zorder=5 if bears == "against" else 3, label=f"evidence: {bears}")
            rows += [{"claim_id": o.claim_id, "date": d, "what": f"evidence ({bears})"} for d in shown["date"]]
        horizon = pd.Timestamp(crit.at[o.claim_id, "horizon"])
        if horizon <= right:
            ax.scatter([horizon], [y[o.claim_id]], marker="|", s=160, color="#000000", zorder=2, label="horizon")
        else:  # a horizon beyond the axis: an arrow at its edge, the date beside it
            ax.scatter([right - pd.Timedelta(days=10)], [y[o.claim_id]], marker=">", s=40, color="#000000",
                       zorder=2, label="horizon later (date shown)")
            ax.annotate(f"{horizon:%Y-%m-%d}", (right - pd.Timedelta(days=20), y[o.claim_id]), fontsize=7,
                        ha="right", va="bottom")
        rows.append({"claim_id": o.claim_id, "date": horizon, "what": "horizon"})
        if o.resolved_on is not None:
            ax.scatter([o.resolved_on], [y[o.claim_id]], marker="*", s=170, zorder=4, edgecolor="#000000",
                       linewidth=0.5, color=claims.COLOURS[o.label], label=o.label)
            rows.append({"claim_id": o.claim_id, "date": o.resolved_on, "what": f"resolved: {o.label}"})
    ax.axvline(article, color="#888888", linewidth=1)
    ax.axvline(as_of, color="#D55E00", linestyle="--", linewidth=1)
    ax.annotate("article", (article, -0.6), fontsize=8, color="#555555")
    ax.annotate(f"as of {as_of:%Y-%m-%d}", (as_of, -0.6), fontsize=8, color="#D55E00")
    ax.set_yticks(range(len(order)), order)
    ax.set_ylim(len(order) - 0.4, -0.9)
    ax.set_xlim(article - pd.Timedelta(days=60), right)
    ax.grid(axis="y", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              frameon=False)
    plotted = pd.DataFrame(rows, columns=["claim_id", "date", "what"])
    plotted["date"] = pd.to_datetime(plotted["date"]).dt.strftime("%Y-%m-%d")
    return fig, plotted


# --- forecasts judged by another thread, and presupposed facts -----------------------------------------------

def linked(criteria: pd.DataFrame, folder: str = "notebooks") -> pd.DataFrame:
    """Forecasts that are claims of another thread: their verdict as that thread's notebook records it (read
    back, never judged twice)."""
    from . import claims, paths

    rows = []
    for _, c in criteria[criteria["judged_in"].fillna("").astype(bool)].iterrows():
        nb = paths.resolve(folder) / f"{c['judged_in']}.ipynb"
        found = claims.read_verdicts([nb]) if nb.exists() else pd.DataFrame(columns=["claim_id"])
        hit = found[found["claim_id"] == c["claim_id"]]
        v = hit.iloc[0] if not hit.empty else None
        rows.append({"claim_id": c["claim_id"], "criterion": c["criterion"], "horizon": c["horizon"],
                     "judged in": c["judged_in"], "verdict there": v["verdict"] if v is not None else "not yet judged",
                     "strength": _text_or_blank(v, "strength"), "conclusion there": _text_or_blank(v, "conclusion")})
    return pd.DataFrame(rows, columns=["claim_id", "criterion", "horizon", "judged in", "verdict there", "strength",
                                       "conclusion there"])


def _text_or_blank(row, name: str) -> str:
    """A field of a verdict read back; blank when absent (verdicts recorded before the field existed)."""
    value = None if row is None else row.get(name)
    return value if isinstance(value, str) else ""


def links_markdown(table: pd.DataFrame):
    from IPython.display import Markdown

    lines = [f"* [{r['claim_id']}]({r['judged in']}.ipynb#{r['claim_id']}) — judged in `{r['judged in']}`: "
             f"**{r['verdict there']}**" + (f" ({r['strength']})" if r["strength"] else "")
             for _, r in table.iterrows()]
    return Markdown("\n".join(lines) or "No forecast of this ledger is judged by another thread.")


def fact_lines(facts: pd.DataFrame) -> list[str]:
    return [(f"{r['date']:%Y-%m-%d} " if pd.notna(r["date"]) else "") + f"[{r['bears']}] {r['finding']}"
            for _, r in facts.iterrows()]
