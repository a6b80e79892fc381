"""Render the executed notebooks into a static site that reads offline: an index and one page each.

Figures become files beside the pages (PNG and the CSV of exactly what is plotted), shown with their
alt text and linked, so a reader can check a chart without running anything. Built with nbconvert's
Jinja templates (no download at build time).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
from pathlib import Path

from . import cache, files, runner
from .. import lang, outputs, paths

TEMPLATES = Path(__file__).parent / "templates"


def build(nb_dir: Path | None = None, out: Path | None = None) -> Path:
    """Write the site to ``out`` (default build/site) from the executed notebooks in ``nb_dir`` (skipped when
    nothing it is made from changed since the last build)."""
    build_dir = paths.build_dir()
    nb_dir = nb_dir or build_dir / "notebooks"
    out = out or build_dir / "site"
    done = runner.executed(nb_dir)
    if not done:
        raise runner.MissingInput(f"no executed notebooks in {runner.shown(nb_dir)}: run `python -m techduel run` "
                                  "first (nothing was written)")
    made_from = [*done, *(build_dir / n for n in ("verdicts.csv", "claimreview.jsonld", "results.json")),
                 paths.data_dir() / "article.csv", paths.data_dir() / "claims.csv"]
    committed = ",".join(f"{nb.stem}:{nb.thread}" for nb in runner.discover())  # the index says which did not run
    key = cache.inputs_key(made_from, cache.lib_hash(), str(out), committed)
    if cache.fresh("site", key, _published(out)):  # every published file, so no edit or deletion survives
        return out / "index.html"
    tmp = files.temp_path("site")
    tmp.mkdir(parents=True)
    exporter = _exporter()
    pages = []
    import nbformat

    from .. import claims

    verdicts = claims.read_verdicts(done)
    published = _review_date(build_dir / "claimreview.jsonld")
    for path in done:
        nb = nbformat.read(path, as_version=4)
        figs = _publish_figures(nb, path.stem, tmp)
        body, _ = exporter.from_notebook_node(nb, resources={
            "metadata": {"name": nb.metadata.get("techduel", {}).get("title", path.stem)},
            "td_jsonld": _page_claimreview(verdicts[verdicts["notebook"] == path.stem], path.stem, published)})
        (tmp / f"{path.stem}.html").write_text(lang.mark_zh(_local_links(body)), encoding="utf-8")
        pages.append((path, nb, figs))
    for name in ("verdicts.csv", "claimreview.jsonld", "results.json"):
        if (build_dir / name).exists():
            shutil.copy2(build_dir / name, tmp / name)
    (tmp / "index.html").write_text(lang.mark_zh(_index(pages, verdicts, tmp)), encoding="utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():  # swap whole folders, so a reader sees the old site or the new one, never a mix
        old = files.temp_path("old-site")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old)
    else:
        os.replace(tmp, out)
    cache.record("site", key, _published(out))
    return out / "index.html"


def _published(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def script_json(value) -> str:
    """JSON (a document, or JSON text) made safe inside an HTML <script> element: ``<``, ``>``, ``&`` and the
    line separators U+2028/2029 become ``\\u003c`` and so on, so no text in the data can close the element
    or open the ``<!--`` state that swallows the rest of the page. The JSON means exactly the same.
    The one way JSON goes into a script element on the site (the index and the notebook template use it)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="techduel", extra_template_basedirs=[str(TEMPLATES)])
    exporter.register_filter("script_json", script_json)
    return exporter


def _review_date(export: Path) -> str:
    """The review date of the combined export (so a page's records equal its own), else today."""
    import json
    from datetime import date

    try:
        return json.loads(export.read_text(encoding="utf-8"))[0]["datePublished"]
    except (OSError, ValueError, IndexError, KeyError, TypeError):
        return date.today().isoformat()


def _page_claimreview(verdicts, stem: str, published: str) -> str:
    """The ClaimReview JSON-LD of the verdicts one page shows, one script element each, each ``url`` at the
    verdict's anchor on that page: computed from the page's own verdicts, the same records as the combined
    export build/claimreview.jsonld."""
    from .. import claims

    if verdicts.empty:
        return ""
    reviews = claims.claimreview(verdicts, runner.article(), {stem: f"{stem}.html"}, published)
    return "".join(f'<script type="application/ld+json" class="td-claimreview">{script_json(r)}</script>\n'
                   for r in reviews)


def _local_links(body: str) -> str:
    """Links between notebooks point at .ipynb files in JupyterLab; on the site they point at the pages. A link
    to a data table (``../data/…`` from notebooks/) points at the same file from build/site/."""
    body = re.sub(r'href="(\d\d_[\w-]+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)
    return body.replace('href="../data/', 'href="../../data/')


def _publish_figures(nb, stem: str, site: Path) -> list[dict]:
    """Save each figure's PNG and CSV under figures/<stem>/ and show it on the page as an <img> with alt."""
    figs = []
    for _, out in outputs.figures(nb):
        meta = out["metadata"][outputs.FIGURE_KEY]
        folder = site / "figures" / stem
        folder.mkdir(parents=True, exist_ok=True)
        png, csv = folder / f"{meta['name']}.png", folder / f"{meta['name']}.csv"
        b64 = out["data"]["image/png"]
        png.write_bytes(base64.b64decode(b64))
        csv.write_text(out["data"].get("text/csv", ""), encoding="utf-8")
        rel_png, rel_csv = f"figures/{stem}/{png.name}", f"figures/{stem}/{csv.name}"
        e = html.escape
        out["data"] = {"text/html": (
            f'<figure class="td-figure" id="fig-{e(meta["name"])}"><a href="{rel_png}" class="td-full" '
            f'title="Open the figure full size"><img src="{rel_png}" alt="{e(meta["alt"])}"></a>'
            f'<figcaption>{e(meta["title"])}. Source: {e(meta["source"])}. '
            f'<a href="{rel_png}">Figure (PNG)</a> · <a href="{rel_csv}">Data plotted (CSV)</a></figcaption>'
            f'</figure>'), "text/plain": out["data"].get("text/plain", "")}
        figs.append({**meta, "png": rel_png, "csv": rel_csv})
    return figs


def _unjudged(board, not_run: set[str]) -> str:
    """What the unjudged claims are: in threads not run in this build, or pending (no notebook judges them)."""
    unjudged = board[board["verdict"] == "pending"]
    skipped = int(unjudged["thread"].isin(not_run).sum())
    pending = len(unjudged) - skipped
    parts = ([f"{skipped} belong to threads <em>not run in this build</em> (run them all with "
              "<code>python -m techduel run</code>)"] if skipped else [])
    parts += [f"{pending} are <em>pending</em>: no notebook judges them yet"] if pending else []
    return "; " + "; ".join(parts) if parts else ""


def _thread_names(pages) -> dict[str, str]:
    """Thread id -> its notebook's title without the number ("Sanctions since 2017"), for readers: from the
    pages built, else from the committed notebooks (a thread not run in this build keeps its name)."""
    names = {nb.thread: re.sub(r"^\d+\s*·\s*", "", nb.title or nb.thread) for nb in runner.discover() if nb.thread}
    for _, nb, _ in pages:
        meta = nb.metadata.get("techduel", {})
        if meta.get("thread"):
            names[meta["thread"]] = re.sub(r"^\d+\s*·\s*", "", meta.get("title") or meta["thread"])
    return names


# Sort and filter the scoreboard offline: a few lines, no library. Rows carry data-thread/-verdict/-strength;
# a header button sorts by its column (numbers as numbers), and aria-sort tells a screen reader the order.
_BOARD_JS = """
(function () {
  var form = document.getElementById('td-filter'), tables = document.querySelectorAll('table.td-board');
  function filter() {
    var want = {};
    form.querySelectorAll('select[data-filter]').forEach(function (s) { want[s.name] = s.value; });
    tables.forEach(function (t) {
      var rows = t.tBodies[0].rows, n = 0;
      Array.prototype.forEach.call(rows, function (tr) {
        tr.hidden = !Object.keys(want).every(function (k) { return !want[k] || tr.dataset[k] === want[k]; });
        n += tr.hidden ? 0 : 1;
      });
      document.getElementById(t.id + '-count').textContent = n + ' of ' + rows.length + ' shown';
    });
  }
  function sortBy(table, col, up) {
    table.querySelectorAll('th').forEach(function (h, i) {
      if (i === col) h.setAttribute('aria-sort', up ? 'ascending' : 'descending'); else h.removeAttribute('aria-sort');
    });
    var key = function (tr) { var c = tr.cells[col]; return c.dataset.sort !== undefined ? c.dataset.sort : c.textContent; };
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b), nx = Number(x), ny = Number(y);
      var d = (x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return up ? d : -d;
    });
    rows.forEach(function (tr) { table.tBodies[0].appendChild(tr); });
  }
  form.addEventListener('change', function (ev) {
    if (ev.target.name === 'sort') tables.forEach(function (t) { sortBy(t, Number(ev.target.value), true); });
    else filter();
  });
  form.addEventListener('reset', function () {
    setTimeout(function () { tables.forEach(function (t) { sortBy(t, 1, true); }); filter(); }, 0);
  });
  document.querySelectorAll('table.td-board th button').forEach(function (b) {
    b.addEventListener('click', function () {
      var th = b.parentElement;
      sortBy(th.closest('table'), th.cellIndex, th.getAttribute('aria-sort') !== 'ascending');
    });
  });
  filter();
})();
"""


def _index(pages, verdicts, site: Path) -> str:
    """The index: the tally and the scoreboard first (what a reader came for), then the notebooks, the scales,
    the strength rule and the corrections log."""
    from .. import claims, evidence, overview, robustness_shown

    e = html.escape
    art = runner.article()
    board = claims.scoreboard(verdicts)
    counts = overview.tally(board).drop(columns="total")  # both scales; dependent claims counted once
    thread_page = {nb.metadata.get("techduel", {}).get("thread"): path.stem for path, nb, _ in pages}
    names = _thread_names(pages)

    def thread_name(t: str) -> str:
        return names.get(t) or t.replace("_", " ")

    def chip(label: str) -> str:
        colour = claims.COLOURS.get(label, claims.COLOURS["pending"])
        return f'<span class="td-chip" style="background:{colour}">{e(label)}</span>'

    rows = []
    for path, nb, figs in pages:
        meta = nb.metadata.get("techduel", {})
        thread = meta.get("thread", "")
        tally = ""
        if thread in counts.index:
            tally = ", ".join(f"{int(n)} {lab}" for lab, n in counts.loc[thread].items() if n)
        fig_links = " · ".join(f'<a href="{f["png"]}">{e(f["title"])}</a> (<a href="{f["csv"]}">CSV</a>)'
                               for f in figs)
        rows.append(f'<tr><td><a href="{path.stem}.html">{e(meta.get("title", path.stem))}</a></td>'
                    f'<td>{e(meta.get("question", ""))}</td><td>{e(tally)}</td><td>{fig_links}</td></tr>')
    # a thread whose notebook is committed but was not executed into this build is "not run", not "pending"
    committed = {nb.thread: nb.stem for nb in runner.discover()}
    not_run = {t for t in set(board["thread"]) - set(thread_page) if t in committed}
    for thread in sorted(set(board["thread"]) - set(thread_page), key=thread_name):
        if thread in not_run:
            what = f"not run in this build: <code>python -m techduel run {e(committed[thread])}</code>"
            tally = f"{int((board['thread'] == thread).sum())} claims"
        else:
            what = "notebook not written yet"
            tally = ", ".join(f"{int(n)} {lab}" for lab, n in counts.loc[thread].items() if n)
        rows.append(f"<tr><td>{e(thread_name(thread))} ({what})</td><td></td><td>{e(tally)}</td><td></td></tr>")
    counted = board[board["counted"]]
    totals = []
    for scale_name, labels in (("Factual claims", claims.LABELS), ("Forecasts", claims.FORECAST_LABELS)):
        here = counted[counted["scale"] == ("fact" if labels is claims.LABELS else "forecast")]
        n = here["verdict"].value_counts()
        parts = [f"{chip(lab)} {int(n[lab])}" for lab in [*labels, "pending"] if n.get(lab, 0)]
        totals.append(f"<li><strong>{scale_name}</strong> ({len(here)}): {' '.join(parts) or 'none'}</li>")

    claim_rows = {"fact": [], "forecast": []}
    for _, c in board.sort_values(["line", "claim_id"]).iterrows():
        page = c["notebook"] or thread_page.get(c["thread"], "")
        cid = e(c["claim_id"])
        link = f'<a href="{page}.html#{cid}">{cid}</a>' if c["notebook"] else cid
        label = "not run in this build" if c["verdict"] == "pending" and c["thread"] in not_run else c["verdict"]
        note = "" if c["counted"] else f' <em>(detail of {e(c["depends_on"])}, counted once)</em>'
        as_of = f' <em>as of {e(c["as_of"])}</em>' if c["as_of"] else ""
        rank = claims.scale_for("forecast" if c["scale"] == "forecast" else "fact")
        order = list(rank).index(c["verdict"]) if c["verdict"] in rank else len(rank)
        strength_rank = list(evidence.STRENGTHS).index(c["strength"]) if c["strength"] in evidence.STRENGTHS else 99
        robust = c["robustness"] if c["verdict"] != "pending" else ""
        robust_note = f' title="{e(c["robustness_note"])}"' if c["robustness_note"] else ""
        claim_rows[c["scale"]].append(
            f'<tr data-thread="{e(c["thread"])}" data-verdict="{e(c["verdict"])}" data-strength="{e(c["strength"])}" '
            f'data-robust="{e(robust)}">'
            f'<td data-label="Claim" data-sort="{cid}">{link}</td>'
            f'<td data-label="Line" data-sort="{int(c["line"])}">{int(c["line"])}</td>'
            f'<td data-label="Thread">{e(thread_name(c["thread"]))}</td>'
            f'<td data-label="Claim (our paraphrase)">{e(c["claim"])}{note}</td>'
            f'<td data-label="Verdict" data-sort="{order}">{chip(label)}{as_of}</td>'
            f'<td data-label="Evidence strength" data-sort="{strength_rank}">{e(c["strength"])}</td>'
            f'<td data-label="Robust?" data-sort="{e(robust)}"{robust_note}>{e(c["robust?"])}</td>'
            f'<td data-label="Conclusion">{e(c["conclusion"])}</td></tr>')

    def claim_table(scale: str, caption: str) -> str:
        heads = "".join(f'<th scope="col"><button type="button">{h}</button></th>' for h in (
            "Claim", "Line", "Thread", "Claim (our paraphrase)", "Verdict", "Evidence strength", "Robust?",
            "Conclusion"))
        return (f'<table class="td-board" id="board-{scale}"><caption>{caption} '
                f'<span id="board-{scale}-count" class="td-count"></span></caption>'
                f'<thead><tr>{heads}</tr></thead><tbody>{"".join(claim_rows[scale])}</tbody></table>')

    def options(name: str, values: list[tuple[str, str]]) -> str:
        opts = "".join(f'<option value="{e(v)}">{e(t)}</option>' for v, t in values)
        return (f'<label>{name.capitalize()} <select name="{name}" data-filter><option value="">all</option>'
                f'{opts}</select></label>')

    threads = sorted(set(board["thread"]), key=thread_name)
    verdict_values = [v for v in [*claims.LABELS, *claims.FORECAST_LABELS, "pending"] if v in set(board["verdict"])]
    strength_values = [s for s in evidence.STRENGTHS if s in set(board["strength"])]
    robust_values = [r for r in robustness_shown.STATUSES if r in set(board["robustness"])]
    sort_opts = "".join(f'<option value="{i}">{t}</option>' for i, t in (
        (1, "article line"), (0, "claim id"), (2, "thread"), (4, "verdict"), (5, "evidence strength"),
        (6, "robustness")))
    filters = (f'<form id="td-filter" class="td-filter">'
               f'{options("thread", [(t, thread_name(t)) for t in threads])}'
               f'{options("verdict", [(v, v) for v in verdict_values])}'
               f'{options("strength", [(s, s) for s in strength_values])}'
               f'{options("robust", [(r, r) for r in robust_values])}'
               f'<button type="reset">Show all</button>'
               f'<label>Sort by <select name="sort">{sort_opts}</select></label></form>')

    if ((board["verdict"] == "pending") & board["thread"].isin(not_run)).any():  # say "not run", not "pending"
        judged = int((board["verdict"] != "pending").sum())
        status = f"{judged} of {len(board)} claims judged in this build{_unjudged(board, not_run)}."
    else:
        status = e(overview.status(board))
    scale = "".join(f"<dt>{chip(k)}</dt><dd>{e(v[1])}</dd>" for k, v in claims.SCALE.items())
    forecast_scale = "".join(f"<dt>{chip(k)}</dt><dd>{e(v[1])}</dd>" for k, v in claims.FORECAST_SCALE.items())
    def caps(table: dict) -> str:
        return "; ".join(f"{a} → {b}" for a, b in table.items()) or "any label"

    strength_rows = "".join(f"<tr><td>{e(lvl)}</td><td>{e(text)}</td><td>{e(caps(evidence.CAPS[lvl]))}</td>"
                            f"<td>{e(caps(evidence.FORECAST_CAPS[lvl]))}</td></tr>"
                            for lvl, text in evidence.STRENGTHS.items())
    log = overview.corrections()
    log_rows = "".join(f'<tr><td>{r["date"]:%Y-%m-%d}</td><td>{e(r["target"])}</td><td>{e(r["change"])}</td>'
                       f'<td>{e(r["old"])}</td><td>{e(r["new"])}</td><td>{e(r["why"])}</td></tr>' for _, r in log.iterrows())
    jsonld = ""
    if (site / "claimreview.jsonld").exists():
        jsonld = ('<script type="application/ld+json">'
                  + script_json((site / "claimreview.jsonld").read_text(encoding="utf-8")) + "</script>")
    author = art.get("author") or "author not established"
    charts = "".join(f'<figure class="td-figure"><a href="{f["png"]}" title="Open the figure full size">'
                     f'<img src="{f["png"]}" alt="{e(f["alt"])}"></a>'
                     f'<figcaption>{e(f["title"])}. <a href="{f["csv"]}">Data plotted (CSV)</a></figcaption></figure>'
                     for path, _, figs in pages if path.stem.startswith("00_") for f in figs)
    downloads = " · ".join(f'<a href="{n}">{n}</a>' for n in ("verdicts.csv", "claimreview.jsonld", "results.json")
                           if (site / n).exists())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>techduel: claims about China's tech drive, checked against data</title>
<style>
body {{ font: 15px/1.45 sans-serif; max-width: 1100px; margin: 1em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }}
td, th {{ border: 1px solid #ddd; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }}
th {{ background: #f3f3f3; }} dt {{ font-weight: bold; margin-top: 0.3em; }} dd {{ margin: 0 0 0.4em 1em; }}
caption {{ text-align: left; font-weight: bold; padding: 0.3em 0; }} .td-count {{ font-weight: normal; color: #555; }}
th button {{ font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; text-align: left; }}
th[aria-sort=ascending] button::after {{ content: " ▲"; }} th[aria-sort=descending] button::after {{ content: " ▼"; }}
.td-chip {{ color: #000; padding: 0 0.4em; border-radius: 3px; white-space: nowrap; }}
.td-totals {{ list-style: none; padding: 0; }} .td-totals li {{ margin: 0.3em 0; line-height: 1.9; }}
.td-filter {{ display: flex; flex-wrap: wrap; gap: 0.5em 1em; align-items: center; margin: 0.5em 0; }}
.td-scroll {{ overflow-x: auto; max-width: 100%; }} [hidden] {{ display: none !important; }}
figure.td-figure {{ margin: 0.5em 0; }} figure.td-figure img {{ max-width: 100%; height: auto; }}
@media (max-width: 700px) {{
  body {{ padding: 0 0.6em; }}
  table.td-board, table.td-board tbody, table.td-board tr, table.td-board td {{ display: block; width: auto; }}
  table.td-board thead {{ position: absolute; left: -9999px; }} table.td-board caption {{ display: block; }}
  table.td-board tr {{ border: 1px solid #ddd; margin: 0 0 0.6em; }}
  table.td-board td {{ border: 0; padding: 0.15em 0.5em; overflow-wrap: anywhere; }}
  table.td-board td::before {{ content: attr(data-label) ": "; font-weight: bold; }}
}}
</style>{jsonld}</head>
<body><main>
<h1>techduel</h1>
<p>The factual claims of one opinion article on China's tech drive, checked against sourced data, one verdict
each. Claims are our paraphrases, located by the article's line number.</p>
<h2>Tally</h2>
<p>{status}</p>
<ul class="td-totals">{''.join(totals)}</ul>
<h2 id="scoreboard">Scoreboard: every checkable claim</h2>
<p>Each verdict links to its full reasoning and shows the strength of the evidence it rests on; forecasts are
rated on their own scale, as of the date shown. Sort by a column's heading; filter by thread, verdict,
strength. <em>Robust?</em> says whether the verdict holds across every assumption the notebook declares, each
run across its range ("depends on X": hover for the threshold; the verdict box gives it in full), or "not
assessed" when no robustness pass covers it. Downloads: {downloads}</p>
{filters}
{claim_table("fact", "Factual claims and presuppositions")}
<h3>Forecasts</h3>
{claim_table("forecast", "Forecasts")}
{charts}
<h2>About the article and the notebooks</h2>
<p>The article: <em>{e(art.get("title") or "")}</em> ({e(art.get("publisher") or "")}, {e(art.get("date") or "")};
{e(author)}). Each notebook takes one thread of the article, shows the data, the method and the result, and
rates each claim on one fixed scale.</p>
<div class="td-scroll" tabindex="0" role="region" aria-label="table"><table><tr><th>Notebook</th><th>Question</th><th>Verdicts</th><th>Figures</th></tr>{''.join(rows)}</table></div>
<h2>The scales</h2><h3>Facts</h3><dl>{scale}</dl><h3>Forecasts (the other scale)</h3><dl>{forecast_scale}</dl>
<h3>Evidence strength and what it allows</h3>
<div class="td-scroll" tabindex="0" role="region" aria-label="table"><table><tr><th>Strength</th><th>Definition</th><th>Facts: at most</th><th>Forecasts: at most</th></tr>{strength_rows}</table></div>
<h2 id="corrections">Corrections log</h2>
<p>Every change to a published verdict or figure, with its reason (data/corrections.csv), newest first.</p>
<div class="td-scroll" tabindex="0" role="region" aria-label="table"><table><tr><th>Date</th><th>Claim or row</th><th>Change</th><th>Old</th><th>New</th><th>Why</th></tr>{log_rows}</table></div>
</main>
<script>{_BOARD_JS}</script>
</body></html>
"""
