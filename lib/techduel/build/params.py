"""A notebook's parameters, read from its cell tagged ``parameters``, and checking of overrides.

papermill injects overrides after the cell tagged ``parameters``; without the tag it injects at the top
and the defaults silently win, and it only warns on unknown names. So the runner reads the cell itself
and refuses, before any kernel starts, a name the notebook does not declare or a value that does not fit.

The cell's grammar, one parameter per line::

    name: type = default  # help text (range: lo..hi) (choices: a, b, c)

``type`` is ``int``, ``float``, ``str``, ``bool`` or ``list`` (a list of strings); ``range``,
``choices`` and ``(format: YYYY-MM-DD)`` (a date written as a string) are optional and checked (for a
list, every item is checked against ``choices``). Constraints that a kernel would otherwise trip over are
declared the same way and checked before any kernel starts:

    end: str = "2025-12-31"  # last day (format: YYYY-MM-DD) (after: start)   not before ``start``
    kinds: list = ["a"]  # kinds shown (nonempty)                               at least one item
    notebooks_dir: str = "notebooks"  # folder read (exists: dir)             an existing folder (or file)

``after`` compares two dates or two numbers (equal is allowed); ``exists`` is checked on the values a run
is given (a relative path is taken from the repository root), not on the default at parse time, since a
default may name a folder that a run creates.

Every parameter of a notebook declares its role, because what may move a verdict differs by role::

    rental_price: float = 2.0  # USD per GPU-hour (range: 0.5..10) (unit: USD per GPU-hour) (role: assumption)
    start: str = "2016-01-01"  # first date shown (format: YYYY-MM-DD) (role: view)
    seed: int = 1  # random seed of the Monte Carlo (role: control)

an ``assumption`` is a modelling choice or sourced value with a defensible range, swept by ``robustness``
(so it needs a ``range`` or ``choices``; a bool's are False and True), and ``(unit: ...)`` names what its
numbers count, for the sentences that report a threshold; a ``view`` chooses what is shown and must never
move a verdict (a test changes every view and compares the labels); a ``control`` steers how the run is
done (draws, seed, a folder to read, reader-supplied overrides of sourced figures) and is not swept.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .. import paths

TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list}
ROLES = ("assumption", "view", "control")


class ParameterError(ValueError):
    """An override or a parameters cell is wrong; the message names the parameter and what is allowed."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: object
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = field(default=())
    is_date: bool = False
    after: str | None = None  # name of the parameter this one must not be before
    nonempty: bool = False
    exists: str | None = None  # "dir" or "file": the value names one, from the repository root
    role: str = ""  # assumption, view or control ("" when the cell does not say; a test refuses that)
    unit: str = ""  # what an assumption's numbers count, e.g. "USD per GPU-hour"

    def domain(self) -> list:
        """The values an assumption can take when it is not a range: its choices (each alone, for a list),
        or False and True for a bool."""
        if self.choices:
            typed = [int(c) if self.type == "int" else c for c in self.choices]
            return [[c] for c in typed] if self.type == "list" else typed
        return [False, True] if self.type == "bool" else []

    def allowed(self) -> str:
        parts = ["date YYYY-MM-DD" if self.is_date else self.type]
        if self.low is not None:
            parts.append(f"from {self.low} to {self.high}")
        if self.choices:
            parts.append("one of " + ", ".join(self.choices) if self.type != "list"
                         else "comma-separated items from " + ", ".join(self.choices))
        if self.nonempty:
            parts.append("at least one item" if self.type == "list" else "not empty")
        if self.after:
            parts.append(f"not before {self.after}")
        if self.exists:
            parts.append(f"an existing {'folder' if self.exists == 'dir' else 'file'}")
        return "; ".join(parts)


def parameters_cell(nb: dict, where: str) -> int:
    hits = [i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(hits) != 1:
        raise ParameterError(f"{where}: expected exactly one cell tagged 'parameters', found {len(hits)}")
    return hits[0]


_read: dict[str, tuple[Parameter, ...]] = {}  # content hash of a notebook -> its parameters


def read(path: str | Path) -> list[Parameter]:
    """The declared parameters of a notebook, in order. Remembered by the file's content hash: a command
    asks for them dozens of times, and parsing a notebook with its outputs is most of a warm run's time."""
    from . import cache

    digest = cache.file_hash(path)
    if digest is not None and digest in _read:
        return list(_read[digest])
    from . import nbjson

    nb = nbjson.lean(path)  # plain JSON: nbformat is slow to import and not needed to read one cell
    cell = nb["cells"][parameters_cell(nb, str(path))]
    source = cell["source"]
    declared = parse("".join(source) if isinstance(source, list) else source, str(path))
    if digest is not None and digest == cache.file_hash(path):  # not rewritten while it was read
        _read[digest] = tuple(declared)
    return declared


def parse(source: str, where: str = "parameters cell") -> list[Parameter]:
    try:
        body = ast.parse(source).body
    except SyntaxError as exc:
        raise ParameterError(f"{where}, line {exc.lineno}: the parameters cell is not valid Python "
                             f"({exc.msg})") from None
    comments = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out = []
    for node in body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value):
            raise ParameterError(f"{where}, line {node.lineno}: write each parameter as "
                                 "'name: type = default  # help'")
        name, ptype = node.target.id, ast.unparse(node.annotation)
        if ptype not in TYPES:
            raise ParameterError(f"{where}: parameter '{name}' has type '{ptype}'; "
                                 f"allowed types: {', '.join(TYPES)}")
        default = ast.literal_eval(node.value)
        help_text = comments.get(node.lineno, "")
        low = high = None
        choices: tuple[str, ...] = ()
        if m := re.search(r"\(range:\s*([-+0-9.eE]+)\s*\.\.\s*([-+0-9.eE]+)\)", help_text):
            low, high = float(m.group(1)), float(m.group(2))
        if m := re.search(r"\(choices:\s*([^)]*)\)", help_text):
            choices = tuple(c.strip() for c in m.group(1).split(",") if c.strip())
        is_date = "(format: YYYY-MM-DD)" in help_text
        if is_date and ptype != "str":
            raise ParameterError(f"{where}: parameter '{name}' is a date, so its type must be str")
        after = m.group(1) if (m := re.search(r"\(after:\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", help_text)) else None
        exists = m.group(1) if (m := re.search(r"\(exists:\s*(\w+)\s*\)", help_text)) else None
        if exists not in (None, "dir", "file"):
            raise ParameterError(f"{where}: parameter '{name}' has (exists: {exists}); write (exists: dir) or "
                                 "(exists: file)")
        if exists and ptype != "str":
            raise ParameterError(f"{where}: parameter '{name}' names a path, so its type must be str")
        roles = re.findall(r"\(role:\s*([^)]*?)\s*\)", help_text)
        if len(roles) > 1:
            raise ParameterError(f"{where}: parameter '{name}' declares two roles; give one (role: ...)")
        role = roles[0] if roles else ""
        if role and role not in ROLES:
            raise ParameterError(f"{where}: parameter '{name}' has (role: {role}); the roles are "
                                 f"{', '.join(ROLES)}")
        if role == "assumption" and low is None and not choices and ptype != "bool":
            raise ParameterError(f"{where}: parameter '{name}' is an assumption, so it needs a declared "
                                 "(range: lo..hi) or (choices: ...) for robustness to sweep")
        unit = m.group(1).strip() if (m := re.search(r"\(unit:\s*([^)]*)\)", help_text)) else ""
        p = Parameter(name, ptype, default, help_text, low, high, choices, is_date, after,
                      "(nonempty)" in help_text, exists, role, unit)
        check(p, default, where=f"{where}: default of")
        out.append(p)
    by_name = {p.name: p for p in out}
    for p in out:
        other = by_name.get(p.after) if p.after else None
        if p.after and (other is None or other is p or _kind(other) != _kind(p) or _kind(p) is None):
            raise ParameterError(f"{where}: parameter '{p.name}' is declared (after: {p.after}), which needs "
                                 f"another parameter '{p.after}' of the same kind (both dates or both numbers)")
    check_together(out, {}, f"{where}: the defaults")
    return out


def _kind(p: Parameter) -> str | None:
    return "date" if p.is_date else "number" if p.type in ("int", "float") else None


def check_together(declared: list[Parameter], values: dict, where: str) -> None:
    """Constraints between parameters, on ``values`` completed with the defaults (e.g. end not before start)."""
    merged = {p.name: p.default for p in declared} | values
    for p in declared:
        if not p.after:
            continue
        mine, theirs = merged[p.name], merged[p.after]
        if p.is_date:
            mine, theirs = date.fromisoformat(mine), date.fromisoformat(theirs)
        if mine < theirs:
            raise ParameterError(f"{where}: parameters '{p.after}' and '{p.name}': {p.name} = {merged[p.name]} is "
                                 f"before {p.after} = {merged[p.after]}; {p.name} must not be before {p.after}")


def candidates(p: Parameter) -> list:
    """Other allowed values of a parameter, nearest-to-useful first (for changing a view in a test)."""
    d = p.default
    out: list = []
    if p.type == "bool":
        out = [not d]
    elif p.type == "list" and p.choices:
        missing = [c for c in p.choices if c not in d]
        out = ([d[:-1]] if len(d) > 1 else []) + ([d + missing[:1]] if missing else []) + \
            [[c] for c in p.choices if [c] != d]
    elif p.choices:
        out = [int(c) if p.type == "int" else c for c in p.choices if c != str(d)]
    elif p.is_date:
        day = date.fromisoformat(d)
        out = [day.replace(year=day.year + k).isoformat() for k in (2, -2)]
    elif p.type in ("int", "float"):
        if p.low is not None:
            ends = sorted([p.low, p.high], key=lambda e: -abs(e - d))  # the farther end first
            out = [(d + e) / 2 for e in ends] + ends
        else:
            out = [d + 1, d * 2]
        out = [round(v) if p.type == "int" else float(v) for v in out]
    good = []
    for value in out:
        try:
            check(p, value)
        except ParameterError:
            continue
        if value != d and value not in good:
            good.append(value)
    return good


def another_value(p: Parameter):
    """One allowed value other than the default (ParameterError when there is none, e.g. a free text)."""
    found = candidates(p)
    if not found:
        raise ParameterError(f"parameter '{p.name}' has no other value that can be chosen automatically")
    return found[0]


def views_changed(declared: list[Parameter]) -> dict:
    """Every view parameter set to another allowed value, together, keeping the constraints between them."""
    out: dict = {}
    for p in declared:
        if p.role != "view":
            continue
        for value in candidates(p):
            try:
                check_together(declared, out | {p.name: value}, "views")
            except ParameterError:
                continue
            out[p.name] = value
            break
    return out


def check_exists(p: Parameter, value) -> None:
    """A path parameter names something that is there (checked on a run's values, before any kernel)."""
    if not p.exists:
        return
    target = paths.resolve(value)
    if not (target.is_dir() if p.exists == "dir" else target.is_file()):
        what = "folder" if p.exists == "dir" else "file"
        raise ParameterError(f"parameter '{p.name}': '{value}' is not an existing {what} ({target}); "
                             f"give a {what} relative to the repository root or an absolute path")


def coerce(p: Parameter, text: str):
    """Turn the text of ``-p name=value`` into a value of the parameter's type, or say why not."""
    try:
        if p.type == "int":
            value = int(text)
        elif p.type == "float":
            value = float(text)
        elif p.type == "bool":
            low = text.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            value = low in ("true", "1", "yes")
        elif p.type == "list":
            value = [t.strip() for t in text.split(",") if t.strip()]
        else:
            value = text
    except ValueError:
        raise ParameterError(f"parameter '{p.name}': '{text}' is not a valid {p.type} "
                             f"(allowed: {p.allowed()})") from None
    check(p, value)
    return value


def check(p: Parameter, value, where: str = "") -> None:
    prefix = f"{where} " if where else ""
    expected = TYPES[p.type]
    ok = isinstance(value, expected) and not (p.type == "int" and isinstance(value, bool))
    if p.type == "float" and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise ParameterError(f"{prefix}parameter '{p.name}': {value!r} is not a {p.type} (allowed: {p.allowed()})")
    if p.low is not None and not (p.low <= value <= p.high):
        raise ParameterError(f"{prefix}parameter '{p.name}': {value} is outside {p.low}..{p.high}")
    if p.is_date:  # date.fromisoformat alone also takes week dates (2024-W01-1) and compact forms
        try:
            ok = re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII) is not None \
                and date.fromisoformat(value) is not None
        except ValueError:
            ok = False
        if not ok:
            raise ParameterError(f"{prefix}parameter '{p.name}': '{value}' is not a date (allowed: YYYY-MM-DD)")
    if p.nonempty and len(value) == 0:
        raise ParameterError(f"{prefix}parameter '{p.name}': " + ("the list is empty; give at least one item"
                             if p.type == "list" else "the value is empty") + f" (allowed: {p.allowed()})")
    items = value if p.type == "list" else [value]
    if p.choices:
        bad = [str(v) for v in items if str(v) not in p.choices]
        if bad:
            raise ParameterError(f"{prefix}parameter '{p.name}': {', '.join(bad)} not allowed "
                                 f"(allowed: {', '.join(p.choices)})")


def parse_override(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ParameterError(f"malformed override '{text}': write -p name=value")
    return name.strip(), value


def resolve(declared: list[Parameter], overrides: dict[str, str], notebook: str) -> dict:
    by_name = {p.name: p for p in declared}
    out = {}
    for name, text in overrides.items():
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise ParameterError(f"{notebook} has no parameter '{name}' (its parameters: {known})")
        out[name] = coerce(by_name[name], text)
        check_exists(by_name[name], out[name])
    check_together(declared, out, notebook)
    return out


def slug(combo: dict) -> str:
    """A file name for one combination: a readable prefix (symbols replaced, cut short) and a hash of the exact
    values, so two combinations never share a name and one combination keeps its name from run to run."""
    text = "__".join(f"{k}={'+'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in combo.items())
    exact = json.dumps(combo, sort_keys=True, default=str)
    return re.sub(r"[^A-Za-z0-9_.=+-]", "_", text)[:100] + "-" + hashlib.sha256(exact.encode()).hexdigest()[:10]
