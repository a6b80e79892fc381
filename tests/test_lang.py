"""techduel.lang: Chinese text on the pages is marked lang="zh", and nothing else changes."""

from __future__ import annotations

from techduel import lang


def test_chinese_runs_in_text_are_marked():
    html = "<td>Zhangjiakou data centre cluster (张家口集群)</td><td>贵安、中卫</td>"
    assert lang.mark_zh(html) == ('<td>Zhangjiakou data centre cluster (<span lang="zh">张家口集群</span>)</td>'
                                  '<td><span lang="zh">贵安、中卫</span></td>')


def test_tags_attributes_scripts_and_titles_are_left_alone():
    html = ('<html lang="en"><head><title>中卫</title><style>/* 中卫 */</style></head>'
            '<body><a title="中卫" href="#x">中卫</a><script>var s = "中卫";</script>'
            '<svg><text>中卫</text></svg><img alt="中卫"/><!-- 中卫 --></body></html>')
    assert lang.mark_zh(html) == html.replace('href="#x">中卫</a>', 'href="#x"><span lang="zh">中卫</span></a>')


def test_marking_twice_changes_nothing_and_latin_pages_keep_their_bytes():
    once = lang.mark_zh("<p>宁夏 and 贵州</p>")
    assert once == '<p><span lang="zh">宁夏</span> and <span lang="zh">贵州</span></p>'
    assert lang.mark_zh(once) == once
    marked = '<div lang="zh-Hans"><p>宁夏<br>贵州</p></div>'
    assert lang.mark_zh(marked) == marked
    page = "<p>Plain English &amp; numbers: 1,234 · 5%</p>"
    assert lang.mark_zh(page) == page


def test_site_pages_mark_chinese_names(scratch):
    """A page built from an executed notebook carries its Chinese text as lang="zh" (the index too)."""
    import nbformat

    from techduel import paths
    from techduel.build import site

    nb_dir = paths.build_dir() / "notebooks"
    nb_dir.mkdir(parents=True)
    out = nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>中卫集群</td></tr></table>",
                                                       "text/plain": "中卫集群"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 中卫 (Zhongwei)"),
                                         nbformat.v4.new_code_cell("x", outputs=[out])])
    nb.metadata["techduel"] = {"title": "中卫 test page"}
    nbformat.write(nb, nb_dir / "04_zh_test.ipynb")
    index = site.build(nb_dir, paths.build_dir() / "site")
    page = (index.parent / "04_zh_test.html").read_text(encoding="utf-8")
    assert '<span lang="zh">中卫集群</span>' in page and '<span lang="zh">中卫</span> (Zhongwei)' in page
    assert '<span lang="zh">中卫</span> test page' in index.read_text(encoding="utf-8")
