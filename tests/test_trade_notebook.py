"""Notebook 05 responds to its parameters the way its data say: the partner-group definition picks a
different published share, services add BEA's figure to both sides' ratios, and a grouping with no
published share records none rather than a stand-in."""

from __future__ import annotations

import json

import pytest

from conftest import run_notebook

STEM = "05_trade_global_south"


def results(root):
    return {k: v["value"] for k, v in json.loads((root / "build" / "results.json").read_text())[STEM].items()}


def run(root, *params):
    return run_notebook(root, STEM, *params)


def test_definition_and_services_change_the_results_as_the_data_say(scratch):
    root = scratch
    base = run(root)
    # default: Belt and Road partner countries, 2024 -> GACC's published 50.3% (data/trade/china_trade.csv)
    assert (base["group_share_pct"], base["group_share_year"]) == (50.3, 2024)
    assert base["group_share_measure"] == "share of total trade"
    # goods only, 2024: 688.3 bn (China's customs) and 438.9 + 144 bn (US) over 18,748.47 bn dollars of GDP
    assert base["us_trade_pct_gdp_china_records"] == pytest.approx(3.671, abs=1e-3)
    assert base["us_trade_pct_gdp_us_records"] == pytest.approx(3.109, abs=1e-3)

    new = run(root, "group=bri_along_routes", "include_services=true")
    # the older 'along the Belt and Road' list was last reported for 2022: GACC's 32.9%
    assert (new["group_share_pct"], new["group_share_year"]) == (32.9, 2022)
    assert base["group_share_pct"] - new["group_share_pct"] == pytest.approx(17.4)
    # services (BEA 2024: 55 + 23 bn) add the same 78 bn to both sides: +0.416 points of GDP each
    added = 78 / 18748.47 * 100
    for side in ("china", "us"):
        key = f"us_trade_pct_gdp_{side}_records"
        assert new[key] - base[key] == pytest.approx(added, abs=2e-3)
    # what does not depend on the parameters stays put
    assert new["china_total_trade_cny_bn"] == base["china_total_trade_cny_bn"] == 43850
    assert new["cny_per_usd"] == base["cny_per_usd"] == 7.1957


def test_a_grouping_without_a_published_share_records_none(scratch):
    root = scratch
    got = run(root, "group=non_oecd", "year=2023")
    assert got["group_share_pct"] is None and got["group_share_measure"] == "not found"
    # 2023 goods trade on China's records: 500.03 + 164.16 bn over 126,058 / 7.0809 = 17,802.54 bn dollars
    assert got["us_trade_pct_gdp_china_records"] == pytest.approx(664.19 / 17802.54 * 100, abs=1e-3)
    assert got["mirror_gap_exports_usd_bn"] == pytest.approx(500.03 - 427.2)
