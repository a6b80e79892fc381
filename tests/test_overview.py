"""techduel.overview and claims.scoreboard: forecasts apart, strength per verdict, dependent claims counted
once, honest wording, the corrections log."""

from __future__ import annotations

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
