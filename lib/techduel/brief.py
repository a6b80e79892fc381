"""The "in brief" block: every verdict of a notebook at its top, before the evidence.

A reader should meet the conclusions first (as Full Fact puts them), but a notebook can only compute a verdict
after its evidence. So :func:`show` displays the block with a display id right after the question, and every
:func:`techduel.claims.verdict` updates it in place. Jupyter keeps the updated block where it was first shown:
JupyterLab redraws it live, and nbclient (papermill, the runner, ``refresh``) rewrites the stored output, so the
committed notebook on a git host and the site show the final block at the top. nbval re-executes cell by cell
and sees only the first version, so the cell is tagged ``nbval-ignore-output``; a test checks the stored block
against the recorded verdicts instead.
"""

from __future__ import annotations

import html

BRIEF = "application/vnd.techduel.brief+json"

_state: dict = {"id": None, "rows": {}}


def show(thread: str) -> None:
    """Display the block for ``thread``'s ledger claims; the verdicts below fill it in."""
    from IPython.display import display

    from . import claims

    led = claims.ledger()
    led = led[led["thread"] == thread]
    _state["id"] = f"td-brief-{thread}"
    _state["rows"] = {r["claim_id"]: {"claim_id": r["claim_id"], "claim": r["claim"], "verdict": None,
                                      "conclusion": "", "strength": "", "robust": ""} for _, r in led.iterrows()}
    display(_bundle(), raw=True, display_id=_state["id"])


def record(payload: dict) -> None:
    """Called by every verdict: fill its row and redraw the block (nothing when no block is shown)."""
    if _state["id"] is None or payload["claim_id"] not in _state["rows"]:
        return
    from IPython.display import update_display

    row = _state["rows"][payload["claim_id"]]
    row.update(verdict=payload["verdict"], conclusion=payload["conclusion"], strength=payload["strength"],
               robust=_marker(payload))
    update_display(_bundle(), raw=True, display_id=_state["id"])


def _marker(payload: dict) -> str:
    """A compact robustness marker ("robust", "depends on rental_price"); none when not assessed."""
    from .robustness_shown import short

    status = payload.get("robustness", "")
    return short(status, payload.get("robustness_on", "")) if status in ("robust", "sensitive") else ""


def _bundle() -> dict:
    rows = list(_state["rows"].values())
    return {BRIEF: {"rows": rows}, "text/plain": _text(rows), "text/html": _html(rows)}


def _text(rows: list[dict]) -> str:
    lines = ["IN BRIEF"]
    for r in rows:
        if r["verdict"] is None:
            lines.append(f"{r['claim_id']}: (judged below) {r['claim']}")
        else:
            robust = f" [{r['robust']}]" if r.get("robust") else ""
            lines.append(f"{r['claim_id']}: {r['verdict'].upper()} ({r['strength']}){robust} {r['conclusion']}")
    return "\n".join(lines)


def _html(rows: list[dict]) -> str:
    from .claims import COLOURS

    e = html.escape
    items = []
    for r in rows:
        cid = e(r["claim_id"])
        if r["verdict"] is None:
            label, text = "judged below", e(r["claim"])
            colour = "#DDDDDD"
        else:
            label, text, colour = e(r["verdict"]), e(r["conclusion"]), COLOURS[r["verdict"]]
        strength = f' <span class="td-strength">({e(r["strength"])})</span>' if r["strength"] else ""
        if r.get("robust"):
            strength += f' <span class="td-robust">[{e(r["robust"])}]</span>'
        items.append(f'<li><a href="#{cid}">{cid}</a> '
                     f'<span class="td-label" style="background:{colour};color:#000;padding:0 0.4em;'
                     f'border-radius:3px">{label}</span>{strength} {text}</li>')
    return (f'<div class="td-brief tex2jax_ignore mathjax_ignore"><p><strong>In brief</strong></p>'
            f'<ul style="list-style:none;padding-left:0">{"".join(items)}</ul></div>')
