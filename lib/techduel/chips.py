"""Comparing accelerators: the gap on each metric, performance per dollar and per watt, price discounts.

"How far behind" and "how much cheaper" have no single answer: they move with the metric, with which of
several reported figures one takes, and with the price assumed. These functions keep every step explicit so
a notebook can show the spread rather than one number. All are pure; missing inputs give NaN, never a guess.

Conventions: a *ratio* is chip / reference; a *gap* is 1 - ratio (0.1 = 10% behind, negative = ahead); a
*discount* is 1 - price / reference price (0.7 = 70% cheaper, negative = dearer).
"""

from __future__ import annotations

import math

import pandas as pd

# metric -> (label, unit, higher is better); price and power are inputs, not performance
METRICS = {
    "f16_tflops": ("dense 16-bit tensor throughput (FP16/BF16)", "TFLOPS", True),
    "int8_tops": ("dense INT8 throughput", "TOPS", True),
    "memory_gb": ("memory capacity", "GB", True),
    "memory_bandwidth_tbs": ("memory bandwidth", "TB/s", True),
    "interconnect_gbs": ("chip-to-chip interconnect", "GB/s", True),
}
DENSE = ("dense", "not_stated")  # Ascend figures carry no sparsity mode; Nvidia's sparse ones are 2x dense


def _num(x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return math.nan
    return x


def ratio(value, reference) -> float:
    """value / reference; NaN when either is missing or the reference is not positive."""
    v, r = _num(value), _num(reference)
    return v / r if r > 0 and not math.isnan(v) else math.nan


def gap(value, reference) -> float:
    """How far behind the reference: 1 - value/reference (0.05 = 5% behind; negative = ahead)."""
    return 1.0 - ratio(value, reference)


def gap_range(low, high, ref_low, ref_high) -> tuple[float, float]:
    """The smallest and largest gap when both sides are only known as ranges: the best case pairs the chip's
    high end with the reference's low end, the worst case the other way round."""
    return gap(high, ref_low), gap(low, ref_high)


def per_unit(value, denominator) -> float:
    """Performance per dollar or per watt: value / denominator (NaN if the denominator is missing)."""
    return ratio(value, denominator)


def discount(price, reference_price) -> float:
    """How much cheaper than the reference: 1 - price/reference (0.7 = 70% cheaper, negative = dearer)."""
    return 1.0 - ratio(price, reference_price)


def unit_cost_discount(price, perf, ref_price, ref_perf) -> float:
    """How much cheaper per unit of performance: 1 - (price/perf) / (ref_price/ref_perf)."""
    return 1.0 - ratio(ratio(price, perf), ratio(ref_price, ref_perf))


def price_for_unit_discount(target, perf, ref_price, ref_perf) -> float:
    """The price at which a chip with ``perf`` would be ``target`` cheaper per unit of performance than the
    reference; inverts :func:`unit_cost_discount`."""
    return (1.0 - target) * _num(ref_price) * ratio(perf, ref_perf)


def implied_rate(amount_cny, amount_usd) -> float:
    """Yuan per dollar implied by a source that states one amount in both currencies."""
    return ratio(amount_cny, amount_usd)


def to_usd(amount_cny, cny_per_usd) -> float:
    return ratio(amount_cny, cny_per_usd)


def midpoint(low, high) -> float:
    return (_num(low) + _num(high)) / 2


def summarise(specs: pd.DataFrame, metric: str, sparsity=DENSE) -> pd.DataFrame:
    """One row per chip for ``metric``: the headline figure, the range of every reported figure (weak ones
    included, a source's own range counted at both ends), how many figures there are, and whether the
    headline rests on a non-weak source. Sparse throughput is left out unless asked for."""
    rows = specs[(specs["metric"] == metric) & (specs["status"] == "reported")]
    if metric in METRICS and metric.endswith(("tflops", "tops")):
        rows = rows[rows["sparsity"].isin(sparsity)]
    out = []
    for chip, g in rows.groupby("chip_id", sort=False):
        points = pd.concat([g["value"], g["low"], g["high"]]).dropna()
        head = g[g["headline"].astype(bool)]
        value = float(head["value"].iloc[0]) if len(head) and pd.notna(head["value"].iloc[0]) else math.nan
        if len(head) and math.isnan(value):  # a headline range: its midpoint
            value = midpoint(head["low"].iloc[0], head["high"].iloc[0])
        out.append({"chip_id": chip, "value": value, "low": points.min(), "high": points.max(),
                    "figures": int(len(g)), "reliable": bool(len(head)) and not math.isnan(value)})
    return pd.DataFrame(out, columns=["chip_id", "value", "low", "high", "figures", "reliable"])


def compare(summary: pd.DataFrame, chip: str, references) -> pd.DataFrame:
    """The gap of ``chip`` to each reference on one metric: from the headline figures, and its range from
    every reported figure (see :func:`gap_range`)."""
    s = summary.set_index("chip_id")
    out = []
    for ref in references:
        if chip not in s.index or ref not in s.index:
            out.append({"reference": ref, "value": math.nan, "reference_value": math.nan, "ratio": math.nan,
                        "gap": math.nan, "gap_best": math.nan, "gap_worst": math.nan})
            continue
        a, b = s.loc[chip], s.loc[ref]
        best, worst = gap_range(a["low"], a["high"], b["low"], b["high"])
        out.append({"reference": ref, "value": a["value"], "reference_value": b["value"],
                    "ratio": ratio(a["value"], b["value"]), "gap": gap(a["value"], b["value"]),
                    "gap_best": best, "gap_worst": worst})
    return pd.DataFrame(out)


def workload_ratio(comparisons: pd.DataFrame) -> pd.Series:
    """chip / reference for each comparison: from the two results when both are given, else as stated."""
    both = [ratio(v, r) for v, r in zip(comparisons["value"], comparisons["reference_value"])]
    return pd.Series(both, index=comparisons.index).fillna(comparisons["stated_ratio"])


def in_force(stack: pd.DataFrame, day) -> pd.DataFrame:
    """Arrangements in force on ``day``: started by then (or undated) and not yet ended."""
    day = pd.Timestamp(day)
    started = stack["since"].isna() | (stack["since"] <= day)
    running = stack["until"].isna() | (stack["until"] > day)
    return stack[started & running]


def leaders(shares: pd.DataFrame) -> pd.DataFrame:
    """The entity with the largest share in each year (ties: both), from rows with year/entity/value."""
    top = shares.groupby("year")["value"].transform("max")
    return shares[shares["value"] == top].sort_values(["year", "entity"])[["year", "entity", "value"]]


def parity_label(vs_older: str, vs_flagship: str) -> str:
    """The label for "only x% behind Nvidia" when the claim names no Nvidia chip.

    ``vs_older`` is the rating against the older chip the maker itself compares with (the A100), ``vs_flagship``
    against Nvidia's flagship when the claim was made (the H100). Near the mark against the old chip only and
    far off against the flagship is misleading: the unnamed comparison flatters. Otherwise the two readings'
    common label, or mixed when they disagree."""
    if vs_older in ("accurate", "mostly accurate") and vs_flagship == "false":
        return "misleading"
    return vs_flagship if vs_flagship == vs_older else "mixed"


def quarters_ahead(units: pd.DataFrame, leader: str, other: str) -> pd.DataFrame:
    """Quarters where both ``leader`` and ``other`` have a unit count, with the two counts and whether the
    leader shipped more; from rows with year, period, entity and value."""
    pair = units.pivot_table(index=["year", "period"], columns="entity", values="value").dropna(subset=[leader, other])
    out = pair[[leader, other]].copy()
    out["ahead"] = out[leader] > out[other]
    return out


def parity_finding(claimed_gap_pct: float, f16: pd.Series, llm_vs_a100: float, collectives: pd.Series,
                   notes: list[str]) -> tuple[dict, dict]:
    """The verdict on "the 910B trails Nvidia by only x%" (label, reason, evidence, readings, conclusion) and the
    figures it rests on.

    ``f16`` is the headline dense FP16 TFLOPS by chip id (ascend-910b, a100, h100, h20); ``llm_vs_a100`` Huawei's
    own LLM-training ratio to the A100; ``collectives`` measured all-reduce ratios to an A800. The claim is rated
    as a level (100 - x % of Nvidia's performance) against each Nvidia chip; the unnamed comparison is judged by
    :func:`parity_label` across the A100 (Huawei's own comparison) and the H100 (the flagship)."""
    from . import claims
    from .evidence import Reading

    level = 100 - claimed_gap_pct
    vs_a100 = [100 * ratio(f16["ascend-910b"], f16["a100"]), 100 * float(llm_vs_a100)]
    vs_h100 = 100 * ratio(f16["ascend-910b"], f16["h100"])
    vs_h20 = 100 * ratio(f16["ascend-910b"], f16["h20"])
    r_a100 = claims.rate_number(level, min(vs_a100), max(vs_a100))
    r_h100 = claims.rate_number(level, vs_h100, vs_h100)
    r_h20 = claims.rate_number(level, vs_h20, vs_h20)
    label = parity_label(r_a100.label, r_h100.label)
    reason = (f"No source for the {claimed_gap_pct:g}% figure was found. The claim implies {level:g}% of Nvidia's performance. "
              f"Against the A100 the 910B reaches {min(vs_a100):.0f}-{max(vs_a100):.0f}% (Huawei's own LLM-training claim; "
              f"headline dense FP16 {f16['ascend-910b']:g} vs {f16['a100']:g} TFLOPS): {r_a100.label} ({r_a100.explanation}). "
              f"Against the H100, Nvidia's flagship when the article appeared, it reaches {vs_h100:.0f}% of dense FP16 "
              f"throughput: {r_h100.label} ({r_h100.explanation}). Measured collectives between cards ran at "
              f"{100 * collectives.min():.0f}-{100 * collectives.max():.0f}% of an A800's. So the figure is near the mark only "
              "against a 2020 chip on peak numbers.")
    readings = [Reading(f"against the A100, the chip Huawei compares the 910B with ({min(vs_a100):.0f}-{max(vs_a100):.0f}%)", r_a100.label),
                Reading(f"against the H100, Nvidia's flagship when the article appeared ({vs_h100:.0f}%)", r_h100.label),
                Reading(f"against the H20, the Nvidia chip sold in China ({vs_h20:.0f}% on dense FP16)", r_h20.label),
                Reading("against 'Nvidia's AI chips' unnamed, weighed across the A100 and H100", label, chosen=True,
                        why="the claim names no chip; the A100 is Huawei's own comparison and the H100 the flagship a reader would assume")]
    found = {"label": label, "reason": reason, "readings": readings,
             "evidence": [f"910B / A100 dense FP16 (headline): {vs_a100[0]:.1f}%",
                          f"Huawei's claim, LLM training vs A100: {vs_a100[1]:.0f}%", f"910B / H100 dense FP16: {vs_h100:.1f}%", *notes],
             "conclusion": (f"The 910B comes within about {100 - max(vs_a100):.0f}% of Nvidia's 2020-era A100 on peak compute, "
                            f"but reaches only about {vs_h100:.0f}% of the H100 that was Nvidia's flagship in 2025, and no source "
                            f"for '{claimed_gap_pct:g}% behind' was found.")}
    return found, {"level_vs_a100_low_pct": min(vs_a100), "level_vs_h100_pct": vs_h100}


def price_finding(claimed_pct: float, p910_cny: float, h20_cny: float, cny_per_usd: float, a100_usd: tuple[float, float],
                  h20_usd: tuple[float, float], h100_china_usd: float, f16: pd.Series, notes: list[str]) -> tuple[dict, dict]:
    """The verdict on "the 910B costs x% less than comparable Nvidia products" and the figures it rests on.

    The headline is the sticker price against the chips the 910B competes with in China, the H20 (yuan against
    yuan, from one Reuters story) and the A100 (converted at the rate that story implies); price per dense TFLOPS
    and the grey-market H100 are shown as other readings."""
    from . import claims
    from .evidence import Reading

    d_h20_cny = 100 * discount(p910_cny, h20_cny)
    p910_usd = to_usd(p910_cny, cny_per_usd)
    d_a100 = [100 * discount(p910_usd, x) for x in a100_usd]
    d_h20_usd = [100 * discount(p910_usd, x) for x in h20_usd]
    comparable = [d_h20_cny, *d_a100, *d_h20_usd]
    r = claims.rate_number(claimed_pct, min(comparable), max(comparable))
    per_tflops = [100 * unit_cost_discount(p910_usd, f16["ascend-910b"], x, f16["h20"]) for x in h20_usd]
    d_h100 = 100 * discount(p910_usd, h100_china_usd)
    reason = (f"No source for the {claimed_pct:g}% figure was found. Reuters (January 2024) put the 910B at about {p910_cny:,.0f} "
              f"yuan and the H20 at about {h20_cny:,.0f}, so the 910B cost {-d_h20_cny:.0f}% more; by May 2024 the H20 sold at "
              f"more than 10% below the 910B. At the {cny_per_usd:.2f} yuan per dollar Reuters' own conversion implies, the 910B "
              f"(${p910_usd:,.0f}) was {-max(d_a100):.0f}-{-min(d_a100):.0f}% dearer than an A100 and {-max(d_h20_usd):.0f}-"
              f"{-min(d_h20_usd):.0f}% dearer than an H20 at their sourced prices ({r.explanation}). To be fair to the claim: per "
              f"dense TFLOPS the 910B was {min(per_tflops):.0f}-{max(per_tflops):.0f}% cheaper than the compute-limited H20, and "
              f"only against the grey-market H100 price in China (up to ${h100_china_usd:,.0f}, a chip with "
              f"{f16['h100'] / f16['ascend-910b']:.1f} times the dense compute) does the sticker gap reach {d_h100:.0f}%.")
    readings = [Reading(f"sticker price against the H20 and A100, the chips it competes with ({min(comparable):.0f}% to {max(comparable):.0f}%)",
                        r.label, chosen=True,
                        why="'costs 70% less' is about price, and the comparable products are those of similar performance sold in China"),
                Reading(f"price per dense TFLOPS against the H20 ({min(per_tflops):.0f}-{max(per_tflops):.0f}% cheaper)",
                        claims.rate_number(claimed_pct, min(per_tflops), max(per_tflops)).label),
                Reading(f"sticker price against the grey-market H100 in China ({d_h100:.0f}% cheaper)",
                        claims.rate_number(claimed_pct, d_h100, d_h100).label)]
    found = {"label": r.label, "reason": reason, "readings": readings,
             "evidence": [f"910B: {p910_cny:,.0f} yuan; H20: {h20_cny:,.0f} yuan (Reuters, Jan 2024)",
                          f"A100: ${a100_usd[0]:,.0f}-{a100_usd[1]:,.0f}; H20: ${h20_usd[0]:,.0f}-{h20_usd[1]:,.0f}", *notes],
             "conclusion": (f"The Ascend 910B was not {claimed_pct:g}% cheaper than comparable Nvidia chips: in China it sold for "
                            f"about the same as, or more than, Nvidia's H20, and no source for the {claimed_pct:g}% figure was found."
                            if min(comparable) < claimed_pct else
                            f"The Ascend 910B sold for at least {min(comparable):.0f}% less than comparable Nvidia chips.")}
    return found, {"discount_vs_h20_cny_pct": d_h20_cny}
