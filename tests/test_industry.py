"""techduel.industry on hand-made rows."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import industry

ROWS = pd.DataFrame([
    ("Tesla", 2023, "Q3", "bev", "deliveries", 435059), ("BYD", 2023, "Q3", "bev", "sales", 431603),
    ("BYD", 2023, "Q3", "all", "sales", 824001),
    ("Tesla", 2023, "Q4", "bev", "deliveries", 484507), ("BYD", 2023, "Q4", "bev", "sales", 526409),
    ("BYD", 2023, "Q4", "all", "sales", 944779),
    ("Tesla", 2024, "FY", "bev", "deliveries", 1789226), ("BYD", 2024, "FY", "bev", "sales", 1764992),
    ("BYD", 2024, "FY", "all", "sales", 4272145),
], columns=["company", "year", "quarter", "powertrain", "measure", "units"])


def test_quarterly_lead_by_definition():
    bev = industry.quarterly_lead(ROWS, "bev")
    assert list(bev["leader"]) == ["Tesla", "BYD"]
    assert bev.loc[0, "byd_minus_tesla"] == 431603 - 435059
    assert industry.first_lead(bev) == (2023, "Q4")
    assert list(industry.quarterly_lead(ROWS, "bev_phev")["leader"]) == ["BYD", "BYD"]
    with pytest.raises(ValueError):
        industry.quarterly_lead(ROWS, "hydrogen")


def test_yearly_lead_depends_on_the_definition():
    assert industry.yearly_lead(ROWS, "bev").loc[0, "leader"] == "Tesla"  # 1,789,226 > 1,764,992
    assert industry.yearly_lead(ROWS, "bev_phev").loc[0, "leader"] == "BYD"


@pytest.mark.parametrize("args, label", [
    (("independent",), "accurate"), (("own_word",), "mostly accurate"),
    (("independent", "none", False), "mostly accurate"), (("independent", "independent"), "mixed"),
    (("own_word", "own_word"), "mixed"), (("none",), "unverifiable"),
    (("own_word", "none", True, True), "unverifiable")])
def test_rate_first(args, label):
    assert industry.rate_first(*args)[0] == label


def test_rate_first_treats_every_government_alike():
    # an unillustrated claim by a rival's government is weighed like the claimant's own word: it neither
    # establishes the rival as first nor can be ignored
    assert industry.rate_first("independent", "own_word")[0] == "mixed"
    assert industry.rate_first("own_word")[0] == "mostly accurate"
    with pytest.raises(ValueError):
        industry.rate_first("state media")


SHIPS = pd.DataFrame({
    "launched": pd.to_datetime(["2024-12-27", "2022-05-18", None, None]),
    "in_service": pd.to_datetime([None, "2023-01-12", "2023-04-10", "2025-02-06"]),
    "basis": ["independent", "own_word", "independent", "own_word"]}, index=["new", "early", "rival", "late"])


def test_earlier_rivals_compare_like_with_like():
    got = dict(industry.earlier_rivals(SHIPS.loc["new"], SHIPS))
    assert set(got) == {"early", "rival"}  # launch before launch; in service before the other was launched
    assert "launched" in got["early"] and "in service" in got["rival"]
    # a ship whose launch is unknown is compared on service entry: delivered Jan 2023 beats Apr 2023
    assert industry.earlier_rivals(SHIPS.loc["early"], SHIPS) == []
    assert [i for i, _ in industry.earlier_rivals(SHIPS.loc["rival"], SHIPS)] == ["early"]
    assert industry.rival_basis(SHIPS.loc[["early", "rival"]]) == "independent"
    assert industry.rival_basis(SHIPS.loc[[]]) == "none"


def test_rate_share():
    assert industry.rate_share(60, "gt")[0] == "accurate"
    assert industry.rate_share(60, "lt")[0] == "accurate"  # just under 60 % is still more than half
    assert industry.rate_share(45)[0] == "mixed"


RIDES = pd.DataFrame({
    "service": ["A", "B", "A", "B"], "country": ["China", "United States", "China", "United States"],
    "date": pd.to_datetime(["2025-03-31", "2025-04-24", "2025-10-31", "2024-01-01"]),
    "period": ["quarter", "week", "week", "week"], "value": [1_300_000, 250_000, 300_000, 1_000],
    "basis": ["company"] * 4, "measure": ["rides"] * 4, "source_ids": [["a"], ["b"], ["c"], ["d"]]})


def test_matched_pairs_and_rate_lead():
    pairs = industry.matched_pairs(RIDES)
    assert len(pairs) == 1  # the October figure has no US figure within 92 days
    row = pairs.iloc[0]
    assert row["china_per_week"] == 100_000 and row["us_per_week"] == 250_000 and row["ratio"] == 0.4
    assert row["source_ids"] == ["a", "b"]
    assert industry.rate_lead(0.4)[0] == "false"
    assert industry.rate_lead(0.9)[0] == "mixed"
    assert industry.rate_lead(1.2)[0] == "accurate"
    assert len(industry.matched_pairs(RIDES, window_days=400)) == 2


def test_notebook_follows_the_ev_definition(scratch):
    import json

    from conftest import build_of, cli
    from techduel import data

    counts = {}
    for definition in ("bev", "bev_phev"):
        done = cli("run", "07_industrial_leadership", "--no-site", "-p", f"ev_definition={definition}", env_root=scratch)
        assert done.returncode == 0, done.stderr
        counts[definition] = json.loads((build_of(done, scratch) / "results.json").read_text())[
            "07_industrial_leadership"]["quarters_byd_ahead"]["value"]
    rows = data.load("industry/byd_tesla")
    expected = {d: int((industry.quarterly_lead(rows, d)["leader"] == "BYD").sum()) for d in counts}
    assert counts == expected and counts["bev_phev"] > counts["bev"]


def test_share_verdict_uses_the_latest_year():
    rows = pd.DataFrame({"year": [2022, 2024], "china_share_pct": [45.0, 60.0], "china_share_qualifier": ["eq", "gt"],
                         "measure": ["sales", "sales"]})
    v = industry.share_verdict(rows, "widget sales")
    assert v["label"] == "accurate" and "more than 60% of the total in 2024" in v["conclusion"]
    assert v["evidence"] == ["2022: 45% (sales)", "2024: more than 60% (sales)"]
    assert industry.share_verdict(rows.iloc[:1], "widget sales")["label"] == "mixed"


MIL = pd.DataFrame({
    "system": ["Claimed (X)", "Rival (Y)", "Rumour (Z)"], "basis": ["independent", "own_word", "independent"],
    "first_public_date": pd.to_datetime(["2024-12-26", "2020-09-15", "2019-01-01"]),
    "note": ["n1", "n2", "n3"], "source_ids": [["s1"], ["s2", "s1"], ["s3"]]}, index=["M1", "M2", "M3"])


def test_first_verdict_names_whose_word_the_rival_rests_on():
    v = industry.first_verdict(MIL.loc[["M1"]], MIL.loc[["M2"]], "a widget")
    assert v["label"] == "mixed" and v["sources"] == ["s1", "s2"]
    assert "claimed by its own government" in v["conclusion"] and "neither confirmed nor excluded" in v["conclusion"]
    v = industry.first_verdict(MIL.loc[["M1"]], MIL.loc[["M3"]], "a widget")
    assert v["label"] == "mixed" and "Rival" not in v["conclusion"] and "Rumour came earlier" in v["conclusion"]
    v = industry.first_verdict(MIL.loc[["M1", "M2"]], MIL.iloc[:0], "a widget")
    assert v["label"] == "mostly accurate"  # the weakest basis among the systems counts


def test_robotaxi_verdict_rates_the_pair_nearest_the_article():
    pairs = industry.matched_pairs(RIDES, window_days=400)
    v = industry.robotaxi_verdict(pairs, "2025-02-28")
    assert v["label"] == "false" and "ratio 0.40" in v["conclusion"] and "every pair" not in v["conclusion"]
    assert industry.lead_conclusion("accurate", pairs.iloc[1]).endswith("China led on that measure.")
    assert v["sources"] == ["a", "b", "c"]  # "d" is nobody's nearest US figure
