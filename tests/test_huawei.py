"""The Huawei notebook responds to its parameters as its arithmetic says; its verdicts do not move."""

from __future__ import annotations


import pytest

from conftest import run_with

STEM = "03_huawei_vertical_integration"


@pytest.fixture
def root(scratch):
    return scratch


def run(root, *params):
    res, build = run_with(root, STEM, *params)
    return res, (build / "verdicts.csv").read_text()


def test_halving_the_910b_price_doubles_its_performance_per_dollar(root):
    base, base_verdicts = run(root)
    cheap, cheap_verdicts = run(root, "price_910b_cny=60000")
    assert cheap["huawei_price_usd"] == pytest.approx(base["huawei_price_usd"] / 2)
    assert cheap["huawei_per_1000_usd"] == pytest.approx(2 * base["huawei_per_1000_usd"])
    # Nvidia's side and the performance gap do not depend on the Huawei price
    assert cheap["h100_per_1000_usd"] == base["h100_per_1000_usd"]
    assert cheap["gap_vs_h100_pct"] == base["gap_vs_h100_pct"]
    # cost per unit halves, so what is left after the discount halves: (1 - d_new) = (1 - d_old) / 2
    for ref in ("a100", "h100", "h20"):
        old, new = base[f"unit_cost_discount_vs_{ref}_pct"], cheap[f"unit_cost_discount_vs_{ref}_pct"]
        assert 100 - new == pytest.approx((100 - old) / 2)
    # the verdicts rest on sourced prices only
    assert cheap_verdicts == base_verdicts


def test_default_prices_are_the_sourced_ones(root):
    base, _ = run(root)
    # 120,000 yuan at Reuters' implied 7.18 yuan per dollar; headline dense FP16 280 vs A100 312
    assert base["huawei_price_usd"] == pytest.approx(120000 / 7.18)
    assert base["huawei_metric_value"] == 280
    assert base["gap_vs_a100_pct"] == pytest.approx(100 * (1 - 280 / 312), abs=1e-4)
    assert base["telecom_leader"] == "Huawei" and base["huawei_telecom_share_pct"] == 29


def test_metric_and_year_change_what_is_compared(root):
    res, _ = run(root, "metric=memory_gb", "market_year=2024")
    assert res["huawei_metric_value"] == 64  # GB, against the A100's 80
    assert res["gap_vs_a100_pct"] == pytest.approx(20.0)
    assert res["huawei_telecom_share_pct"] == 31
