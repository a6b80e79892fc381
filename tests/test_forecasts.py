"""techduel.forecasts: the as-of rule, the resolution rule, and forecast verdicts under the evidence caps."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import claims, data, forecasts as fc, outputs

ARTICLE = pd.Timestamp("2025-03-03")


def crit(resolves="event", parts=("a", "b"), horizon="2025-12-31", cid="C900"):
    return pd.Series({"claim_id": cid, "criterion": "x", "parts": list(parts), "resolves": resolves,
                      "horizon": pd.Timestamp(horizon), "horizon_reason": "y", "judged_in": ""})


def ev(*rows, cid="C900"):
    return pd.DataFrame([{"evidence_id": f"e{i}", "claim_id": cid, "part": part, "bears": bears,
                          "date": pd.Timestamp(day), "finding": "f", "source_ids": [f"s{i}"]}
                         for i, (part, bears, day) in enumerate(rows)],
                        columns=["evidence_id", "claim_id", "part", "bears", "date", "finding", "source_ids"])


@pytest.mark.parametrize("rows, as_of, label, resolved", [
    ([("a", "meets", "2025-04-01"), ("b", "meets", "2025-06-01")], "2025-05-01", "too early to tell", None),
    ([("a", "meets", "2025-04-01"), ("b", "meets", "2025-06-01")], "2025-06-01", "came true", "2025-06-01"),
    ([("a", "meets", "2025-04-01")], "2025-12-30", "too early to tell", None),
    ([("a", "meets", "2025-04-01")], "2026-01-01", "partly came true", "2025-12-31"),
    ([("a", "partly", "2025-04-01")], "2026-01-01", "partly came true", "2025-12-31"),
    ([("a", "against", "2025-04-01")], "2026-01-01", "did not come true", "2025-12-31"),
    ([], "2026-01-01", "not resolvable", "2025-12-31"),  # nothing either way: no record, not a miss
    # a part met after the horizon does not count
    ([("a", "meets", "2025-04-01"), ("b", "meets", "2026-02-01")], "2026-03-01", "partly came true", "2025-12-31"),
    # evidence before the article (already true when it appeared) and context rows never count
    ([("a", "meets", "2025-01-01"), ("b", "context", "2025-04-01")], "2026-01-01", "not resolvable", "2025-12-31"),
])
def test_event_rule(rows, as_of, label, resolved):
    o = fc.judge(crit(), ev(*rows), ARTICLE, as_of)
    assert o.label == label
    assert o.resolved_on == (pd.Timestamp(resolved) if resolved else None)


@pytest.mark.parametrize("rows, as_of, label", [
    ([("a", "meets", "2025-04-01"), ("b", "meets", "2025-05-01")], "2025-06-01", "too early to tell"),
    ([("a", "meets", "2025-04-01"), ("b", "meets", "2025-05-01")], "2025-12-31", "came true"),
    ([("a", "meets", "2025-04-01"), ("b", "against", "2025-05-01")], "2025-06-01", "did not come true"),
    ([("a", "meets", "2025-04-01")], "2026-01-01", "partly came true"),
])
def test_state_rule_holds_to_the_horizon_and_resolves_early_only_on_a_breach(rows, as_of, label):
    assert fc.judge(crit("state"), ev(*rows), ARTICLE, as_of).label == label


def test_a_year_only_date_counts_as_the_last_day_of_its_year():
    assert fc._date_of(pd.Series({"year": 2025})) == pd.Timestamp("2025-12-31")
    assert fc._date_of(pd.Series({"date": pd.Timestamp("2025-04-09"), "year": 2024})) == pd.Timestamp("2025-04-09")


def test_check_as_of_names_the_parameter_and_the_range():
    fc.check_as_of("2025-06-01", ARTICLE, pd.Timestamp("2026-12-01"))
    for bad in ("2025-03-02", "2027-01-01", "soon"):
        with pytest.raises(ValueError, match="parameter as_of"):
            fc.check_as_of(bad, ARTICLE, pd.Timestamp("2026-12-01"))


# --- on the collection's own data ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    return data.load("forecasts/criteria"), fc.resolve(data.load("forecasts/evidence")), fc.article_date()


def test_on_the_articles_date_every_forecast_is_too_early_to_tell(real):
    criteria, evidence, article = real
    outcomes = fc.judge_all(criteria, evidence, article, article)
    assert len(outcomes) == (criteria["judged_in"].fillna("") == "").sum() > 0
    assert {o.label for o in outcomes} == {"too early to tell"}
    assert all(o.used.empty for o in outcomes)


def test_moving_as_of_later_never_uses_evidence_dated_after_it(real):
    criteria, evidence, article = real
    days = sorted({article, *evidence["date"].dropna(), *criteria["horizon"], fc.latest(evidence)})
    days = [d for d in days if article <= d <= fc.latest(evidence)]
    seen: dict[str, set] = {}
    for day in days:
        for o in fc.judge_all(criteria, evidence, article, day):
            assert (o.used["date"] <= day).all() and (o.used["date"] > article).all()
            assert (o.used["bears"] != "context").all()
            used = set(o.used["evidence_id"])
            assert seen.get(o.claim_id, set()) <= used  # what was known stays known
            seen[o.claim_id] = used
            if o.resolved_on is not None:
                assert o.resolved_on <= day


def test_thread_rows_are_read_from_their_table_not_copied(real):
    _, evidence, _ = real
    row = evidence.set_index("evidence_id").loc["fe-c154-fentanyl-20"]
    events = data.load("sanctions/events").set_index("event_id")
    assert row["date"] == events.at["ieepa-fentanyl-20", "date"]
    assert row["source_ids"] == list(events.at["ieepa-fentanyl-20", "source_ids"])


def test_every_forecast_of_the_ledger_has_a_criterion_and_none_is_left_in_not_checkable():
    led = data.load("claims")
    forecasts = set(led.loc[led["kind"] == "forecast", "claim_id"])
    assert forecasts <= set(data.load("forecasts/criteria")["claim_id"])
    assert "forecast" not in set(data.load("not_checkable")["category"])


# --- verdicts: caps and as_of --------------------------------------------------------------------------------

@pytest.fixture
def emitted(monkeypatch):
    out = []
    monkeypatch.setattr(outputs, "emit", lambda kind, payload, *a, **k: out.append(payload))
    return out


def _ids(grade=None, interest=None):
    reg = data.load("sources")
    pick = reg
    if grade:
        pick = pick[pick["grade"] == grade]
    if interest is not None:
        pick = pick[pick["interest"].fillna("") == interest]
    return list(pick["source_id"])


def test_forecast_verdicts_need_as_of_and_are_capped(emitted):
    weak = _ids("weak", "")[0]
    with pytest.raises(ValueError, match="as_of"):
        claims.verdict("C154", "too early to tell", "r", [], [], conclusion="Not yet.")
    claims.verdict("C154", "too early to tell", "r", [], [], conclusion="Not yet.", as_of="2025-03-03")
    assert emitted[-1]["verdict"] == "too early to tell" and emitted[-1]["as_of"] == "2025-03-03"
    with pytest.raises(ValueError, match="searched"):  # weak only: capped to not resolvable, which must say
        claims.verdict("C154", "came true", "r", ["x"], [weak], conclusion="It did.", as_of="2025-04-01")
    claims.verdict("C154", "came true", "r", ["x"], [weak], conclusion="It did.", as_of="2025-04-01",
                   searched="the stored pages")
    assert (emitted[-1]["rule_label"], emitted[-1]["verdict"]) == ("came true", "not resolvable")
    two = _ids("established", "")[:2]
    claims.verdict("C154", "came true", "r", ["x"], two, conclusion="It did.", as_of="2025-04-01")
    assert emitted[-1]["verdict"] == "came true" and emitted[-1]["strength"] == "confirmed"


def test_check_caps_recomputes_forecast_caps():
    weak = _ids("weak", "")[0]
    rows = pd.DataFrame([("C154", "came true", [weak], "", "09")],
                        columns=["claim_id", "verdict", "sources", "searched", "notebook"])
    with pytest.raises(ValueError, match="needs stronger evidence"):
        claims.check_caps(rows)


def test_record_names_the_party_when_the_evidence_is_theirs_alone(real, emitted):
    criteria, evidence, article = real
    c = criteria.set_index("claim_id").loc["C150"].copy()
    c["claim_id"] = "C150"
    o = fc.judge(c, evidence, article, "2026-12-01")
    assert o.label == "partly came true" and o.met == ("Alibaba", "Huawei")  # Tencent: no record after the article
    fc.record(o, c, evidence, article)
    p = emitted[-1]
    assert p["strength"] == "interested party only"
    assert "Alibaba" in p["conclusion"] and "Huawei" in p["conclusion"]
    assert "DeepSeek-V4" not in p["conclusion"]  # a part met after the horizon is not what the verdict rests on
    assert "squidsite-2025-02-reuters-deepseek-cloud" in p["context"]  # before the article: shown, not counted


def test_forecast_verdicts_export_as_valid_claimreview(emitted):
    two = _ids("established", "")[:2]
    claims.verdict("C154", "came true", "r", ["x"], two, conclusion="It did.", as_of="2025-04-01")
    claims.verdict("C156", "too early to tell", "r", [], [], conclusion="Not yet.", as_of="2025-04-01")
    rows = pd.DataFrame([{**p, "notebook": "09_forecasts_in_hindsight"} for p in emitted])
    art = {"author": "", "publisher": "P", "date": "2025-03-03", "url": "u", "title": "t"}
    reviews = claims.claimreview(rows, art, {"09_forecasts_in_hindsight": "09.html"}, "2026-12-01")
    by = {r["url"].split("#")[1]: r["reviewRating"] for r in reviews}
    assert by["C154"]["alternateName"] == "came true" and by["C154"]["ratingValue"] == 5
    assert by["C156"]["alternateName"] == "too early to tell" and by["C156"]["ratingValue"] == -1
    for r in by.values():
        assert r["worstRating"] == 1 and r["bestRating"] == 5
        assert r["ratingValue"] == -1 or r["worstRating"] <= r["ratingValue"] <= r["bestRating"]
        assert r["ratingExplanation"].endswith("As of 2025-04-01.")


def test_conclusions_read_as_one_sentence_with_the_finding_as_a_clause(real):
    criteria, evidence, article = real
    crit = criteria.set_index("claim_id", drop=False)
    for o in fc.judge_all(criteria, evidence, article, "2026-12-01"):
        text = fc.conclusion(o, crit.loc[o.claim_id])
        assert text.startswith("As of 1 December 2026") and text.endswith(".") and ". " not in text[:-1]
        head, _, clause = text.partition(": ")
        assert not clause or not clause[0].isupper() or clause.split()[0] in fc.NAMES or clause[:2].isupper()


def test_linked_forecasts_are_read_from_the_thread_that_judges_them(real, tmp_path, monkeypatch):
    criteria, _, _ = real
    from techduel import paths

    monkeypatch.setattr(paths, "resolve", lambda folder: tmp_path)  # no notebook there yet
    table = fc.linked(criteria, "anywhere")
    assert list(table["claim_id"]) == ["C058"] and table.iloc[0]["judged in"] == "07_industrial_leadership"
    assert table.iloc[0]["verdict there"] == "not yet judged" and table.iloc[0]["strength"] == ""
    assert "nan" not in fc.links_markdown(table).data


def test_another_defensible_horizon_is_shown_with_the_label_it_gives(real):
    criteria, evidence, article = real
    crit = criteria.set_index("claim_id", drop=False)
    c = crit.loc["C151"]
    o = fc.judge(c, evidence, article, "2026-12-01")
    taken, other = fc.readings(o, c, evidence, article)
    assert taken.chosen and taken.label == o.label == "did not come true"
    assert not other.chosen and other.label == "too early to tell"  # open-ended to 2030: not yet resolved
    assert fc.readings(fc.judge(crit.loc["C153"], evidence, article, "2026-12-01"), crit.loc["C153"], evidence,
                       article) == []


def test_a_forecast_with_no_evidence_yet_says_what_was_searched(real, emitted):
    criteria, evidence, article = real
    c = criteria.set_index("claim_id", drop=False).loc["C156"]
    fc.record(fc.judge(c, evidence, article, article), c, evidence, article)
    assert emitted[-1]["verdict"] == "too early to tell" and "stored pages" in emitted[-1]["searched"]
