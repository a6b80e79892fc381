"""JupyterLab as a reader uses it: open a thread notebook, change an assumption, run all, read the verdicts.

JupyterLab is started from the project's environment on the loopback (a free port, a token, no browser) over a
scratch copy of notebooks/ and data/, and driven by Chromium through Playwright. Every wait is bounded; the
server is stopped by its pid at the end, also when the test fails. Screenshots go to $TECHDUEL_SHOTS (default:
the test's temporary folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from test_browser import ARGS, CHROMIUM

NOTEBOOK = "06_sanctions_timeline"  # a thread notebook that runs on this branch, in about ten seconds
START_S, RUN_S = 90, 180  # bounds: server start, and a run of all cells on a loaded two-core machine


def add_brief(path: Path) -> None:
    """Insert the in-brief cell after the question, as the lead's insertion script does for every thread
    notebook (a no-op once the committed notebook carries it)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    if any("brief.show(" in "".join(c["source"]) for c in nb["cells"]):
        return
    thread = nb["metadata"]["techduel"]["thread"]
    nb["cells"].insert(1, {"cell_type": "code", "execution_count": None,
                           "id": hashlib.sha1(f"brief-{path.stem}".encode()).hexdigest()[:8],
                           "metadata": {"tags": ["nbval-ignore-output", "brief"]}, "outputs": [],
                           "source": ["from techduel import brief\n", f"brief.show({thread!r})"]})
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(scratch, tmp_path):
    """A JupyterLab server on the scratch copy: (base URL, token, root). Stopped by its pid afterwards."""
    add_brief(scratch / "notebooks" / f"{NOTEBOOK}.ipynb")
    home = tmp_path / "jupyter"  # the reader's own Jupyter settings must not change what the test sees
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # no request to the news feed or for updates: the machine has no network, and a reader's toast is noise
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), IPYTHONDIR=str(home / "ipython"))
    log = open(tmp_path / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--no-browser",
         f"--ServerApp.root_dir={scratch}", f"--LabApp.user_settings_dir={home / 'settings'}",
         f"--LabApp.workspaces_dir={home / 'workspaces'}", "--LabApp.extension_manager=readonly"]
        + (["--allow-root"] if os.geteuid() == 0 else []),  # CI runs as root in a container
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=scratch)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            log_text = (tmp_path / "jupyterlab.log").read_text()
            assert proc.poll() is None, f"JupyterLab exited: {log_text[-2000:]}"
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"JupyterLab did not answer within {START_S} s"
            time.sleep(0.5)
        yield base, token, scratch
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)  # the server shuts its kernels down before it exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def page():
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium; set CHROMIUM to "
                    "another)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("TECHDUEL_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_notebook(page, base: str, token: str):
    """Open the thread notebook as a reader would, by its URL; return its panel once its kernel is idle. The
    project kernel must be chosen from the notebook's metadata: no dialog may ask which kernel to use."""
    page.set_default_timeout(60_000)
    page.goto(f"{base}/lab/tree/notebooks/{NOTEBOOK}.ipynb?token={token}")
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.locator(".jp-Cell").first.wait_for()
    # until a kernel is up and idle, or a dialog asks something (which would keep it from starting)
    page.wait_for_function("""() => {
        if (document.querySelector('.jp-Dialog')) return true;
        const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        const name = nb && nb.querySelector('.jp-KernelName');
        const s = nb && nb.querySelector('.jp-Notebook-ExecutionIndicator');
        return name && !/^(No Kernel|Kernel)?$/.test(name.textContent.trim()) && s
            && s.getAttribute('data-status') === 'idle';
    }""", timeout=START_S * 1000)
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
    assert notebook.locator(".jp-KernelName").inner_text().strip() == "Python 3 (techduel)"

    return notebook


def test_a_reader_changes_an_assumption_runs_all_and_reads_the_verdicts(lab, page, tmp_path):
    base, token, root = lab
    notebook = open_notebook(page, base, token)

    # change the first date shown, as a reader would: in the parameters cell's editor
    editor = notebook.locator(".jp-Cell").nth(2).locator(".cm-content")
    assert editor.inner_text().startswith('start: str = "2016-01-01"')
    editor.locator(".cm-line").first.click()
    page.keyboard.press("Home")
    for _ in range(len('start: str = "')):
        page.keyboard.press("ArrowRight")
    for _ in range(len("2016-01-01")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.type("2020-01-01")
    assert editor.inner_text().startswith('start: str = "2020-01-01"  # first date shown')

    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    code_cells = notebook.locator(".jp-CodeCell")
    # the committed outputs carry numbered prompts already: wait for the queue ([*]) to form, then to drain
    # (after an error the rest of the queue is dropped, so 'drained' is the end either way)
    prompts = """() => [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent)"""
    page.wait_for_function(f"() => ({prompts})().some(t => t.includes('*'))", timeout=30_000)
    page.wait_for_function(f"""() => {{
        const s = document.querySelector(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
        return !({prompts})().some(t => t.includes('*')) && s.getAttribute('data-status') === 'idle';
    }}""", timeout=RUN_S * 1000)
    page.screenshot(path=str(shots(tmp_path) / "jupyterlab-after-run-all.png"))

    # text content, not inner text: JupyterLab skips rendering off-screen cells (content-visibility)
    outputs = notebook.locator(".jp-OutputArea-output").all_text_contents()
    errors = [t[:300] for t in outputs if "Traceback" in t or "Error" in t.split("\n")[0]]
    assert outputs and not errors, f"a cell shows an error: {errors}"
    shown = [t for t in outputs if " measures between 2020-01-01 and 2025-12-31" in t]
    assert shown, "the changed start date did not reach the table's caption"
    # the long table became an itables table: sort and filter, from the bundle the run embedded (no network)
    notebook.locator(".td-table .dt-container input[type=search]").first.wait_for(state="attached", timeout=30_000)
    brief = notebook.locator(".td-brief")
    notebook.locator(".jp-Cell").first.click()  # back to the top, where the reader sees the block
    brief.scroll_into_view_if_needed()
    brief.wait_for(state="visible")
    page.wait_for_timeout(1000)  # off-screen cells are painted lazily; the picture is for people, not asserts
    page.screenshot(path=str(shots(tmp_path) / "jupyterlab-in-brief.png"))
    text = brief.inner_text()
    assert "judged below" not in text

    # save (Ctrl+S) and read back what the reader has: the labels shown are the verdicts the run recorded
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
                           timeout=30_000)
    from techduel import claims

    saved = root / "notebooks" / f"{NOTEBOOK}.ipynb"
    nb = json.loads(saved.read_text(encoding="utf-8"))
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    verdicts = claims.read_verdicts([saved])
    assert len(verdicts) == 6 and code_cells.count() == sum(c["cell_type"] == "code" for c in nb["cells"])
    lines = {line.split()[0]: line for line in text.splitlines() if line[:1] == "C"}
    for _, v in verdicts.iterrows():
        assert v["verdict"] in lines[v["claim_id"]], (v["claim_id"], v["verdict"], text)


def test_opening_a_committed_notebook_leaves_it_unchanged(lab, page):
    base, token, _ = lab
    open_notebook(page, base, token)
    page.wait_for_timeout(2000)  # the kernel's info has arrived (the kernel is idle); let the model settle
    assert page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 0, "opening marked it dirty"
