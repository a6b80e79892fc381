"""techduel.sanctions: the event filter and the tariff-series helpers, on hand-made tables."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import sanctions

EVENTS = pd.DataFrame({
    "event_id": ["a", "b", "c", "d"],
    "date": pd.to_datetime(["2017-08-18", "2018-07-06", "2018-07-06", "2021-01-20"]),
    "kind": ["investigation", "tariff", "entity_list", "export_control"],
})
AVG = pd.DataFrame({
    "date": pd.to_datetime(["2017-01-20", "2018-09-24", "2019-09-01", "2020-02-14", "2025-04-11"]),
    "avg_tariff_pct": [3.1, 12.0, 21.5, 19.3, 124.1],
    "series": [sanctions.PIIE] * 5,
    "projection": [False, False, True, False, False],
})


def test_between_filters_dates_inclusively_and_kinds():
    got = sanctions.between(EVENTS, "2018-07-06", "2021-01-20", ["tariff", "export_control"])
    assert list(got["event_id"]) == ["b", "d"]
    assert list(sanctions.between(EVENTS, "2017-01-01", "2017-12-31")["event_id"]) == ["a"]
    assert sanctions.between(EVENTS, "2019-01-01", "2020-12-31").empty


def test_between_refuses_unknown_kinds_and_reversed_dates():
    with pytest.raises(ValueError, match="unknown event kind.*embargo"):
        sanctions.between(EVENTS, "2017-01-01", "2025-01-01", ["embargo"])
    with pytest.raises(ValueError, match="after end"):
        sanctions.between(EVENTS, "2025-01-01", "2017-01-01")


@pytest.mark.parametrize("day, term", [
    ("2017-01-19", "Obama"), ("2017-01-20", "Trump (first term)"), ("2021-01-19", "Trump (first term)"),
    ("2021-01-20", "Biden"), ("2025-01-20", "Trump (second term)")])
def test_term_of(day, term):
    assert sanctions.term_of(day) == term


def test_levels_skip_projections_and_step():
    levels = sanctions.tariff_levels(AVG)
    assert list(levels["avg_tariff_pct"]) == [3.1, 12.0, 19.3, 124.1]
    assert sanctions.level_on(levels, "2018-09-23") == 3.1
    assert sanctions.level_on(levels, "2018-09-24") == 12.0
    assert sanctions.level_on(levels, "2024-12-31") == 19.3
    with pytest.raises(ValueError, match="no published level"):
        sanctions.level_on(levels, "2016-01-01")


def test_peak_within_a_term():
    levels = sanctions.tariff_levels(AVG)
    assert sanctions.peak(levels, *sanctions.TERMS["Trump (first term)"])["avg_tariff_pct"] == 19.3
    assert sanctions.peak(levels, *sanctions.TERMS["Trump (second term)"])["avg_tariff_pct"] == 124.1
    with_projection = sanctions.tariff_levels(AVG, include_projections=True)
    assert sanctions.peak(with_projection, *sanctions.TERMS["Trump (first term)"])["avg_tariff_pct"] == 21.5


def test_first():
    assert sanctions.first(EVENTS, ["tariff", "investigation"])["event_id"] == "a"
    with pytest.raises(ValueError):
        sanctions.first(EVENTS, ["agreement"])


@pytest.mark.parametrize("n, label", [(24, "accurate"), (99, "accurate"), (100, "mostly accurate"),
                                      (600, "mostly accurate"), (12, "mixed"), (23, "mixed"), (11, "false")])
def test_count_label_reads_several_dozen(n, label):
    assert sanctions.count_label(n) == label


def _levels():
    return pd.DataFrame({"date": pd.to_datetime(["2017-01-01", "2019-12-15", "2025-04-10"]),
                         "avg_tariff_pct": [3.1, 21.0, 124.1], "source_ids": [["a"], ["b"], ["c"]]})


def test_sixty_finding_rates_the_statutory_rates_and_shows_the_other_readings():
    first_term = pd.DataFrame({"date": pd.to_datetime(["2018-07-06", "2019-09-01"]), "event_id": ["l1", "l4"],
                               "rate_pct": [25.0, 15.0]})
    pledge = pd.Series({"date": pd.Timestamp("2024-02-05"), "fact": "proposal", "value": 60.0})
    f = sanctions.sixty_finding(60, first_term, _levels(), pledge)
    assert f["label"] == "false"
    assert [r.label for r in f["readings"]] == ["false", "false", "false"]  # 2025 is eight years from 2017
    assert "15% to 25%" in f["conclusion"] and "2024 campaign proposal" in f["conclusion"]
    assert sanctions.sixty_finding(25, first_term, _levels(), pledge)["label"] == "accurate"


def test_controls_finding_counts_listed_parties_first():
    entities = pd.DataFrame({"count_id": ["n06", "n07"], "measure": ["BIS", "CNAS"], "value": [355.0, 412.0],
                             "unit": ["entries", "persons"], "period_end": pd.to_datetime(["2024-05-09", "2024-08-30"])})
    rules = pd.DataFrame({"count_id": ["n18", "n20"], "measure": ["r", "r"], "value": [2.0, 3.0], "unit": ["rules"] * 2,
                          "period_end": pd.to_datetime(["2024-12-02", "2022-10-07"])})
    f = sanctions.controls_finding(entities, rules, 3, 12)
    assert f["label"] == "mostly accurate" and "355 to 412" in f["reason"]
    assert [r.label for r in f["readings"]] == ["mostly accurate", "unverifiable", "false"]
    few = entities.assign(value=[40.0, 60.0])
    assert sanctions.controls_finding(few, rules, 3, 12)["label"] == "accurate"
