"""The source registry: every id cited exists, and every registered source is cited somewhere."""

from __future__ import annotations

from techduel import claims, data, sources
from techduel.build import runner


def cited_in_tables() -> set[str]:
    ids = set()
    for res in data.resources():
        table = data.load(res.name)
        for col in data.source_columns(res):
            ids |= set(sources.ids_in(table, col))
    return ids


def test_every_table_with_numbers_cites_sources():
    for res in data.resources():
        if res.name.startswith(("sanctions/",)):
            assert data.source_columns(res), f"{res.name} has no source column"


def test_every_cited_id_exists_and_every_source_is_cited():
    registry = set(data.load("sources")["source_id"])
    cited = cited_in_tables()
    verdicts = claims.read_verdicts(runner.executed(runner.paths.notebooks_dir()))
    for ids in [*verdicts["sources"], *verdicts["context"].dropna()]:
        cited |= set(ids)  # a verdict's context is shown with it, so it counts as cited
    cited |= set(data.load("sources")["origin"].dropna())  # an origin is cited through its copies
    assert cited - registry == set(), "cited but not registered"
    assert registry - cited == set(), "registered but never cited"


def test_registry_rows_are_complete():
    reg = data.load("sources")
    assert reg["accessed"].notna().all()
    missing_date = reg[reg["published"].isna()]
    # A source without a publication date must say why in its note.
    assert missing_date["note"].str.contains(r"date|month|undated", case=False).all(), \
        list(missing_date.loc[~missing_date["note"].str.contains(r"date|month|undated", case=False), "source_id"])


def test_cite_refuses_unknown_ids():
    import pytest

    with pytest.raises(KeyError, match="unknown source id"):
        sources.cite(["no-such-source"])
