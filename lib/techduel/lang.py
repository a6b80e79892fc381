"""Mark Chinese text in HTML as ``lang="zh"``, so a screen reader speaks it as Chinese and a browser picks a
Chinese font, on pages that are otherwise ``lang="en"`` (site names such as 张家口集群 in data/edwc).

It works on finished HTML (nbconvert's pages, the index): every run of Han characters in text (not in tags or
attributes, nor in script, style, title, textarea or svg, where a span would break or show) is wrapped in
``<span lang="zh">``. Text already marked is left alone, so marking twice changes nothing.
"""

from __future__ import annotations

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_PUNCT = "\u3000-\u303f\uff00-\uffef\u00b7"  # CJK and full-width punctuation, kept inside a run
RUN = re.compile(f"[{_HAN}](?:[{_HAN}{_PUNCT}]*[{_HAN}{_PUNCT}])?")
_TOKEN = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_RAW = {"script", "style", "title", "textarea", "svg"}  # text in these is not HTML text a span may enter
_OPEN = '<span lang="zh">'


def _tag(token: str) -> tuple[str, bool, bool]:
    """Name of a tag token, whether it closes, whether it closes itself."""
    m = re.match(r"<\s*(/?)\s*([a-zA-Z][\w:-]*)", token)
    if not m:
        return "", False, False
    return m.group(2).lower(), bool(m.group(1)), token.rstrip(">").rstrip().endswith("/")


def mark_zh(html: str) -> str:
    """``html`` with each run of Chinese characters in its text wrapped in ``<span lang="zh">``."""
    out, raw, zh = [], [], []  # open raw-text elements; for each open element, whether it is lang="zh"
    for token in _TOKEN.split(html):
        if not token:
            continue
        if token.startswith("<"):
            name, closing, selfclosing = _tag(token)
            if name in _RAW and not selfclosing:
                if closing and raw and raw[-1] == name:
                    raw.pop()
                elif not closing:
                    raw.append(name)
            elif name and not selfclosing and name not in ("br", "img", "meta", "link", "hr", "input", "col"):
                if closing:
                    if zh:
                        zh.pop()
                else:
                    zh.append(bool(re.search(r"""\slang\s*=\s*["']?zh""", token)))
            out.append(token)
        elif raw or any(zh):
            out.append(token)
        else:
            out.append(RUN.sub(lambda m: f"{_OPEN}{m.group(0)}</span>", token))
    return "".join(out)
