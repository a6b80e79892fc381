"""techduel.evidence: source grades, origins, the strength rule and the caps it puts on labels."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import claims, data, evidence

REG = pd.DataFrame([
    # source_id, grade, interest, origin
    ("wire", "established", "", ""),
    ("paper", "established", "", ""),
    ("paper-card", "established", "", ""),  # another document of the paper's publisher
    ("gov-us", "primary", "US government", ""),
    ("gov-prc", "primary", "PRC government", ""),
    ("state-media", "established", "PRC government", ""),
    ("company", "primary", "Huawei", ""),
    ("blog", "weak", "", ""),
    ("forum", "weak", "", ""),
    ("mirror-of-wire", "weak", "", "wire"),
    ("mirror-of-mirror", "weak", "", "mirror-of-wire"),
    ("uni-post", "primary", "Tsinghua University", ""),
    ("relay-1", "established", "", "uni-post"),
    ("relay-2", "established", "", "uni-post"),
], columns=["source_id", "grade", "interest", "origin"]).set_index("source_id")
REG["publisher"] = REG.index.str.replace("-card", "", regex=False)  # each row its own publisher, but the card


def level(ids, parties=()):
    return evidence.strength(ids, parties, REG).level


@pytest.mark.parametrize("ids, parties, expected", [
    (["wire", "paper"], (), "confirmed"),
    (["wire"], (), "single source"),
    (["wire", "blog"], (), "single source"),  # a weak page adds nothing
    (["gov-us"], ("US government",), "interested party only"),
    (["gov-us", "wire"], ("US government",), "confirmed"),  # the party's word, independently confirmed
    (["gov-us"], ("PRC government",), "single source"),  # the US speaking about another party is not interested
    (["gov-prc", "state-media"], ("PRC government",), "interested party only"),  # one side, twice
    (["gov-us", "gov-prc"], ("PRC government", "US government"), "interested party only"),
    (["company", "state-media"], ("Huawei",), "confirmed"),
    (["blog", "forum"], (), "weak only"),
    ([], (), "none"),
    (["wire", "mirror-of-wire", "mirror-of-mirror"], (), "single source"),  # copies of one origin count once
    (["relay-1", "relay-2"], ("Tsinghua University",), "interested party only"),  # a lab's post, relayed twice
    (["relay-1", "relay-2"], (), "single source"),
    (["paper", "paper-card"], (), "single source"),  # two documents of one publisher are one speaker
    (["gov-prc", "state-media", "wire"], ("Huawei",), "confirmed"),
    (["gov-prc", "state-media"], ("Huawei",), "single source"),  # a ministry and its state media: one speaker
])
def test_strength_counts_independent_origins(ids, parties, expected):
    assert level(ids, parties) == expected


def test_origin_follows_the_chain_and_refuses_loops():
    assert evidence.origin_of("mirror-of-mirror", REG) == "wire"
    looped = REG.copy()
    looped.loc["wire", "origin"] = "mirror-of-mirror"
    with pytest.raises(ValueError, match="loops"):
        evidence.origin_of("wire", looped)


def test_strength_refuses_unknown_sources():
    with pytest.raises(KeyError, match="nowhere"):
        evidence.strength(["nowhere"], (), REG)


@pytest.mark.parametrize("label, lvl, allowed", [
    ("accurate", "confirmed", "accurate"), ("false", "confirmed", "false"),
    ("accurate", "single source", "mostly accurate"), ("false", "single source", "mixed"),
    ("accurate", "interested party only", "mostly accurate"), ("false", "interested party only", "mixed"),
    ("misleading", "single source", "misleading"), ("mostly accurate", "single source", "mostly accurate"),
    ("mostly accurate", "weak only", "unverifiable"), ("false", "weak only", "unverifiable"),
    ("mixed", "none", "unverifiable"), ("unverifiable", "none", "unverifiable"),
])
def test_caps(label, lvl, allowed):
    assert evidence.cap(label, lvl) == allowed
    if allowed == label:
        evidence.check_cap("C000", label, lvl)
    else:
        with pytest.raises(ValueError, match="needs stronger evidence"):
            evidence.check_cap("C000", label, lvl)


def test_every_level_has_a_definition_and_a_cap():
    assert set(evidence.STRENGTHS) == set(evidence.CAPS)
    assert all(evidence.STRENGTHS.values()) and all(evidence.GRADES.values())


def test_readings_need_one_chosen_reading_that_gives_the_label():
    a = evidence.Reading("Type 076", "mostly accurate", chosen=True, why="the ship the article describes")
    b = evidence.Reading("Zhu Hai Yun", "mixed")
    assert [r["chosen"] for r in evidence.check_readings("C000", "mostly accurate", [a, b])] == [True, False]
    with pytest.raises(ValueError, match="exactly one"):
        evidence.check_readings("C000", "mixed", [b])
    with pytest.raises(ValueError, match="gives 'mostly accurate'"):
        evidence.check_readings("C000", "mixed", [a, b])
    with pytest.raises(ValueError, match="why"):
        evidence.check_readings("C000", "mixed", [evidence.Reading("x", "mixed", chosen=True)])


# --- the registry itself -------------------------------------------------------------------------------------

def test_every_source_is_graded_and_every_origin_registered():
    reg = data.load("sources")
    assert reg["grade"].isin(list(evidence.GRADES)).all()
    known = set(reg["source_id"])
    origins = reg["origin"].dropna()
    assert set(origins) <= known


def test_no_relay_is_graded_above_its_origin():
    reg = evidence.registry()
    bad = [f"{sid} ({row['grade']}) copies {evidence.origin_of(sid, reg)} "
           f"({reg.at[evidence.origin_of(sid, reg), 'grade']})"
           for sid, row in reg.iterrows() if isinstance(row["origin"], str) and row["origin"]
           and evidence.RANK[row["grade"]] > evidence.RANK[reg.at[evidence.origin_of(sid, reg), "grade"]]]
    assert not bad, bad


def test_the_descriptor_refuses_an_ungraded_source_a_bad_grade_and_an_unknown_origin(scratch):
    path = scratch / "data" / "sources.csv"
    good = path.read_text(encoding="utf-8")
    header, first, *rest = good.splitlines()
    cols = header.split(",")
    for column, value, rule in [("grade", "", "required"), ("grade", "excellent", "enum"),
                                ("origin", "no-such-source", "foreignKeys"),
                                ("interest", "Nobody Inc", "foreignKeys")]:
        import csv
        import io
        row = next(csv.reader(io.StringIO(first)))
        row[cols.index(column)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(row)
        path.write_text("\n".join([header, out.getvalue().rstrip("\n"), *rest]) + "\n", encoding="utf-8")
        with pytest.raises(data.DataError, match=rule) as err:
            data.load("sources")
        assert "line 2" in str(err.value) and column in str(err.value)
    path.write_text(good, encoding="utf-8")


# --- verdicts under the rule --------------------------------------------------------------------------------

def test_loaded_words_are_refused(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    sid = data.load("sources")["source_id"].iloc[0]
    for word in ("debunked", "spoof", "propaganda"):
        with pytest.raises(ValueError, match="loaded word"):
            claims.verdict("C046", "mixed", f"this is {word}", "x", [sid], conclusion=f"It was {word}.")


def test_unverifiable_needs_searched(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    with pytest.raises(ValueError, match="searched"):
        claims.verdict("C046", "unverifiable", "nothing found", [], [], conclusion="No record was found.")
    claims.verdict("C046", "unverifiable", "nothing found", [], [], conclusion="No record was found.",
                   searched="the stored pages, for X and Y")


def _verdicts(rows):
    cols = ["claim_id", "verdict", "sources", "searched", "notebook"]
    return pd.DataFrame(rows, columns=cols)


def test_check_caps_fails_on_a_verdict_that_breaks_its_cap():
    reg = data.load("sources")
    weak = reg[reg["grade"] == "weak"]["source_id"].iloc[0]
    with pytest.raises(ValueError, match="needs stronger evidence"):
        claims.check_caps(_verdicts([("C046", "accurate", [weak], "", "x")]))
    with pytest.raises(ValueError, match="without what was searched"):
        claims.check_caps(_verdicts([("C046", "unverifiable", [weak], "", "x")]))
    claims.check_caps(_verdicts([("C046", "unverifiable", [weak], "the stored pages", "x")]))


# --- forecast caps -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label, lvl, allowed", [
    ("came true", "confirmed", "came true"), ("did not come true", "confirmed", "did not come true"),
    ("came true", "single source", "partly came true"),
    ("came true", "interested party only", "partly came true"),
    ("did not come true", "single source", "not resolvable"),  # one voice cannot show that nothing happened
    ("did not come true", "interested party only", "not resolvable"),
    ("partly came true", "single source", "partly came true"),
    ("partly came true", "weak only", "not resolvable"), ("came true", "weak only", "not resolvable"),
    ("did not come true", "none", "not resolvable"),
    ("too early to tell", "none", "too early to tell"), ("too early to tell", "weak only", "too early to tell"),
    ("not resolvable", "none", "not resolvable"),
])
def test_forecast_caps(label, lvl, allowed):
    assert evidence.cap_forecast(label, lvl) == allowed
    if allowed == label:
        evidence.check_cap("C000", label, lvl, forecast=True)
    else:
        with pytest.raises(ValueError, match="needs stronger evidence"):
            evidence.check_cap("C000", label, lvl, forecast=True)


def test_forecast_caps_cover_every_level_and_only_forecast_labels():
    assert set(evidence.FORECAST_CAPS) == set(evidence.STRENGTHS)
    for caps in evidence.FORECAST_CAPS.values():
        assert set(caps) <= set(claims.FORECAST_SCALE) and set(caps.values()) <= set(claims.FORECAST_SCALE)
    with pytest.raises(ValueError, match="not one of"):
        evidence.cap_forecast("came true", "hearsay")
