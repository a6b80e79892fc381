"""Helpers for the industrial-leadership thread: who led in electric cars each quarter, and how far public
reporting supports a claimed "world's first"."""

from __future__ import annotations

import pandas as pd

DEFINITIONS = {"bev": "battery-electric only", "bev_phev": "battery-electric and plug-in hybrid"}


def quarterly_lead(rows: pd.DataFrame, definition: str = "bev") -> pd.DataFrame:
    """BYD against Tesla per quarter under ``definition``: Tesla sells only battery-electric cars (its
    deliveries), BYD's count is its battery-electric sales or, with hybrids, all its new-energy sales.
    Quarters where either figure is missing are left out; the first figure listed wins a duplicate."""
    if definition not in DEFINITIONS:
        raise ValueError(f"definition '{definition}' is not one of {', '.join(DEFINITIONS)}")
    q = rows[rows["quarter"].isin(["Q1", "Q2", "Q3", "Q4"]) & rows["units"].notna()]
    tesla = q[(q["company"] == "Tesla") & (q["measure"] == "deliveries")]
    byd = q[(q["company"] == "BYD") & (q["powertrain"] == ("bev" if definition == "bev" else "all"))]
    key = ["year", "quarter"]
    merged = (tesla.drop_duplicates(key)[key + ["units"]].rename(columns={"units": "tesla"})
              .merge(byd.drop_duplicates(key)[key + ["units"]].rename(columns={"units": "byd"}), on=key))
    merged["leader"] = merged.apply(lambda r: "BYD" if r["byd"] > r["tesla"] else "Tesla", axis=1)
    merged["byd_minus_tesla"] = merged["byd"] - merged["tesla"]
    return merged.sort_values(key).reset_index(drop=True)


def yearly_lead(rows: pd.DataFrame, definition: str = "bev") -> pd.DataFrame:
    """The same comparison on full-year figures."""
    y = rows[(rows["quarter"] == "FY") & rows["units"].notna()]
    tesla = y[(y["company"] == "Tesla") & (y["measure"] == "deliveries")].drop_duplicates("year")
    byd = y[(y["company"] == "BYD") & (y["powertrain"] == ("bev" if definition == "bev" else "all"))]
    byd = byd.drop_duplicates("year")
    merged = tesla[["year", "units"]].rename(columns={"units": "tesla"}).merge(
        byd[["year", "units"]].rename(columns={"units": "byd"}), on="year")
    merged["leader"] = merged.apply(lambda r: "BYD" if r["byd"] > r["tesla"] else "Tesla", axis=1)
    return merged.sort_values("year").reset_index(drop=True)


def first_lead(table: pd.DataFrame, company: str = "BYD") -> tuple | None:
    """(year, quarter) of the first period ``company`` led, or None."""
    hit = table[table["leader"] == company]
    if hit.empty:
        return None
    first = hit.iloc[0]
    return (first["year"], first["quarter"]) if "quarter" in hit.columns else (first["year"],)


def rate_first(status: str, earlier_rival: bool, identified: bool = True, contested: bool = False) -> tuple[str, str]:
    """A label for a claimed "world's first", from what public reporting establishes.

    unconfirmed or contested -> unverifiable; a documented earlier rival -> mixed (the system exists, the
    "first" does not hold); otherwise confirmed -> accurate and reported (imagery or statements without
    official detail) -> mostly accurate, capped at mostly accurate when the article does not say which
    system it means and we had to pick one."""
    if status not in ("confirmed", "reported", "unconfirmed"):
        raise ValueError(f"status '{status}' is not confirmed, reported or unconfirmed")
    if status == "unconfirmed" or contested:
        return "unverifiable", "no public source establishes the system, or its 'first' is disputed without evidence"
    if earlier_rival:
        return "mixed", "the system is documented, but an earlier one elsewhere is documented too"
    if status == "confirmed" and identified:
        return "accurate", "confirmed by official statements or imagery, and no earlier case found"
    return "mostly accurate", ("reported (imagery or statements) rather than confirmed" if status == "reported"
                               else "confirmed, but the article does not name the system, so we matched the likeliest")
