"""Chip comparisons: gaps, ranges, per-dollar and per-watt figures, discounts, with hand-checked values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from techduel import chips


def test_ratio_and_gap():
    # 280 / 312 = 0.897436; 1 - that = 0.102564 (about 10% behind)
    assert chips.ratio(280, 312) == pytest.approx(0.897436, abs=1e-6)
    assert chips.gap(280, 312) == pytest.approx(0.102564, abs=1e-6)
    # ahead of the reference: 280 / 148 = 1.891892, gap -0.891892
    assert chips.gap(280, 148) == pytest.approx(-0.891892, abs=1e-6)


def test_missing_or_zero_inputs_give_nan_not_a_guess():
    assert math.isnan(chips.ratio(None, 312))
    assert math.isnan(chips.ratio(280, 0))
    assert math.isnan(chips.gap(float("nan"), 312))
    assert math.isnan(chips.per_unit(280, None))


def test_gap_range_pairs_opposite_ends():
    # chip 256..376 against reference 312..312: best 1 - 376/312 = -0.205128, worst 1 - 256/312 = 0.179487
    best, worst = chips.gap_range(256, 376, 312, 312)
    assert best == pytest.approx(-0.205128, abs=1e-6)
    assert worst == pytest.approx(0.179487, abs=1e-6)


def test_per_dollar_and_per_watt():
    # 989 TFLOPS for $27,500 = 0.0359636 TFLOPS per dollar = 35.96 per $1,000; 989 / 700 W = 1.412857
    assert chips.per_unit(989, 27500) * 1000 == pytest.approx(35.963636, abs=1e-5)
    assert chips.per_unit(989, 700) == pytest.approx(1.412857, abs=1e-6)


def test_discount_and_unit_cost_discount():
    # 120,000 yuan against 110,000 yuan: 1 - 120/110 = -0.090909 (9% dearer)
    assert chips.discount(120000, 110000) == pytest.approx(-0.090909, abs=1e-6)
    # $30k against $100k is 70% cheaper
    assert chips.discount(30000, 100000) == pytest.approx(0.7)
    # per unit: 910B $16,713 for 280 vs H20 $13,500 for 148:
    # 59.689 $/TFLOPS vs 91.216 $/TFLOPS -> 1 - 59.689/91.216 = 0.345632
    assert chips.unit_cost_discount(16713, 280, 13500, 148) == pytest.approx(0.345632, abs=1e-5)


def test_price_for_unit_discount_inverts_unit_cost_discount():
    # to be 70% cheaper per TFLOPS than an H100 at $27,500 (989 TFLOPS), a 280-TFLOPS chip must cost
    # 0.3 x 27,500 x 280/989 = $2,335.69
    price = chips.price_for_unit_discount(0.7, 280, 27500, 989)
    assert price == pytest.approx(2335.6926, abs=1e-3)
    assert chips.unit_cost_discount(price, 280, 27500, 989) == pytest.approx(0.7)


def test_currency_from_a_stated_pair():
    # Reuters: 110,000 yuan = $15,320 -> 7.180157 yuan per dollar; 120,000 yuan -> $16,712.73
    rate = chips.implied_rate(110000, 15320)
    assert rate == pytest.approx(7.180157, abs=1e-6)
    assert chips.to_usd(120000, rate) == pytest.approx(16712.727, abs=1e-3)


def specs_fixture():
    rows = [
        # chip, metric, value, low, high, sparsity, headline
        ("x", "f16_tflops", 280, None, None, "not_stated", True),
        ("x", "f16_tflops", None, 256, 376, "not_stated", False),
        ("x", "f16_tflops", 128, None, None, "not_stated", False),
        ("n", "f16_tflops", 312, None, None, "dense", True),
        ("n", "f16_tflops", 624, None, None, "sparse", False),
        ("n", "price_usd", None, 10000, 15000, "", True),
        ("w", "f16_tflops", 100, None, None, "dense", False),  # weak only: no headline
    ]
    df = pd.DataFrame(rows, columns=["chip_id", "metric", "value", "low", "high", "sparsity", "headline"])
    df["status"] = "reported"
    return df


def test_summarise_keeps_every_figure_in_the_range_and_drops_sparse():
    s = chips.summarise(specs_fixture(), "f16_tflops").set_index("chip_id")
    assert s.loc["x", "value"] == 280 and s.loc["x", "low"] == 128 and s.loc["x", "high"] == 376
    assert s.loc["x", "figures"] == 3 and s.loc["x", "reliable"]
    assert s.loc["n", "high"] == 312  # the sparse 624 is not a dense figure
    assert math.isnan(s.loc["w", "value"]) and not s.loc["w", "reliable"] and s.loc["w", "low"] == 100


def test_summarise_uses_the_midpoint_of_a_headline_range():
    s = chips.summarise(specs_fixture(), "price_usd").set_index("chip_id")
    assert s.loc["n", "value"] == 12500 and (s.loc["n", "low"], s.loc["n", "high"]) == (10000, 15000)


def test_compare_gives_headline_gap_and_its_range():
    s = chips.summarise(specs_fixture(), "f16_tflops")
    c = chips.compare(s, "x", ["n", "missing"]).set_index("reference")
    assert c.loc["n", "gap"] == pytest.approx(0.102564, abs=1e-6)
    assert c.loc["n", "gap_best"] == pytest.approx(1 - 376 / 312)
    assert c.loc["n", "gap_worst"] == pytest.approx(1 - 128 / 312)  # 0.589744
    assert math.isnan(c.loc["missing", "gap"])


def test_workload_ratio_prefers_the_two_results():
    cmp = pd.DataFrame({"value": [328, None], "reference_value": [286, None], "stated_ratio": [None, 0.8]})
    r = chips.workload_ratio(cmp)
    assert r.iloc[0] == pytest.approx(1.146853, abs=1e-6) and r.iloc[1] == 0.8


def test_in_force_on_a_day():
    stack = pd.DataFrame({"provider": ["TSMC", "SMIC", "undated"],
                          "since": pd.to_datetime([None, "2023-01-01", None]),
                          "until": pd.to_datetime(["2020-09-14", None, None])})
    assert list(chips.in_force(stack, "2025-03-03")["provider"]) == ["SMIC", "undated"]
    assert list(chips.in_force(stack, "2019-01-01")["provider"]) == ["TSMC", "undated"]
    # an arrangement ending on a day is no longer in force that day
    assert list(chips.in_force(stack, "2020-09-14")["provider"]) == ["undated"]


def test_leaders_by_year():
    shares = pd.DataFrame({"year": [2018, 2018, 2019, 2019],
                           "entity": ["Huawei", "Ericsson", "Huawei", "Nokia"], "value": [29, 13, 28, 16]})
    assert chips.leaders(shares)["entity"].tolist() == ["Huawei", "Huawei"]


def test_parity_label_flags_a_comparison_that_holds_only_against_the_older_chip():
    assert chips.parity_label("mostly accurate", "false") == "misleading"
    assert chips.parity_label("accurate", "false") == "misleading"
    assert chips.parity_label("false", "false") == "false"
    assert chips.parity_label("accurate", "accurate") == "accurate"
    assert chips.parity_label("mixed", "false") == "mixed"


def test_quarters_ahead_keeps_only_quarters_with_both_counts():
    units = pd.DataFrame({"year": [2023, 2023, 2024, 2024, 2024], "period": ["Q4", "Q4", "Q1", "Q1", "Q3"],
                          "entity": ["A", "B", "A", "B", "A"], "value": [7, 3, 2, 2, 8]})
    out = chips.quarters_ahead(units, "A", "B")
    assert list(out.index) == [(2023, "Q4"), (2024, "Q1")]
    assert list(out["ahead"]) == [True, False]  # a tie is not ahead


def test_parity_finding_rates_the_level_against_each_chip():
    f16 = pd.Series({"ascend-910b": 280.0, "a100": 312.0, "h100": 989.0, "h20": 148.0})
    found, figs = chips.parity_finding(5, f16, 0.8, pd.Series([0.2, 0.3]), ["note"])
    assert found["label"] == "misleading"  # near the A100 (80-90%), far from the H100 (28%)
    labels = {r.reading.split(",")[0]: r.label for r in found["readings"]}
    assert labels["against the H100"] == "false" and labels["against the A100"] == "mostly accurate"
    assert round(figs["level_vs_h100_pct"]) == 28 and round(figs["level_vs_a100_low_pct"]) == 80
    assert found["evidence"][-1] == "note"
    # a chip level with the flagship makes the claim accurate on every reading that matters
    even = pd.Series({"ascend-910b": 950.0, "a100": 1000.0, "h100": 1000.0, "h20": 1000.0})
    assert chips.parity_finding(5, even, 0.95, pd.Series([1.0]), [])[0]["label"] == "accurate"


def test_price_finding_headline_is_the_sticker_price_against_comparable_chips():
    f16 = pd.Series({"ascend-910b": 280.0, "h20": 148.0, "h100": 989.0})
    found, figs = chips.price_finding(70, 120000, 110000, 7.18, (10000, 15000), (12000, 15000), 70000, f16, [])
    assert found["label"] == "false" and round(figs["discount_vs_h20_cny_pct"]) == -9
    assert [r.chosen for r in found["readings"]] == [True, False, False]
    assert "was not 70% cheaper" in found["conclusion"]
    cheap, _ = chips.price_finding(70, 20000, 110000, 7.18, (10000, 15000), (12000, 15000), 70000, f16, [])
    assert cheap["label"] == "mostly accurate" and "at least 72% less" in cheap["conclusion"]  # 72-82% cheaper: just above 70
