"""The built site as a reader meets it: every page opened in headless Chromium, with no console error,
no broken link and no image that fails to load; a screenshot of the index is kept under build/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import REPO

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# The flags a closed network needs: no background fetches, no sandbox as root.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium; set CHROMIUM to another)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_every_page_loads_cleanly(built, browser):
    site = built / "site"
    pages = sorted(site.glob("*.html"))
    assert len(pages) >= 3
    for page_path in pages:
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed to load {r.url}"))
        page.goto(page_path.as_uri(), wait_until="load")
        broken_images = page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        for href in hrefs:
            url = urlparse(href)
            if url.scheme == "file":
                target = Path(unquote(url.path))
                assert target.exists(), f"{page_path.name}: broken link {href}"
                if url.fragment and target.suffix == ".html":
                    assert f'id="{url.fragment}"' in target.read_text(encoding="utf-8"), f"missing anchor {href}"
        assert problems == [] and broken_images == [], (page_path.name, problems, broken_images)
        if page_path.name == "index.html":
            assert page.locator("table").count() >= 2 and page.locator("img").count() >= 1
            shot = REPO / "build" / "site-index.png"
            shot.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        page.close()


def test_code_is_folded_until_asked(built, browser):
    page = browser.new_page()
    page.goto((built / "site" / "06_sanctions_timeline.html").as_uri())
    first = page.locator("details.td-code").first
    assert first.get_attribute("open") is None
    assert not first.locator(".jp-InputArea").is_visible()
    first.locator("summary").click()
    assert first.locator(".jp-InputArea").is_visible()
    page.close()
