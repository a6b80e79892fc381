"""techduel.provenance: the reliability scale, when an item counts as traced, and the verdict rules, on
hand-checked cases."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import claims, provenance as p

REL = {"wire": "established", "copy": "weak", "joke": "satire", "paper": "primary"}


def test_scale_is_ordered_and_satire_is_no_threshold():
    assert [p.rank(x) for x in ("satire", "weak", "established", "primary")] == [0, 1, 2, 3]
    assert p.best(["weak", "primary", "established"]) == "primary"
    assert p.best([]) is None
    assert p.meets("primary", "established") and p.meets("established", "established")
    assert not p.meets("weak", "established")
    with pytest.raises(ValueError, match="not one of"):
        p.rank("secondary")  # the old second scale is gone: one standard, the registry's
    with pytest.raises(ValueError, match="minimum reliability 'satire'"):
        p.meets("primary", "satire")
    with pytest.raises(ValueError, match="not one of"):
        p.rank("gossip")


def test_one_good_source_traces_and_many_weak_ones_do_not():
    assert p.counts_as_traced(["weak", "weak", "established"], "established")
    assert not p.counts_as_traced(["weak"] * 10, "established")
    assert not p.counts_as_traced(["satire"], "weak")  # a satire is never a trace
    assert not p.counts_as_traced([], "weak")


def test_a_step_is_as_reliable_as_its_best_source():
    assert p.step_reliability(["copy", "wire"], REL) == "established"
    assert p.step_reliability(["joke", "copy"], REL) == "weak"
    with pytest.raises(KeyError, match="no reliability rating for source\\(s\\) nowhere"):
        p.step_reliability(["nowhere"], REL)
    with pytest.raises(ValueError):
        p.step_reliability([], REL)


def _steps():
    # A: traced by a wire report; B: only a weak copy evidences it, the primary paper is context;
    # C: only the article.
    rows = [("A1", "A", 1, "2025-01-10", "origin", True, "wire", ["wire"]),
            ("A2", "A", 2, "2025-03-03", "article", False, "article", ["copy"]),
            ("B1", "B", 1, "2025-01-20", "record", False, "paper", ["paper"]),
            ("B2", "B", 2, None, "repost", True, "copy", ["copy"]),
            ("B3", "B", 3, "2025-03-03", "article", False, "article", ["copy"]),
            ("C1", "C", 1, "2025-03-03", "article", False, "article", ["copy"])]
    steps = pd.DataFrame(rows, columns=["step_id", "item_id", "seq", "date", "role", "evidences", "outlet",
                                        "source_ids"])
    steps["date"] = pd.to_datetime(steps["date"])
    return steps


def test_traced_items_count_only_evidencing_steps():
    steps = _steps()
    assert p.traced_items(steps, REL, "weak").to_dict() == {"A": True, "B": True, "C": False}
    # the primary paper behind B does not evidence the attribution, so B drops out above 'weak'
    assert p.traced_items(steps, REL, "established").to_dict() == {"A": True, "B": False, "C": False}
    assert p.traced_items(steps, REL, "primary").to_dict() == {"A": False, "B": False, "C": False}
    counts = [int(p.traced_items(steps, REL, t).sum()) for t in p.THRESHOLDS]
    assert counts == [2, 1, 0]


def test_earliest_trace_uses_evidencing_steps_then_the_article():
    first = p.earliest_trace(_steps()).set_index("item_id")
    assert first.loc["A", "earliest_trace"] == pd.Timestamp("2025-01-10")
    assert pd.isna(first.loc["B", "earliest_trace"]) and first.loc["B", "earliest_outlet"] == "copy"
    assert first.loc["C", "earliest_role"] == "article"


def test_judge_needs_evidence_at_the_standard():
    assert p.judge("holds", ["established"]).label == "accurate"
    assert p.judge("qualified", ["weak", "established"]).label == "mostly accurate"
    assert p.judge("partly", ["primary"]).label == "mixed"
    assert p.judge("framing", ["primary"]).label == "misleading"
    assert p.judge("contradicted", ["established"]).label == "false"
    assert p.judge("satire", ["established", "satire"]).label == "false"
    weak = p.judge("holds", ["weak"])
    assert weak.label == "unverifiable" and "best evidence is weak" in weak.explanation
    assert p.judge("not_found", ["primary"]).label == "unverifiable"
    assert p.judge("holds", ["established"], standard="primary").label == "unverifiable"
    with pytest.raises(ValueError, match="match 'maybe'"):
        p.judge("maybe", ["primary"])


def test_hold_to_standard_keeps_arithmetic_from_outrunning_the_sources():
    ok = claims.rate_year(2020, 2020)
    assert p.hold_to_standard(ok, ["established"]) is ok
    held = p.hold_to_standard(ok, ["weak"])
    assert held.label == "unverifiable" and "below the standard" in held.explanation


def test_no_record_is_false_only_when_the_object_did_not_exist():
    assert p.no_record_verdict(False, object_existed=False).label == "false"
    assert p.no_record_verdict(False, object_existed=None).label == "unverifiable"
    assert p.no_record_verdict(False, object_existed=True).label == "unverifiable"
    with pytest.raises(ValueError):
        p.no_record_verdict(True, object_existed=True)


def test_a_right_number_against_the_wrong_baseline_is_misleading():
    exact = claims.rate_number(800, 800, 800)
    assert p.comparison_verdict(exact, same_comparison=True).label == "accurate"
    assert p.comparison_verdict(exact, same_comparison=False, what="serial code").label == "misleading"
    # 10 against 64/7 = 9.142857: 0.857143 / 9.142857 = 9.375 % off -> mostly accurate, then misleading
    near = claims.rate_number(10, 64 / 7, 64 / 7)
    assert near.label == "mostly accurate" and near.distance == pytest.approx(0.09375)
    assert p.comparison_verdict(near, same_comparison=False).label == "misleading"
    far = claims.rate_number(30, 64 / 7, 64 / 7)  # more than twice too high: false stays false
    assert p.comparison_verdict(far, same_comparison=False).label == "false"


def test_rate_against_a_source_that_states_a_bound():
    assert p.rate_against_source(50, "gt", 50, "more_than").label == "accurate"
    assert p.rate_against_source(40, "ge", 50, "more_than").label == "accurate"
    assert "at least 5 million against a claim of at least 4 million" in \
        p.rate_against_source(4e6, "ge", 5e6, "more_than").explanation  # not 5e+06
    # 'more than 60' against a source saying 'more than 50': the numeric rule, 10/60 = 16.7 % short -> mixed
    r = p.rate_against_source(60, "gt", 50, "more_than")
    assert r.label == "mixed" and r.distance == pytest.approx(10 / 60)
    assert p.rate_against_source(800, "eq", 800, "up_to").label == "accurate"
    assert p.rate_against_source(5, "lt", 8, "up_to").label == "false"  # 'less than 5' vs 'up to 8': 60 % off
    with pytest.raises(ValueError):
        p.rate_against_source(1, "eq", 1, "roughly")


def test_year_readings_rate_each_reading():
    t = p.year_readings(2014, {"agreement": 2014, "founding": 2016, "opening": 2017})
    assert list(t["label"]) == ["accurate", "mixed", "false"]
    assert list(t["years_off"]) == [0, 2, 3]


def test_describe_fact_writes_values_as_a_reader_reads_them():
    nan = float("nan")

    def fig(value, unit, qualifier=nan):
        return p.describe_fact({"status": "found", "value": value, "unit": unit, "qualifier": qualifier})

    assert p.describe_fact({"status": "not_found", "value": nan}) == "not found"
    assert fig(800.0, "times", "up_to") == "up to 800 times"
    assert fig(2621.0, "scientists") == "2,621 scientists"
    assert fig(67.0, "percent", "about") == "about 67%"
    assert fig(2020.0, "year") == "2020"
    assert p.describe_fact({"status": "found", "value": nan, "text": "never built"}) == "never built"
    day = {"status": "found", "value": nan, "text": nan, "date": pd.Timestamp("2025-02-06"),
           "date_precision": "day"}
    assert p.describe_fact(day) == "6 February 2025"
    month = {**day, "date": pd.Timestamp("2018-11-01"), "date_precision": "month"}
    assert p.describe_fact(month) == "November 2018"
    with pytest.raises(ValueError, match="neither"):
        p.describe_fact({"fact_id": "F0", "status": "found", "value": nan, "text": nan, "date": pd.NaT})


def test_days_before_the_article():
    d = p.days_before(pd.Series(pd.to_datetime(["2025-03-03", "2025-02-01", "2024-03-03"])), "2025-03-03")
    assert list(d) == [0, 30, 365]


def test_chain_figure_plots_dated_steps_with_their_status():
    steps = _steps()
    steps["reliability"] = steps["source_ids"].map(lambda ids: p.step_reliability(ids, REL))
    items = pd.DataFrame({"item_id": ["A", "B", "C"], "short": ["a", "b", "c"]})
    traced = p.traced_items(steps, REL, "established")
    fig, plotted = p.chain_figure(steps, items, traced, "established", "2025-03-03", "test")
    assert len(plotted) == 5  # the undated repost cannot be placed
    assert list(plotted["step_id"]) == ["A1", "A2", "B1", "B3", "C1"]
    assert list(plotted["counts"]) == [True, False, False, False, False]
    assert list(plotted["item_traced"]) == [True, True, False, False, False]
    assert list(plotted["days_before"]) == [52, 0, 42, 0, 0]
    assert fig.axes[0].get_title(loc="left") == "test"
    late = steps.assign(date=steps["date"].where(steps["seq"] != 1, pd.Timestamp("2025-04-01")))
    with pytest.raises(ValueError, match="after the article"):
        p.chain_figure(late, items, traced, "established", "2025-03-03", "test")


def _registry(**grades):
    return pd.DataFrame({"source_id": list(grades), "grade": list(grades.values())})


def test_reliability_is_the_registry_grade_with_satire_below_weak():
    table = pd.DataFrame({"source_id": ["wire", "joke", "paper"], "satire": [False, True, False]})
    reg = _registry(wire="established", joke="weak", paper="primary")
    assert p.reliability_levels(table, reg) == {"wire": "established", "joke": "satire", "paper": "primary"}
    # a satire graded above weak in the registry would be a second, disagreeing grading
    with pytest.raises(ValueError, match="'joke' is flagged satire but graded 'established'"):
        p.reliability_levels(table, _registry(wire="established", joke="established", paper="primary"))
    with pytest.raises(KeyError, match="source 'paper' is not in data/sources.csv"):
        p.reliability_levels(table, _registry(wire="established", joke="weak"))
    with pytest.raises(ValueError, match="grade 'reputable'"):
        p.reliability_levels(table, _registry(wire="reputable", joke="weak", paper="primary"))


def _check(**kw):
    row = {"item_id": "A", "source_ids": ["wire", "copy"], "context_ids": ["article"], "fact_ids": ["F1"],
           "reason": "Figure {F1}, claimed {claimed}.", "conclusion": "It is {F1}, against {claimed}."}
    row.update(kw)
    return row


FACTS = pd.DataFrame({"fact": ["A figure"], "source_ids": [["paper", "article"]]}, index=["F1"])
TRACE = {"earliest_trace": pd.Timestamp("2025-01-10"), "earliest_outlet": "Wire"}
ITEM = {"searched": "first query; second query"}
LEVELS = {**REL, "article": "weak"}


def test_verdict_kwargs_count_evidence_and_show_context_apart():
    kw = p.verdict_kwargs("C1", claims.Rating("accurate", 0.0, "it holds"), _check(), "7", FACTS,
                          {"F1": "7 things"}, TRACE, ITEM, LEVELS)
    assert kw["sources"] == ["wire", "copy", "paper"]  # the row's and its facts' sources, less the context
    assert kw["context"] == ["article"]
    assert kw["label"] == "accurate"
    assert kw["conclusion"] == "It is 7 things, against 7."
    assert kw["reason"].endswith("Rule: it holds.")
    assert kw["searched"] == ("Stored pages (and, where noted, code and documentation) searched on 2026-12-01 "
                              "for: first query; second query.")
    assert "earliest trace 2025-01-10 (Wire)" in kw["evidence"][-1] and "primary" in kw["evidence"][-1]


def test_verdict_kwargs_hold_the_label_to_the_standard_on_the_evidence_only():
    weak_only = _check(source_ids=["copy"], fact_ids=[], context_ids=["wire"])
    kw = p.verdict_kwargs("C1", claims.Rating("accurate", 0.0, "it holds"), weak_only, "", FACTS, {"F1": "x"}, TRACE,
                          ITEM, LEVELS)
    assert kw["label"] == "unverifiable"  # the established wire is only context, so it cannot lift the copy
    assert kw["sources"] == ["copy"] and "best evidence is weak" in kw["reason"]
    nothing = _check(source_ids=[], fact_ids=[], context_ids=["article"])
    kw = p.verdict_kwargs("C1", p.judge("not_found", []), nothing, "", FACTS, {"F1": "x"}, TRACE, ITEM, LEVELS)
    assert kw["label"] == "unverifiable" and kw["sources"] == [] and kw["searched"]


def test_claimed_text():
    assert p.claimed_text(2014.0, "year") == "2014"
    assert p.claimed_text(15000.0, "USD") == "15,000"
    assert p.claimed_text(float("nan"), "year") == ""


def test_stated_readings_for_one_claim():
    table = pd.DataFrame({"claim_id": ["C1", "C1", "C2"], "reading": ["a", "b", "c"],
                          "label": ["mixed", "false", "accurate"], "chosen": [True, False, True],
                          "why": ["most natural", float("nan"), "only one"]})
    got = p.stated_readings(table, "C1")
    assert [(r.reading, r.label, r.chosen, r.why) for r in got] == [("a", "mixed", True, "most natural"),
                                                                    ("b", "false", False, "")]
    assert p.stated_readings(table, "C9") == []
