"""The provenance thread: its tables hang together, and its notebook responds to min_reliability the way the
model says (a stricter threshold never traces more items, and never changes a verdict)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import build_of, cli
from techduel import data, provenance

STEM = "08_quotes_and_provenance"
THREAD = "quotes_and_provenance"


@pytest.fixture
def root(scratch):
    return scratch


def test_every_claim_of_the_thread_has_one_check_and_every_source_a_rating(root):
    ledger = data.load("claims")
    checks = data.load("provenance/checks")
    assert sorted(checks["claim_id"]) == sorted(ledger.loc[ledger["thread"] == THREAD, "claim_id"])
    rated = set(data.load("provenance/source_reliability")["source_id"])
    cited = set()
    for table, column in (("items", "source_ids"), ("steps", "source_ids"), ("facts", "source_ids"),
                          ("checks", "source_ids"), ("checks", "context_ids")):
        for ids in data.load(f"provenance/{table}")[column]:
            cited |= set(ids) if isinstance(ids, list) else set()
    assert cited == rated, "every cited source is rated, and every rated source is used"


def test_every_item_ends_at_the_article_and_nothing_postdates_it(root):
    steps = data.load("provenance/steps")
    items = data.load("provenance/items")
    article = steps[steps["role"] == "article"]
    assert set(article["item_id"]) == set(items["item_id"])
    assert (article["date"] == "2025-03-03").all()
    assert (steps["date"].dropna() <= "2025-03-03").all()
    assert not steps.duplicated(["item_id", "seq"]).any()


def _run(root, level):
    done = cli("run", STEM, "--no-site", "-p", f"min_reliability={level}", env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    build = build_of(done, root)  # a run with overrides writes to build/overrides/<hash>/
    res = json.loads((build / "results.json").read_text())[STEM]
    with (build / "verdicts.csv").open(encoding="utf-8") as f:
        verdicts = {r["claim_id"]: r["verdict"] for r in csv.DictReader(f) if r["notebook"] == STEM}
    return res, verdicts


def test_raising_min_reliability_never_traces_more_items(root):
    runs = {level: _run(root, level) for level in provenance.THRESHOLDS}  # weak -> primary, loosest first
    traced = [runs[level][0]["items_traced"]["value"] for level in provenance.THRESHOLDS]
    shaky = [runs[level][0]["rated_claims_below_threshold"]["value"] for level in provenance.THRESHOLDS]
    assert all(a >= b for a, b in zip(traced, traced[1:])), traced
    assert traced[0] > traced[-1], "the threshold must matter for some item"
    assert all(a <= b for a, b in zip(shaky, shaky[1:])), shaky
    for level in provenance.THRESHOLDS:
        res = runs[level][0]
        assert res["min_reliability"]["value"] == level
        assert res["items_traced"]["value"] + res["items_not_traced"]["value"] == res["items_total"]["value"]
        assert res["claims_judged"]["value"] == 35
    # the verdicts use a fixed standard: the reader's threshold never moves them
    first = runs[provenance.THRESHOLDS[0]][1]
    assert len(first) == 35
    assert all(runs[level][1] == first for level in provenance.THRESHOLDS)


def test_one_standard_the_thread_table_never_grades_against_the_registry(root):
    levels = provenance.reliability_levels(data.load("provenance/source_reliability"), data.load("sources"))
    reg = data.load("sources").set_index("source_id")
    for sid, level in levels.items():
        assert level == ("satire" if level == "satire" else reg.at[sid, "grade"]), sid


def test_relays_of_a_party_s_own_post_count_once_and_as_interested(root):
    from techduel import evidence

    # Tsinghua's post on Sun Nan, relayed by two outlets: one interested origin, not corroboration
    tsinghua = evidence.strength(["chinaacademy-sunnan", "nguoiquansat-sunnan"], ["Tsinghua University"])
    assert tsinghua.level == evidence.INTERESTED and tsinghua.origins == ("tsinghua-sunnan-post-2025",)
    # the university's release and the two tech sites that report it
    smbu = evidence.strength(["smbu-news-mirror", "tomshardware-800x", "clubic-800x"],
                             ["Shenzhen MSU-BIT University"])
    assert smbu.level == evidence.INTERESTED and len(smbu.origins) == 1
    # the Xinhua readout, in Chinese and in English, is the PRC government's one account of Xi's words
    readout = evidence.strength(["xinhua-en-people", "chinadaily-cn-symposium"], ["PRC government"])
    assert readout.level == evidence.INTERESTED and len(readout.origins) == 1


def test_the_article_under_examination_is_never_evidence_for_itself(root):
    checks = data.load("provenance/checks")
    for _, row in checks.iterrows():
        ids = row["source_ids"] if isinstance(row["source_ids"], list) else []
        assert "scf-2025-03-03-article" not in ids and "libertarianguide-article-copy" not in ids, row["claim_id"]
