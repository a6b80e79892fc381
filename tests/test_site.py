"""The rendered site: an index, one page per notebook, figures as files with their data, all links local."""

from __future__ import annotations

import csv
import json
import io
import re
from html.parser import HTMLParser
from pathlib import Path


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.imgs = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.refs.append(a["href"])
        if tag in ("script", "link") and (a.get("src") or a.get("href")):
            self.refs.append(a.get("src") or a.get("href"))
        if tag == "img":
            self.imgs.append(a)


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def test_index_and_one_page_per_notebook(built):
    site = built / "site"
    pages = {p.stem for p in site.glob("*.html")}
    executed = {p.stem for p in (built / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert pages == executed | {"index"}
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Scoreboard" in index and "06_sanctions_timeline.html" in index
    assert "Corrections log" in index and "<h3>Forecasts</h3>" in index


def test_every_local_link_resolves_and_nothing_is_fetched(built):
    site = built / "site"
    for page in site.glob("*.html"):
        links = parse(page)
        for ref in links.refs:
            if ref.startswith(("http://", "https://")):
                # outbound links to sources are fine; scripts and stylesheets from the network are not
                assert not re.search(rf'<(script|link)[^>]+{re.escape(ref)}', page.read_text(encoding="utf-8")), ref
                continue
            target = ref.split("#")[0]
            if target:
                assert (site / target).exists(), f"{page.name} links to missing {ref}"
            if "#" in ref and ref.split("#")[1] and target.endswith(".html"):
                anchor = ref.split("#")[1]
                assert f'id="{anchor}"' in (site / (target or page.name)).read_text(encoding="utf-8"), ref


def test_figures_are_files_with_alt_text_and_their_data(built):
    site = built / "site"
    page = site / "06_sanctions_timeline.html"
    imgs = parse(page).imgs
    figs = [i for i in imgs if i.get("src", "").startswith("figures/")]
    assert len(figs) == 2 and all(i.get("alt") for i in figs)
    for img in figs:
        png = site / img["src"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        rows = list(csv.DictReader(io.StringIO(png.with_suffix(".csv").read_text(encoding="utf-8"))))
        assert rows, png
    timeline = list(csv.DictReader(open(site / "figures/06_sanctions_timeline/timeline.csv", encoding="utf-8")))
    events = list(csv.DictReader(open(built.parent / "data/sanctions/events.csv", encoding="utf-8")))
    assert {r["event_id"] for r in timeline} == {r["event_id"] for r in events}  # exactly what was plotted


def test_code_is_folded_and_downloads_are_linked(built):
    html = (built / "site" / "06_sanctions_timeline.html").read_text(encoding="utf-8")
    assert html.count('<details class="td-code">') >= 5 and 'href="index.html"' in html
    index = (built / "site" / "index.html").read_text(encoding="utf-8")
    for name in ("verdicts.csv", "claimreview.jsonld", "results.json"):
        assert f'href="{name}"' in index and (built / "site" / name).exists()
    assert '<script type="application/ld+json">' in index


def test_index_shows_the_scoreboard_chart_and_counts(built):
    index = (built / "site" / "index.html").read_text(encoding="utf-8")
    assert 'src="figures/00_overview/scoreboard.png"' in index
    assert re.search(r"\d+ of \d+ claims judged so far|All \d+ are judged", index)  # 'pending' only if any is


def test_a_tampered_page_or_a_deleted_figure_file_is_rebuilt(one_thread, tmp_path):
    """The site's cache checks every file it published, not only the index."""
    from conftest import cli, clone

    root = clone(one_thread, tmp_path)
    assert cli("site", env_root=root).returncode == 0  # the cache now vouches for this copy's site
    site = root / "build" / "site"
    page, data = site / "06_sanctions_timeline.html", site / "figures" / "06_sanctions_timeline" / "timeline.csv"
    good_page, good_data = page.read_bytes(), data.read_bytes()
    page.write_text(page.read_text(encoding="utf-8").replace("Sanctions", "Tampered"), encoding="utf-8")
    data.unlink()
    (site / "stray.html").write_text("not built from anything", encoding="utf-8")
    done = cli("site", env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert page.read_bytes() == good_page and data.read_bytes() == good_data
    assert not (site / "stray.html").exists()


HOSTILE = '</script><!--<script> & "quotes" \u2028\u2029 --> <b>bold</b>'


def test_hostile_text_in_data_cannot_break_out_of_the_embedded_json(one_thread, tmp_path):
    """An article title that would open a comment or close the script leaves the index whole."""
    from conftest import cli, clone

    root = clone(one_thread, tmp_path)
    table = root / "data" / "article.csv"
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    rows = [[r[0], HOSTILE, *r[2:]] if r[0] == "title" else r for r in rows]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    table.write_text(out.getvalue(), encoding="utf-8")
    done = cli("site", env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    index = (root / "build" / "site" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', index, re.S)
    assert len(scripts) == 1
    body = scripts[0]
    assert not set(body) & set("<>&\u2028\u2029"), "the JSON in the script element is not fully escaped"
    reviews = json.loads(body)
    assert reviews == json.loads((root / "build" / "claimreview.jsonld").read_text(encoding="utf-8"))
    assert reviews[0]["itemReviewed"]["appearance"]["headline"] == HOSTILE
    assert index.index("</script>") < index.index('id="scoreboard"')  # the page after the script is still page


def test_script_json_escapes_everything_that_can_end_or_comment_a_script():
    from techduel.build.site import script_json

    text = script_json({"t": HOSTILE})
    assert not set(text) & set("<>&\u2028\u2029") and json.loads(text) == {"t": HOSTILE}


def test_notebook_pages_escape_json_in_script_elements_the_same_way():
    import nbformat

    from techduel.build import site

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# page")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "t": HOSTILE}}
    page, _ = site._exporter().from_notebook_node(nb)
    (body,) = re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page, re.S)
    assert not set(body) & set("<>&\u2028\u2029") and json.loads(body)["t"] == HOSTILE
    assert page.rstrip().endswith("</html>")


def test_threads_not_run_in_this_build_say_so(one_thread):
    """Only 06 and the overview ran: the other threads have committed notebooks, so they are 'not run in this
    build', never 'not written yet' or 'pending'."""
    site = one_thread / "build" / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "not written yet" not in index and "until their thread's notebook lands" not in index
    row = re.search(r"<tr><td>What DeepSeek.*?</td>", index)
    assert row and "not run in this build" in row.group(0)
    claim_row = re.search(r"<tr [^>]*><td[^>]*>C001</td>.*?</tr>", index).group(0)
    assert "not run in this build" in claim_row and ">pending<" not in claim_row
    assert re.search(r"\d+ of \d+ claims judged in this build", index)
    overview = (site / "00_overview.html").read_text(encoding="utf-8")
    assert "not run in this build" in overview  # the overview's list of notebooks says it too
    assert "until their notebooks land" not in overview


class Figures(HTMLParser):
    """Each figure image (src under figures/) with the href of the link it sits in (None when in none)."""

    def __init__(self):
        super().__init__()
        self.links, self.imgs = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.links.append(a.get("href"))
        if tag == "img" and a.get("src", "").startswith("figures/"):
            self.imgs.append((a["src"], next((h for h in reversed(self.links) if h is not None), None)))

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            self.links.pop()


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour such as '#009E73'."""
    channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_ratio_is_computed_as_wcag_defines_it():
    assert round(contrast("#000000", "#FFFFFF"), 2) == 21.0
    assert round(contrast("#777777", "#FFFFFF"), 2) == 4.48  # the classic just-too-light grey


def test_every_verdict_label_colour_reads_with_black_text_at_4_5_to_1():
    from techduel import claims

    low = {label: round(contrast(colour, "#000000"), 2) for label, colour in claims.COLOURS.items()
           if contrast(colour, "#000000") < 4.5}
    assert low == {}, f"label colours below 4.5:1 against black text: {low}"


def _jsonld_blocks(page: Path) -> list[dict]:
    import json

    text = page.read_text(encoding="utf-8")
    head = text.split("</head>")[0]
    return [json.loads(body) for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", head, re.S)
            if 'type="application/ld+json"' in attrs and 'class="td-claimreview"' in attrs]


def test_each_page_embeds_in_its_head_the_claimreview_of_the_verdicts_it_shows(built):
    import json

    site = built / "site"
    combined = json.loads((site / "claimreview.jsonld").read_text(encoding="utf-8"))
    verdicts = list(csv.DictReader(open(site / "verdicts.csv", encoding="utf-8")))
    for page in site.glob("[0-9][0-9]_*.html"):
        shown = {v["claim_id"]: v["verdict"] for v in verdicts if v["notebook"] == page.stem}
        boxes = set(re.findall(r'<div class="td-verdict[^"]*" id="(C\d+)"', page.read_text(encoding="utf-8")))
        blocks = _jsonld_blocks(page)
        assert {b["url"] for b in blocks} == {f"{page.stem}.html#{c}" for c in boxes}, page.name
        assert {b["url"].split("#")[1]: b["reviewRating"]["alternateName"] for b in blocks} == shown, page.name
        # the same records as the combined export, which stays
        assert sorted(blocks, key=lambda b: b["url"]) == sorted(
            (r for r in combined if r["url"].startswith(f"{page.stem}.html#")), key=lambda b: b["url"]), page.name


def test_scoreboard_links_every_judged_claim_to_its_verdict_box(built):
    site = built / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    for v in csv.DictReader(open(site / "verdicts.csv", encoding="utf-8")):
        assert f'href="{v["notebook"]}.html#{v["claim_id"]}"' in index, v["claim_id"]


def test_index_opens_with_the_tally_and_the_scoreboard(built):
    index = (built / "site" / "index.html").read_text(encoding="utf-8")
    body = index.split("<body>")[1]
    headings = re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", body)
    assert [t for _, t in headings[:3]] == ["techduel", "Tally", "Scoreboard: every checkable claim"]
    assert body.index('class="td-board"') < body.index("<h2>About the article")


def test_scoreboard_names_threads_in_words_from_the_notebooks_titles(built):
    import json

    index = (built / "site" / "index.html").read_text(encoding="utf-8")
    nb = json.loads((built / "notebooks" / "06_sanctions_timeline.ipynb").read_text(encoding="utf-8"))
    title = nb["metadata"]["techduel"]["title"]
    words = re.sub(r"^\d+\s*·\s*", "", title)
    assert f'<td data-label="Thread">{words}</td>' in index
    assert '<td data-label="Thread">sanctions_timeline</td>' not in index


def test_figures_open_full_size_and_pages_show_no_execution_prompts(built):
    site = built / "site"
    wrapped = 0
    for p in site.glob("*.html"):
        text = p.read_text(encoding="utf-8")
        figures = Figures()
        figures.feed(text)
        assert all(link == src for src, link in figures.imgs), (p.name, figures.imgs)
        wrapped += len(figures.imgs)
        assert not re.search(r"(In|Out)&nbsp;\[|Out\[\d+\]:", text), p.name
    assert wrapped >= 3


def test_links_to_data_tables_point_at_the_same_file_from_the_site():
    from techduel.build import site

    body = site._local_links('<a href="../data/industry/byd_tesla.csv">CSV</a> <a href="06_x.ipynb#C046">C046</a>')
    assert 'href="../../data/industry/byd_tesla.csv"' in body and 'href="06_x.html#C046"' in body


def test_scoreboard_shows_and_filters_each_verdicts_robustness(one_thread):
    """06 ran with its robustness pass (`run` does it first): its verdicts hold, having no assumption to vary."""
    index = (one_thread / "build" / "site" / "index.html").read_text(encoding="utf-8")
    assert '<select name="robust" data-filter>' in index and '<option value="robust">robust</option>' in index
    assert '<th scope="col"><button type="button">Robust?</button></th>' in index
    judged = [r for r in re.findall(r'<tr data-thread="sanctions_timeline"[^>]*>', index) if "pending" not in r]
    assert judged and all('data-robust="robust"' in r for r in judged)
    assert ('<td data-label="Robust?" data-sort="robust" title="holds: the notebook has no assumption to vary">'
            'robust</td>') in index
    page = (one_thread / "build" / "site" / "06_sanctions_timeline.html").read_text(encoding="utf-8")
    assert "Holds: the notebook has no assumption to vary" in page
    overview = json.loads((one_thread / "build" / "notebooks" / "00_overview.ipynb").read_text(encoding="utf-8"))
    (cell,) = [c for c in overview["cells"] if '"robust?"' in "".join(c["source"])]  # the scoreboard's claims table
    shown = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"])
    assert "Robust?" in shown and " robust " in shown.split("Robust?", 1)[1]
