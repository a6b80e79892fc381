"""techduel.overview and claims.scoreboard: forecasts apart, strength per verdict, dependent claims counted
once, honest wording, the corrections log."""

from __future__ import annotations

import re

import pandas as pd

from techduel import claims, data, overview


def board(rows):
    cols = ["claim_id", "thread", "verdict", "scale", "strength", "depends_on"]
    b = pd.DataFrame(rows, columns=cols)
    b["counted"] = b["depends_on"] == ""
    return b


B = board([
    ("C1", "t1", "accurate", "fact", "confirmed", ""),
    ("C2", "t1", "accurate", "fact", "confirmed", "C1"),  # a dependent detail of C1's sentence
    ("C3", "t1", "false", "fact", "single source", ""),
    ("C4", "t2", "came true", "forecast", "confirmed", ""),
    ("C5", "t2", "too early to tell", "forecast", "none", ""),
])


def test_dependent_claims_are_counted_once_and_forecasts_apart():
    facts = overview.tally(B, "fact")
    assert facts.loc["t1"].to_dict() == {"accurate": 1, "false": 1, "total": 2}
    assert "t2" not in facts.index
    fc = overview.tally(B, "forecast")
    assert list(fc.columns) == ["came true", "too early to tell", "total"]
    assert overview.tally(B)["total"].sum() == 4  # all scales, C2 once


def test_strength_is_tallied_per_verdict():
    s = overview.strengths(B)
    assert s.loc["accurate", "confirmed"] == 1 and s.loc["false", "single source"] == 1
    assert list(s.index) == ["accurate", "false", "came true", "too early to tell"]


def test_status_says_pending_only_when_something_is():
    assert "pending" not in overview.status(B) and "All 4 are judged" in overview.status(B)
    waiting = pd.concat([B, board([("C6", "t3", "pending", "fact", "", "")])], ignore_index=True)
    assert "4 of 5 claims judged so far; 1 pending" in overview.status(waiting)
    assert "1 dependent detail counted once" in overview.status(B)


def test_scoreboard_marks_scale_strength_and_dependence():
    verdicts = pd.DataFrame([{"claim_id": "C154", "verdict": "came true", "conclusion": "c", "notebook": "09",
                              "strength": "confirmed", "as_of": "2026-12-01"}])
    b = claims.scoreboard(verdicts).set_index("claim_id")
    assert b.at["C154", "scale"] == "forecast" and b.at["C154", "strength"] == "confirmed"
    assert b.at["C154", "as_of"] == "2026-12-01" and b.at["C001", "verdict"] == "pending"
    led = data.load("claims")
    dependent = led.loc[led["depends_on"].fillna("") != "", "claim_id"]
    assert (~b.loc[list(dependent), "counted"]).all() and b.loc[~b.index.isin(dependent), "counted"].all()


def test_corrections_log_is_read_and_validated():
    log = overview.corrections()
    assert list(log.columns) == ["date", "target", "change", "old", "new", "why", "source_ids"]
    assert len(log) == len(data.load("corrections"))


def _verdicts(ids):
    led = claims.ledger().set_index("claim_id")
    return pd.DataFrame([{"claim_id": c, "verdict": "came true" if led.at[c, "kind"] == "forecast" else "accurate",
                          "conclusion": "c.", "notebook": "09_forecasts_in_hindsight", "strength": "confirmed",
                          "as_of": "2026-12-01" if led.at[c, "kind"] == "forecast" else ""} for c in ids])


def test_site_index_shows_forecasts_apart_strength_and_the_corrections_log(tmp_path):
    from techduel.build import site

    page = site._index([], _verdicts(["C046", "C154"]), tmp_path)
    assert 'id="board-fact"' in page and 'id="board-forecast"' in page
    facts = page.split('id="board-fact"')[1].split("</table>")[0]
    forecasts = page.split('id="board-forecast"')[1].split("</table>")[0]
    assert "C154" not in facts and "C154" in forecasts and "C046" in facts
    assert "as of 2026-12-01" in forecasts and re.search(r"<td[^>]*>confirmed</td>", page)
    assert 'id="corrections"' in page and "C150" in page.split('id="corrections"')[1]
    # no thread page was built here, so the unjudged claims are in threads "not run in this build"
    assert re.search(r"\d+ of \d+ claims judged in this build", page) and "not run in this build" in page


def test_site_index_says_nothing_is_pending_when_nothing_is(tmp_path):
    from techduel.build import site

    page = site._index([], _verdicts(list(claims.ledger()["claim_id"])), tmp_path)
    assert not re.search(r"\bpending\b", page, re.I) and "are judged" in page
