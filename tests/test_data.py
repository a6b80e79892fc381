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


# --- header and number spelling (issue 13): refused like every other table error ------------------------

def _table(tmp_path, text: str) -> data.Resource:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    fields = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}, {"name": "x", "type": "number"},
              {"name": "xs", "type": "list", "itemType": "number", "delimiter": ";"}]
    return data.Resource("t", path, {"schema": {"fields": fields}}, tmp_path)


def test_a_duplicated_header_column_is_refused(scratch):
    def twice(b):
        import csv
        import io

        rows = list(csv.reader(io.StringIO(b.decode("utf-8"))))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([rows[0] + ["note"]] + [r + ["other reasoning"] for r in rows[1:]])
        return out.getvalue().encode("utf-8")

    _break(scratch, "sanctions/events.csv", twice)
    with pytest.raises(data.DataError) as err:
        data.load("sanctions/events")
    e = err.value
    assert (e.file, e.line, e.column, e.rule) == ("data/sanctions/events.csv", 1, "note", "schema.fields")
    assert "column 'note' appears twice in the header (positions 9 and 10)" in str(e)


def test_a_header_cell_with_a_trailing_space_is_refused(scratch):
    _break(scratch, "sanctions/events.csv", lambda b: b.replace(b",rate_pct,", b",rate_pct ,", 1))
    with pytest.raises(data.DataError) as err:
        data.load("sanctions/events")
    e = err.value
    assert (e.file, e.line, e.column, e.rule) == ("data/sanctions/events.csv", 1, "rate_pct ", "schema.fields")
    assert "spaces around the column name 'rate_pct'" in str(e)


@pytest.mark.parametrize("column, value", [
    ("n", "1_10"), ("n", "\uff11\uff12"), ("n", "\u0661"), ("x", "1_10"), ("x", "\uff12\uff15"), ("x", "inf"),
    ("x", "-Infinity"), ("x", "nan"), ("x", "0x10"), ("xs", "1;inf"), ("xs", "2;1_0"), ("xs", "\uff13")])
def test_numbers_in_other_spellings_are_refused(tmp_path, column, value):
    row = {"id": "a", "n": "1", "x": "1.5", "xs": "1;2"} | {column: value}
    res = _table(tmp_path, "id,n,x,xs\n" + ",".join(row.values()) + "\n")
    with pytest.raises(data.DataError) as err:
        data.validate(res)
    e = err.value
    assert (e.line, e.column) == (2, column) and e.rule in ("type=integer", "type=number"), str(e)


def test_ordinary_numbers_still_load(tmp_path):
    res = _table(tmp_path, "id,n,x,xs\na,-3,+2.5e3,1;.5;-2E-2\nb,+7,10.,3\n")
    df = data.validate(res)
    assert list(df["n"]) == [-3, 7] and list(df["x"]) == [2500.0, 10.0] and df["xs"][0] == [1.0, 0.5, -0.02]


def _same_tick_rewrite(path, old: bytes, new: bytes, tries: int = 200):
    """Rewrite ``path`` (same size) until the rewrite lands in the same tick of the file system's clock as the
    write before it, so that its size, mtime and ctime all match: what a stat signature cannot tell apart."""
    import os

    assert len(old) == len(new)
    for _ in range(tries):
        path.write_bytes(old)
        before = os.stat(path)
        yield "written"  # the caller reads the first version here
        path.write_bytes(new)
        after = os.stat(path)
        if (after.st_mtime_ns, after.st_ctime_ns, after.st_size) == (before.st_mtime_ns, before.st_ctime_ns,
                                                                     before.st_size):
            return
        yield "missed"
    pytest.skip("no two writes landed in one clock tick here (a fine-grained clock: nothing to tell apart)")


def test_a_table_rewritten_with_its_mtime_put_back_is_read_again(scratch):
    """The table memo was keyed by mtime alone: a same-size rewrite whose mtime is put back (``os.utime``, a
    restore from an archive, or two writes within one tick of a coarse clock) served the first version."""
    import os

    path = scratch / "data" / "sanctions" / "counts.csv"
    text = path.read_bytes()
    assert b",110,entities," in text
    before = os.stat(path)
    assert data.load("sanctions/counts").set_index("count_id").loc["n01", "value"] == 110
    path.write_bytes(text.replace(b",110,entities,", b",111,entities,", 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns and os.stat(path).st_size == before.st_size
    assert data.load("sanctions/counts").set_index("count_id").loc["n01", "value"] == 111


def test_a_descriptor_rewritten_within_one_clock_tick_is_read_again(scratch):
    import json

    path = scratch / "data" / "sanctions" / "datapackage.json"
    text = path.read_bytes()
    doc = json.loads(text)
    title = doc["resources"][0]["schema"]["fields"][0].get("title") or doc["resources"][0]["schema"]["fields"][0]["name"]
    name = doc["resources"][0]["name"]
    assert text.count(b'"' + name.encode() + b'"') >= 1
    swapped = name[:-1] + ("X" if name[-1] != "X" else "Y")
    changed = text.replace(b'"name": "' + name.encode() + b'"', b'"name": "' + swapped.encode() + b'"', 1)
    assert changed != text, title
    for step in _same_tick_rewrite(path, text, changed):
        if step == "written":
            assert f"sanctions/{name}" in {r.name for r in data.resources()}
    assert f"sanctions/{swapped}" in {r.name for r in data.resources()}


def test_a_table_is_checked_again_when_only_its_rules_change(scratch):
    """The memo of checked tables was keyed by the tables' contents alone; the zygote keeps it for a whole
    command, so a stricter descriptor over an unchanged CSV served the table checked by the old rules."""
    import json

    assert data.load("sanctions/counts").set_index("count_id").loc["n01", "value"] == 110
    path = scratch / "data" / "sanctions" / "datapackage.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    table = next(r for r in doc["resources"] if r["name"] == "counts")
    field = next(f for f in table["schema"]["fields"] if f["name"] == "value")
    field.setdefault("constraints", {})["maximum"] = 100
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    with pytest.raises(data.DataError, match="maximum"):
        data.load("sanctions/counts")
