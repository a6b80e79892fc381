"""The East data, West computing notebook responds to its parameters the way its models say it must."""

from __future__ import annotations


import pytest

from conftest import run_notebook

STEM = "04_east_data_west_computing"


@pytest.fixture
def root(scratch):
    return scratch


def run(root, *params):
    return run_notebook(root, STEM, *params)


def test_tighter_budget_never_serves_more_and_energy_is_linear_in_load(root):
    base = run(root)  # defaults: budget_scale 1, it_load_mw 10
    tight = run(root, "budget_scale=0.3", "it_load_mw=25")
    tightest = run(root, "budget_scale=0.05", "factor_overrides=Inner Mongolia=0.1")

    # a tighter budget never makes more (cluster, city, class) triples or more classes feasible
    counts = [r["feasible_pairs"] for r in (base, tight, tightest)]
    assert counts == sorted(counts, reverse=True)
    assert counts[-1] < counts[0]  # and at 5% of each budget some really drop out
    for looser, tighter in ((base, tight), (tight, tightest)):
        assert set(tighter["served_by_cluster"]) <= set(looser["served_by_cluster"])
        assert set(tighter["classes_served_everywhere"]) <= set(looser["classes_served_everywhere"])
    # training has no sourced budget: it stays unbudgeted whatever the scale, never 'served'
    assert all(r["unbudgeted_classes"] == ["ai_training_batch"] for r in (base, tight, tightest))
    assert not any(s.endswith(":ai_training_batch") for s in base["served_by_cluster"])
    # the latency model does not depend on the energy parameters
    assert tight["rtt_min_ms"] == base["rtt_min_ms"] and tight["rtt_max_ms"] == base["rtt_max_ms"]

    # energy, cost and carbon are linear in the IT load: 25 MW is 2.5 times 10 MW
    for name in ("energy_east_mwh", "energy_west_mwh", "cost_saving_cny", "co2_saving_t"):
        assert tight[name] == pytest.approx(2.5 * base[name], rel=1e-4), name
    for name in ("cost_saving_range_cny", "co2_saving_range_t"):
        assert tight[name] == pytest.approx([2.5 * x for x in base[name]], rel=1e-4), name
    assert tight["price_east_cny_kwh"] == base["price_east_cny_kwh"]  # prices do not depend on the load

    # overriding Inner Mongolia's grid factor changes only the carbon result, by the hand-computed amount:
    # 10 MW x 8,760 h x (1.25 x 0.7252 Hebei - 1.2 x 0.1) = 68,897.4 tCO2 a year
    assert tightest["co2_saving_t"] == pytest.approx(68_897.4, abs=0.1)
    assert tightest["cost_saving_cny"] == base["cost_saving_cny"]
