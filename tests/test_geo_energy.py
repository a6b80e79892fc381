"""techduel.geo and techduel.energy against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from techduel import energy, geo

BEIJING = (39.904989, 116.405285)  # the city-centre points of data/edwc/demand_centres.csv
SHANGHAI = (31.231706, 121.472644)


def test_one_degree_on_the_equator():
    # arc of 1 degree on a 6,371 km sphere: 2 x pi x 6371 / 360 = 111.195 km
    assert geo.haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=1e-3)
    assert geo.haversine_km(0, 0, 1, 0) == pytest.approx(111.195, abs=1e-3)  # along a meridian too
    assert geo.haversine_km(10, 20, 10, 20) == 0


def test_beijing_shanghai_by_hand():
    # dphi = -8.673283 deg, dlambda = 5.067359 deg
    # h = sin^2(dphi/2) + cos(39.905) cos(31.232) sin^2(dlambda/2) = 0.0057178 + 0.76711 x 0.85508 x 0.0019542
    #   = 0.0069997; central angle = 2 asin(sqrt(h)) = 0.167524 rad; x 6371 km = 1,067.3 km
    d = geo.haversine_km(*BEIJING, *SHANGHAI)
    assert d == pytest.approx(1067.3, abs=0.1)
    assert 1050 < d < 1090  # the commonly quoted straight-line distance is about 1,070 km
    assert geo.haversine_km(*SHANGHAI, *BEIJING) == pytest.approx(d)  # symmetric


def test_haversine_on_arrays():
    zeros = np.array([0.0, 0.0])
    d = geo.haversine_km(zeros, zeros, zeros, np.array([1.0, 2.0]))
    assert d == pytest.approx([111.195, 222.390], abs=1e-3)


def test_round_trip_arithmetic():
    # 1,000 km x 1.5 route factor = 1,500 km of fibre; at 200 km per ms: 7.5 ms one way, 15 ms round trip
    assert geo.one_way_ms(1000, 1.5, 200) == pytest.approx(7.5)
    assert geo.round_trip_ms(1000, 1.5, 200) == pytest.approx(15.0)
    assert geo.round_trip_ms(1000, 1.5, 200, overhead_ms=2) == pytest.approx(17.0)
    # Beijing-Shanghai at 1.3 and 200 km/ms: 2 x 1067.3 x 1.3 / 200 = 13.87 ms
    d = geo.haversine_km(*BEIJING, *SHANGHAI)
    assert geo.round_trip_ms(d, 1.3, 200) == pytest.approx(13.875, abs=1e-3)
    with pytest.raises(ValueError, match="route factor"):
        geo.one_way_ms(100, 0.9, 200)
    with pytest.raises(ValueError):
        geo.round_trip_ms(100, 1.3, 200, overhead_ms=-1)


def test_distance_matrix_shape_and_values():
    a = pd.DataFrame({"id": ["bj"], "lat": [BEIJING[0]], "lon": [BEIJING[1]]})
    b = pd.DataFrame({"c": ["bj", "sh"], "lat": [BEIJING[0], SHANGHAI[0]], "lon": [BEIJING[1], SHANGHAI[1]]})
    m = geo.distance_matrix(a, b, "id", "c")
    assert m.shape == (1, 2) and m.loc["bj", "bj"] == 0
    assert m.loc["bj", "sh"] == pytest.approx(1067.3, abs=0.1)


def test_fits_round_trip_one_way_and_unbudgeted():
    assert bool(geo.fits(30, 20)) is False
    assert bool(geo.fits(30, 30)) is True  # the bound itself fits
    assert bool(geo.fits(30, 20, "one_way")) is True  # 15 ms one way <= 20
    assert geo.fits(30, None) is None and geo.fits(30, float("nan")) is None
    with pytest.raises(ValueError):
        geo.fits(30, 20, "sideways")


def test_feasibility_tighter_budget_never_adds_fits():
    rtt = pd.DataFrame([[10.0, 25.0], [40.0, 5.0]], index=pd.Index(["a", "b"], name="o"),
                       columns=pd.Index(["x", "y"], name="t"))
    budgets = pd.DataFrame({"workload_class": ["web", "voice", "batch"], "budget_ms": [20.0, 15.0, np.nan],
                            "direction": ["round_trip", "one_way", None]})
    full = geo.feasibility(rtt, budgets, 1.0)
    assert len(full) == 4 * 3
    web = full[full["workload_class"] == "web"].set_index(["o", "t"])["fits"]
    assert web.to_dict() == {("a", "x"): True, ("a", "y"): False, ("b", "x"): False, ("b", "y"): True}
    voice = full[full["workload_class"] == "voice"].set_index(["o", "t"])["fits"]  # half the RTT vs 15 ms
    assert voice.to_dict() == {("a", "x"): True, ("a", "y"): True, ("b", "x"): False, ("b", "y"): True}
    assert full[full["workload_class"] == "batch"]["fits"].isna().all()  # unbudgeted: never counted as a fit
    counts = [int((geo.feasibility(rtt, budgets, s)["fits"] == True).sum())  # noqa: E712
              for s in (2, 1, 0.5, 0.1)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    with pytest.raises(ValueError):
        geo.feasibility(rtt, budgets, 0)


def test_energy_by_hand():
    # 10 MW x PUE 1.25 x 8,760 h = 109,500 MWh; at 0.5 yuan/kWh = 54.75 million yuan; at 0.5 t/MWh = 54,750 t
    mwh = energy.annual_mwh(10, 1.25)
    assert mwh == pytest.approx(109_500)
    assert energy.cost(mwh, 0.5) == pytest.approx(54_750_000)
    assert energy.emissions_t(mwh, 0.5) == pytest.approx(54_750)
    with pytest.raises(ValueError):
        energy.annual_mwh(10, 0.9)


def test_price_from_discount():
    # 0.4 yuan is 30% below 0.4 / 0.7 = 0.5714 yuan
    assert energy.price_from_discount(0.4, 0.3) == pytest.approx(0.571429, abs=1e-6)
    assert energy.price_from_discount(0.4, 0) == 0.4
    with pytest.raises(ValueError):
        energy.price_from_discount(0.4, 1.0)


def test_compare_by_hand_and_linear_in_load():
    east, west = energy.Site(1.25, 0.5, 0.7), energy.Site(1.2, 0.35, 0.6)
    c = energy.compare(10, east, west)
    # east 109,500 MWh; west 10 x 1.2 x 8760 = 105,120 MWh
    assert c.mwh_saved == pytest.approx(4_380)
    assert c.cost_saved == pytest.approx(109_500_000 * 0.5 - 105_120_000 * 0.35)  # 54.75 m - 36.792 m
    assert c.t_saved == pytest.approx(109_500 * 0.7 - 105_120 * 0.6)  # 76,650 - 63,072 = 13,578 t
    c3 = energy.compare(30, east, west)
    for attr in ("mwh_saved", "cost_saved", "t_saved", "east_mwh", "west_t"):
        assert getattr(c3, attr) == pytest.approx(3 * getattr(c, attr))
    # a cleaner eastern grid makes the move emit more: negative saving
    assert energy.compare(10, energy.Site(1.25, 0.5, 0.3), west).t_saved < 0


def test_overrides_parse_and_resolve():
    known = ["Inner Mongolia", "Southern grid", "China (national)"]
    o = energy.parse_overrides(["inner mongolia=0.5", "Southern grid = 0.3"], known)
    assert o == {"inner mongolia": 0.5, "southern grid": 0.3}
    for bad in (["Mars=0.1"], ["Inner Mongolia"], ["Inner Mongolia=abc"], ["Inner Mongolia=-1"]):
        with pytest.raises(ValueError):
            energy.parse_overrides(bad, known)
    values = {"Inner Mongolia": 0.6849, "Southern grid": 0.3869, "Guizhou": None}
    assert energy.resolve(["Inner Mongolia"], values, {}) == (0.6849, "Inner Mongolia")
    assert energy.resolve(["Guizhou", "Southern grid"], values, {}) == (0.3869, "Southern grid")  # falls back
    overridden = energy.resolve(["Guizhou", "Southern grid"], values, {"guizhou": 0.2})
    assert overridden == (0.2, "Guizhou (override)")
    with pytest.raises(KeyError):
        energy.resolve(["Guizhou"], values, {})


def test_share():
    assert energy.share(140, 9852.1) == pytest.approx(0.01421, abs=1e-5)
    with pytest.raises(ValueError):
        energy.share(1, 0)
    assert math.isclose(energy.share(0, 5), 0)


def test_stated_aim_label_needs_a_statement_and_softens_when_qualified():
    from techduel import energy

    assert energy.stated_aim_label(False, False) == "unverifiable"
    assert energy.stated_aim_label(False, True) == "unverifiable"
    assert energy.stated_aim_label(True, False) == "accurate"
    assert energy.stated_aim_label(True, True) == "mostly accurate"


def test_relief_label_uses_the_share_threshold():
    from techduel import energy

    assert energy.relief_label(0.02) == "mixed"  # data centres at 2 % of the grid: small relief
    assert energy.relief_label(0.05) == "accurate"
    assert energy.relief_label(0.04, threshold=0.03) == "accurate"
    with pytest.raises(ValueError, match="finite fraction"):
        energy.relief_label(float("nan"))
