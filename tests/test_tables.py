"""techduel.tables and techduel.overview on hand-made input."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import overview
from techduel.tables import readable


def test_readable_blanks_missing_values_and_formats_dates_and_lists():
    df = pd.DataFrame({"date": pd.to_datetime(["2020-01-02", None]), "rate": [25.0, float("nan")],
                       "ids": [["a", "b"], []], "text": ["x", None]})
    out = readable(df)
    assert out.to_dict("list") == {"date": ["2020-01-02", ""], "rate": ["25", ""], "ids": ["a; b", ""],
                                   "text": ["x", ""]}
    assert df["rate"].isna().sum() == 1  # the data itself is untouched


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
