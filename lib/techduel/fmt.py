"""Numbers, dates, yes/no and column names written for people, one way across tables and verdicts.

Rules, stated once: four significant digits, never fewer than the whole part (12,346 not 1.235e+04); thousands
separators; a million or more in words (5.576 million); powers of ten as ×10ⁿ only for quantities that need
them (FLOP counts, and anything from a thousand trillion up or below 0.0001); money as "5.576 million USD",
never with a dollar sign, so no pair of ``$`` can turn into mathematics in JupyterLab or on the site.
"""

from __future__ import annotations

import math
import re
from datetime import date as _date
from datetime import datetime

SIGNIFICANT = 4
WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# Units whose quantities are counted in powers of ten (training compute is 10²⁴ FLOP, not "a trillion trillion").
_SCIENTIFIC = re.compile(r"^(flop|flops|flop/s|operations|ops)\b", re.I)
_SYMBOLS = {"percent": "%", "per cent": "%", "%": "%", "percentage points": "percentage points"}
# Integer columns that are names, not amounts: no thousands separator (2,024 is not a year).
PLAIN_INTEGERS = ("year", "month", "day", "line", "row", "rank", "tranche")


def plain_name(name) -> bool:
    """A column or result named like a year, month or line number: its whole numbers have no separator."""
    name = str(name).lower()
    return name in PLAIN_INTEGERS or name.endswith(("_year", "_line")) or name.startswith("year")


def missing(x) -> bool:
    try:
        return x is None or bool(x != x)  # NaN, pandas NA and NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas NA refuses bool()
        return True


def unit_symbol(unit: str | None) -> str:
    """The unit as a header or a sentence writes it: ``percent`` is %, the rest as the descriptor spells it."""
    unit = (unit or "").strip()
    return _SYMBOLS.get(unit.lower(), unit)


def scientific(unit: str | None) -> bool:
    return bool(_SCIENTIFIC.match((unit or "").strip()))


def number(x, unit: str | None = "", *, plain: bool = False) -> str:
    """``x`` for a table cell whose header carries the unit: '5.576 million', '12,346', '3.8×10²⁴' (FLOP).
    ``plain`` writes a whole number as it is (years, line numbers). Missing values are blank."""
    if missing(x):
        return ""
    if isinstance(x, bool):
        return yes_no(x)
    x = float(x)
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinite"
    if plain and x.is_integer():
        return str(int(x))
    ax = abs(x)
    if ax and (ax >= 1e15 or ax < 1e-4 or (scientific(unit) and ax >= 1e6)):
        return _power(x)
    for k, (size, word) in enumerate(WORDS):
        if ax >= size:
            text = _digits(x / size)
            if text.lstrip("-") == "1,000":  # 999.96 million is 1 billion at four digits
                return f"{_digits(x / WORDS[k - 1][0])} {WORDS[k - 1][1]}" if k else _power(x)
            return f"{text} {word}"
    return _digits(x)


def _digits(x: float) -> str:
    """Four significant digits (more for a whole part that has them), thousands separators, no trailing zeros."""
    ax = abs(x)
    whole = len(str(int(ax))) if ax >= 1 else 0
    if ax and ax < 1:
        decimals = SIGNIFICANT - 1 - math.floor(math.log10(ax))
    else:
        decimals = max(0, SIGNIFICANT - whole)
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _power(x: float) -> str:
    exp = math.floor(math.log10(abs(x)))
    mant = x / 10 ** exp
    if round(abs(mant), SIGNIFICANT - 1) >= 10:  # 9.9996e5 rounds up to 10.00
        mant, exp = mant / 10, exp + 1
    head = _digits(mant)
    return f"10{str(exp).translate(_SUPER)}" if head == "1" else f"{head}×10{str(exp).translate(_SUPER)}"


def quantity(x, unit: str | None = "") -> str:
    """``x`` with its unit, for a sentence: '25%', '5.576 million USD', '3.8×10²⁴ FLOP', '700 W'."""
    text = number(x, unit)
    sym = unit_symbol(unit)
    if not text or not sym:
        return text
    return f"{text}%" if sym == "%" else f"{text} {sym}"


def span(low, high, unit: str | None = "") -> str:
    """A range in words, '25,000 to 70,000 USD'; one value when both ends agree."""
    if low == high:
        return quantity(low, unit)
    sym = unit_symbol(unit)
    if sym == "%":
        return f"{quantity(low, unit)} to {quantity(high, unit)}"
    return f"{number(low, unit)} to {quantity(high, unit)}"


def date(d, style: str = "iso") -> str:
    """A date as YYYY-MM-DD (tables sort by it), or ``long`` as '1 December 2026' for sentences."""
    if missing(d):
        return ""
    if isinstance(d, str):
        return d
    if isinstance(d, datetime) or hasattr(d, "to_pydatetime"):
        d = d.date() if hasattr(d, "date") else d
    if not isinstance(d, _date):
        return str(d)
    return f"{d.day} {d:%B %Y}" if style == "long" else d.isoformat()


def yes_no(b) -> str:
    return "" if missing(b) else ("yes" if b else "no")


# Words of column names that a reader knows in another spelling.
_WORDS = {"id": "ID", "ids": "IDs", "usd": "USD", "cny": "CNY", "eur": "EUR", "bn": "billion", "pct": "%",
          "gdp": "GDP", "rnd": "R&D", "tflops": "TFLOPS", "tops": "TOPS", "f16": "FP16", "fp16": "FP16",
          "bf16": "BF16", "fp8": "FP8", "int8": "INT8", "gb": "GB", "gbs": "GB/s", "tbs": "TB/s", "ms": "ms",
          "mw": "MW", "twh": "TWh", "kwh": "kWh", "w": "W", "s": "s", "us": "US", "eu": "EU", "uk": "UK",
          "bri": "BRI", "oecd": "OECD", "asean": "ASEAN", "pue": "PUE", "rtt": "RTT", "llm": "LLM", "ai": "AI",
          "gpu": "GPU", "gpus": "GPUs", "cpu": "CPU", "soc": "SoC", "emde": "EMDE", "imf": "IMF", "sp": "SP",
          "unctad": "UNCTAD", "eaeu": "EAEU", "mfu": "MFU", "vs": "vs",
          "tco2": "tCO2", "url": "URL", "kv": "KV", "lora": "LoRA", "avg": "average", "rpi": "RPi"}
# Name parts that stand for a unit: dropped from a label whose unit already says it (price_usd: Price (USD)).
_UNIT_TOKENS = {"s": {"s", "seconds"}, "pct": {"%", "percent"}, "b": {"billion"}, "bn": {"billion"},
                "usd": {"usd"}, "cny": {"cny"}, "gb": {"gb"}, "gbs": {"gb/s"}, "tbs": {"tb/s"}, "ms": {"ms"},
                "w": {"w"}, "mw": {"mw"}, "twh": {"twh"}, "tflops": {"tflops"}, "tops": {"tops"}}
# Name endings that are units: (ending, unit). Longest first; only used when the descriptor names no unit.
_SUFFIX_UNITS = (("_usd_bn", "billion USD"), ("_cny_bn", "billion CNY"), ("_pct", "percent"),
                 ("_usd", "USD"), ("_cny", "CNY"), ("_tflops", "TFLOPS"), ("_tops", "TOPS"), ("_gbs", "GB/s"),
                 ("_tbs", "TB/s"), ("_gb", "GB"), ("_ms", "ms"), ("_twh", "TWh"), ("_mw", "MW"), ("_w", "W"),
                 ("_s", "seconds"))


def unit_from_name(name: str) -> str:
    """The unit a column name ends with (``price_usd`` is USD, ``share_pct`` percent), or ''."""
    for end, unit in _SUFFIX_UNITS:
        if name.endswith(end) and len(name) > len(end):
            return unit
    return ""


def header(name, unit: str | None = None, title: str | None = None) -> str:
    """A column label a reader can read: the descriptor's ``title`` or the name in words, with the unit.

    ``f16_tflops`` is 'FP16 (TFLOPS)', ``share_pct`` 'Share (%)', ``price_usd`` 'Price (USD)'."""
    if not isinstance(name, str):
        return str(name)
    code, _, rest = name.partition(" ")
    if rest and "_" in code and not title:  # "goods_usd_bn (China records)": the code part in words
        rest = rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest
        base = header(code, unit or None)
        sym = unit_symbol(unit or unit_from_name(code))
        if sym and base.endswith(f" ({sym})"):
            return f"{base[: -len(sym) - 3]}, {rest} ({sym})"
        return f"{base}, {rest}"
    if unit is None:
        unit = unit_from_name(name)
    sym = unit_symbol(unit)
    if not title:
        if " " in name or name != name.lower():  # already written for people ("CNY per USD (Fed)")
            words = name
        else:
            in_unit = {w.lower() for w in re.split(r"[\s]+", f"{unit or ''} {sym}") if w}
            parts = [p for p in name.split("_") if p]
            kept = [p for p in parts if not (_UNIT_TOKENS.get(p, set()) & in_unit)] or parts
            words = " ".join(_WORDS.get(p, p) for p in kept)
        title = words[:1].upper() + words[1:]
    return f"{title} ({sym})" if sym and f"({sym})" not in title else title
