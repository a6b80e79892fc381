"""techduel.data: every table validates, and each kind of broken table is refused with a precise message."""

from __future__ import annotations

import pytest

from techduel import data


def test_every_declared_table_loads_and_is_not_empty():
    names = [r.name for r in data.resources()]
    assert {"sources", "claims", "not_checkable", "article", "sanctions/events"} <= set(names)
    for name in names:
        assert len(data.load(name)) > 0, name


def test_types_follow_the_descriptor():
    events = data.load("sanctions/events")
    assert str(events["date"].dtype).startswith("datetime64")
    assert events["rate_pct"].dtype == "float64"
    assert all(isinstance(v, list) and v for v in events["source_ids"])
    assert data.units("sanctions/events")["rate_pct"] == "percent"


def _break(scratch, rel, transform):
    path = scratch / "data" / rel
    path.write_bytes(transform(path.read_bytes()))
    return path


def _rewrite_cell(text: bytes, line_no: int, column: str, value: str) -> bytes:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text.decode("utf-8"))))
    rows[line_no - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def test_missing_column_names_file_and_column(scratch):
    def drop_note(b):
        import csv
        import io
        rows = list(csv.reader(io.StringIO(b.decode())))
        i = rows[0].index("note")
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r[:i] + r[i + 1:] for r in rows])
        return out.getvalue().encode()

    _break(scratch, "sanctions/events.csv", drop_note)
    with pytest.raises(data.DataError) as err:
        data.load("sanctions/events")
    msg = str(err.value)
    assert "data/sanctions/events.csv" in msg and "line 1" in msg and "'note'" in msg
    assert "rule: schema.fields" in msg


def test_wrong_type_names_line_column_and_rule(scratch):
    _break(scratch, "sanctions/events.csv", lambda b: _rewrite_cell(b, 6, "rate_pct", "twenty-five"))
    with pytest.raises(data.DataError) as err:
        data.load("sanctions/events")
    e = err.value
    assert (e.file, e.line, e.column, e.rule) == ("data/sanctions/events.csv", 6, "rate_pct", "type=number")
    assert "'twenty-five' is not a number" in str(e)


def test_bad_date_is_refused(scratch):
    _break(scratch, "sanctions/events.csv", lambda b: _rewrite_cell(b, 3, "date", "18/08/2017"))
    with pytest.raises(data.DataError, match=r"line 3, column 'date'.*YYYY-MM-DD.*type=date"):
        data.load("sanctions/events")


def test_value_outside_allowed_set(scratch):
    _break(scratch, "sanctions/events.csv", lambda b: _rewrite_cell(b, 4, "kind", "embargo"))
    with pytest.raises(data.DataError) as err:
        data.load("sanctions/events")
    assert err.value.rule == "constraints.enum" and err.value.line == 4 and err.value.column == "kind"
    assert "'embargo' is not an allowed value" in str(err.value) and "export_control" in str(err.value)


def test_value_below_minimum(scratch):
    _break(scratch, "sanctions/events.csv", lambda b: _rewrite_cell(b, 6, "rate_pct", "-5"))
    with pytest.raises(data.DataError, match="below the minimum 0.*constraints.minimum"):
        data.load("sanctions/events")


def test_unknown_source_id(scratch):
    _break(scratch, "sanctions/events.csv", lambda b: _rewrite_cell(b, 5, "source_ids", "no-such-source"))
    with pytest.raises(data.DataError) as err:
        data.load("sanctions/events")
    assert err.value.line == 5 and err.value.column == "source_ids"
    assert "'no-such-source' is not a known source_id in sources" in str(err.value)
    assert err.value.rule == "foreignKeys -> sources.source_id"


def test_empty_file(scratch):
    _break(scratch, "sanctions/counts.csv", lambda b: b"")
    with pytest.raises(data.DataError, match=r"data/sanctions/counts.csv: the file is empty.*rule: file"):
        data.load("sanctions/counts")


def test_non_utf8_bytes_name_the_line(scratch):
    def latin1(b):
        lines = b.split(b"\n")
        lines[7] = lines[7].replace(b"e", b"\xe9", 1)
        return b"\n".join(lines)

    _break(scratch, "sanctions/events.csv", latin1)
    with pytest.raises(data.DataError) as err:
        data.load("sanctions/events")
    assert err.value.line == 8 and err.value.rule == "encoding=utf-8" and "0xe9" in str(err.value)


def test_duplicate_key(scratch):
    def dup(b):
        lines = b.rstrip(b"\n").split(b"\n")
        return b"\n".join(lines + [lines[1]]) + b"\n"

    _break(scratch, "sanctions/events.csv", dup)
    with pytest.raises(data.DataError, match="repeats line 2.*(unique|primaryKey)"):
        data.load("sanctions/events")


def test_required_value_missing(scratch):
    _break(scratch, "claims.csv", lambda b: _rewrite_cell(b, 10, "claim", ""))
    with pytest.raises(data.DataError, match=r"data/claims.csv, line 10, column 'claim': a value is required"):
        data.load("claims")


def test_ragged_row(scratch):
    _break(scratch, "sanctions/context.csv", lambda b: b.rstrip(b"\n") + b"\nextra,row\n")
    with pytest.raises(data.DataError, match="2 values for 9 columns.*row length"):
        data.load("sanctions/context")


def test_a_broken_registry_breaks_the_tables_that_cite_it(scratch):
    _break(scratch, "sources.csv", lambda b: _rewrite_cell(b, 2, "accessed", "yesterday"))
    with pytest.raises(data.DataError, match="data/sources.csv, line 2, column 'accessed'"):
        data.load("sanctions/events")


def test_unknown_table_lists_known_ones():
    with pytest.raises(KeyError, match="sanctions/events"):
        data.load("sanctions/nothing")


def test_load_returns_a_copy():
    a = data.load("claims")
    a.loc[0, "claim"] = "changed"
    assert data.load("claims").loc[0, "claim"] != "changed"
