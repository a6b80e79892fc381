"""Electricity, cost and emissions of a data centre, and how they change when it moves.

A data centre's bill and its carbon are both (IT load x PUE x hours) times a rate: a price per kWh or a
grid emission factor per MWh. Moving it changes the PUE it can reach and the rates it pays, so the saving
is a difference of two such products. Everything is linear in the IT load, which the tests check.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

HOURS_PER_YEAR = 8760


def annual_mwh(it_load_mw, pue, hours: float = HOURS_PER_YEAR):
    """Facility electricity in MWh a year: average IT load x PUE x hours. PUE below 1 is impossible
    (the facility cannot use less than its IT equipment), so it is refused."""
    if pue < 1:
        raise ValueError(f"PUE {pue} < 1 is impossible")
    if it_load_mw < 0:
        raise ValueError("IT load cannot be negative")
    return it_load_mw * pue * hours


def cost(mwh, price_per_kwh):
    """Electricity cost in the price's currency: MWh x 1,000 kWh/MWh x price per kWh."""
    return mwh * 1000.0 * price_per_kwh


def emissions_t(mwh, factor_t_per_mwh):
    """Tonnes of CO2: MWh x grid emission factor (tCO2/MWh, numerically equal to kgCO2/kWh)."""
    return mwh * factor_t_per_mwh


def price_from_discount(cheaper_price, discount):
    """The dearer price implied when ``cheaper_price`` is ``discount`` (a fraction) below it:
    cheaper = dearer x (1 - discount). Used when only the western price and the gap are sourced."""
    if not 0 <= discount < 1:
        raise ValueError(f"discount {discount} must be a fraction in [0, 1)")
    return cheaper_price / (1.0 - discount)


@dataclass(frozen=True)
class Site:
    """What a site pays and emits per unit of IT load."""
    pue: float
    price_per_kwh: float
    factor_t_per_mwh: float


@dataclass(frozen=True)
class Comparison:
    east_mwh: float
    west_mwh: float
    east_cost: float
    west_cost: float
    east_t: float
    west_t: float

    @property
    def mwh_saved(self) -> float:
        return self.east_mwh - self.west_mwh

    @property
    def cost_saved(self) -> float:
        return self.east_cost - self.west_cost

    @property
    def t_saved(self) -> float:
        return self.east_t - self.west_t


def compare(it_load_mw: float, east: Site, west: Site, hours: float = HOURS_PER_YEAR) -> Comparison:
    """The same IT load run for a year in the east and in the west. Savings are east minus west, so a
    negative carbon saving means the western grid emits more per MWh than the PUE gain makes up for."""
    e, w = annual_mwh(it_load_mw, east.pue, hours), annual_mwh(it_load_mw, west.pue, hours)
    return Comparison(e, w, cost(e, east.price_per_kwh), cost(w, west.price_per_kwh),
                      emissions_t(e, east.factor_t_per_mwh), emissions_t(w, west.factor_t_per_mwh))


def parse_overrides(items: Iterable[str], known: Iterable[str]) -> dict[str, float]:
    """``["Guangdong=0.45", ...]`` -> {"guangdong": 0.45}. Names are matched case-insensitively against
    ``known``; an unknown name, a missing '=' or a non-number is an error that lists what is allowed,
    so a typo cannot be silently ignored."""
    allowed = {k.lower(): k for k in known}
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"override '{item}' must read name=value")
        if name.lower() not in allowed:
            known_names = ", ".join(sorted(allowed.values()))
            raise ValueError(f"override '{name}' is not a known name; known: {known_names}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"override '{item}': '{value}' is not a number") from None
        if number < 0:
            raise ValueError(f"override '{item}' is negative")
        out[name.lower()] = number
    return out


def resolve(keys: Iterable[str], values: Mapping[str, float | None],
            overrides: Mapping[str, float]) -> tuple[float, str]:
    """The value for the first of ``keys`` (most specific first) that is overridden, else for the first
    that has a value; returns (value, the key it came from). Lets a reader override a province or a
    region while everything else keeps its sourced figure."""
    keys = [k for k in keys if k]
    for k in keys:
        if k.lower() in overrides:
            return overrides[k.lower()], f"{k} (override)"
    for k in keys:
        v = values.get(k)
        if v is not None and v == v:  # not None, not NaN
            return float(v), k
    raise KeyError(f"no value for any of {', '.join(keys)}")


def share(part, whole):
    """part / whole, refusing a zero or negative whole rather than returning inf."""
    if whole <= 0:
        raise ValueError("the whole must be positive")
    return part / whole


LARGE_SHARE = 0.05  # relief to a grid counts as large when data centres use at least 5 % of the electricity


def stated_aim_label(stated: bool, qualified: bool) -> str:
    """Label for 'the programme aims to X', judged on official statements of its aims.

    No statement found: ``unverifiable``; stated as the claim has it: ``accurate``; stated but narrower than the
    claim, or limited by the same statements: ``mostly accurate``."""
    if not stated:
        return "unverifiable"
    return "mostly accurate" if qualified else "accurate"


def relief_label(share_high: float, threshold: float = LARGE_SHARE) -> str:
    """Label for 'moving data centres relieves the grid' from data centres' share of its electricity: at least
    ``threshold`` counts as large relief (``accurate``); below it the relief exists but is small (``mixed``)."""
    if not math.isfinite(share_high) or share_high < 0:
        raise ValueError(f"share of electricity must be a finite fraction, got {share_high}")
    return "accurate" if share_high >= threshold else "mixed"
