"""Named results a notebook records, so the runner, the overview and sweeps can read them back."""

from __future__ import annotations

import math
from numbers import Number
from os import PathLike

from . import fmt, outputs


def record(name: str, value, unit: str | None = None, note: str | None = None) -> None:
    """Show ``name = value unit`` and keep it in the notebook's outputs.

    Values must be JSON-friendly (numbers, strings, booleans, short lists); numbers are stored as
    plain floats or ints, so a sweep can tabulate them.
    """
    if not name.isidentifier():
        raise ValueError(f"result name '{name}' must be a Python identifier (letters, digits, _)")
    value = _plain(value)
    payload = {"name": name, "value": value, "unit": unit}
    if note:
        payload["note"] = note
    if isinstance(value, Number) and not isinstance(value, bool):
        shown = fmt.quantity(value, unit) if not fmt.plain_name(name) else fmt.number(value, plain=True)
        text = f"{name} = {shown}" + (f" {unit}" if unit and fmt.plain_name(name) else "")
    else:
        text = f"{name} = {value}" + (f" {unit}" if unit else "")
    outputs.emit(outputs.RESULT, payload, text)


def _plain(value):
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Number):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"result value {value} is not finite")
        return value if isinstance(value, int) else float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot record a value of type {type(value).__name__}")


def read(notebook: str | PathLike) -> dict[str, dict]:
    """name → {"value", "unit"} for every result the executed notebook recorded (last one wins)."""
    out = {}
    for payload in outputs.read(notebook, outputs.RESULT):
        out[payload["name"]] = {"value": payload["value"], "unit": payload.get("unit")}
    return out
