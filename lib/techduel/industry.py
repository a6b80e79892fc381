"""Helpers for the industrial-leadership thread: who led in electric cars each quarter, who leads in robotaxi
rides, what a world share says about leadership, and how far public reporting supports a claimed "world's
first". The rules live here so that every verdict cell of the notebook applies the same one."""

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


# --- "world's firsts" -------------------------------------------------------------------------------------
# One standard for every side: a government's, its state media's or a builder's word about its own system is
# "own_word", whichever country it is; imagery or reporting by parties with no stake is "independent".
BASES = ("independent", "own_word", "none")


def rate_first(basis: str, rival: str = "none", identified: bool = True, contested: bool = False) -> tuple[str, str]:
    """A label for a claimed "world's first", from what establishes the system (``basis``) and whether an
    earlier case elsewhere is established (``rival``: the basis of the earliest earlier case, or "none").

    none, or disputed by independent analysts -> unverifiable; an earlier case established independently ->
    mixed (the system exists, the "first" does not hold); an earlier case resting on its own government's word
    -> mixed too (the "first" then hinges on a claim nobody can check, which is given the same weight as any
    government's word about itself); otherwise independent -> accurate and own word -> mostly accurate, and
    mostly accurate at best when the article does not say which system it means and we had to pick one."""
    for name, value in (("basis", basis), ("rival", rival)):
        if value not in BASES:
            raise ValueError(f"{name} '{value}' is not one of {', '.join(BASES)}")
    if basis == "none":
        return "unverifiable", "no public source establishes the system with the claimed attributes"
    if contested:
        return "unverifiable", ("the system's claimed attributes rest on its builder's word, and independent analysts "
                                "or reporting dispute them")
    if rival == "independent":
        return "mixed", "the system is documented, but an earlier one elsewhere is documented too"
    if rival == "own_word":
        return "mixed", ("the system is documented, but an earlier one is claimed elsewhere by its own government "
                         "without independent evidence, so the 'first' can be neither confirmed nor excluded")
    if basis == "independent" and identified:
        return "accurate", "documented by imagery or disinterested reporting, and no earlier case found"
    return "mostly accurate", ("resting on the word of its own government, state media or builder"
                               if basis == "own_word" else
                               "documented, but the article does not name the system, so we matched the likeliest")


def earlier_rivals(candidate: pd.Series, others: pd.DataFrame) -> list[tuple[str, str]]:
    """Ships in ``others`` that came before ``candidate``, comparing like with like: launch with launch, or
    service entry with service entry; a rival already in service before the candidate was launched is earlier on
    any measure. Returns (item_id, how) pairs; a pair of dates the stored pages do not give is no evidence."""
    out = []
    for item, o in others.iterrows():
        if item == candidate.name:
            continue
        if pd.notna(o["launched"]) and pd.notna(candidate["launched"]):
            if o["launched"] < candidate["launched"]:
                out.append((item, f"launched {o['launched']:%d %b %Y}, before {candidate['launched']:%d %b %Y}"))
        elif pd.notna(o["in_service"]) and pd.notna(candidate["launched"]) and o["in_service"] < candidate["launched"]:
            out.append((item, f"in service {o['in_service']:%d %b %Y}, before the other was even launched "
                              f"({candidate['launched']:%d %b %Y})"))
        elif pd.notna(o["in_service"]) and pd.notna(candidate["in_service"]) and o["in_service"] < candidate["in_service"]:
            out.append((item, f"in service {o['in_service']:%d %b %Y}, before {candidate['in_service']:%d %b %Y}"))
    return out


def rival_basis(rows: pd.DataFrame) -> str:
    """The strongest basis among earlier rivals (independent beats own word), or "none"."""
    bases = set(rows["basis"]) if len(rows) else set()
    return "independent" if "independent" in bases else ("own_word" if "own_word" in bases else "none")


FIRST_CONCLUSIONS = {
    "accurate": "Public reporting independent of {whose} documents China's {subject}, and no earlier one was found.",
    "mostly accurate": "China's {subject} is documented, but as a world first it rests on the word of {whose}.",
    "mixed": "China has {subject}, but {rival}, so 'world's first' does not hold as stated.",
    "mixed own word": ("China has {subject}, but {rival}, so 'world's first' can be neither confirmed nor "
                       "excluded."),
    "unverifiable": "No public source we found establishes China's {subject} as a world first.",
}


def first_conclusion(label: str, subject: str, whose: str = "the PRC government",
                     rival: str = "an earlier one is reported elsewhere", rival_word: bool = False) -> str:
    """The conclusion for a "world's first" verdict; ``rival_word`` when the earlier case rests on its own
    government's word alone."""
    key = "mixed own word" if label == "mixed" and rival_word else label
    return FIRST_CONCLUSIONS[key].format(subject=subject, whose=whose, rival=rival)


# --- world shares --------------------------------------------------------------------------------------------
SHARE_LEADER = 50.0  # a world share of at least half makes a country the leader on any reading


def rate_share(share_pct: float, qualifier: str = "eq") -> tuple[str, str]:
    """"China leads the world in X" against China's world share: at least half (or "more than" a figure that is
    at least half) -> accurate; a figure given as "just under" half or below -> mixed, since a plurality needs
    the other countries' shares, which the tables do not hold."""
    if share_pct >= SHARE_LEADER and qualifier in ("eq", "gt", "about", "ge"):
        return "accurate", f"a world share of {share_pct:g}% is at least half, so no other country can be ahead"
    if share_pct >= SHARE_LEADER:  # "just under" 60 % is still above half
        return "accurate", f"a world share just under {share_pct:g}% is still above half"
    return "mixed", f"a world share of {share_pct:g}% is under half; leadership would need the other countries' shares"


# --- robotaxis -------------------------------------------------------------------------------------------------
WEEKS_PER = {"week": 1.0, "quarter": 13.0}
LEAD_ACCURATE, LEAD_MIXED = 1.0, 0.8  # China/US weekly-ride ratio: >= 1 leads; 0.8-1 near parity; below, behind


def weekly_rides(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of a weekly or quarterly count, as rides per week (a quarter is 13 weeks)."""
    r = rows[rows["period"].isin(WEEKS_PER)].copy()
    r["per_week"] = r["value"] / r["period"].map(WEEKS_PER)
    return r.sort_values("date").reset_index(drop=True)


def matched_pairs(rows: pd.DataFrame, window_days: int = 92) -> pd.DataFrame:
    """Each Chinese weekly rate beside the nearest US one within ``window_days`` (like with like in time), with
    the China/US ratio. Rows without a US figure close enough are left out."""
    w = weekly_rides(rows)
    cn, us = w[w["country"] == "China"], w[w["country"] == "United States"]
    out = []
    for _, c in cn.iterrows():
        if us.empty:
            break
        gap = (us["date"] - c["date"]).abs()
        j = gap.idxmin()
        if gap[j] <= pd.Timedelta(days=window_days):
            u = us.loc[j]
            out.append({"china_date": c["date"], "china_service": c["service"], "china_per_week": c["per_week"],
                        "china_measure": c["measure"], "us_date": u["date"], "us_service": u["service"],
                        "us_per_week": u["per_week"], "us_basis": u["basis"], "days_apart": int(gap[j].days),
                        "ratio": c["per_week"] / u["per_week"],
                        "source_ids": list(dict.fromkeys([*c["source_ids"], *u["source_ids"]]))})
    return pd.DataFrame(out)


def rate_lead(ratio: float) -> tuple[str, str]:
    """The label "China leads" gets from a China/US ratio of weekly driverless rides."""
    rule = (f"China/US ratio >= {LEAD_ACCURATE:g} = accurate, {LEAD_MIXED:g}-{LEAD_ACCURATE:g} = mixed "
            f"(near parity for self-reported counts), below {LEAD_MIXED:g} = false")
    if ratio >= LEAD_ACCURATE:
        return "accurate", f"rule: {rule}"
    if ratio >= LEAD_MIXED:
        return "mixed", f"rule: {rule}"
    return "false", f"rule: {rule}"


# --- verdict arguments (the notebook passes these to claims.verdict) -----------------------------------------
QUALIFIER_WORDS = {"gt": "more than ", "ge": "at least ", "lt": "just under ", "le": "at most ", "about": "about ",
                   "eq": ""}


def share_phrase(row: pd.Series) -> str:
    return f"{QUALIFIER_WORDS.get(row['china_share_qualifier'], '')}{row['china_share_pct']:g}%"


def share_verdict(rows: pd.DataFrame, what: str) -> dict:
    """Label, reasoning, evidence and conclusion for "China leads the world in ``what``" from its latest share."""
    rows = rows[rows["china_share_pct"].notna()].sort_values("year")
    last = rows.iloc[-1]
    label, why = rate_share(last["china_share_pct"], last["china_share_qualifier"])
    return {"label": label,
            "reason": f"China's share of world {what} was {share_phrase(last)} in {last['year']} ({last['measure']}); {why}.",
            "evidence": [f"{r['year']}: {share_phrase(r)} ({r['measure']})" for _, r in rows.iterrows()],
            "conclusion": f"China leads the world in {what}, with {share_phrase(last)} of the total in {last['year']}."}


def first_verdict(rows: pd.DataFrame, rivals: pd.DataFrame, subject: str, *, identified: bool = True,
                  contested: bool = False, whose: str = "the PRC government", extra: str = "") -> dict:
    """Arguments for the verdict on a claimed "world's first": ``rows`` are the system(s) the claim is read as,
    ``rivals`` the earlier cases found elsewhere. The weakest basis among ``rows`` counts."""
    order = {"none": 0, "own_word": 1, "independent": 2}
    basis = min(rows["basis"], key=order.get)
    rb = rival_basis(rivals)
    label, why = rate_first(basis, rb, identified, contested)

    def describe(i, r):
        when = f", {r['first_public_date']:%d %b %Y}" if pd.notna(r["first_public_date"]) else ""
        return f"{i} {r['system']} ({r['basis'].replace('_', ' ')}{when})"
    rival_text = "; ".join(describe(i, r) for i, r in rivals.iterrows())
    reason = f"{why}: " + "; ".join(describe(i, r) for i, r in rows.iterrows())
    if rival_text:
        reason += f". Earlier elsewhere: {rival_text}"
    names = " and ".join(rivals["system"].str.split(" [(]", regex=True).str[0])
    earlier = (f"{names} came earlier" if rb == "independent" else
               f"an earlier {names} is claimed by its own government without evidence others can check"
               if rb == "own_word" else "an earlier one is reported elsewhere")
    both = pd.concat([rows, rivals])
    return {"label": label, "reason": reason + extra,
            "evidence": [f"{i}: {r['note']}" for i, r in both.iterrows()],
            "sources": list(dict.fromkeys(s for ids in both["source_ids"] for s in ids)),
            "conclusion": first_conclusion(label, subject, whose, earlier, rb == "own_word")}


def robotaxi_verdict(pairs: pd.DataFrame, article_date: str) -> dict:
    """Arguments for "China leads in autonomous driving" on the headline measure, weekly driverless rides of
    each country's largest service, at the pair nearest the article's date; the latest pair is shown beside it."""
    when = pd.Timestamp(article_date)
    at = pairs.loc[(pairs["china_date"] - when).abs().idxmin()]
    latest = pairs.iloc[-1]
    label, why = rate_lead(at["ratio"])
    later = rate_lead(latest["ratio"])[0]
    behind = pairs["ratio"] < LEAD_ACCURATE
    since = pairs.loc[behind[::-1].cummin()[::-1], "china_date"].min()  # start of the run of pairs China trails

    def line(r):
        return (f"{r['china_service']} {r['china_per_week']:,.0f} a week ({r['china_date']:%b %Y}) against "
                f"{r['us_service']} {r['us_per_week']:,.0f} ({r['us_date']:%b %Y}, {r['us_basis'].replace('_', ' ')}): "
                f"ratio {r['ratio']:.2f}")
    return {"label": label,
            "reason": (f"Nearest the article's date, {line(at)}; {why}. The latest pair gives '{later}' too: {line(latest)}. "
                       "Before 2024 Apollo Go reported more rides than Waymo, but those counts included rides with a "
                       "safety operator on board."),
            "evidence": [line(r) for _, r in pairs.iterrows()],
            "sources": list(dict.fromkeys(s for ids in pairs["source_ids"] for s in ids)),
            "conclusion": lead_conclusion(label, at, since if latest["ratio"] < LEAD_ACCURATE else None)}


def lead_conclusion(label: str, at: pd.Series, since=None) -> str:
    """One sentence for the robotaxi verdict, from the label and the pair it rests on."""
    cn, us, ratio = at["china_service"], at["us_service"], at["ratio"]
    head = "On weekly driverless rides, the usual measure of robotaxi scale, "
    if label == "false":
        run = f", as in every pair since {since:%Y}" if since is not None and pd.notna(since) else ""
        return (f"{head}{us} in the US carried more riders than {cn} in China near the article's date (ratio "
                f"{ratio:.2f}){run}, so China did not lead on that measure.")
    if label == "mixed":
        return (f"{head}{cn} in China and {us} in the US were near parity at the article's date (ratio {ratio:.2f}), "
                "so no lead can be called on that measure.")
    return (f"{head}{cn} in China carried more riders than {us} in the US near the article's date (ratio "
            f"{ratio:.2f}), so China led on that measure.")


def measure_text(table: pd.DataFrame, measure: str, country: str) -> str:
    """One figure of ``data/industry/autonomy_measures.csv`` as words, e.g. 'more than 140 million km (Nov 2025)'."""
    hit = table[(table["measure"] == measure) & (table["country"] == country)]
    if hit.empty:
        raise KeyError(f"no '{measure}' figure for {country} in the autonomy measures")
    r = hit.iloc[0]
    v = r["value"]
    num = f"{v / 1e6:g} million" if v >= 1e6 else f"{v:,.0f}" if v >= 100 else f"{v:g}"
    unit = "%" if r["unit"] == "percent" else f" {r['unit']}"
    when = f" ({r['date']:%b %Y})" if pd.notna(r["date"]) else " (undated page)"
    return f"{r['service']} {QUALIFIER_WORDS.get(r['qualifier'], '').replace('just under ', 'under ')}{num}{unit}{when}"
