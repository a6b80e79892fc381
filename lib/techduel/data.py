"""Load a table from ``data/`` only after checking it against its descriptor.

Descriptors follow the Frictionless Data Package / Table Schema conventions (``datapackage.json`` in
``data/`` and in each thread folder), so any Frictionless tool can read them. The checking itself is
done here rather than by the ``frictionless`` library: it would add some thirty packages and loaders
that can reach the network, and a reader fixing a table needs the file, line, column and rule in one
sentence, which is what :class:`DataError` gives. The subset of Table Schema we use is small:
types ``string``, ``integer``, ``number``, ``boolean``, ``date``, ``year`` and ``list`` (with
``delimiter``); constraints ``required``, ``unique``, ``enum``, ``minimum``, ``maximum``, ``pattern``;
``primaryKey``; ``foreignKeys`` (a ``list`` field may hold several keys). A field may carry a ``unit``.

Names: ``load("sources")`` reads a resource of ``data/datapackage.json``; ``load("sanctions/events")``
reads resource ``events`` of ``data/sanctions/datapackage.json``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import paths
from .build import trace

TYPES = ("string", "integer", "number", "boolean", "date", "year", "list")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


class DataError(ValueError):
    """A table broke a rule of its descriptor. Names the file, line, column and rule."""

    def __init__(self, file: str, message: str, *, line: int | None = None, column: str | None = None,
                 rule: str | None = None):
        self.file, self.line, self.column, self.rule = file, line, column, rule
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{column}'"
        text = f"{where}: {message}"
        if rule is not None:
            text += f" [rule: {rule}]"
        super().__init__(text)


@dataclass(frozen=True)
class Resource:
    name: str  # the name used with load(), e.g. "sanctions/events"
    path: Path  # absolute path of the CSV
    descriptor: dict
    package_dir: Path

    @property
    def fields(self) -> list[dict]:
        return self.descriptor["schema"]["fields"]

    @property
    def rel(self) -> str:
        try:
            return self.path.relative_to(paths.root()).as_posix()
        except ValueError:
            return str(self.path)


def _packages() -> list[Path]:
    base = paths.data_dir()
    return sorted([base / "datapackage.json", *base.glob("*/datapackage.json")])


def resources() -> list[Resource]:
    """Every table the collection declares, registries first."""
    return list(_index().values())


def _index() -> dict[str, Resource]:
    """The tables by name. Every descriptor is traced and its hash checked on each call; the parsing and the
    map are remembered per content (a notebook looks tables up hundreds of times). Shared: never change it."""
    base = paths.data_dir()
    return _index_of(str(base), tuple((str(pkg), _digest(pkg)) for pkg in _packages()))


@lru_cache(maxsize=16)
def _index_of(base: str, packages: tuple[tuple[str, str], ...]) -> dict[str, Resource]:
    """Keyed by strings: hashing Paths on every lookup was a third of it."""
    return {r.name: r for r in _resources(Path(base), tuple((Path(p), d) for p, d in packages))}


@lru_cache(maxsize=16)
def _resources(base: Path, packages: tuple[tuple[Path, str], ...]) -> tuple[Resource, ...]:
    """The resources of these descriptors, by each file's content hash (a changed file is a new key):
    resolving every table's path on each lookup was most of a lookup."""
    out = []
    for pkg, _ in packages:
        desc = _read_descriptor(pkg)
        prefix = "" if pkg.parent == base else pkg.parent.name + "/"
        for res in desc.get("resources", []):
            out.append(Resource(prefix + res["name"], (pkg.parent / res["path"]).resolve(), res, pkg.parent))
    return tuple(out)


def _read_descriptor(pkg: Path) -> dict:
    return _parsed_descriptor(pkg, _digest(pkg))


def _digest(pkg: Path) -> str:
    """The descriptor's content hash, traced. The cache's own (``cache.file_hash``), which serves a
    remembered hash only while the stat signature holds and never for a file written in the last two
    seconds: what a signature of the file's own cannot see (a rewrite within one tick of a coarse clock)."""
    from .build import cache

    trace.note(pkg)
    digest = cache.file_hash(pkg)
    if digest is None:
        raise DataError(str(pkg), "cannot read the descriptor: no such file", rule="descriptor")
    return digest


@lru_cache(maxsize=64)
def _parsed_descriptor(pkg: Path, _digest: str) -> dict:
    """A descriptor read and checked once per content (every table lookup reads them all; a notebook makes
    dozens). Shared between callers: read it, never change it."""
    try:
        desc = json.loads(pkg.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(str(pkg), f"cannot read the descriptor: {exc}", rule="descriptor") from exc
    for res in desc.get("resources", []):
        for key in ("name", "path", "schema"):
            if key not in res:
                raise DataError(str(pkg), f"a resource has no '{key}'", rule="descriptor")
        for f in res["schema"].get("fields", []):
            if f.get("type", "string") not in TYPES:
                raise DataError(str(pkg), f"field '{f.get('name')}' of '{res['name']}' has unsupported type "
                                f"'{f.get('type')}' (allowed: {', '.join(TYPES)})", rule="descriptor")
    return desc


def resource(name: str, known: dict[str, Resource] | None = None) -> Resource:
    known = _index() if known is None else known
    if name not in known:
        raise KeyError(f"no table named '{name}' in data/; known tables: {', '.join(sorted(known))}")
    return known[name]


def load(name: str) -> pd.DataFrame:
    """The table ``name``, typed and validated, with foreign keys checked against their targets."""
    known = _index()  # once per load: each lookup lists and hashes the descriptors
    res = resource(name, known)
    read: list[Path] = []
    key = _content_key(res, known, set(), read)
    for path in read:  # what checking it reads, remembered or not, and even when the check fails
        trace.note(path)
    return _load_cached(res.name, res.path, key)[0].copy()


def _content_key(res: Resource, known: dict[str, Resource], seen: set[str], read: list[Path]) -> tuple:
    """What a validated table depends on: its file's content hash and those of the tables its foreign keys
    check it against (an edit to a registry must re-check the tables that cite it); ``read`` gathers their
    paths. By content, through ``cache.file_hash``: the memo was keyed by mtime alone, so a same-size rewrite
    whose mtime was put back served the first version (``tests/test_data.py``)."""
    from .build import cache

    seen = seen | {res.name}
    read.append(res.path)
    targets = sorted({_target(res, fk["reference"]["resource"], known) for fk in res.descriptor["schema"].get(
        "foreignKeys", [])} - seen)
    rules = cache.file_hash(res.package_dir / "datapackage.json")  # the rules it was checked by, as a file hash
    return (cache.file_hash(res.path), rules, *((t, _content_key(resource(t, known), known, seen, read))
                                                for t in targets))


@lru_cache(maxsize=64)
def _load_cached(name: str, path: Path, _key: tuple):
    res = resource(name)
    df = validate(res)
    return (df,)


def validate(res: Resource) -> pd.DataFrame:
    rows, header = _read_rows(res)
    schema = res.descriptor["schema"]
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    _check_header(res, header)
    missing = [n for n in names if n not in header]
    if missing:
        raise DataError(res.rel, f"missing column(s) {', '.join(missing)}; the header has {', '.join(header)}",
                        line=1, column=missing[0], rule="schema.fields")
    extra = [h for h in header if h not in names]
    if extra:
        raise DataError(res.rel, f"column(s) {', '.join(extra)} are not in the descriptor "
                        f"(declared: {', '.join(names)})", line=1, column=extra[0], rule="schema.fields")
    columns: dict[str, list] = {n: [] for n in names}
    for line, row in rows:
        for f in fields:
            columns[f["name"]].append(_cell(res, f, row[f["name"]], line))
    lines = [line for line, _ in rows]
    for f in fields:
        if f.get("constraints", {}).get("unique"):
            _unique(res, [f["name"]], columns, lines, "constraints.unique")
    pk = schema.get("primaryKey")
    if pk:
        _unique(res, [pk] if isinstance(pk, str) else list(pk), columns, lines, "primaryKey")
    for fk in schema.get("foreignKeys", []):
        _foreign(res, fk, columns, lines)
    return _frame(fields, columns)


def _check_header(res: Resource, header: list[str]) -> None:
    """A column named twice would let the last copy silently win; a name with spaces around it is not the
    declared name (and would otherwise surface as a bare KeyError)."""
    for i, name in enumerate(header):
        if name != name.strip():
            raise DataError(res.rel, f"spaces around the column name '{name.strip()}' (header cell {i + 1}: "
                            f"{name!r}); remove them", line=1, column=name, rule="schema.fields")
        if name in header[:i]:
            raise DataError(res.rel, f"column '{name}' appears twice in the header (positions "
                            f"{header.index(name) + 1} and {i + 1}); keep one", line=1, column=name,
                            rule="schema.fields")


def _read_rows(res: Resource) -> tuple[list[tuple[int, dict]], list[str]]:
    try:
        raw = res.path.read_bytes()
    except OSError as exc:
        raise DataError(res.rel, f"cannot read the file: {exc.strerror}", rule="file") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(res.rel, f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8; "
                        "save the file as UTF-8", line=line, rule="encoding=utf-8") from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise DataError(res.rel, "the file is empty; it needs at least a header row", rule="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        rows = []
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise DataError(res.rel, f"{len(values)} values for {len(header)} columns", line=line,
                                rule="row length")
            rows.append((line, dict(zip(header, values))))
    except csv.Error as exc:
        raise DataError(res.rel, f"not valid CSV: {exc}", line=reader.line_num, rule="csv") from exc
    return rows, header


def _cell(res: Resource, field: dict, raw: str, line: int):
    name, ftype = field["name"], field.get("type", "string")
    cons = field.get("constraints", {})
    text = raw.strip()
    if text == "":
        if cons.get("required"):
            raise DataError(res.rel, "a value is required here", line=line, column=name,
                            rule="constraints.required")
        return [] if ftype == "list" else None

    def fail(msg: str, rule: str):
        raise DataError(res.rel, msg, line=line, column=name, rule=rule)

    value = _convert(text, field, fail)
    items = value if ftype == "list" else [value]
    for item in items:
        if "enum" in cons and item not in cons["enum"]:
            fail(f"'{item}' is not an allowed value (allowed: {', '.join(map(str, cons['enum']))})",
                 "constraints.enum")
        if "minimum" in cons and item < _bound(cons["minimum"], ftype):
            fail(f"{item} is below the minimum {cons['minimum']}", "constraints.minimum")
        if "maximum" in cons and item > _bound(cons["maximum"], ftype):
            fail(f"{item} is above the maximum {cons['maximum']}", "constraints.maximum")
        if "pattern" in cons and not re.fullmatch(cons["pattern"], str(item)):
            fail(f"'{item}' does not match the pattern {cons['pattern']}", "constraints.pattern")
    return value


def _bound(value, ftype):
    return date.fromisoformat(value) if ftype == "date" and isinstance(value, str) else value


def _convert(text: str, field: dict, fail):
    ftype = field.get("type", "string")
    if ftype == "string":
        return text
    # Python's int() and float() also take "1_10", full-width or other non-ASCII digits, "inf" and "nan":
    # a table holds plain ASCII decimals only, so the spelling is checked before converting.
    if ftype in ("integer", "year"):
        if not _INTEGER.fullmatch(text):
            fail(f"'{text}' is not a whole number (ASCII digits 0-9, no separators)", f"type={ftype}")
        return int(text)
    if ftype == "number":
        if text.strip("+-").lower() == "nan":  # a missing value is written as an empty cell
            fail("NaN is not allowed; leave the cell empty for a missing value", "type=number")
        if not _NUMBER.fullmatch(text):
            fail(f"'{text}' is not a number (finite, in ASCII digits, a dot for decimals, no thousands or digit "
                 "separators)", "type=number")
        return float(text)
    if ftype == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        fail(f"'{text}' is not true or false", "type=boolean")
    if ftype == "date":
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        fail(f"'{text}' is not a date in the form YYYY-MM-DD", "type=date")
    if ftype == "list":
        item = {"name": field["name"], "type": field.get("itemType", "string")}
        return [_convert(part.strip(), item, fail) for part in text.split(field.get("delimiter", ";"))
                if part.strip()]
    raise AssertionError(ftype)  # _read_descriptor rejects other types


def _unique(res: Resource, keys: list[str], columns: dict, lines: list[int], rule: str) -> None:
    seen: dict[tuple, int] = {}
    for i, line in enumerate(lines):
        key = tuple(columns[k][i] for k in keys)
        if any(v is None for v in key):
            continue
        if key in seen:
            raise DataError(res.rel, f"{', '.join(map(str, key))} repeats line {seen[key]}", line=line,
                            column=keys[0], rule=rule)
        seen[key] = line


def _foreign(res: Resource, fk: dict, columns: dict, lines: list[int]) -> None:
    field = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
    ref = fk["reference"]
    target_field = ref["fields"] if isinstance(ref["fields"], str) else ref["fields"][0]
    target_name = _target(res, ref["resource"])
    if target_name == res.name:
        valid = set(columns[target_field])
    else:
        valid = set(load(target_name)[target_field].dropna())
    for i, line in enumerate(lines):
        value = columns[field][i]
        for key in value if isinstance(value, list) else [value]:
            if key is not None and key not in valid:
                raise DataError(res.rel, f"'{key}' is not a known {target_field} in {target_name}",
                                line=line, column=field, rule=f"foreignKeys -> {target_name}.{target_field}")


def _target(res: Resource, name: str, known: dict[str, Resource] | None = None) -> str:
    """A foreign key's table: "" is the table itself; a bare name is a table of the same package
    when there is one, else a registry of data/."""
    if name == "":
        return res.name
    prefix = res.name.rpartition("/")[0]
    if prefix and f"{prefix}/{name}" in (_index() if known is None else known):
        return f"{prefix}/{name}"
    return name


def _frame(fields: list[dict], columns: dict) -> pd.DataFrame:
    data = {}
    for f in fields:
        values, ftype = columns[f["name"]], f.get("type", "string")
        if ftype in ("integer", "year"):
            data[f["name"]] = pd.array(values, dtype="Int64")
        elif ftype == "number":
            data[f["name"]] = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
        elif ftype == "boolean":
            data[f["name"]] = pd.array(values, dtype="boolean")
        elif ftype == "date":
            data[f["name"]] = pd.to_datetime(pd.Series(values, dtype="object"))
        elif ftype == "list":
            data[f["name"]] = pd.Series(values, dtype="object")
        else:
            data[f["name"]] = pd.Series(values, dtype="str")
    return pd.DataFrame(data)


def units(name: str) -> dict[str, str]:
    """Column → unit, for the columns whose descriptor names one."""
    return {f["name"]: f["unit"] for f in resource(name).fields if f.get("unit")}


def source_columns(res: Resource) -> list[str]:
    """Columns whose values are keys of the source registry."""
    out = []
    for fk in res.descriptor["schema"].get("foreignKeys", []):
        if fk["reference"]["resource"] == "sources":
            out.append(fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0])
    return out
