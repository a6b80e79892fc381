"""techduel.tables and techduel.overview on hand-made input."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from techduel import data, overview, tables
from techduel.tables import readable


def test_readable_blanks_missing_values_and_formats_dates_lists_and_booleans():
    df = pd.DataFrame({"date": pd.to_datetime(["2020-01-02", None]), "rate": [25.0, float("nan")],
                       "ids": [["a", "b"], []], "text": ["x", None],
                       "ok": pd.array([True, None], dtype="boolean")})
    out = readable(df).frame
    assert out.to_dict("list") == {"Date": ["2020-01-02", ""], "Rate": ["25", ""], "IDs": ["a; b", ""],
                                   "Text": ["x", ""], "Ok": ["yes", ""]}
    assert df["rate"].isna().sum() == 1  # the data itself is untouched


def test_readable_writes_numbers_and_headers_for_people():
    df = pd.DataFrame({"model": ["a", "b"], "f16_tflops": [989.4, 312.0], "cost_usd": [5.576e6, 4e4],
                       "share_pct": [12.3456, 7.0], "year": [2024, 2025], "flops": [3.8e24, 2.1e23]})
    t = readable(df, units={"flops": "FLOP"})
    assert list(t.frame.columns) == ["Model", "FP16 (TFLOPS)", "Cost (USD)", "Share (%)", "Year", "Flops (FLOP)"]
    assert t.frame.to_dict("list")["Cost (USD)"] == ["5.576 million", "40,000"]
    assert t.frame.to_dict("list")["Share (%)"] == ["12.35", "7"]
    assert t.frame.to_dict("list")["Year"] == ["2024", "2025"]
    assert t.frame.to_dict("list")["Flops (FLOP)"] == ["3.8×10²⁴", "2.1×10²³"]
    assert t.numeric == [False, True, True, True, True, True]
    page = t.to_html()
    assert re.search(r"td\.col0 \{\s*text-align: left", page)  # text left
    assert re.search(r"td\.col1 \{\s*text-align: right", page)  # numbers right
    assert re.search(r"th\.col_heading\.col1 \{\s*text-align: right", page)
    # and on the cells themselves, for viewers that drop the <style> block (git hosts, untrusted notebooks)
    assert '<td class="data row0 col0" align="left" style="text-align:left" >a<' in page
    assert '<td class="data row0 col2" align="right" style="text-align:right" >5.576 million<' in page
    assert '<th class="col_heading level0 col2" align="right" style="text-align:right" >Cost (USD)<' in page
    assert "5.576 million" in page and "e+06" not in page and "e+06" not in repr(t)
    assert 'class="td-table tex2jax_ignore mathjax_ignore"' in page
    assert 'class="row_heading' not in page and "blank level0" not in page  # a 0, 1, 2 index means nothing


def test_readable_per_row_unit_decides_powers_of_ten():
    df = pd.DataFrame({"quantity": ["compute", "cost"], "value": [3.8e24, 5.576e6], "unit": ["FLOP", "USD"]})
    assert readable(df).frame["Value"].tolist() == ["3.8×10²⁴", "5.576 million"]


def test_readable_keeps_a_meaningful_index_and_escapes_text():
    df = pd.DataFrame({"chip_id": ["h100", "a100"], "note": ["<b>bold</b> & $45 to $60", ""]}).set_index("chip_id")
    t = readable(df)
    page = t.to_html()
    assert list(t.frame.columns) == ["Chip ID", "Note"] and t.frame["Chip ID"].tolist() == ["h100", "a100"]
    assert '<td class="data row0 col0" align="left" style="text-align:left" >h100</td>' in page
    # what a filter leaves of 0, 1, 2 is not shown either
    assert list(readable(pd.DataFrame({"x": [1, 2, 3]}).iloc[[0, 2]]).frame.columns) == ["X"]
    assert "Chip ID" in page and "h100" in page and "&lt;b&gt;bold&lt;/b&gt; &amp;" in page and "<b>" not in page


def test_readable_is_deterministic_and_tables_get_distinct_ids():
    a = pd.DataFrame({"x": [1.5, 2.5]})
    assert readable(a).to_html() == readable(a.copy()).to_html()
    assert repr(readable(a)) == repr(readable(a.copy()))
    b = pd.DataFrame({"x": [1.5, 3.5]})
    ids = [re.search(r'<table id="([^"]+)"', readable(d).to_html()).group(1) for d in (a, b)]
    assert ids[0] != ids[1]


def test_long_source_table_is_folded_with_its_row_count_and_csv_link():
    df = data.load("industry/byd_tesla")
    assert len(df) > tables.LONG
    t = readable(df)  # the source is recognised from the columns
    page = t.to_html()
    title = data.resource("industry/byd_tesla").descriptor["title"]
    assert f"<details><summary>Show all {len(df)} rows of the table “{title}”</summary>" in page
    assert '<a href="../data/industry/byd_tesla.csv">data/industry/byd_tesla.csv</a>' in page
    assert repr(t).startswith(f"{len(df)} rows (full table: data/industry/byd_tesla.csv)")
    built = readable(pd.DataFrame({"claim": [f"C{i:03}" for i in range(40)], "verdict": ["mixed"] * 40}))
    assert "<details>" not in built.to_html()  # a table the argument builds (a scoreboard) stays open
    assert "<details>" in readable(built.frame, fold=True).to_html()
    short = readable(df.head(3), "industry/byd_tesla").to_html()
    assert "<details>" not in short and "../data/industry/byd_tesla.csv" in short


_SCIENTIFIC = re.compile(r"(?<![\w/.#-])\d+(\.\d+)?[eE][+-]?\d+(?!\w)")


def test_no_table_of_data_shows_scientific_notation_or_code_names():
    """Every table of data/, as a notebook would show it: numbers without 5.576e+06, headers in words."""
    for res in data.resources():
        t = readable(data.load(res.name), res.name)
        for label, num in zip(t.frame.columns, t.numeric):
            assert "_" not in label and not label[:1].islower(), (res.name, label)
            if num:
                shown = " ".join(t.frame[label])
                assert not _SCIENTIFIC.search(shown), (res.name, label, shown[:200])
                assert "e+" not in shown and "e-" not in shown, (res.name, label)
        for name in t.frame.index.names:
            assert name is None or ("_" not in name and not name[:1].islower()), (res.name, name)


def test_tally_orders_verdicts_on_the_scale_and_totals():
    board = pd.DataFrame({"thread": ["t1", "t1", "t2", "t2"], "verdict": ["false", "accurate", "pending", "false"]})
    table = overview.tally(board)
    assert list(table.columns) == ["accurate", "false", "pending", "total"]
    assert table.loc["t1"].to_dict() == {"accurate": 1, "false": 1, "pending": 0, "total": 2}


def test_overview_reads_either_folder_and_refuses_a_missing_one():
    committed = overview.verdicts_from("notebooks")
    assert not committed.empty and "00_overview" not in set(committed["notebook"])
    with pytest.raises(FileNotFoundError, match="notebooks_dir 'nowhere'"):
        overview.verdicts_from("nowhere")


def _long(n: int = tables.LONG + 5) -> pd.DataFrame:
    return pd.DataFrame({"name": [f"row {i}" for i in range(n)], "cost_usd": [5.576e6 * (i + 1) for i in range(n)],
                         "flops": [3.8e24] * n})


def test_a_long_table_sorts_and_filters_with_itables_offline_over_its_static_table(monkeypatch):
    from techduel.build import sortable

    monkeypatch.setattr(sortable, "_sent", False)  # a fresh kernel
    first, second = readable(_long(), units={"flops": "FLOP"}).to_html(), readable(_long(30)).to_html()
    # the table a git host shows (no JavaScript): the formatted text, the plain labels, every row
    assert "5.576 million" in first and "Cost (USD)" in first and first.count("<tr>") == tables.LONG + 6
    # the numbers sort as numbers: each numeric cell carries its exact value, written without an exponent
    assert 'data-order="5576000"' in first and 'data-order="3800000000000000000000000"' in first
    assert not re.search(r'data-order="[^"]*e', first)
    # itables' offline bundle, once per notebook (the first long table), never a CDN
    assert first.count(sortable.READY_EVENT) >= 1 and "injectModule" in first and "injectModule" not in second
    assert sortable.READY_EVENT in second  # the second waits for the bundle the first loaded
    for page in (first, second):
        assert not re.search(r"""(src|href)=["']?https?:|from\s*["']https?:""", page)  # nothing to fetch
        table_id = re.search(r'<table id="([^"]+)"', page).group(1)
        assert f'document.getElementById("{table_id}")' in page
    assert len(second) < 20_000 < len(first)
    # re-running the cell that carried the bundle carries it again (else a saved notebook would lose it)
    assert "injectModule" in readable(_long(), units={"flops": "FLOP"}).to_html()


def test_a_short_table_stays_a_plain_table(monkeypatch):
    from techduel.build import sortable

    monkeypatch.setattr(sortable, "_sent", False)
    page = readable(_long(tables.LONG)).to_html()
    assert "<script" not in page and "data-order" not in page
    assert sortable._sent is False  # nothing loaded for a table that needs no sorting
