"""techduel.trade: shares, ratios and currency conversion, on hand-made tables with hand-checked values;
and the consistency of the curated tables in data/trade/."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from techduel import data, trade


# ---------------------------------------------------------------- arithmetic


def test_share_pct_hand_checked():
    # GACC 2024: 22.07 of 43.85 trillion yuan with Belt and Road partner countries -> 50.33%
    assert trade.share_pct(22070, 43850) == pytest.approx(50.3307, abs=1e-4)
    # GACC 2022, older list: 13.83 of 42.07 trillion yuan -> 32.87%
    assert trade.share_pct(13830, 42070) == pytest.approx(32.8738, abs=1e-4)
    assert trade.share_pct(0, 5) == 0 and trade.share_pct(5, 5) == 100


@pytest.mark.parametrize("part, total", [(6, 5), (-1, 5), (1, 0), (1, -3), (float("nan"), 5)])
def test_share_pct_refuses_what_is_not_a_share(part, total):
    with pytest.raises(ValueError):
        trade.share_pct(part, total)


def test_currency_conversion_hand_checked():
    assert trade.to_usd(100, 8) == 12.5
    # NBS 2024 GDP 134,908.4 bn yuan at the Fed's 2024 average of 7.1957 yuan per dollar: 18,748.47 bn dollars
    # (check: 7.1957 x 18,748.47 = 134,908.36)
    assert trade.to_usd(134908.4, 7.1957) == pytest.approx(18748.47, abs=0.01)
    for bad in (0, -7.0, float("inf")):
        with pytest.raises(ValueError, match="yuan per dollar"):
            trade.to_usd(1, bad)


def test_pct_of_hand_checked():
    # 688.3 bn dollars of trade against 18,748.47 bn dollars of GDP: 3.671%
    assert trade.pct_of(688.3, 18748.47) == pytest.approx(3.6712, abs=1e-4)
    assert trade.pct_of(150, 100) == 150  # a ratio, unlike a share, may pass 100
    with pytest.raises(ValueError):
        trade.pct_of(1, 0)


@pytest.mark.parametrize("args, expected, how", [
    ((451.8, 134.9, 316.9, None), 586.7, "sum of both flows"),
    ((None, None, None, 519.6), 519.6, "two-way total as published"),
    ((478.4, None, 323.3, None), 633.5, "derived"),  # imports = 478.4 - 323.3 = 155.1; 478.4 + 155.1
    ((None, 124.5, 310.8, None), 559.8, "derived"),  # exports = 124.5 + 310.8 = 435.3; 435.3 + 124.5
    ((None, None, 275.8, None), None, "not available"),
])
def test_two_way(args, expected, how):
    value, said = trade.two_way(*args)
    assert said.startswith(how)
    assert value == (None if expected is None else pytest.approx(expected))


def test_evidence_range_and_labels():
    assert trade.evidence_range([3.67, 3.11, float("nan"), None, 4.09]) == (3.11, 4.09)
    with pytest.raises(ValueError, match="empty"):
        trade.evidence_range([None])
    assert trade.dominance_label([52, 55]) == "mostly accurate"
    assert trade.dominance_label([52, 55, 46, 39]) == "mixed"
    assert trade.dominance_label([50, 46]) == "false"  # exactly half is not a majority
    assert trade.dominance_label([]) == "unverifiable"
    named = ["russia", "belarus"]
    assert trade.coverage_label(named, {"russia", "belarus", "armenia"}, {"russia", "belarus"}) == "accurate"
    assert trade.coverage_label(named, {"russia"}, {"russia", "belarus"}) == "mostly accurate"
    assert trade.coverage_label(named, {"russia"}, {"russia"}) == "mixed"
    assert trade.coverage_label(named, set(), set()) == "unverifiable"


# ---------------------------------------------------------------- shares on a hand-made trade table


def row(year, partner, flow, value, unit, reporter="china_customs", period="full_year", caveats=(),
        status="found", ids=("s1",)):
    return {"year": year, "period": period, "partner": partner, "flow": flow, "value": value, "unit": unit,
            "reporter": reporter, "status": status, "caveats": list(caveats), "source_ids": list(ids)}


FLOWS = pd.DataFrame([
    row(2023, "world", "total", 1000.0, "CNY bn"),
    row(2023, "world", "exports", 600.0, "CNY bn"),
    row(2023, "world", "total", 999.0, "USD bn", caveats=["media_conversion"]),  # a conversion: ignored
    row(2023, "world", "exports", 300.0, "USD bn"),
    row(2023, "world", "imports", 200.0, "USD bn"),
    row(2023, "grp", "total", 250.0, "CNY bn"),                 # 25% of 1000
    row(2023, "grp", "total", 150.0, "USD bn", reporter="mofcom"),  # 30% of 300 + 200
    row(2023, "grp", "share_of_total", 26.0, "percent", reporter="mofcom"),
    row(2024, "grp", "share_of_total", 40.0, "percent", period="jan_sep"),  # partial: shown, never picked
    row(2022, "grp", "share_of_total", 20.0, "percent"),
    row(2022, "grp", "share_of_total", 21.0, "percent", reporter="mofcom"),
    row(2023, "sp", "exports", 120.0, "CNY bn", reporter="sp_global"),  # 20% of exports 600
    row(2023, "grp", "total", None, "CNY bn", status="not_found", ids=()),
    row(2023, "typo", "total", 900.0, "CNY bn", caveats=["likely_typo"]),
])


def test_world_totals_prefer_the_published_total_and_else_sum_the_flows():
    t = trade.world_totals(FLOWS).set_index(["year", "unit", "flow"])
    assert t.loc[(2023, "CNY bn", "total"), "value"] == 1000
    assert t.loc[(2023, "USD bn", "total"), "value"] == 500  # 300 + 200; the converted 999 is ignored
    assert t.loc[(2023, "USD bn", "total"), "how"] == "exports plus imports"
    assert t.loc[(2023, "CNY bn", "exports"), "value"] == 600


def test_group_shares_stated_and_computed():
    s = trade.group_shares(FLOWS)
    grp = s[(s["partner"] == "grp") & (s["year"] == 2023)].set_index(["method", "basis"])["share_pct"]
    assert grp[("computed", "CNY")] == pytest.approx(25.0)
    assert grp[("computed", "USD")] == pytest.approx(30.0)
    assert grp[("stated", "as published")] == 26.0
    sp = s[s["partner"] == "sp"].iloc[0]
    assert sp["measure"] == "share of exports" and sp["share_pct"] == pytest.approx(20.0)
    assert "typo" not in set(s["partner"])  # a flagged figure never enters the arithmetic
    assert set(trade.group_shares(FLOWS, ["sp"])["partner"]) == {"sp"}


def test_pick_share_order_and_fallback():
    s = trade.group_shares(FLOWS)
    # 2023: the published share (26, MOFCOM) beats the computed ones even though customs computed one
    assert trade.pick_share(s, "grp", 2023)["share_pct"] == 26.0
    # 2024 has only a partial-year figure: fall back to 2023
    assert trade.pick_share(s, "grp", 2024)["year"] == 2023
    # 2022: two published shares, China's customs first
    assert trade.pick_share(s, "grp", 2022)["share_pct"] == 20.0
    assert trade.pick_share(s, "grp", 2021) is None
    assert trade.pick_share(s, "nobody", 2024) is None
    computed = s[s["method"] == "computed"]
    assert trade.pick_share(computed, "grp", 2023)["basis"] == "CNY"  # yuan before dollars


# ---------------------------------------------------------------- US-China trade against GDP


def uc(year, category, reporter, direction, value, preferred=True, period="full_year"):
    return {"year": year, "category": category, "reporter": reporter, "direction": direction,
            "value_usd_bn": value, "period": period, "preferred": preferred,
            "status": "found" if value is not None else "not_found", "caveats": [], "source_ids": ["s1"]}


US_CHINA = pd.DataFrame([
    uc(2024, "goods", "china_customs", "china_to_us", 500.0),
    uc(2024, "goods", "china_customs", "us_to_china", 150.0),
    uc(2024, "goods", "china_customs", "china_to_us", 100.0, period="h1"),  # partial: ignored
    uc(2024, "goods", "us_census", "china_to_us", 440.0),
    uc(2024, "goods", "us_census", "us_to_china", None),                # missing on Census basis ...
    uc(2024, "goods", "bea", "us_to_china", 145.0),                     # ... so BEA's figure is used
    uc(2024, "goods", "us_census", "china_surplus", 295.0),
    uc(2024, "goods", "us_census", "china_surplus", 999.0, preferred=False),  # another vintage: not used
    uc(2024, "services", "bea", "us_to_china", 55.0),
    uc(2024, "services", "bea", "china_to_us", 25.0),
    uc(2023, "goods", "china_customs", "two_way", 660.0),
    uc(2023, "goods", "us_census", "china_to_us", 430.0),
    uc(2023, "goods", "us_census", "us_to_china", 150.0),
    uc(2023, "services", "bea", "us_to_china", 46.0),  # only one services flow in 2023
])
MACRO = pd.DataFrame([
    {"year": 2023, "quantity": "china_gdp_cny_bn", "value": 14000.0},
    {"year": 2023, "quantity": "cny_per_usd_avg", "value": 7.0},   # 2,000 bn dollars
    {"year": 2024, "quantity": "china_gdp_cny_bn", "value": 16000.0},
    {"year": 2024, "quantity": "cny_per_usd_avg", "value": 8.0},   # 2,000 bn dollars
])


def test_gdp_in_dollars():
    g = trade.gdp_usd(MACRO).set_index("year")
    assert g.loc[2023, "gdp_usd_bn"] == 2000 and g.loc[2024, "gdp_usd_bn"] == 2000


def test_bilateral_uses_each_sides_records():
    cn = trade.bilateral(US_CHINA, "china").set_index("year")
    us = trade.bilateral(US_CHINA, "us").set_index("year")
    assert cn.loc[2024, "two_way"] == 650 and cn.loc[2023, "two_way"] == 660
    assert us.loc[2024, "us_to_china"] == 145 and us.loc[2024, "two_way"] == 585  # 440 + 145 (BEA)
    assert us.loc[2024, "china_surplus"] == 295
    with pytest.raises(ValueError):
        trade.bilateral(US_CHINA, "eu")


def test_us_trade_vs_gdp_goods_and_services():
    goods = trade.us_trade_vs_gdp(US_CHINA, trade.gdp_usd(MACRO), False).set_index(["side", "year"])
    assert goods.loc[("china", 2024), "pct_of_gdp"] == pytest.approx(32.5)  # 650 / 2000
    assert goods.loc[("us", 2024), "pct_of_gdp"] == pytest.approx(29.25)  # 585 / 2000
    assert goods.loc[("us", 2023), "pct_of_gdp"] == pytest.approx(29.0)   # 580 / 2000
    both = trade.us_trade_vs_gdp(US_CHINA, trade.gdp_usd(MACRO), True).set_index(["side", "year"])
    assert both.loc[("china", 2024), "pct_of_gdp"] == pytest.approx(36.5)  # (650 + 80) / 2000
    assert both.loc[("us", 2024), "trade_usd_bn"] == pytest.approx(665)
    # services incomplete in 2023: no ratio, rather than a goods-only one presented as the whole
    assert math.isnan(both.loc[("us", 2023), "pct_of_gdp"])


def test_mirror_gap_sign():
    m = trade.mirror(US_CHINA).set_index("year")
    # China records 500 of exports to the US, the US 440 of imports from China: China's figure is 60 higher
    assert m.loc[2024, "export_gap"] == pytest.approx(60)
    assert m.loc[2024, "export_gap_pct_of_us_record"] == pytest.approx(60 / 440 * 100)
    assert m.loc[2024, "surplus_us_record"] == 295


# ---------------------------------------------------------------- the curated tables


@pytest.fixture
def trade_root(scratch):
    return scratch


def test_flags_agree_with_the_columns_they_summarise(trade_root):
    flows = data.load("trade/china_trade")
    assert (flows["partial_year"] == (flows["period"] != "full_year")).all()
    assert (flows["exports_only"] == flows["flow"].isin(["exports", "share_of_exports"])).all()
    eaeu = data.load("trade/eaeu")
    assert (eaeu["partial_year"] == (eaeu["period"] != "full_year")).all()
    assert (eaeu["month"].notna() == (eaeu["period"] == "month")).all()


def test_found_rows_carry_value_and_source_and_missing_rows_do_not_pretend(trade_root):
    for name, value in (("trade/china_trade", "value"), ("trade/us_china", "value_usd_bn"),
                        ("trade/eaeu", "value")):
        t = data.load(name)
        found = t[t["status"] == "found"]
        assert found["source_ids"].map(len).gt(0).all(), name
        missing = t[t["status"] != "found"]
        assert missing[value].isna().all(), name
        if name == "trade/eaeu":  # a found row has a value or a range
            assert (found["value"].notna() | (found["low"].notna() & found["high"].notna())).all()
        else:
            assert found[value].notna().all(), name


def test_one_preferred_figure_per_cell(trade_root):
    t = data.load("trade/us_china")
    used = t[t["preferred"] & (t["status"] == "found")]
    assert not used.duplicated(["year", "category", "reporter", "direction", "period"]).any()


def test_share_rows_are_percentages_and_the_rate_is_the_feds(trade_root):
    flows = data.load("trade/china_trade")
    shares = flows[flows["flow"].str.startswith("share")]
    assert (shares["unit"] == "percent").all() and shares["value"].dropna().between(0, 100).all()
    macro = data.load("trade/macro")
    rates = macro[macro["quantity"] == "cny_per_usd_avg"]
    assert (rates["reporter"] == "fred").all() and set(rates["year"]) >= set(range(2015, 2025))
    assert rates.set_index("year").loc[2024, "value"] == 7.1957  # FRED annual average, checked at the source


def _ratio_rows(pcts):
    rows = [{"year": 2024, "side": s, "services": sv, "goods_usd_bn": 600.0 if s == "china" else 500.0,
             "services_usd_bn": 50.0, "trade_usd_bn": 0.0, "gdp_usd_bn": 18000.0, "pct_of_gdp": p}
            for (s, sv), p in zip([("china", False), ("us", False), ("china", True), ("us", True)], pcts)]
    return pd.DataFrame(rows)


def test_gdp_ratio_finding_rates_goods_trade_and_shows_the_other_readings():
    gdp_row = {"gdp_cny_bn": 130000.0, "gdp_usd_bn": 18000.0, "cny_per_usd": 7.19}
    f = trade.gdp_ratio_finding(_ratio_rows([3.6, 3.1, 4.0, 3.5]), gdp_row, 3.0, "lt", 2024)
    assert f["label"] == "mostly accurate"  # goods range 3.1-3.6: the nearest end is within 10% of 3
    chosen = [r for r in f["readings"] if r.chosen]
    assert len(chosen) == 1 and chosen[0].label == f["label"] and "goods trade" in chosen[0].reading
    assert [r.label for r in f["readings"] if not r.chosen] == ["mixed", "mostly accurate", "mixed"]
    assert "a little too low" in f["conclusion"] and "3.1% to 4.0%" in f["conclusion"]
    # services do not rescue or sink the headline: only goods rows decide the label
    assert trade.gdp_ratio_finding(_ratio_rows([2.5, 2.8, 9.0, 9.0]), gdp_row, 3.0, "lt", 2024)["label"] == "accurate"


def test_global_south_finding_rates_the_range_and_each_grouping():
    in_year = pd.DataFrame({"partner": ["bri_partner_countries", "bri_partner_countries", "global_south_sp"],
                            "share_pct": [50.3, 50.7, 44.0], "measure": ["share_of_total"] * 2 + ["share_of_exports"],
                            "method": ["stated", "stated", "stated"], "reporter": ["china_customs", "mofcom", "sp_global"],
                            "year": [2024] * 3})
    sp = pd.Series({"share_pct": 44.0, "year": 2024})
    old = pd.Series({"share_pct": 47.0, "year": 2023})
    overlap = pd.DataFrame({"bri_partner_countries": [46.6], "bri_along_routes": [40.0]}, index=[2023])
    f = trade.global_south_finding(in_year, sp, old, overlap, "UNCTAD", 50, "gt", 2024)
    assert f["label"] == "mixed"  # the range straddles half
    labels = {r.reading.split(" (")[0]: r.label for r in f["readings"]}
    assert labels["bri_partner_countries"] == "accurate" and labels["global_south_sp"] != "accurate"
    assert [r.chosen for r in f["readings"]] == [False, False, True]
    assert "China's own figures" in f["reason"] and "change of list" in f["reason"]
    assert f["conclusion"].startswith("50.3% of China's trade in 2024")


def test_dominance_finding_names_where_chinese_brands_lead_and_where_not():
    markets = pd.DataFrame({"row_id": ["a", "b", "c"], "country": ["russia", "russia", "kazakhstan"],
                            "market": ["passenger_cars", "smartphones", "passenger_cars"], "value": [61.0, 55.0, 20.0],
                            "year": [2024, 2022, 2024], "basis": ["sales"] * 3})
    imports = pd.DataFrame({"row_id": ["i"], "value": [float("nan")], "low": [30.0], "high": [40.0]})
    later = pd.DataFrame({"value": [70.0, 79.0]})
    f = trade.dominance_finding(markets, imports, later)
    assert f["label"] == "mixed"
    assert "in Russia, but not of the car markets of Kazakhstan" in f["conclusion"]
    assert "2 of 3 are above half" in f["reason"] and "at most 40%" in f["reason"]
    assert f["evidence"][-1] == "i: 30.0-40.0%"
    assert trade.dominance_finding(markets.iloc[:2], imports, later)["label"] == "mostly accurate"
