"""The standard of evidence: how sources are graded, how strong a verdict's evidence is, and what that allows.

Adapted from the Admiralty (NATO) system, which grades *who is speaking* apart from *whether what they say is
confirmed*:

- **Source grade** (a property of each row of ``data/sources.csv``, axis one):
  ``primary`` — the record itself or the body that keeps it (a law, register, filing, official statistics, a
  technical report or paper by the people who did the work, a court or regulator's decision);
  ``established`` — an outlet or institute with editorial standards and corrections (wire services, major
  newspapers, trade press with named reporters, research institutes, reference works with citations);
  ``weak`` — blogs, aggregators, forums, unattributed reposts, sites with no editorial line, pages that cannot
  be found again. A relay or mirror names what it copies in ``origin`` and is never graded above it.
- **Interest**: the party a source speaks for (``interest``, a key of ``data/parties.csv``): a company about
  itself, a government about its own programme, its state media about national achievements. A source is
  *interested* in a claim when its party is one of the claim's ``parties`` (``data/claims.csv``); the same
  rule holds for every side.
- **Strength** (axis two, computed per verdict by :func:`strength`): copies of one origin count once, and
  origins from one speaker (the same party, or else the same publisher: a lab's paper and its model card, two
  posts of one blog, a ministry and its state media) count as one; then
  ``confirmed``  at least two independent non-weak origins, at least one of them not interested;
  ``single source``  exactly one non-weak origin that is not interested;
  ``interested party only``  every non-weak origin is an interested party;
  ``weak only``  nothing but weak origins;
  ``none``  no source.
- **Caps** (:func:`cap`): a firm label (``accurate``, ``false``) needs ``confirmed``. With ``single source`` or
  ``interested party only`` the strongest labels allowed are ``mostly accurate`` and ``mixed``
  (``accurate`` → ``mostly accurate``, ``false`` → ``mixed``), and an interested-only conclusion names whose word
  it is. ``weak only`` and ``none`` allow only ``unverifiable`` (one weak page never carries a verdict).
  ``unverifiable`` is always allowed and must say what was searched.
- **Forecast caps** (:func:`cap_forecast`, the forecast scale of ``claims.FORECAST_SCALE``): a firm outcome
  (``came true``, ``did not come true``) needs ``confirmed``. With ``single source`` or ``interested party only``,
  ``came true`` becomes ``partly came true`` (one voice can show that something happened, not that it happened
  as forecast), and ``did not come true`` becomes ``not resolvable`` (one voice cannot show that nothing
  happened). ``weak only`` and ``none`` allow no outcome: every outcome label becomes ``not resolvable``.
  ``too early to tell`` (a statement about the horizon, not the evidence) and ``not resolvable`` are always
  allowed; ``not resolvable`` must say what was searched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from . import data

GRADES: dict[str, str] = {
    "primary": "The record itself or the body that keeps it: a law, register, filing, official statistics, "
               "a technical report or paper by those who did the work, a regulator's or court's decision.",
    "established": "An outlet or institute with editorial standards and corrections: wire services, major "
                   "newspapers, trade press with named reporters, research institutes, cited reference works.",
    "weak": "A blog, aggregator, forum, unattributed repost, a site with no editorial line, or a page that "
            "could not be found again.",
}
RANK = {"primary": 2, "established": 1, "weak": 0}

CONFIRMED, SINGLE, INTERESTED, WEAK, NONE = ("confirmed", "single source", "interested party only",
                                             "weak only", "none")
STRENGTHS: dict[str, str] = {
    CONFIRMED: "At least two independent non-weak origins, at least one of them not an interested party.",
    SINGLE: "Exactly one non-weak origin that is not an interested party (others, if any, are interested or weak).",
    INTERESTED: "Every non-weak origin speaks for a party the claim is about.",
    WEAK: "Only weak origins (blogs, aggregators, reposts, pages not found again).",
    NONE: "No source.",
}
FIRM = ("accurate", "false")
# strength -> {label: the strongest label it allows in its place}; a label not listed is allowed as it is.
# WEAK and NONE map every rated label to unverifiable.
_SOFTEN = {"accurate": "mostly accurate", "false": "mixed"}
_ONLY_UNVERIFIABLE = {label: "unverifiable" for label in
                      ("accurate", "mostly accurate", "mixed", "misleading", "false")}
CAPS: dict[str, dict[str, str]] = {CONFIRMED: {}, SINGLE: _SOFTEN, INTERESTED: _SOFTEN,
                                   WEAK: _ONLY_UNVERIFIABLE, NONE: _ONLY_UNVERIFIABLE}

# The same idea on the forecast scale (see the module docstring): strength -> {label: strongest allowed}.
_FORECAST_SOFTEN = {"came true": "partly came true", "did not come true": "not resolvable"}
_FORECAST_NONE = {label: "not resolvable" for label in ("came true", "partly came true", "did not come true")}
FORECAST_CAPS: dict[str, dict[str, str]] = {CONFIRMED: {}, SINGLE: _FORECAST_SOFTEN, INTERESTED: _FORECAST_SOFTEN,
                                            WEAK: _FORECAST_NONE, NONE: _FORECAST_NONE}


@dataclass(frozen=True)
class Strength:
    level: str
    origins: tuple[str, ...]  # distinct origins behind the cited sources
    independent: tuple[str, ...]  # non-weak origins with no interest in the claim
    interested: tuple[str, ...]  # non-weak origins speaking for a party of the claim
    weak: tuple[str, ...]  # weak origins
    parties: tuple[str, ...] = field(default=())  # the interested parties speaking
    speakers: int = 0  # distinct speakers among the non-weak origins

    def explain(self) -> str:
        """One sentence a reader can check against the registry."""
        parts = [f"{len(self.origins)} distinct origin(s), {self.speakers} independent non-weak speaker(s)"]
        if self.independent:
            parts.append(f"{len(self.independent)} disinterested and not weak")
        if self.interested:
            parts.append(f"{len(self.interested)} speaking for {', '.join(self.parties)}")
        if self.weak:
            parts.append(f"{len(self.weak)} weak")
        return f"Evidence strength: {self.level} ({'; '.join(parts)})."


def registry() -> pd.DataFrame:
    return data.load("sources").set_index("source_id")


def origin_of(source_id: str, reg: pd.DataFrame | None = None) -> str:
    """The source a row ultimately copies (itself when it copies nothing); cycles are a data error."""
    reg = registry() if reg is None else reg
    seen = [source_id]
    while True:
        nxt = reg.at[seen[-1], "origin"]
        if not isinstance(nxt, str) or not nxt:
            return seen[-1]
        if nxt in seen:
            raise ValueError(f"data/sources.csv: origin chain loops: {' -> '.join(seen + [nxt])}")
        seen.append(nxt)


def strength(source_ids: Iterable[str], parties: Iterable[str] = (), reg: pd.DataFrame | None = None) -> Strength:
    """How strong the evidence of these sources is for a claim about ``parties``.

    Each cited row is traced to its origin; an origin counts once, with the best grade among the rows that
    reach it (a copy never raises it, since a relay is never graded above its origin) and as interested when
    its own party is one of the claim's."""
    reg = registry() if reg is None else reg
    parties = set(parties)
    ids = list(dict.fromkeys(source_ids))
    unknown = [s for s in ids if s not in reg.index]
    if unknown:
        raise KeyError(f"unknown source id(s) {', '.join(unknown)}: add them to data/sources.csv")
    origins = list(dict.fromkeys(origin_of(s, reg) for s in ids))
    independent, interested, weak, speaking = [], [], [], []
    voices: dict[str, bool] = {}  # speaker -> disinterested
    for o in origins:
        party = reg.at[o, "interest"]
        if reg.at[o, "grade"] == "weak":
            weak.append(o)
            continue
        own = isinstance(party, str) and party in parties
        (interested if own else independent).append(o)
        if own:
            speaking.append(party)
        voices[speaker(o, reg)] = voices.get(speaker(o, reg), False) or not own
    if not origins:
        level = NONE
    elif len(voices) >= 2 and any(voices.values()):
        level = CONFIRMED
    elif independent:
        level = SINGLE
    elif interested:
        level = INTERESTED
    else:
        level = WEAK
    return Strength(level, tuple(origins), tuple(independent), tuple(interested), tuple(weak),
                    tuple(dict.fromkeys(speaking)), len(voices))


def speaker(source_id: str, reg: pd.DataFrame) -> str:
    """Who is speaking: the party a source speaks for, else its publisher (case and spacing ignored)."""
    party = reg.at[source_id, "interest"]
    if isinstance(party, str) and party:
        return f"party:{party}"
    publisher = reg.at[source_id, "publisher"] if "publisher" in reg.columns else source_id
    return "publisher:" + " ".join(str(publisher).lower().split())


def cap(label: str, level: str) -> str:
    """The strongest label ``level`` allows in place of ``label`` (``label`` itself when it is allowed)."""
    if level not in CAPS:
        raise ValueError(f"evidence strength '{level}' is not one of {', '.join(CAPS)}")
    return CAPS[level].get(label, label)


def cap_forecast(label: str, level: str) -> str:
    """The strongest forecast label ``level`` allows in place of ``label``."""
    if level not in FORECAST_CAPS:
        raise ValueError(f"evidence strength '{level}' is not one of {', '.join(FORECAST_CAPS)}")
    return FORECAST_CAPS[level].get(label, label)


def check_cap(claim_id: str, label: str, level: str, forecast: bool = False) -> None:
    """Fail when ``label`` is stronger than the evidence allows (on the forecast scale when ``forecast``)."""
    allowed = (cap_forecast if forecast else cap)(label, level)
    if allowed != label:
        raise ValueError(f"verdict on {claim_id}: '{label}' needs stronger evidence than '{level}'; "
                         f"the most it allows is '{allowed}' ({STRENGTHS[level]})")


@dataclass(frozen=True)
class Reading:
    """One way to read a claim, the label it would get, and why it is or is not the one we take."""
    reading: str
    label: str
    chosen: bool = False
    why: str = ""

    def as_dict(self) -> dict:
        return {"reading": self.reading, "label": self.label, "chosen": self.chosen, "why": self.why}


def check_readings(claim_id: str, label: str, readings: Iterable[Reading]) -> list[dict]:
    """Readings as dicts, with exactly one chosen whose label is the verdict's rule label."""
    out = [r.as_dict() if isinstance(r, Reading) else dict(r) for r in readings]
    if not out:
        return out
    chosen = [r for r in out if r["chosen"]]
    if len(chosen) != 1:
        raise ValueError(f"verdict on {claim_id}: exactly one reading must be chosen, {len(chosen)} are")
    if not chosen[0].get("why"):
        raise ValueError(f"verdict on {claim_id}: the chosen reading must say why it is the most natural")
    if chosen[0]["label"] != label:
        raise ValueError(f"verdict on {claim_id}: the chosen reading gives '{chosen[0]['label']}', "
                         f"the verdict '{label}'")
    return out
