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
