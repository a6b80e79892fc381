"""techduel.plotting: byte-stable figures that carry their data and alt text."""

from __future__ import annotations

import base64

import nbformat
import pandas as pd
import pytest

from techduel import outputs, plotting


def draw():
    fig, ax = plotting.figure("A title", "x (units)", "y (units)")
    ax.plot([1, 2, 3], [2, 4, 3])
    return fig


def test_png_is_byte_stable_and_carries_no_software_or_date():
    a, b = plotting.render_png(draw()), plotting.render_png(draw())
    assert a == b
    assert b"Software" not in a and b"matplotlib" not in a.lower() and b"Creation" not in a


def test_show_carries_png_csv_alt_and_source(monkeypatch, tmp_path):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda bundle, raw=False, metadata=None: shown.append((bundle, metadata)))
    data = pd.DataFrame({"x": [1, 2, 3], "y": [2, 4, 3]})
    plotting.show(draw(), "line", data, alt="A line rising then falling.", source="made up for a test")
    (bundle, meta), = shown
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    assert bundle["text/csv"] == "x,y\n1,2\n2,4\n3,3\n"
    assert meta[outputs.FIGURE_KEY] == {"name": "line", "title": "A title", "alt": "A line rising then falling.",
                                        "source": "made up for a test"}
    out = nbformat.v4.new_output("display_data", data=bundle, metadata=meta)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[out])])
    assert [o["metadata"][outputs.FIGURE_KEY]["name"] for _, o in outputs.figures(nb)] == ["line"]


@pytest.mark.parametrize("kwargs, message", [
    ({"alt": " "}, "alt text"), ({"source": ""}, "source line"), ({"name": "bad name"}, "may hold only"),
    ({"data": pd.DataFrame()}, "no data")])
def test_show_refuses_a_figure_a_reader_cannot_check(kwargs, message):
    args = {"name": "f", "data": pd.DataFrame({"x": [1]}), "alt": "alt", "source": "src"} | kwargs
    with pytest.raises(ValueError, match=message):
        plotting.show(draw(), args.pop("name"), args.pop("data"), **args)


def test_figure_requires_a_title():
    with pytest.raises(ValueError, match="title"):
        plotting.figure("", "x", "y")


def test_chinese_text_renders_with_a_cjk_font():
    """Chinese names (data/edwc/sites.csv) must draw as glyphs, not empty boxes: matplotlib warns "Glyph ...
    missing from font(s)" when the house font list has no CJK font. CI installs one (fonts-wqy-microhei)."""
    import warnings

    fig, ax = plotting.figure("中卫集群 and 贵安集群", "x", "y")
    ax.annotate("和林格尔 (Horinger)", (0.5, 0.5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plotting.render_png(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, f"{missing[0]}; install a CJK font (Debian: fonts-wqy-microhei), see .ci/run"


def test_a_bold_chinese_title_logs_nothing_into_the_notebook(caplog):
    """A single-weight CJK font makes matplotlib log a weight fallback, which would land in a cell's
    outputs; the house style drops that one message."""
    import logging

    from matplotlib import font_manager

    font_manager.fontManager._findfont_cached.cache_clear()  # the message is logged once per lookup
    with caplog.at_level(logging.INFO, logger="matplotlib.font_manager"):
        fig, _ = plotting.figure("粗体标题 bold", "x", "y")
        plotting.render_png(fig)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_latin_figures_keep_their_bytes_with_the_cjk_fallback(monkeypatch):
    """The CJK fonts come after DejaVu Sans, so a figure without Chinese text renders exactly as before."""
    with_cjk = plotting.render_png(draw())
    monkeypatch.setitem(plotting.STYLE, "font.family", ["DejaVu Sans"])
    assert plotting.render_png(draw()) == with_cjk
