"""A reader's table that sorts and filters, offline: itables (DataTables) over the static table.

The HTML table stays what a git host or an untrusted notebook shows (no JavaScript runs there); where scripts
run (JupyterLab after a run, the site), itables enhances that same table in place: a search box, sorting by
any column (numbers by the exact value each cell carries in ``data-order``, not by their text), pages of rows.
itables' offline bundle (about 1 MB, base64) is embedded once per notebook, with the first such table of the
kernel; later tables wait for it. Nothing is fetched: no CDN, no network.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

from itables import javascript as _itables
from itables import options as _options

READY_EVENT = _itables._itables_ready_event()
_GLOBAL = _itables._itables_underscore_version()
# DataTables' options: pages of 25 rows (all on demand), no width fixed while a folded table is hidden.
OPTIONS = {"pageLength": 25, "lengthMenu": [[10, 25, 100, -1], [10, 25, 100, "all"]], "autoWidth": False,
           "order": [], "language": {"search": "Filter rows:"}}
_sent: tuple | bool = False  # the bundle went out with an earlier table: (cell id, table id, message id)


def order_value(v) -> str:
    """A number as DataTables sorts it, in plain digits (``3800000000000000000000000``, never ``3.8e+24``, which
    a reader or a test would take for scientific notation); blank for a missing value."""
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and
                                                                               not math.isfinite(v)):
        return ""
    text = format(Decimal(repr(v)) if isinstance(v, float) else Decimal(v), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def loader() -> str:
    """itables' offline loader (what ``init_notebook_mode(connected=False)`` displays) without its notice for
    untrusted notebooks: the bundle as base64, imported from a blob, announced by READY_EVENT."""
    page = _itables.generate_init_offline_itables_html(_options.dt_bundle)
    return page.split('\n<div style="vertical-align:middle', 1)[0]


def script(table_id: str) -> str:
    """The bundle the first time in this kernel, then the few lines that turn table ``table_id`` into an
    itables table once the bundle is ready."""
    global _sent
    cell, run = _cell()
    here = (cell, table_id, run)
    again = bool(_sent) and ((cell is not None and cell == _sent[0]) or table_id == _sent[1]) and (
        run is None or run != _sent[2])  # a later run of that cell, not a second table of the same run
    head = loader() if not _sent or again else ""
    if head:
        _sent = here  # the cell that carries it: re-running that cell must carry it again
    enhance = (
        '<script type="module">(() => {'
        f'const go = async () => {{ const {{ ITable }} = await window.{_GLOBAL};'
        f' const t = document.getElementById({json.dumps(table_id)});'
        f' if (t && !t.classList.contains("dataTable")) new ITable(t, {json.dumps(OPTIONS, sort_keys=True)}); }};'
        f' if (window.{_GLOBAL}) go(); else window.addEventListener({json.dumps(READY_EVENT)}, go, {{ once: true }});'
        '})();</script>')
    return head + enhance


def _cell() -> tuple[str | None, str | None]:
    """The id of the notebook cell being run (when the front end sends it: JupyterLab does) and of the
    request that runs it."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        parent = shell.kernel.get_parent() if hasattr(shell.kernel, "get_parent") else shell.parent_header
        parent = parent or {}
        return parent.get("metadata", {}).get("cellId"), parent.get("header", {}).get("msg_id")
    except Exception:  # no kernel (a script, a test): the table id alone says which output carries the bundle
        return None, None
