"""The claims ledger covers the article, in our own words, with the fields each kind of claim needs."""

from __future__ import annotations

import re

import pytest

from techduel import data, paths

THREADS = {"deepseek_training_cost", "deepseek_on_small_hardware", "huawei_vertical_integration",
           "east_data_west_computing", "trade_global_south", "sanctions_timeline", "industrial_leadership",
           "quotes_and_provenance", "forecasts_in_hindsight"}


@pytest.fixture(scope="module")
def article_lines():
    path = paths.article_path()
    if not path.exists():
        pytest.skip(f"the article is not beside the repository ({path}); it lives in ../shared/article")
    return path.read_text(encoding="utf-8").splitlines()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def test_ids_are_never_reused_and_a_missing_one_was_moved_on_the_record():
    """Ids are stable permalinks: the first ledger (C001-C100) is in article order; an id that left it was moved
    (to not_checkable) with a row in the corrections log; later claims take new ids, in the order added."""
    led = data.load("claims")
    ids = list(led["claim_id"])
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    first = led[led["claim_id"] <= "C100"]
    assert first["line"].is_monotonic_increasing
    moved = set(data.load("corrections").query("change == 'moved'")["target"])
    gaps = {f"C{i:03d}" for i in range(1, 101)} - set(ids)
    assert gaps <= moved, f"ids missing from the ledger without a 'moved' correction: {sorted(gaps - moved)}"


def test_every_thread_has_claims_and_only_known_threads():
    assert set(data.load("claims")["thread"]) == THREADS


def test_numeric_claims_carry_value_unit_and_comparator():
    led = data.load("claims")
    numeric = led[led["kind"].isin(["quantity", "date"])]
    assert not numeric.empty
    assert numeric["claimed_value"].notna().all()
    assert numeric["claimed_unit"].notna().all() and (numeric["claimed_unit"] != "").all()
    assert numeric["comparator"].notna().all()
    assert (led.loc[led["kind"] == "date", "claimed_unit"] == "year").all()
    others = led[~led["kind"].isin(["quantity", "date"])]
    assert others["claimed_value"].isna().all()


def test_every_article_line_is_accounted_for(article_lines):
    claimed = set(data.load("claims")["line"])
    skipped = set(data.load("not_checkable")["line"])
    lines = {i for i, text in enumerate(article_lines, 1) if text.strip()}
    assert lines - claimed - skipped == set()
    assert max(claimed | skipped) <= len(article_lines)


def test_claims_are_paraphrased_not_copied(article_lines):
    """No claim shares a run of eight or more words with the article (a fragment of a few words may)."""
    runs = set()
    for text in article_lines:
        w = _words(text)
        runs |= {tuple(w[i:i + 8]) for i in range(len(w) - 7)}
    copied = []
    for _, row in data.load("claims").iterrows():
        w = _words(row["claim"])
        if any(tuple(w[i:i + 8]) in runs for i in range(len(w) - 7)):
            copied.append(row["claim_id"])
    assert copied == []


def test_not_checkable_excerpts_are_short_and_locate_their_line(article_lines):
    for _, row in data.load("not_checkable").iterrows():
        assert len(row["excerpt"].split()) <= 6, row["excerpt"]
        assert row["excerpt"] in article_lines[row["line"] - 1], (row["line"], row["excerpt"])
