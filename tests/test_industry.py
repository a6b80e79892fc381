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
    (("confirmed", False), "accurate"), (("reported", False), "mostly accurate"),
    (("confirmed", False, False), "mostly accurate"), (("reported", True), "mixed"),
    (("unconfirmed", False), "unverifiable"), (("reported", False, True, True), "unverifiable")])
def test_rate_first(args, label):
    assert industry.rate_first(*args)[0] == label


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
