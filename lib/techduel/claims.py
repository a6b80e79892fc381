"""The verdict scale, the numeric rule, recording verdicts and reading them back, ClaimReview export.

One scale for the whole collection, so a reader learns it once. Each verdict rates a claim, never
the person who made it, and carries a one-sentence conclusion that stands on its own.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike

import pandas as pd

from . import brief, data, fmt, outputs, robustness_shown
from . import evidence as ev

# label -> (rating on the ClaimReview scale, definition). Order is best to worst, unverifiable last.
SCALE: dict[str, tuple[int, str]] = {
    "accurate": (5, "The evidence supports the claim as stated; any difference is within the stated tolerance."),
    "mostly accurate": (4, "The claim holds in substance, but a figure, date or detail is somewhat off "
                           "or needs a qualifier to be right."),
    "mixed": (3, "Part of the claim holds and part does not, or the answer depends on a definition or "
                 "source that the claim leaves open; the verdict says which part holds."),
    "misleading": (2, "A literal reading may be defensible, but the claim leaves out context that would "
                      "change a reader's conclusion, or frames the evidence so as to suggest something it "
                      "does not show."),
    "false": (1, "The evidence contradicts the claim, or the figure is far outside what the sources "
                 "support."),
    "unverifiable": (-1, "We could not find evidence that settles the claim either way; the verdict says "
                         "what was searched. Not a rating on the 1-5 scale (ratingValue -1)."),
}
LABELS = tuple(SCALE)
BEST, WORST = 5, 1

# Forecasts are not statements of fact: they get their own scale (ledger kind ``forecast``), mapped onto the
# same ClaimReview ratings so the export stays valid. An as-of date goes with every forecast verdict.
FORECAST_SCALE: dict[str, tuple[int, str]] = {
    "came true": (5, "What the forecast said would happen happened, by its criterion and within its horizon."),
    "partly came true": (3, "Part of the forecast happened, or it happened later or to a lesser degree than said."),
    "did not come true": (1, "The horizon has passed and the criterion is not met."),
    "too early to tell": (-1, "The horizon has not passed and the criterion is not yet met."),
    "not resolvable": (-1, "No criterion a reader could apply can be written, or no evidence can settle it; "
                           "the verdict says what was searched."),
}
FORECAST_LABELS = tuple(FORECAST_SCALE)


# Labels that assert no outcome: they may rest on no source (unverifiable and not resolvable say what was searched).
OPEN_LABELS = ("unverifiable", "too early to tell", "not resolvable")


def scale_for(kind: str) -> dict[str, tuple[int, str]]:
    """The scale a claim of this ledger kind is rated on."""
    return FORECAST_SCALE if kind == "forecast" else SCALE


# Words that judge rather than measure; kept out of conclusions and reasons (a test holds the list).
LOADED_WORDS = ("debunk", "debunked", "debunks", "exposed", "spoof", "spoofs", "hoax", "bogus", "propaganda",
                "myth", "nonsense", "absurd", "ridiculous", "laughable", "so-called", "fake", "lie", "lied",
                "liar", "shameful", "outrageous", "brazen")

# The numeric rule: how far a claimed number may sit from the evidence range, relative to the nearest
# end of the range, for each label. Stated once here and shown with every numeric verdict.
TOLERANCE_ACCURATE = 0.0  # inside the range (after the claim's own rounding, see rate_number)
TOLERANCE_MOSTLY = 0.10  # within 10 % of the range
TOLERANCE_MIXED = 0.25  # within 25 %; farther than that is false

COMPARATORS = {"eq": "about", "gt": "more than", "ge": "at least", "lt": "less than", "le": "at most"}


@dataclass(frozen=True)
class Rating:
    label: str
    distance: float  # relative distance from the claim to the evidence, 0 when it agrees
    explanation: str


def rate_number(claimed: float, low: float, high: float, comparator: str = "eq", *, unit: str = "") -> Rating:
    """Turn a claimed number and an evidence range [low, high] into a label, with the reasoning.

    ``comparator`` reads the claim: ``eq`` (claimed is about right), ``gt``/``ge`` (the true value is
    more than claimed), ``lt``/``le`` (less than claimed). For ``eq`` the distance is from the claimed
    value to the nearest end of the range; for bounds, how far the evidence falls on the wrong side.
    If the range straddles a bound, the claim holds for part of the evidence only: ``mixed``.
    ``unit`` (as in a descriptor: ``USD``, ``percent``) only changes how the numbers are written.
    """
    if comparator not in COMPARATORS:
        raise ValueError(f"comparator '{comparator}' is not one of {', '.join(COMPARATORS)}")
    if any(not math.isfinite(v) for v in (claimed, low, high)):
        raise ValueError("claimed value and evidence range must be finite numbers")
    if low > high:
        raise ValueError(f"evidence range is empty: low {low} > high {high}")
    evidence = (f"the evidence range, {fmt.span(low, high, unit)}," if low != high
                else f"the evidence value, {_fmt(low, unit)},")
    rule = (f"thresholds: inside = accurate, within {TOLERANCE_MOSTLY:.0%} = mostly accurate, "
            f"within {TOLERANCE_MIXED:.0%} = mixed, farther = false")
    if comparator == "eq":
        if low <= claimed <= high:
            inside = "lies inside" if low != high else "matches"
            return Rating("accurate", 0.0, f"the claimed {_fmt(claimed, unit)} {inside} {evidence.rstrip(',')} "
                                           f"({rule})")
        nearest = low if claimed < low else high
        distance = abs(claimed - nearest) / abs(nearest) if nearest else math.inf
        target = f"the nearest end of {evidence.rstrip(',')}" if low != high else evidence.rstrip(",")
        return _by_distance(distance, f"the claimed {_fmt(claimed, unit)} is {_pct(distance)} from {target} "
                                      f"({rule})")
    wants_more = comparator in ("gt", "ge")
    holds = (lambda v: v > claimed or (comparator == "ge" and v == claimed)) if wants_more else \
        (lambda v: v < claimed or (comparator == "le" and v == claimed))
    phrase = f"{COMPARATORS[comparator]} {_fmt(claimed, unit)}"
    whole = evidence.replace("the evidence range", "the whole evidence range")
    if holds(low) and holds(high):
        return Rating("accurate", 0.0, f"{whole} is {phrase} ({rule})")
    if holds(low) or holds(high):
        return Rating("mixed", 0.0, f"{evidence} straddles the claimed bound: only part of it is {phrase}")
    worst_side = high if wants_more else low
    distance = abs(claimed - worst_side) / abs(claimed) if claimed else math.inf
    return _by_distance(distance, f"{evidence} is not {phrase}; it misses the bound by "
                                  f"{_pct(distance)} ({rule})")


YEAR_TOLERANCE = {0: "accurate", 1: "mostly accurate", 2: "mixed"}  # years off -> label; more is false


def rate_year(claimed: int, actual: int, what: str = "the event") -> Rating:
    """A claimed year against the documented one: exact is accurate, one year off mostly accurate, two
    years mixed, more false."""
    off = abs(int(claimed) - int(actual))
    label = YEAR_TOLERANCE.get(off, "false")
    rule = "thresholds: same year = accurate, 1 year off = mostly accurate, 2 = mixed, more = false"
    apart = "the same year" if off == 0 else f"{off} year{'s' if off != 1 else ''} apart"
    return Rating(label, float(off), f"claimed {int(claimed)}, documented {int(actual)} for {what}: "
                                     f"{apart} ({rule})")


def _by_distance(distance: float, why: str) -> Rating:
    if distance <= TOLERANCE_MOSTLY:
        return Rating("mostly accurate", distance, why)
    if distance <= TOLERANCE_MIXED:
        return Rating("mixed", distance, why)
    return Rating("false", distance, why)


def _fmt(x: float, unit: str = "") -> str:
    """A number in a reason: '40,000', '5.576 million USD', never 4e+04 (see techduel.fmt)."""
    return fmt.quantity(x, unit)


def _pct(x: float) -> str:
    return "infinitely far" if math.isinf(x) else f"{x:.0%}"


def ledger() -> pd.DataFrame:
    return data.load("claims")


def claim(claim_id: str) -> pd.Series:
    led = ledger()
    hit = led[led["claim_id"] == claim_id]
    if hit.empty:
        raise KeyError(f"claim '{claim_id}' is not in data/claims.csv")
    return hit.iloc[0]


def verdict(claim_id: str, label: str, reason: str, evidence: str | Sequence[str], sources: Iterable[str],
            *, conclusion: str, searched: str = "", readings: Iterable[ev.Reading] = (),
            context: Iterable[str] = (), as_of: str | None = None) -> None:
    """Show a verdict box and record the verdict in the cell's outputs.

    ``label`` is what the notebook's stated rule gives; the shared evidence rule then caps it by the strength
    of ``sources`` (the sources the evidence rests on; ``context`` lists sources shown but not counted), and
    the box shows both. ``reason`` is the reasoning, ``evidence`` the facts used, ``conclusion`` one
    self-standing sentence. ``searched`` says what was looked for and where (required for ``unverifiable``).
    ``readings`` lists the candidate readings of the claim with the label each would get, one chosen.
    ``as_of`` (YYYY-MM-DD) is required for forecasts: the latest date of evidence used.
    """
    row = claim(claim_id)
    scale = scale_for(row["kind"])
    if label not in scale:
        raise ValueError(f"verdict label '{label}' is not on the scale for {row['kind']} claims: "
                         f"{', '.join(scale)}")
    sources = list(dict.fromkeys(sources))
    context = [s for s in dict.fromkeys(context) if s not in sources]
    if not sources and label not in OPEN_LABELS:
        raise ValueError(f"verdict on {claim_id} names no source")
    known = set(data.load("sources")["source_id"])
    unknown = [s for s in [*sources, *context] if s not in known]
    if unknown:
        raise KeyError(f"verdict on {claim_id} cites unknown source id(s): {', '.join(unknown)}")
    conclusion = " ".join(conclusion.split())
    if not conclusion.endswith((".", "?", "!")):
        raise ValueError(f"the conclusion of {claim_id} must be one full sentence ending with a full stop")
    _check_neutral(claim_id, conclusion, reason)
    parties = list(row["parties"]) if isinstance(row.get("parties"), list) else []
    found = ev.strength(sources, parties)
    final = ev.cap(label, found.level) if scale is SCALE else ev.cap_forecast(label, found.level)
    if final in ("unverifiable", "not resolvable") and not searched.strip():
        raise ValueError(f"verdict on {claim_id} is '{final}' but does not say what was searched "
                         "(pass searched='what was looked for, and where')")
    if found.level == ev.INTERESTED and final not in OPEN_LABELS:
        missing = [p for p in found.parties if p.lower() not in conclusion.lower()]
        if missing:
            raise ValueError(f"verdict on {claim_id} rests on {', '.join(missing)} alone: the conclusion must "
                             "say whose word it is")
    if row["kind"] == "forecast" and not as_of:
        raise ValueError(f"verdict on forecast {claim_id} needs as_of (the date of the evidence it uses)")
    evidence = [evidence] if isinstance(evidence, str) else list(evidence)
    payload = {"claim_id": claim_id, "verdict": final, "rating": scale[final][0], "conclusion": conclusion,
               "reason": reason, "evidence": evidence, "sources": sources, "context": context,
               "line": int(row["line"]), "thread": row["thread"], "claim": row["claim"], "kind": row["kind"],
               "rule_label": label, "strength": found.level, "strength_note": found.explain(),
               "parties": parties, "searched": " ".join(searched.split()),
               "readings": ev.check_readings(claim_id, label, readings),
               "depends_on": row["depends_on"] if isinstance(row.get("depends_on"), str) else "", "as_of": as_of or "",
               **robustness_shown.of(claim_id, final)}
    outputs.emit(outputs.VERDICT, payload, _text(payload), _html(payload))
    brief.record(payload)
    _CITED.update(dict.fromkeys([*sources, *context]))


# Every source a verdict of this kernel cited (evidence and context), in first-cited order: the notebook's
# reference list includes them all, so every source link of a verdict box has its target.
_CITED: dict[str, None] = {}


def cited() -> list[str]:
    return list(_CITED)


def _check_neutral(claim_id: str, *texts: str) -> None:
    import re

    for text in texts:
        hits = [w for w in LOADED_WORDS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.I)]
        if hits:
            raise ValueError(f"verdict on {claim_id} uses loaded word(s) {', '.join(hits)}: say what was "
                             "measured instead")


def _label_line(p: dict) -> str:
    """The label and, where the evidence capped it, what the rule gave."""
    if p.get("rule_label", p["verdict"]) != p["verdict"]:
        return (f"{p['verdict']} (the rule gives {p['rule_label']}; {p['strength']} evidence allows at most "
                f"{p['verdict']})")
    return p["verdict"]


def _text(p: dict) -> str:
    lines = [f"VERDICT {p['claim_id']} (article line {p['line']}): {_label_line(p).upper()}",
             f"Claim: {p['claim']}", f"Conclusion: {p['conclusion']}", f"Reasoning: {p['reason']}",
             p.get("strength_note", "")]
    if p.get("as_of"):
        lines.append(f"As of: {p['as_of']}")
    for r in p.get("readings", []):
        lines.append(f"Reading{' (taken)' if r['chosen'] else ''}: {r['reading']} -> {r['label']}"
                     + (f" ({r['why']})" if r.get("why") else ""))
    if p.get("searched"):
        lines.append(f"Searched: {p['searched']}")
    if p.get("depends_on"):
        lines.append(f"Depends on: {p['depends_on']} (counted once on the scoreboard)")
    if "robustness" in p:
        lines.append(robustness_shown.text(p))
    lines += [f"Evidence: {e}" for e in p["evidence"]]
    lines.append(f"Sources: {', '.join(p['sources'])}")
    if p.get("context"):
        lines.append(f"Context (not counted as evidence): {', '.join(p['context'])}")
    return "\n".join(line for line in lines if line)


COLOURS = {"accurate": "#009E73", "mostly accurate": "#56B4E9", "mixed": "#E69F00", "misleading": "#CC79A7",
           "false": "#D55E00", "unverifiable": "#999999", "pending": "#DDDDDD",
           "came true": "#009E73", "partly came true": "#E69F00", "did not come true": "#D55E00",
           "too early to tell": "#BBBBBB", "not resolvable": "#999999"}


def _html(p: dict) -> str:
    e = html.escape
    ev_ = "".join(f"<li>{e(x)}</li>" for x in p["evidence"])
    src = ", ".join(f'<a href="#src-{e(s)}">{e(s)}</a>' for s in p["sources"])
    ctx = ", ".join(f'<a href="#src-{e(s)}">{e(s)}</a>' for s in p.get("context", []))
    colour = COLOURS[p["verdict"]]
    readings = ""
    if p.get("readings"):
        rows = "".join(f"<tr><td>{'✔ ' if r['chosen'] else ''}{e(r['reading'])}</td><td>{e(r['label'])}</td>"
                       f"<td>{e(r.get('why', ''))}</td></tr>" for r in p["readings"])
        readings = (f'<table class="td-readings"><thead><tr><th>reading</th><th>label</th><th>why</th></tr></thead>'
                    f"<tbody>{rows}</tbody></table>")
    capped = ""
    if p.get("rule_label", p["verdict"]) != p["verdict"]:
        capped = (f" <em>(the rule gives {e(p['rule_label'])}; {e(p['strength'])} evidence allows at most "
                  f"{e(p['verdict'])})</em>")
    extra = ""
    if p.get("as_of"):
        extra += f"<p><em>As of:</em> {e(p['as_of'])}</p>"
    if p.get("searched"):
        extra += f"<p><em>Searched:</em> {e(p['searched'])}</p>"
    if p.get("depends_on"):
        extra += f"<p><em>Depends on</em> {e(p['depends_on'])} (counted once on the scoreboard)</p>"
    if "robustness" in p:
        extra += robustness_shown.html_line(p)
    # tex2jax_ignore/mathjax_ignore: JupyterLab runs MathJax over HTML outputs; money ($2 ... $3) must stay text
    return (f'<div class="td-verdict tex2jax_ignore mathjax_ignore" id="{e(p["claim_id"])}" style="border-left:6px solid {colour};padding:0.4em 0.8em;'
            f'margin:0.5em 0;background:#fafafa">'
            f'<p><a href="#{e(p["claim_id"])}"><strong>{e(p["claim_id"])}</strong></a> · article line {p["line"]} · '
            f'<span style="background:{colour};color:#000;padding:0 0.4em;border-radius:3px">'
            f'<strong>{e(p["verdict"])}</strong></span>{capped}</p>'
            f'<p><em>Claim (our paraphrase):</em> {e(p["claim"])}</p>'
            f'<p><strong>{e(p["conclusion"])}</strong></p>'
            f'<p><em>{e(p.get("strength_note", ""))}</em></p>'
            f'<p><em>Reasoning:</em> {e(p["reason"])}</p>{readings}{extra}'
            f'<ul>{ev_}</ul><p><em>Sources:</em> {src}</p>'
            + (f'<p><em>Context (not counted as evidence):</em> {ctx}</p>' if ctx else "") + '</div>')


def read_verdicts(notebooks: Iterable[str | PathLike]) -> pd.DataFrame:
    """All verdicts recorded in the given executed notebooks, one row each, with the notebook's stem."""
    from pathlib import Path

    rows = []
    for nb in notebooks:
        for p in outputs.read(nb, outputs.VERDICT):
            rows.append({**p, "notebook": Path(nb).stem})
    cols = ["claim_id", "verdict", "rating", "conclusion", "reason", "evidence", "sources", "line", "thread",
            "claim", "notebook", "kind", "rule_label", "strength", "strength_note", "searched", "readings",
            "context", "parties", "depends_on", "as_of", "robustness", "robustness_note", "robustness_on"]
    for row in rows:  # a notebook executed before verdicts carried their robustness: not assessed
        row.setdefault("robustness", robustness_shown.NOT_ASSESSED)
        row.setdefault("robustness_note", "")
        row.setdefault("robustness_on", "")
    return pd.DataFrame(rows, columns=cols)


def check_verdicts(verdicts: pd.DataFrame) -> None:
    """Fail when a verdict names a claim the ledger lacks, or two notebooks judge one claim."""
    known = set(ledger()["claim_id"])
    strangers = sorted(set(verdicts["claim_id"]) - known)
    if strangers:
        raise ValueError(f"verdicts name claims that are not in data/claims.csv: {', '.join(strangers)}")
    dup = verdicts[verdicts.duplicated("claim_id", keep=False)]
    if not dup.empty:
        where = "; ".join(f"{cid} in {', '.join(sorted(g['notebook']))}" for cid, g in dup.groupby("claim_id"))
        raise ValueError(f"claims judged more than once: {where}")
    check_caps(verdicts)


def check_caps(verdicts: pd.DataFrame) -> None:
    """Recompute each verdict's evidence strength from the registry as it is now and fail when a label is
    stronger than that strength allows, or an unverifiable verdict does not say what was searched."""
    reg = ev.registry()
    led = ledger().set_index("claim_id")
    problems = []
    for _, v in verdicts.iterrows():
        parties = led.at[v["claim_id"], "parties"] if "parties" in led.columns else []
        try:
            level = ev.strength(v["sources"], parties if isinstance(parties, list) else [], reg).level
        except KeyError as exc:
            problems.append(f"{v['claim_id']}: {exc.args[0]}")
            continue
        capper = ev.cap if v["verdict"] in SCALE else ev.cap_forecast
        if capper(v["verdict"], level) != v["verdict"]:
            problems.append(f"{v['claim_id']}: '{v['verdict']}' needs stronger evidence than '{level}' "
                            f"(at most '{capper(v['verdict'], level)}')")
        if v["verdict"] in ("unverifiable", "not resolvable") and not (isinstance(v.get("searched"), str)
                                                                        and v["searched"].strip()):
            problems.append(f"{v['claim_id']}: '{v['verdict']}' without what was searched")
    if problems:
        raise ValueError("verdicts break the standard of evidence: " + "; ".join(problems))


def scoreboard(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Every ledger claim with its verdict (``pending`` where no notebook has judged it yet), the evidence
    strength behind it, its robustness (``robust?``: robust, depends on X, not assessed), the scale it is rated
    on (``fact`` or ``forecast``) and whether it counts in a tally:
    a claim that ``depends_on`` another (a dependent detail of one sentence) is listed but counted once, with
    the claim it depends on."""
    led = ledger()[["claim_id", "line", "thread", "claim", "kind", "depends_on"]]
    v = verdicts.reindex(columns=["claim_id", "verdict", "conclusion", "notebook", "strength", "as_of",
                                  "robustness", "robustness_note", "robustness_on"])
    board = led.merge(v, on="claim_id", how="left")
    board["verdict"] = board["verdict"].fillna("pending")
    for col in ("conclusion", "notebook", "strength", "depends_on", "as_of", "robustness", "robustness_note",
                "robustness_on"):
        board[col] = [x if isinstance(x, str) else "" for x in board[col]]
    board["robust?"] = [robustness_shown.short(s, on) if v != "pending" else "" for s, on, v in
                        zip(board["robustness"], board["robustness_on"], board["verdict"])]
    board["scale"] = board["kind"].map(lambda k: "forecast" if k == "forecast" else "fact")
    board["counted"] = board["depends_on"] == ""
    return board


def pending(verdicts: pd.DataFrame) -> pd.DataFrame:
    board = scoreboard(verdicts)
    return board[board["verdict"] == "pending"]


def claimreview(verdicts: pd.DataFrame, article: dict, page_url: dict[str, str], date_published: str,
                author: str = "techduel") -> list[dict]:
    """One schema.org ClaimReview per verdict. ``page_url`` maps a notebook stem to its page's URL."""
    reviews = []
    for _, v in verdicts.sort_values("claim_id").iterrows():
        rating = {"@type": "Rating", "ratingValue": int(v["rating"]), "bestRating": BEST, "worstRating": WORST,
                  "alternateName": v["verdict"],
                  "ratingExplanation": f"{v['conclusion']} Evidence strength: {v['strength']}."
                                       + (f" As of {v['as_of']}." if isinstance(v.get("as_of"), str) and v["as_of"] else "")}
        item = {"@type": "Claim",
                "author": {"@type": "Person" if article.get("author") else "Organization",
                           "name": article.get("author") or article["publisher"]},
                "datePublished": article["date"],
                "appearance": {"@type": "OpinionNewsArticle", "url": article["url"],
                               "headline": article["title"],
                               "publisher": {"@type": "Organization", "name": article["publisher"]}}}
        reviews.append({"@context": "https://schema.org", "@type": "ClaimReview",
                        "url": f"{page_url[v['notebook']]}#{v['claim_id']}",
                        "claimReviewed": v["claim"], "itemReviewed": item, "reviewRating": rating,
                        "author": {"@type": "Organization", "name": author},
                        "datePublished": date_published})
    return reviews
