"""Shares, ratios and currency conversion for the trade thread (notebook 05).

A share means something only when its numerator and denominator are measured alike: same year, same
part of the year, same currency, same reporter. These helpers enforce that, so the notebook can set
the definitions of "Global South" side by side without mixing bases by accident, and can put both
sides' records of US-China trade against China's GDP in dollars at one stated exchange rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

# Partner groups the notebook can be asked about. The first four have published figures; the others
# are groupings the claim could mean but for which no share of China's trade was found.
GROUPS: dict[str, str] = {
    "bri_partner_countries": "Belt and Road partner countries (China's current list, about 150 signatories)",
    "bri_along_routes": "Countries along the Belt and Road (China's older, narrower list)",
    "bri_sic_list": "Belt and Road countries on the State Information Center's list",
    "global_south_sp": "Global South as S&P Global groups it (exports only)",
    "unctad_developing": "Developing economies (UNCTAD)",
    "imf_emde": "Emerging market and developing economies (IMF)",
    "non_oecd": "Economies outside the OECD",
}
# Caveats that disqualify a figure from arithmetic: it is not the official series, or not a value at all.
UNUSABLE = frozenset({"media_conversion", "likely_typo", "threshold"})
SHARE_FLOWS = {"share_of_total": "share of total trade", "share_of_exports": "share of exports"}
VALUE_FLOWS = {"total": "share of total trade", "exports": "share of exports"}


def share_pct(part: float, total: float) -> float:
    """``part`` as a percentage of ``total``; refuses a negative part or one above the whole."""
    if not (math.isfinite(part) and math.isfinite(total)) or total <= 0:
        raise ValueError(f"a share needs a positive finite total, got {total}")
    if part < 0 or part > total:
        raise ValueError(f"part {part} is not between 0 and the total {total}")
    return 100.0 * part / total


def pct_of(value: float, base: float) -> float:
    """``value`` as a percentage of ``base`` (e.g. trade as % of GDP); unlike a share it may exceed 100."""
    if not (math.isfinite(value) and math.isfinite(base)) or base <= 0:
        raise ValueError(f"a ratio needs a positive finite base, got {base}")
    return 100.0 * value / base


def to_usd(cny: float, cny_per_usd: float) -> float:
    """Yuan to dollars at a rate quoted as yuan per dollar (the Federal Reserve's H.10 convention)."""
    if not math.isfinite(cny_per_usd) or cny_per_usd <= 0:
        raise ValueError(f"exchange rate must be a positive number of yuan per dollar, got {cny_per_usd}")
    return cny / cny_per_usd


def usable(table: pd.DataFrame) -> pd.DataFrame:
    """Rows fit for arithmetic: found, with a value, and not flagged as a conversion, typo or threshold."""
    ok = table["status"].eq("found") & table["value"].notna()
    ok &= ~table["caveats"].map(lambda c: bool(set(c or []) & UNUSABLE))
    return table[ok]


def world_totals(trade: pd.DataFrame) -> pd.DataFrame:
    """China's full-year trade with the world per year and currency: total and exports.

    The total is the published one where there is a usable figure (China's customs before the NBS),
    else exports plus imports of the same year and currency. One row per year, unit and flow.
    """
    w = usable(trade)
    w = w[(w["partner"] == "world") & (w["period"] == "full_year")]
    rank = {"china_customs": 0, "nbs": 1}
    w = w.assign(_r=w["reporter"].map(rank).fillna(9)).sort_values(["year", "unit", "_r"], kind="stable")
    rows = []
    for (year, unit), g in w.groupby(["year", "unit"], sort=True):
        first = {f: g[g["flow"] == f].iloc[0] for f in ("total", "exports", "imports")
                 if (g["flow"] == f).any()}
        if "total" in first:
            r = first["total"]
            rows.append((year, unit, "total", float(r["value"]), "as published", list(r["source_ids"])))
        elif "exports" in first and "imports" in first:
            ex, im = first["exports"], first["imports"]
            rows.append((year, unit, "total", float(ex["value"] + im["value"]), "exports plus imports",
                         list(dict.fromkeys(ex["source_ids"] + im["source_ids"]))))
        if "exports" in first:
            r = first["exports"]
            rows.append((year, unit, "exports", float(r["value"]), "as published", list(r["source_ids"])))
    return pd.DataFrame(rows, columns=["year", "unit", "flow", "value", "how", "source_ids"])


def group_shares(trade: pd.DataFrame, partners: Iterable[str] | None = None) -> pd.DataFrame:
    """Every share of China's trade we can state for each partner: as published, and as computed from a
    partner value over the world total of the same year, currency and flow (full years only).

    Columns: partner, year, period, measure, share_pct, method (stated/computed), reporter, basis
    (the currency of a computed share, 'as published' otherwise), caveats, source_ids.
    """
    rows = []
    found = trade[(trade["status"] == "found") & trade["value"].notna()]
    if partners is not None:
        found = found[found["partner"].isin(list(partners))]
    for _, r in found[found["flow"].isin(list(SHARE_FLOWS))].iterrows():
        rows.append((r["partner"], int(r["year"]), r["period"], SHARE_FLOWS[r["flow"]], float(r["value"]),
                     "stated", r["reporter"], "as published", list(r["caveats"]), list(r["source_ids"])))
    totals = world_totals(trade).set_index(["year", "unit", "flow"])
    values = usable(found)
    values = values[values["flow"].isin(list(VALUE_FLOWS)) & (values["period"] == "full_year")
                    & (values["partner"] != "world") & values["unit"].isin(["CNY bn", "USD bn"])]
    for _, r in values.iterrows():
        key = (r["year"], r["unit"], r["flow"])
        if key not in totals.index:
            continue
        whole = totals.loc[key]
        rows.append((r["partner"], int(r["year"]), "full_year", VALUE_FLOWS[r["flow"]],
                     share_pct(float(r["value"]), float(whole["value"])), "computed", r["reporter"],
                     r["unit"].split()[0], list(r["caveats"]),
                     list(dict.fromkeys(list(r["source_ids"]) + list(whole["source_ids"])))))
    cols = ["partner", "year", "period", "measure", "share_pct", "method", "reporter", "basis", "caveats",
            "source_ids"]
    return pd.DataFrame(rows, columns=cols).sort_values(["partner", "year", "method"], kind="stable",
                                                        ignore_index=True)


def pick_share(shares: pd.DataFrame, partner: str, year: int) -> pd.Series | None:
    """The one full-year share to report for ``partner`` in ``year``, or in the latest earlier year that
    has one: a published share before a computed one, China's customs before other reporters, a yuan
    basis before a dollar one, a share of total trade before a share of exports. None if there is none."""
    rows = shares[(shares["partner"] == partner) & (shares["period"] == "full_year")
                  & (shares["year"] <= year)]
    if rows.empty:
        return None
    rows = rows[rows["year"] == rows["year"].max()]
    key = pd.DataFrame({"m": rows["method"] != "stated", "r": rows["reporter"] != "china_customs",
                        "u": rows["basis"] != "CNY", "e": rows["measure"] != "share of total trade"},
                       index=rows.index)
    return rows.loc[key.sort_values(["m", "r", "u", "e"], kind="stable").index[0]]


def gdp_usd(macro: pd.DataFrame) -> pd.DataFrame:
    """China's GDP per year in yuan (NBS) and in dollars at the Federal Reserve's annual average rate."""
    m = macro.set_index(["quantity", "year"])["value"]
    years = sorted(set(macro.loc[macro["quantity"] == "china_gdp_cny_bn", "year"])
                   & set(macro.loc[macro["quantity"] == "cny_per_usd_avg", "year"]))
    rows = [(y, float(m[("china_gdp_cny_bn", y)]), float(m[("cny_per_usd_avg", y)]),
             to_usd(float(m[("china_gdp_cny_bn", y)]), float(m[("cny_per_usd_avg", y)]))) for y in years]
    return pd.DataFrame(rows, columns=["year", "gdp_cny_bn", "cny_per_usd", "gdp_usd_bn"])


def two_way(china_to_us: float | None = None, us_to_china: float | None = None,
            china_surplus: float | None = None, stated: float | None = None) -> tuple[float | None, str]:
    """Trade in both directions, with how it was obtained.

    Both flows when both are published; else a published two-way total; else one flow and the surplus
    (surplus = China's exports to the US less its imports from the US); else None.
    """
    def known(x):
        return x is not None and not (isinstance(x, float) and math.isnan(x))

    if known(china_to_us) and known(us_to_china):
        return china_to_us + us_to_china, "sum of both flows"
    if known(stated):
        return stated, "two-way total as published"
    if known(china_to_us) and known(china_surplus):
        return 2 * china_to_us - china_surplus, "derived: one flow and the balance"
    if known(us_to_china) and known(china_surplus):
        return 2 * us_to_china + china_surplus, "derived: one flow and the balance"
    return None, "not available"


SIDES = {"china": ("china_customs",), "us": ("us_census", "bea")}


def bilateral(us_china: pd.DataFrame, side: str, category: str = "goods") -> pd.DataFrame:
    """One side's full-year record of US-China trade per year: both flows, the balance and the two-way
    total (see :func:`two_way`). Goods come from the side's own statistics (US Census, with BEA where a
    Census figure is missing); services only from BEA, which both sides must then share."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}")
    reporters = ("bea",) if category == "services" else SIDES[side]
    rows = us_china[(us_china["category"] == category) & us_china["reporter"].isin(reporters)
                    & us_china["preferred"] & (us_china["period"] == "full_year")
                    & us_china["value_usd_bn"].notna()]
    rank = {r: i for i, r in enumerate(reporters)}
    rows = rows.assign(_r=rows["reporter"].map(rank)).sort_values(["year", "_r"], kind="stable")
    out = []
    for year, g in rows.groupby("year", sort=True):
        pick = {d: g[g["direction"] == d].iloc[0] for d in g["direction"].unique()}
        val = {d: float(p["value_usd_bn"]) for d, p in pick.items()}
        total, how = two_way(val.get("china_to_us"), val.get("us_to_china"), val.get("china_surplus"),
                             val.get("two_way"))
        ids = list(dict.fromkeys(s for p in pick.values() for s in p["source_ids"]))
        out.append((int(year), val.get("china_to_us"), val.get("us_to_china"), val.get("china_surplus"),
                    total, how, ids))
    return pd.DataFrame(out, columns=["year", "china_to_us", "us_to_china", "china_surplus", "two_way", "how",
                                      "source_ids"])


def us_trade_vs_gdp(us_china: pd.DataFrame, gdp: pd.DataFrame, include_services: bool) -> pd.DataFrame:
    """US-China trade as a % of China's GDP, per year and per side's statistics.

    With ``include_services`` the BEA services total is added to each side's goods; a year without both
    services flows then has no ratio, rather than a goods-only one presented as the whole.
    """
    services = bilateral(us_china, "us", "services").set_index("year")["two_way"]
    out = []
    for side in SIDES:
        goods = bilateral(us_china, side, "goods")
        for _, r in goods.iterrows():
            y = r["year"]
            if r["two_way"] is None or pd.isna(r["two_way"]) or y not in set(gdp["year"]):
                continue
            serv = services.get(y)
            serv = None if serv is None or pd.isna(serv) else float(serv)
            trade = float(r["two_way"]) + (serv or 0.0) if include_services else float(r["two_way"])
            if include_services and serv is None:
                trade = None
            g = gdp.set_index("year").loc[y]
            out.append((y, side, float(r["two_way"]), serv, trade, float(g["gdp_usd_bn"]),
                        float(g["cny_per_usd"]),
                        None if trade is None else pct_of(trade, float(g["gdp_usd_bn"])), r["how"]))
    cols = ["year", "side", "goods_usd_bn", "services_usd_bn", "trade_usd_bn", "gdp_usd_bn", "cny_per_usd",
            "pct_of_gdp", "goods_how"]
    return pd.DataFrame(out, columns=cols).sort_values(["side", "year"], ignore_index=True)


def mirror(us_china: pd.DataFrame) -> pd.DataFrame:
    """China's exports to the US as China records them against US imports from China as the US records
    them, and the two balances, per year; gap > 0 means China's figure is the larger."""
    cn = bilateral(us_china, "china").set_index("year")
    us = bilateral(us_china, "us").set_index("year")
    years = sorted(set(cn.index) | set(us.index))
    rows = []
    for y in years:
        ce = cn["china_to_us"].get(y)
        ui = us["china_to_us"].get(y)
        cs = cn["china_surplus"].get(y)
        us_s = us["china_surplus"].get(y)
        gap = None if ce is None or ui is None or pd.isna(ce) or pd.isna(ui) else ce - ui
        rows.append((y, ce, ui, gap, None if gap is None else pct_of(gap, ui), cs, us_s))
    return pd.DataFrame(rows, columns=["year", "china_exports_china_record", "us_imports_us_record",
                                       "export_gap", "export_gap_pct_of_us_record", "surplus_china_record",
                                       "surplus_us_record"])


def evidence_range(values: Iterable[float]) -> tuple[float, float]:
    """Lowest and highest of the figures that count as evidence; refuses an empty set."""
    vals = [float(v) for v in values if v is not None and not pd.isna(v)]
    if not vals:
        raise ValueError("no evidence: the range is empty")
    return min(vals), max(vals)


def dominance_label(shares: Iterable[float], threshold: float = 50.0) -> str:
    """'Close to dominating' several markets, judged from China's share in each: a majority everywhere
    is mostly accurate (the phrase still overstates), a majority nowhere false, in some only mixed."""
    vals = [float(v) for v in shares]
    if not vals:
        return "unverifiable"
    above = sum(v > threshold for v in vals)
    if above == len(vals):
        return "mostly accurate"
    return "false" if above == 0 else "mixed"


def coverage_label(named: Iterable[str], recent: Iterable[str], ever: Iterable[str]) -> str:
    """A claim that cooperation runs with a list of countries: every one with a recent dated item is
    accurate; every one documented but some only earlier, mostly accurate; some missing, mixed; none,
    unverifiable."""
    named, recent, ever = set(named), set(recent), set(ever)
    if not named:
        raise ValueError("no countries named")
    if named <= recent:
        return "accurate"
    if named <= ever:
        return "mostly accurate"
    return "mixed" if named & ever else "unverifiable"


WHOSE = {"china": "China's", "us": "US"}


def describe_measure(row) -> str:
    """Whose records and which flows a US-China trade/GDP ratio row uses, in words."""
    return f"{WHOSE[row['side']]} records, {'goods and services' if row['services'] else 'goods only'}"


def gdp_ratio_finding(at: pd.DataFrame, gdp_row, claimed: float, comparator: str, year: int) -> dict:
    """The verdict on "US trade is under x% of China's GDP" from one year's ratio rows (both sides' records,
    with and without services; columns side, services, goods_usd_bn, services_usd_bn, trade_usd_bn, gdp_usd_bn,
    pct_of_gdp, year) and that year's GDP row (gdp_cny_bn, gdp_usd_bn, cny_per_usd).

    The headline is goods trade, the usual meaning of "trade", with China's customs figures and the US
    (partner) figures as two measurements of it: their range is the evidence. Services and each side alone
    are shown as other readings. Returns the label, reason, evidence, readings and conclusion."""
    from . import claims
    from .evidence import Reading

    low, high = evidence_range(at["pct_of_gdp"])
    goods, with_services = at[~at["services"]], at[at["services"]]
    rating = claims.rate_number(claimed, goods["pct_of_gdp"].min(), goods["pct_of_gdp"].max(), comparator)
    lowest, highest = at.loc[at["pct_of_gdp"].idxmin()], at.loc[at["pct_of_gdp"].idxmax()]
    side = goods.set_index("side")["goods_usd_bn"]
    where = (f"Every measure is below the claimed {claimed:g}%" if high < claimed else
             f"Every measure is above the claimed {claimed:g}%, the lowest only just" if low >= claimed else
             f"The measures fall on both sides of {claimed:g}%")
    reason = (f"China's {year} GDP of {gdp_row['gdp_cny_bn']:,.0f} billion yuan is {gdp_row['gdp_usd_bn']:,.0f} billion "
              f"dollars at the Federal Reserve's average of {gdp_row['cny_per_usd']:.4f} yuan per dollar. Two-way goods trade "
              f"with the US was {side['china']:.1f} billion dollars on China's customs figures and {side['us']:.1f} billion on "
              f"US figures; BEA services add {with_services['services_usd_bn'].iloc[0]:.0f} billion. The ratio runs from "
              f"{low:.2f}% ({describe_measure(lowest)}) to {high:.2f}% ({describe_measure(highest)}); on goods trade, the "
              f"headline, {rating.explanation}. {where}; the claim's point, that US trade is a small part of China's "
              f"economy, holds.")
    one = lambda lo, hi: claims.rate_number(claimed, lo, hi, comparator).label  # noqa: E731
    readings = ([Reading(f"goods trade on either side's records ({goods['pct_of_gdp'].min():.2f}-{goods['pct_of_gdp'].max():.2f}%)",
                         rating.label, chosen=True,
                         why="'trade' usually means goods trade; China's own customs figures and the US (partner) figures "
                             "measure the same flows and check each other")]
                + [Reading(f"{describe_measure(r)} ({r['pct_of_gdp']:.2f}%)", one(r["pct_of_gdp"], r["pct_of_gdp"]))
                   for _, r in goods.iterrows()]
                + [Reading(f"goods and services ({with_services['pct_of_gdp'].min():.2f}-{with_services['pct_of_gdp'].max():.2f}%)",
                           one(with_services["pct_of_gdp"].min(), with_services["pct_of_gdp"].max()))])
    word = {"accurate": "right", "mostly accurate": "a little too low", "mixed": "borderline"}.get(rating.label, "too low")
    return {"label": rating.label, "reason": reason,
            "evidence": [f"{r['year']} {describe_measure(r)}: {r['trade_usd_bn']:.1f} bn USD / {r['gdp_usd_bn']:,.0f} bn USD = "
                         f"{r['pct_of_gdp']:.2f}%" for _, r in at.iterrows()],
            "readings": readings,
            "conclusion": (f"China's trade with the US came to {low:.1f}% to {high:.1f}% of its GDP in {year}, depending on "
                           f"whose records are used and whether services count, so the claimed under {claimed:g}% is {word}.")}


def global_south_finding(in_year: pd.DataFrame, sp: pd.Series, old: pd.Series, overlap: pd.DataFrame, none_found: str,
                         claimed: float, comparator: str, year: int) -> dict:
    """The verdict on "more than half of China's trade is with the Global South" (label, reason, evidence,
    readings, conclusion).

    ``in_year`` holds the year's full-year shares (partner, share_pct, measure, method, reporter, year); ``sp`` the
    S&P Global South share and ``old`` the older Belt and Road list's latest share (rows of :func:`pick_share`);
    ``overlap`` the years with both Belt and Road lists (columns bri_partner_countries, bri_along_routes);
    ``none_found`` the groupings with no figure. "Global South" has no single official list, so the rule rates the
    range across every grouping with a figure; each grouping's own label is shown as a reading."""
    from . import claims
    from .evidence import Reading

    low, high = evidence_range(in_year["share_pct"])
    rating = claims.rate_number(claimed, low, high, comparator)
    bri = in_year[(in_year["partner"] == "bri_partner_countries") & (in_year["method"] == "stated")].set_index("reporter")
    reason = (f"For {year} the shares across the groupings that have figures run from {low:.1f}% to {high:.1f}% "
              f"({rating.explanation}). Only China's own list of Belt and Road partner countries puts the share above "
              f"half ({bri.loc['china_customs', 'share_pct']:g}% from customs, {bri.loc['mofcom', 'share_pct']:g}% from "
              f"the commerce ministry), and that list includes OECD members such as Korea and New Zealand. The one "
              f"grouping published under the name Global South, S&P Global's, covers exports only: "
              f"{sp['share_pct']:g}%. On China's older Belt and Road list the share was {old['share_pct']:g}% in "
              f"{old['year']}, the last year it was reported"
              + "".join(f"; in {y}, reported on both lists, it was {r['bri_partner_countries']:.1f}% on the new one and "
                        f"{r['bri_along_routes']:.1f}% on the old, so most of the rise past half is a change of list"
                        for y, r in overlap.iterrows())
              + ". The shares above half are China's own figures (customs, commerce ministry); the one independent "
                f"grouping, S&P Global's, covers exports only. No share was found for: {none_found}.")
    readings = ([Reading(f"{p} ({', '.join(f'{v:.1f}%' for v in g['share_pct'])})",
                         claims.rate_number(claimed, g["share_pct"].min(), g["share_pct"].max(), comparator).label)
                 for p, g in in_year.groupby("partner")]
                + [Reading("every grouping with a figure, taken together", rating.label, chosen=True,
                           why="'Global South' has no single official list, so no one grouping can stand for it")])
    evidence = ([f"{r['partner']} {r['year']}: {r['share_pct']:.2f}% ({r['measure']}, {r['method']}, {r['reporter']})"
                 for _, r in in_year.iterrows()] + [f"bri_along_routes {old['year']}: {old['share_pct']:g}%"])
    return {"label": rating.label, "reason": reason, "evidence": evidence, "readings": readings,
            "conclusion": (f"{bri.loc['china_customs', 'share_pct']:g}% of China's trade in {year} was with Belt and Road "
                           f"partner countries on China's own list, which is not a Global South list; the only Global South "
                           f"measure found puts China's exports to it at {sp['share_pct']:g}%.")}


def dominance_finding(markets: pd.DataFrame, imports: pd.DataFrame, phones_later: pd.DataFrame) -> dict:
    """The verdict on "Chinese tech firms have all but conquered the EAEU's markets" (label, reason, evidence,
    conclusion), by :func:`dominance_label` over the latest full-year share of Chinese brands in each market
    (``markets``: row_id, country, market, value, year, basis); ``imports`` (row_id, value, low, high) are China's
    shares of members' imports and ``phones_later`` later part-year Russian phone figures, shown for context."""
    label = dominance_label(markets["value"])
    majority = markets[markets["value"] > 50]
    ahead = sorted(set(majority["country"].str.title()))
    reason = ("Rule: Chinese brands above half of every market with a figure is mostly accurate (the phrase still "
              "overstates), above half in none false, in some only mixed. The latest full-year shares: "
              + "; ".join(f"{r['country'].title()} {r['market'].replace('_', ' ')} {r['value']:g}% ({r['year']}, {r['basis']})"
                          for _, r in markets.iterrows())
              + f". {len(majority)} of {len(markets)} are above half, in {', '.join(ahead) or 'none'}; "
              f"later Russian smartphone figures, for part of 2023 or for imports, are higher still "
              f"({phones_later['value'].min():g}-{phones_later['value'].max():g}%). China's share of members' imports, "
              f"where known, is under half (at most {imports[['value', 'high']].max().max():g}%). No market-share data were "
              "found for telecom equipment or other high-technology goods beyond cars and phones.")
    evidence = ([f"{r['row_id']}: {r['value']:g}% ({r['basis']})" for _, r in markets.iterrows()]
                + [f"{r['row_id']}: {r['value'] if pd.notna(r['value']) else str(r['low']) + '-' + str(r['high'])}%"
                   for _, r in imports.iterrows()])
    behind = sorted(set(markets["country"].str.title()) - set(ahead))
    conclusion = (f"Chinese brands hold most of the car and smartphone sales in {', '.join(ahead)}, but not of the car "
                  f"markets of {' or '.join(behind)}, so 'all but conquered' does not fit the EAEU as a whole."
                  if label == "mixed" else
                  f"Across the {len(markets)} EAEU markets with a figure, Chinese brands are above half in {len(majority)}.")
    return {"label": label, "reason": reason, "evidence": evidence, "conclusion": conclusion}
