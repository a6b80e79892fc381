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

from . import data, outputs

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


def rate_number(claimed: float, low: float, high: float, comparator: str = "eq") -> Rating:
    """Turn a claimed number and an evidence range [low, high] into a label, with the reasoning.

    ``comparator`` reads the claim: ``eq`` (claimed is about right), ``gt``/``ge`` (the true value is
    more than claimed), ``lt``/``le`` (less than claimed). For ``eq`` the distance is from the claimed
    value to the nearest end of the range; for bounds, how far the evidence falls on the wrong side.
    If the range straddles a bound, the claim holds for part of the evidence only: ``mixed``.
    """
    if comparator not in COMPARATORS:
        raise ValueError(f"comparator '{comparator}' is not one of {', '.join(COMPARATORS)}")
    if any(not math.isfinite(v) for v in (claimed, low, high)):
        raise ValueError("claimed value and evidence range must be finite numbers")
    if low > high:
        raise ValueError(f"evidence range is empty: low {low} > high {high}")
    rng = f"[{_fmt(low)}, {_fmt(high)}]" if low != high else _fmt(low)
    rule = (f"thresholds: inside = accurate, within {TOLERANCE_MOSTLY:.0%} = mostly accurate, "
            f"within {TOLERANCE_MIXED:.0%} = mixed, farther = false")
    if comparator == "eq":
        if low <= claimed <= high:
            return Rating("accurate", 0.0, f"claimed {_fmt(claimed)} lies inside the evidence {rng} ({rule})")
        nearest = low if claimed < low else high
        distance = abs(claimed - nearest) / abs(nearest) if nearest else math.inf
        return _by_distance(distance, f"claimed {_fmt(claimed)} vs evidence {rng}: "
                                      f"{_pct(distance)} from the nearest end ({rule})")
    wants_more = comparator in ("gt", "ge")
    holds = (lambda v: v > claimed or (comparator == "ge" and v == claimed)) if wants_more else \
        (lambda v: v < claimed or (comparator == "le" and v == claimed))
    phrase = f"{COMPARATORS[comparator]} {_fmt(claimed)}"
    if holds(low) and holds(high):
        return Rating("accurate", 0.0, f"the whole evidence {rng} is {phrase} ({rule})")
    if holds(low) or holds(high):
        return Rating("mixed", 0.0, f"the evidence {rng} straddles the claimed bound: only part of it is "
                                    f"{phrase}")
    worst_side = high if wants_more else low
    distance = abs(claimed - worst_side) / abs(claimed) if claimed else math.inf
    return _by_distance(distance, f"the evidence {rng} is not {phrase}; it misses the bound by "
                                  f"{_pct(distance)} ({rule})")


YEAR_TOLERANCE = {0: "accurate", 1: "mostly accurate", 2: "mixed"}  # years off -> label; more is false


def rate_year(claimed: int, actual: int, what: str = "the event") -> Rating:
    """A claimed year against the documented one: exact is accurate, one year off mostly accurate, two
    years mixed, more false."""
    off = abs(int(claimed) - int(actual))
    label = YEAR_TOLERANCE.get(off, "false")
    rule = "thresholds: same year = accurate, 1 year off = mostly accurate, 2 = mixed, more = false"
    return Rating(label, float(off), f"claimed {claimed}, documented {actual} for {what}: "
                                     f"{off} year(s) apart ({rule})")


def _by_distance(distance: float, why: str) -> Rating:
    if distance <= TOLERANCE_MOSTLY:
        return Rating("mostly accurate", distance, why)
    if distance <= TOLERANCE_MIXED:
        return Rating("mixed", distance, why)
    return Rating("false", distance, why)


def _fmt(x: float) -> str:
    return f"{x:,.4g}"


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
            *, conclusion: str) -> None:
    """Show a verdict box and record the verdict in the cell's outputs.

    ``reason`` is the reasoning (how the evidence leads to the label); ``evidence`` the facts used, each
    traceable to ``sources``; ``conclusion`` one self-standing sentence that rates the claim.
    """
    if label not in SCALE:
        raise ValueError(f"verdict label '{label}' is not on the scale: {', '.join(LABELS)}")
    row = claim(claim_id)
    sources = list(dict.fromkeys(sources))
    if not sources:
        raise ValueError(f"verdict on {claim_id} names no source")
    known = set(data.load("sources")["source_id"])
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise KeyError(f"verdict on {claim_id} cites unknown source id(s): {', '.join(unknown)}")
    conclusion = " ".join(conclusion.split())
    if not conclusion.endswith((".", "?", "!")):
        raise ValueError(f"the conclusion of {claim_id} must be one full sentence ending with a full stop")
    evidence = [evidence] if isinstance(evidence, str) else list(evidence)
    payload = {"claim_id": claim_id, "verdict": label, "rating": SCALE[label][0], "conclusion": conclusion,
               "reason": reason, "evidence": evidence, "sources": sources, "line": int(row["line"]),
               "thread": row["thread"], "claim": row["claim"]}
    outputs.emit(outputs.VERDICT, payload, _text(payload), _html(payload))


def _text(p: dict) -> str:
    lines = [f"VERDICT {p['claim_id']} (article line {p['line']}): {p['verdict'].upper()}",
             f"Claim: {p['claim']}", f"Conclusion: {p['conclusion']}", f"Reasoning: {p['reason']}"]
    lines += [f"Evidence: {e}" for e in p["evidence"]]
    lines.append(f"Sources: {', '.join(p['sources'])}")
    return "\n".join(lines)


COLOURS = {"accurate": "#009E73", "mostly accurate": "#56B4E9", "mixed": "#E69F00", "misleading": "#CC79A7",
           "false": "#D55E00", "unverifiable": "#999999", "pending": "#DDDDDD"}


def _html(p: dict) -> str:
    e = html.escape
    ev = "".join(f"<li>{e(x)}</li>" for x in p["evidence"])
    src = ", ".join(f'<a href="#src-{e(s)}">{e(s)}</a>' for s in p["sources"])
    colour = COLOURS[p["verdict"]]
    return (f'<div class="td-verdict" id="{e(p["claim_id"])}" style="border-left:6px solid {colour};padding:0.4em 0.8em;'
            f'margin:0.5em 0;background:#fafafa">'
            f'<p><strong>{e(p["claim_id"])}</strong> · article line {p["line"]} · '
            f'<span style="background:{colour};color:#000;padding:0 0.4em;border-radius:3px">'
            f'<strong>{e(p["verdict"])}</strong></span></p>'
            f'<p><em>Claim (our paraphrase):</em> {e(p["claim"])}</p>'
            f'<p><strong>{e(p["conclusion"])}</strong></p>'
            f'<p><em>Reasoning:</em> {e(p["reason"])}</p>'
            f'<ul>{ev}</ul><p><em>Sources:</em> {src}</p></div>')


def read_verdicts(notebooks: Iterable[str | PathLike]) -> pd.DataFrame:
    """All verdicts recorded in the given executed notebooks, one row each, with the notebook's stem."""
    from pathlib import Path

    rows = []
    for nb in notebooks:
        for p in outputs.read(nb, outputs.VERDICT):
            rows.append({**p, "notebook": Path(nb).stem})
    cols = ["claim_id", "verdict", "rating", "conclusion", "reason", "evidence", "sources", "line", "thread",
            "claim", "notebook"]
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


def scoreboard(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Every ledger claim with its verdict, ``pending`` where no notebook has judged it yet."""
    led = ledger()[["claim_id", "line", "thread", "claim"]]
    v = verdicts[["claim_id", "verdict", "conclusion", "notebook"]]
    board = led.merge(v, on="claim_id", how="left")
    board["verdict"] = board["verdict"].fillna("pending")
    board["conclusion"] = board["conclusion"].fillna("")
    board["notebook"] = board["notebook"].fillna("")
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
                  "alternateName": v["verdict"], "ratingExplanation": v["conclusion"]}
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
