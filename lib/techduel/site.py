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

from . import cache, files, lang, outputs, paths, runner

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
    key = cache.inputs_key(made_from, cache.tree_hash(Path(__file__).parent), str(out), committed)
    if cache.fresh("site", key, _published(out)):  # every published file, so no edit or deletion survives
        return out / "index.html"
    tmp = files.temp_path("site")
    tmp.mkdir(parents=True)
    exporter = _exporter()
    pages = []
    import nbformat

    for path in done:
        nb = nbformat.read(path, as_version=4)
        figs = _publish_figures(nb, path.stem, tmp)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": nb.metadata.get(
            "techduel", {}).get("title", path.stem)}})
        (tmp / f"{path.stem}.html").write_text(lang.mark_zh(_local_links(body)), encoding="utf-8")
        pages.append((path, nb, figs))
    from . import claims

    verdicts = claims.read_verdicts(done)
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


def _local_links(body: str) -> str:
    """Links between notebooks point at .ipynb files in JupyterLab; on the site they point at the pages."""
    return re.sub(r'href="(\d\d_[\w-]+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)


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
            f'<figure class="td-figure" id="fig-{e(meta["name"])}"><img src="{rel_png}" alt="{e(meta["alt"])}">'
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


def _index(pages, verdicts, site: Path) -> str:
    from . import claims, evidence, overview

    e = html.escape
    art = runner.article()
    board = claims.scoreboard(verdicts)
    counts = overview.tally(board).drop(columns="total")  # both scales; dependent claims counted once
    thread_page = {nb.metadata.get("techduel", {}).get("thread"): path.stem for path, nb, _ in pages}

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
    for thread in sorted(set(board["thread"]) - set(thread_page)):
        if thread in not_run:
            what = f"not run in this build: <code>python -m techduel run {e(committed[thread])}</code>"
            tally = f"{int((board['thread'] == thread).sum())} claims"
        else:
            what, tally = "no notebook yet", ", ".join(f"{int(n)} {lab}" for lab, n in counts.loc[thread].items() if n)
        rows.append(f"<tr><td>{e(thread)} ({what})</td><td></td><td>{e(tally)}</td><td></td></tr>")

    claim_rows = {"fact": [], "forecast": []}
    for _, c in board.sort_values(["thread", "claim_id"]).iterrows():
        page = c["notebook"] or thread_page.get(c["thread"], "")
        link = f'<a href="{page}.html#{e(c["claim_id"])}">{e(c["claim_id"])}</a>' if c["notebook"] else e(c["claim_id"])
        colour = claims.COLOURS[c["verdict"]]
        label = "not run in this build" if c["verdict"] == "pending" and c["thread"] in not_run else c["verdict"]
        note = "" if c["counted"] else f' <em>(detail of {e(c["depends_on"])}, counted once)</em>'
        as_of = f' <em>as of {e(c["as_of"])}</em>' if c["as_of"] else ""
        claim_rows[c["scale"]].append(
            f'<tr><td>{link}</td><td>{int(c["line"])}</td><td>{e(c["thread"])}</td><td>{e(c["claim"])}{note}</td>'
            f'<td style="background:{colour}">{e(label)}{as_of}</td><td>{e(c["strength"])}</td>'
            f'<td>{e(c["conclusion"])}</td></tr>')
    claim_table = ("<table><tr><th>Claim</th><th>Line</th><th>Thread</th><th>Claim (our paraphrase)</th><th>Verdict</th>"
                   "<th>Evidence strength</th><th>Conclusion</th></tr>")
    if ((board["verdict"] == "pending") & board["thread"].isin(not_run)).any():  # say "not run", not "pending"
        judged = int((board["verdict"] != "pending").sum())
        status = f"{judged} of {len(board)} claims judged in this build{_unjudged(board, not_run)}."
    else:
        status = e(overview.status(board))
    scale = "".join(f"<dt>{e(k)}</dt><dd>{e(v[1])}</dd>" for k, v in claims.SCALE.items())
    forecast_scale = "".join(f"<dt>{e(k)}</dt><dd>{e(v[1])}</dd>" for k, v in claims.FORECAST_SCALE.items())
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
    charts = "".join(f'<figure><img src="{f["png"]}" alt="{e(f["alt"])}" style="max-width:100%">'
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
th {{ background: #f3f3f3; }} dt {{ font-weight: bold; }} dd {{ margin: 0 0 0.4em 1em; }}
</style>{jsonld}</head>
<body><main>
<h1>techduel</h1>
<p>Research notebooks that test, with sourced data, the factual claims of one opinion article:
<em>{e(art.get("title") or "")}</em> ({e(art.get("publisher") or "")}, {e(art.get("date") or "")}; {e(author)}).
Each notebook takes one thread of the article, shows the data, the method and the result, and rates each claim
on one fixed scale. Claims are our paraphrases, located by the article's line number.</p>
<h2>Notebooks</h2>
<table><tr><th>Notebook</th><th>Question</th><th>Verdicts</th><th>Figures</th></tr>{''.join(rows)}</table>
<h2>Scoreboard: every checkable claim</h2>
<p>{status} Each verdict shows the strength of the evidence it rests on; forecasts are rated
on their own scale, as of the date shown. Downloads: {downloads}</p>{charts}
<h3>Factual claims and presuppositions</h3>
{claim_table}{''.join(claim_rows['fact'])}</table>
<h3>Forecasts</h3>
{claim_table}{''.join(claim_rows['forecast'])}</table>
<h2>The scales</h2><h3>Facts</h3><dl>{scale}</dl><h3>Forecasts</h3><dl>{forecast_scale}</dl>
<h3>Evidence strength and what it allows</h3>
<table><tr><th>Strength</th><th>Definition</th><th>Facts: at most</th><th>Forecasts: at most</th></tr>{strength_rows}</table>
<h2 id="corrections">Corrections log</h2>
<p>Every change to a published verdict or figure, with its reason (data/corrections.csv), newest first.</p>
<table><tr><th>Date</th><th>Claim or row</th><th>Change</th><th>Old</th><th>New</th><th>Why</th></tr>{log_rows}</table>
</main></body></html>
"""
