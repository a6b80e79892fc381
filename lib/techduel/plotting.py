"""One house style for every figure, and the one way a figure leaves a notebook.

A figure is shown through :func:`show`, which (1) adds the source line, (2) renders a byte-stable PNG
(no software/date metadata, fixed DPI), and (3) carries, in the same output, a CSV of exactly the data
plotted plus the alt text, so the site can publish both and a reader can check a chart without running
anything. Figures are built on ``matplotlib.figure.Figure`` rather than pyplot, so nothing is shown twice.
"""

from __future__ import annotations

import base64
import io
import textwrap

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from . import outputs

# Okabe & Ito's colour-blind-safe palette (black last, for annotations).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
DPI = 100

STYLE = {
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "legend.frameon": False,
    "svg.hashsalt": "techduel",
    "savefig.dpi": DPI,
}


def figure(title: str, xlabel: str, ylabel: str, *, size=(9, 5)) -> tuple[Figure, object]:
    """A new figure in the house style, with its title and labelled axes (units in the labels)."""
    if not (title and xlabel is not None and ylabel is not None):
        raise ValueError("every figure needs a title and axis labels")
    matplotlib.rcParams.update(STYLE)  # the kernel draws only house-style figures
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def add_source(fig: Figure, source: str) -> None:
    """The source line under the plot, with room kept for it."""
    fig.text(0.0, 0.0, "\n".join(textwrap.wrap(f"Source: {source}", 150)), fontsize=7.5, color="#555555",
             ha="left", va="bottom", transform=fig.transFigure)
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))


def render_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def show(fig: Figure, name: str, data: pd.DataFrame, *, alt: str, source: str) -> None:
    """Display ``fig`` with its source line, carrying the PNG, the plotted ``data`` and ``alt`` text."""
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"figure name '{name}' may hold only letters, digits, - and _")
    if not alt.strip() or not source.strip():
        raise ValueError(f"figure '{name}' needs alt text and a source line")
    if data.empty:
        raise ValueError(f"figure '{name}' has no data to publish beside it")
    title = next((fig.axes[0].get_title(loc) for loc in ("left", "center") if fig.axes[0].get_title(loc)), name)
    add_source(fig, source)
    png = render_png(fig)
    csv = data.to_csv(index=False, lineterminator="\n")
    meta = {outputs.FIGURE_KEY: {"name": name, "title": title, "alt": alt, "source": source},
            "image/png": {"alt": alt}}
    from IPython.display import display

    display({"image/png": base64.b64encode(png).decode("ascii"), "text/csv": csv,
             "text/plain": f"[figure {name}] {title}"}, raw=True, metadata=meta)
