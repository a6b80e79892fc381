"""techduel.fmt: numbers, dates, yes/no and column names as a reader reads them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from techduel import fmt


@pytest.mark.parametrize("x, unit, text", [
    (5_576_000, "USD", "5.576 million"),
    (5.576e6, "", "5.576 million"),
    (40_000, "", "40,000"),
    (25_000.0, "", "25,000"),
    (12_345.678, "", "12,346"),
    (123.456, "", "123.5"),
    (2.75, "", "2.75"),
    (25.0, "", "25"),
    (0.01234, "", "0.01234"),
    (0.5, "", "0.5"),
    (0, "", "0"),
    (-1500, "", "-1,500"),
    (2.5e9, "", "2.5 billion"),
    (1.2e12, "", "1.2 trillion"),
    (3.8e24, "FLOP", "3.8×10²⁴"),
    (1e24, "FLOPs", "10²⁴"),
    (2.79e6, "FLOP", "2.79×10⁶"),
    (999, "FLOP", "999"),  # small counts stay plain even in FLOP
    (4e18, "", "4×10¹⁸"),  # beyond trillions, powers of ten
    (3e-6, "", "3×10⁻⁶"),
    (999_996, "", "999,996"),  # the whole part is never rounded away
    (9.99996e6, "FLOP", "10⁷"),  # the mantissa rounds up to 10
    (999.96e6, "", "1 billion"),  # not "1,000 million"
    (999.96e12, "", "10¹⁵"),
    (float("nan"), "", ""),
    (None, "", ""),
    (pd.NA, "", ""),
])
def test_number(x, unit, text):
    assert fmt.number(x, unit) == text


def test_number_never_writes_scientific_notation():
    import re

    for x in (1e-3, 1.5e5, 5.576e6, 7e4, 1.23456e11, 9.87e13, 3.2e25, 1e-9):
        assert not re.search(r"\d[eE][+-]?\d", fmt.number(x)), x


def test_plain_whole_numbers_have_no_separator():
    assert fmt.number(2024, plain=True) == "2024"
    assert fmt.number(2024.0, plain=True) == "2024"
    assert fmt.number(2024) == "2,024"


@pytest.mark.parametrize("x, unit, text", [
    (25, "percent", "25%"),
    (5.576e6, "USD", "5.576 million USD"),
    (12.5, "billion USD", "12.5 billion USD"),
    (700, "W", "700 W"),
    (3.8e24, "FLOP", "3.8×10²⁴ FLOP"),
    (40_000, "", "40,000"),
])
def test_quantity_carries_the_unit_and_no_dollar_sign(x, unit, text):
    assert fmt.quantity(x, unit) == text
    assert "$" not in fmt.quantity(x, unit)


def test_span():
    assert fmt.span(25_000, 70_000, "USD") == "25,000 to 70,000 USD"
    assert fmt.span(44, 50.7, "percent") == "44% to 50.7%"
    assert fmt.span(25, 25) == "25"


def test_dates_and_booleans():
    assert fmt.date(date(2026, 12, 1)) == "2026-12-01"
    assert fmt.date(pd.Timestamp("2026-12-01"), "long") == "1 December 2026"
    assert fmt.date(pd.NaT) == "" and fmt.date(None) == ""
    assert [fmt.yes_no(v) for v in (True, False, pd.NA)] == ["yes", "no", ""]
    assert fmt.number(True) == "yes"


@pytest.mark.parametrize("name, unit, label", [
    ("f16_tflops", None, "FP16 (TFLOPS)"),
    ("share_pct", None, "Share (%)"),
    ("price_usd", "USD", "Price (USD)"),
    ("trade_covered_usd_bn", "billion USD per year", "Trade covered (billion USD per year)"),
    ("total_params_b", "billion parameters", "Total params (billion parameters)"),
    ("power_w_max", "W", "Power max (W)"),
    ("memory_bandwidth_gbs", "GB/s", "Memory bandwidth (GB/s)"),
    ("duration_s", "seconds", "Duration (seconds)"),
    ("claim_id", "", "Claim ID"),
    ("source_ids", "", "Source IDs"),
    ("gdp_usd_bn", None, "GDP (billion USD)"),
    ("CNY per USD (Fed)", "", "CNY per USD (Fed)"),
    ("goods_usd_bn (China records)", None, "Goods, China records (billion USD)"),
    ("pct_of_gdp (US records)", None, "% of GDP, US records"),
    ("trade_usd_bn (US records)", "", "Trade, US records (billion USD)"),
    ("value", "percent", "Value (%)"),
    (2024, None, "2024"),
])
def test_header(name, unit, label):
    assert fmt.header(name, unit) == label


def test_header_prefers_a_title():
    assert fmt.header("f16_tflops", "TFLOPS", title="Dense FP16 peak") == "Dense FP16 peak (TFLOPS)"


def test_header_keeps_words_that_only_look_like_the_unit():
    assert fmt.header("bits_per_weight", "bits") == "Bits per weight (bits)"
    assert fmt.header("avg_tariff_pct", "percent") == "Average tariff (%)"


def test_a_recorded_result_is_shown_with_the_formatter(monkeypatch):
    from techduel import outputs, results

    shown = []
    monkeypatch.setattr(outputs, "emit", lambda mime, payload, text, *a, **k: shown.append((payload, text)))
    results.record("flops", 3.286e24, "FLOP")
    results.record("rental_usd", 5576000, "USD")
    results.record("share", 17.31, "percent")
    results.record("year", 2024)
    assert [t for _, t in shown] == ["flops = 3.286×10²⁴ FLOP", "rental_usd = 5.576 million USD",
                                     "share = 17.31%", "year = 2024"]
    assert shown[1][0]["value"] == 5576000  # the stored value is untouched
