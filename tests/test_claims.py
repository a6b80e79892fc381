"""techduel.claims: the numeric rules, recording verdicts, reading them back, and the scoreboard."""

from __future__ import annotations

import json

import nbformat
import pytest

from techduel import claims, data
from techduel.build import runner


@pytest.mark.parametrize("claimed, low, high, comparator, label", [
    (22, 20, 25, "eq", "accurate"),          # inside the range
    (110, 90, 100, "eq", "mostly accurate"),  # exactly 10% above the top
    (27, 20, 25, "eq", "mostly accurate"),   # 2/25 = 8%
    (30, 20, 25, "eq", "mixed"),             # 5/25 = 20%
    (60, 7.5, 25, "eq", "false"),            # 35/25 = 140%
    (15, 20, 25, "eq", "mixed"),             # 5/20 = 25%, the edge of mixed
    (14, 20, 25, "eq", "false"),             # 6/20 = 30%
    (50, 55, 60, "gt", "accurate"),          # all of the evidence is above the bound
    (50, 45, 60, "gt", "mixed"),             # the evidence straddles the bound
    (50, 46, 48, "gt", "mostly accurate"),   # misses by 2/50 = 4%
    (50, 30, 35, "gt", "false"),             # misses by 15/50 = 30%
    (3, 3.5, 3.8, "lt", "mixed"),            # misses by 0.5/3 = 17%
    (3, 2.0, 2.9, "lt", "accurate"),
    (5, 5, 6, "ge", "accurate"),             # "at least 5" holds at 5
    (5, 5, 6, "gt", "mixed"),                # "more than 5" fails at the low end
])
def test_rate_number(claimed, low, high, comparator, label):
    assert claims.rate_number(claimed, low, high, comparator).label == label


def test_rate_number_explains_itself_and_states_thresholds():
    r = claims.rate_number(60, 7.5, 25)
    assert r.distance == pytest.approx(1.4)
    assert "140%" in r.explanation and "within 10% = mostly accurate" in r.explanation


@pytest.mark.parametrize("claimed, low, high, comparator", [
    (4e4, 2.5e4, 7e4, "eq"), (5.576e6, 6e6, 1.3e9, "eq"), (3e9, 1e9, 2e9, "gt"), (2e6, 1.5e6, 3e6, "lt"),
    (1.2e-5, 1e-5, 1e-5, "eq")])
def test_rate_number_reason_writes_numbers_for_people(claimed, low, high, comparator):
    import re

    text = claims.rate_number(claimed, low, high, comparator).explanation
    assert not re.search(r"\d[eE][+-]?\d", text), text
    assert "[" not in text and "$" not in text


def test_rate_number_reason_reads_as_a_sentence_with_units():
    r = claims.rate_number(4e4, 2.5e4, 7e4, unit="USD")
    assert r.explanation.startswith("the claimed 40,000 USD lies inside the evidence range, 25,000 to 70,000 USD")
    assert "5.576 million USD" in claims.rate_number(5.576e6, 6e6, 6e6, unit="USD").explanation
    assert "2 years apart" in claims.rate_year(2017, 2019).explanation
    assert "1 year apart" in claims.rate_year(2017, 2018).explanation


def test_rate_number_refuses_nonsense():
    with pytest.raises(ValueError, match="comparator"):
        claims.rate_number(1, 0, 2, "approx")
    with pytest.raises(ValueError, match="empty"):
        claims.rate_number(1, 3, 2)
    with pytest.raises(ValueError, match="finite"):
        claims.rate_number(float("nan"), 0, 1)


@pytest.mark.parametrize("claimed, actual, label", [
    (2017, 2017, "accurate"), (2017, 2018, "mostly accurate"), (2020, 2018, "mixed"), (1995, 2001, "false")])
def test_rate_year(claimed, actual, label):
    assert claims.rate_year(claimed, actual).label == label


def test_scale_is_fixed():
    assert claims.LABELS == ("accurate", "mostly accurate", "mixed", "misleading", "false", "unverifiable")
    assert all(text.strip() for _, text in claims.SCALE.values())


@pytest.fixture
def shown(monkeypatch):
    """Capture what the notebook helpers display, as notebook outputs."""
    captured = []

    def fake_display(bundle, raw=False, metadata=None):
        captured.append(nbformat.v4.new_output("display_data", data=bundle, metadata=metadata or {}))

    monkeypatch.setattr("IPython.display.display", fake_display)
    return captured


def _two_independent():
    """Two established sources that speak for no party: enough for a firm label."""
    reg = data.load("sources")
    ok = reg[(reg["grade"] == "established") & reg["interest"].isna() & reg["origin"].isna()]
    return list(ok["source_id"].iloc[:2])


def _nb(path, outputs):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    nbformat.write(nb, path)
    return path


def test_verdict_records_and_reads_back(shown, tmp_path):
    claims.verdict("C046", "accurate", "because", ["fact one", "fact two"], _two_independent(),
                   conclusion="It holds.")
    (out,) = shown
    payload = out["data"]["application/vnd.techduel.verdict+json"]
    assert payload["line"] == 21 and payload["thread"] == "sanctions_timeline" and payload["rating"] == 5
    assert payload["strength"] == "confirmed" and payload["rule_label"] == "accurate"
    assert "VERDICT C046" in out["data"]["text/plain"] and 'id="C046"' in out["data"]["text/html"]
    back = claims.read_verdicts([_nb(tmp_path / "06_x.ipynb", shown)])
    assert back.loc[0, "claim_id"] == "C046" and back.loc[0, "notebook"] == "06_x"
    assert back.loc[0, "evidence"] == ["fact one", "fact two"]


@pytest.mark.parametrize("kwargs, error", [
    ({"label": "true"}, "not on the scale"),
    ({"claim_id": "C999"}, "not in data/claims.csv"),
    ({"sources": ["no-such"]}, "unknown source id"),
    ({"sources": []}, "names no source"),
    ({"conclusion": "no full stop"}, "one full sentence"),
])
def test_verdict_refuses_bad_input(shown, kwargs, error):
    args = {"claim_id": "C046", "label": "accurate", "reason": "r", "evidence": "e",
            "sources": _two_independent(), "conclusion": "It holds."} | kwargs
    with pytest.raises((ValueError, KeyError), match=error):
        claims.verdict(**args)
    assert shown == []


def test_check_verdicts_catches_strangers_and_double_judging(shown, tmp_path):
    claims.verdict("C046", "accurate", "r", "e", _two_independent(), conclusion="It holds.")
    a = _nb(tmp_path / "06_a.ipynb", list(shown))
    b = _nb(tmp_path / "07_b.ipynb", list(shown))
    with pytest.raises(ValueError, match="C046 in 06_a, 07_b"):
        claims.check_verdicts(claims.read_verdicts([a, b]))
    stranger = json.loads(json.dumps(shown[0]))
    stranger["data"]["application/vnd.techduel.verdict+json"]["claim_id"] = "C999"
    with pytest.raises(ValueError, match="not in data/claims.csv: C999"):
        claims.check_verdicts(claims.read_verdicts([_nb(tmp_path / "08_c.ipynb", [nbformat.from_dict(stranger)])]))


def test_committed_notebooks_judge_each_claim_once_and_pending_are_listed(capsys):
    verdicts = claims.read_verdicts(runner.executed(runner.paths.notebooks_dir()))
    claims.check_verdicts(verdicts)
    assert set(verdicts["thread"]) >= {"sanctions_timeline"}
    pending = claims.pending(verdicts)
    board = claims.scoreboard(verdicts)
    assert len(board) == len(claims.ledger())
    assert set(board["verdict"]) <= set(claims.LABELS) | set(claims.FORECAST_LABELS) | {"pending"}
    assert set(board.loc[board["scale"] == "forecast", "verdict"]) <= set(claims.FORECAST_LABELS) | {"pending"}
    with capsys.disabled():
        print(f"\n{len(pending)} of {len(board)} claims pending: " + ", ".join(pending["claim_id"]))


def test_every_claim_of_a_written_thread_has_a_verdict():
    verdicts = claims.read_verdicts(runner.executed(runner.paths.notebooks_dir()))
    pending = claims.pending(verdicts)
    written = {nb.thread for nb in runner.discover() if not nb.is_overview}
    assert pending[pending["thread"].isin(written)].empty


def test_claimreview_structure(built):
    reviews = json.loads((built / "claimreview.jsonld").read_text(encoding="utf-8"))
    verdicts = (built / "verdicts.csv").read_text(encoding="utf-8").splitlines()
    assert len(reviews) == len(verdicts) - 1 > 0
    article = runner.article()
    for r in reviews:
        assert r["@context"] == "https://schema.org" and r["@type"] == "ClaimReview"
        assert r["claimReviewed"] and r["datePublished"][:2] == "20"
        assert r["author"]["@type"] == "Organization" and r["author"]["name"]
        item = r["itemReviewed"]
        assert item["@type"] == "Claim"
        assert item["appearance"]["url"] == article["url"] and item["appearance"]["headline"] == article["title"]
        rating = r["reviewRating"]
        assert rating["@type"] == "Rating" and rating["bestRating"] == 5 and rating["worstRating"] == 1
        scale = claims.FORECAST_SCALE if rating["alternateName"] in claims.FORECAST_SCALE else claims.SCALE
        assert rating["alternateName"] in scale  # a fact label, or a forecast label for a forecast
        assert rating["ratingValue"] == scale[rating["alternateName"]][0]
        assert rating["ratingExplanation"].endswith(".") and "Evidence strength: " in rating["ratingExplanation"]
        page, _, anchor = r["url"].partition("#")
        assert (built / "site" / page).exists() and anchor.startswith("C")
        assert f'id="{anchor}"' in (built / "site" / page).read_text(encoding="utf-8")


def test_committed_verdicts_use_neutral_words_and_keep_within_their_caps():
    verdicts = claims.read_verdicts(runner.executed(runner.paths.notebooks_dir()))
    assert not verdicts.empty
    for _, v in verdicts.iterrows():
        claims._check_neutral(v["claim_id"], v["conclusion"], v["reason"])
    claims.check_caps(verdicts)  # recomputed from the registry as it is now, not from what the notebook recorded
    assert set(verdicts["strength"]) <= set(claims.ev.STRENGTHS)


def test_readme_states_every_strength_and_grade():
    readme = (runner.paths.root() / "README.md").read_text(encoding="utf-8")
    for name in [*claims.ev.STRENGTHS, *claims.ev.GRADES]:
        assert f"| `{name}` |" in readme, name


def test_reference_list_includes_every_source_a_verdict_cited(monkeypatch):
    """A verdict box links each of its sources and context sources to the notebook's reference list."""
    from techduel import sources

    seen = []
    monkeypatch.setattr("IPython.display.display", lambda obj, *a, **k: seen.append(obj))
    monkeypatch.setattr(claims, "_CITED", {})
    context = data.load("sources")["source_id"].iloc[-1]
    claims.verdict("C046", "accurate", "r", "e", _two_independent(), conclusion="It holds.", context=[context])
    sources.show([])
    listed = repr(seen[-1])
    for sid in [*_two_independent(), context]:
        assert f"[{sid}]" in listed
