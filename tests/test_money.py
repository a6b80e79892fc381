"""Money displays literally: JupyterLab 4 runs MathJax 3 over HTML outputs and markdown, and `$2 ... $3` in one
block would be typeset as mathematics. MathJax 3 skips elements of class ``mathjax_ignore`` (MathJax 2, in older
JupyterLab and the classic notebook: ``tex2jax_ignore``) and the tags below; JupyterLab's markdown renderer
(rendermime's removeMath) treats every bare ``$`` outside code spans as a delimiter, and so do git hosts."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SKIPPED_TAGS = {"script", "noscript", "style", "textarea", "pre", "code", "math"}
IGNORE = {"mathjax_ignore", "tex2jax_ignore"}


class _Typeset(HTMLParser):
    """The text MathJax would scan: everything not inside a skipped tag or an element of both ignore classes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.scanned: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag not in ("br", "img", "hr", "input", "meta", "link", "wbr"):
            self.stack.append(tag in SKIPPED_TAGS or IGNORE <= classes)

    def handle_endtag(self, tag):
        if self.stack and tag not in ("br", "img", "hr", "input", "meta", "link", "wbr"):
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.scanned.append(data)


def typeset_dollars(html: str) -> list[str]:
    """Text with a `$` that MathJax in JupyterLab would scan for mathematics."""
    parser = _Typeset()
    parser.feed(html)
    return [t for t in parser.scanned if "$" in t]


def markdown_dollars(source: str) -> list[str]:
    """Lines of markdown with a `$` outside code that JupyterLab (and a git host) would read as a math delimiter."""
    text = re.sub(r"^(`{3,}|~{3,}).*?^\1", "", source, flags=re.S | re.M)
    text = re.sub(r"(`+)[^\n]*?\1", "", text)
    return [line for line in text.splitlines() if "$" in line]


def test_the_checker_sees_typesetting_and_protection():
    assert typeset_dollars("<p>costs $2 and $3</p>")
    assert not typeset_dollars('<div class="tex2jax_ignore mathjax_ignore"><p>costs $2 and $3</p></div>')
    assert not typeset_dollars("<code>$2</code>") and markdown_dollars("costs $2") and not markdown_dollars("`$2`")


def test_verdict_box_shows_money_literally():
    from techduel import claims

    payload = {"claim_id": "C999", "verdict": "mixed", "line": 3, "claim": "a $50 board beats a $40,000 GPU",
               "conclusion": "It costs $50, not $40,000.", "reason": "from $2 to $3 per hour",
               "evidence": ["$5.6M rental"], "sources": ["x"], "strength_note": "", "rule_label": "mixed"}
    assert typeset_dollars(claims._html(payload)) == []


def test_tables_show_money_literally():
    from techduel.tables import readable

    html = readable(pd.DataFrame({"item": ["a $50 board", "a $40,000 GPU"]}))._repr_html_()
    assert typeset_dollars(html) == []


def test_source_lists_show_money_literally(monkeypatch):
    import IPython.display

    from techduel import data, sources

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    ids = list(data.load("sources")["source_id"])
    sources.show(ids)
    html = shown[0]._repr_html_() if hasattr(shown[0], "_repr_html_") else shown[0].data
    assert "$" in html and typeset_dollars(html) == []


def test_generated_markdown_shows_money_literally():
    from techduel.tables import literal_dollars

    md = literal_dollars("* [Can a $50 board run it?](02.ipynb): from $2 to $3")
    assert markdown_dollars(md) == [] and "$" not in md.replace("&#36;", "")
    assert typeset_dollars(md) == []  # the entity is inside an ignored span once rendered


def test_executed_notebooks_show_money_literally(one_thread):
    """Every HTML and markdown output, and every markdown cell, of notebooks that ran (06 and the overview)."""
    for path in sorted((one_thread / "build" / "notebooks").glob("0*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            where = f"{path.name} cell {i + 1}"
            if cell["cell_type"] == "markdown":
                assert markdown_dollars("".join(cell["source"])) == [], where
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                assert typeset_dollars("".join(data.get("text/html", ""))) == [], where
                assert markdown_dollars("".join(data.get("text/markdown", ""))) == [], where


def test_committed_markdown_cells_show_money_literally():
    """Markdown is source, so it is checked in the committed notebooks themselves (outputs: after a refresh)."""
    bad = []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "markdown":
                bad += [f"{path.name} cell {i + 1}: {line}" for line in markdown_dollars("".join(cell["source"]))]
    assert bad == [], "write money as USD in markdown (JupyterLab typesets $...$): " + "; ".join(bad)
