"""China's provincial-level divisions under a figure's points, from Natural Earth (public domain).

A scatter of coordinates says little to a reader who cannot place it; provinces and a coastline do. The
boundaries live in ``data/geo/`` as two small GeoJSON layers cut from Natural Earth's 1:50m data and
simplified (``data/geo/layers.csv`` names each file and its source; ``data/geo/build.py`` made them), so a
map needs neither a download nor a GIS library: rings become matplotlib paths. The lines are Natural Earth's
(de facto control, its default view), shown for orientation only, not as a statement on any boundary.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from . import data, paths
from .build import trace

LAND_COLOUR = "#eeeeee"  # land outside the provinces drawn: no borders, no names
PROVINCE_COLOUR = "#fafafa"
EDGE_COLOUR = "#9a9a9a"
FRAME = (73.0, 135.5, 17.5, 54.0)  # lon min, lon max, lat min, lat max: the whole of China


@dataclass(frozen=True)
class Feature:
    properties: dict
    polygons: list[list[np.ndarray]]  # each polygon: exterior ring, then holes; rings as (n, 2) lon/lat


# --- geometry (pure; used by data/geo/build.py and by the drawing) ---------------------------------------

def signed_area(ring) -> float:
    """Shoelace area in square degrees; positive when the ring runs counter-clockwise."""
    xy = np.asarray(ring, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def orient(polygon: list) -> list[np.ndarray]:
    """Exterior counter-clockwise, holes clockwise: matplotlib fills by the non-zero winding rule, so this is
    what keeps a hole (Beijing and Tianjin inside Hebei, say) empty."""
    out = []
    for i, ring in enumerate(polygon):
        ring = np.asarray(ring, dtype=float)
        ccw = signed_area(ring) > 0
        out.append(ring if ccw == (i == 0) else ring[::-1])
    return out


def simplify(ring, tolerance: float) -> np.ndarray:
    """Douglas-Peucker: drop the vertices that lie within ``tolerance`` degrees of the line kept, so a layer
    keeps its shape at map scale in a fraction of the bytes. The ring stays closed; it may come back with
    fewer than 4 points, which the caller drops as too small to draw."""
    pts = np.asarray(ring, dtype=float)
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    if len(pts) < 3:
        return pts.copy()
    keep = np.zeros(len(pts), dtype=bool)
    keep[[0, -1]] = True
    if np.array_equal(pts[0], pts[-1]):  # a closed ring: split it at the vertex farthest from its start
        far = int(np.argmax(np.hypot(*(pts[:-1] - pts[0]).T)))
        keep[far] = True
        stack = [(0, far), (far, len(pts) - 1)]
    else:
        stack = [(0, len(pts) - 1)]
    while stack:  # bounded: every pass marks a new vertex or retires a span
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = pts[a + 1:b]
        p, q = pts[a], pts[b]
        d = q - p
        norm = math.hypot(*d)
        dist = (np.abs(d[0] * (seg[:, 1] - p[1]) - d[1] * (seg[:, 0] - p[0])) / norm if norm
                else np.hypot(*(seg - p).T))
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            keep[a + 1 + i] = True
            stack += [(a, a + 1 + i), (a + 1 + i, b)]
    return pts[keep]


def clip(ring, box: tuple[float, float, float, float]) -> np.ndarray:
    """Sutherland-Hodgman clip of a ring to ``box`` (lon min, lon max, lat min, lat max). A ring that leaves
    the box comes back running along its edge, which fills correctly; one wholly outside comes back empty."""
    x0, x1, y0, y1 = box
    pts = [tuple(p) for p in np.asarray(ring, dtype=float)]
    if pts and pts[0] == pts[-1]:
        pts = pts[:-1]
    edges = [(lambda p: p[0] >= x0, 0, x0), (lambda p: p[0] <= x1, 0, x1),
             (lambda p: p[1] >= y0, 1, y0), (lambda p: p[1] <= y1, 1, y1)]
    for inside, axis, value in edges:
        if not pts:
            break
        out = []
        for k, cur in enumerate(pts):
            prev = pts[k - 1]
            if inside(cur) != inside(prev):
                t = (value - prev[axis]) / (cur[axis] - prev[axis])
                out.append(tuple(prev[j] + t * (cur[j] - prev[j]) if j != axis else value for j in (0, 1)))
            if inside(cur):
                out.append(cur)
        pts = out
    if len(pts) < 3:
        return np.empty((0, 2))
    return np.vstack([np.array(pts), np.array(pts[:1])])


# --- the stored layers ----------------------------------------------------------------------------------

def layer(name: str) -> tuple[list[Feature], list[str]]:
    """The features of layer ``name`` of ``data/geo/layers.csv`` and the source ids it comes from.

    A file that is not a FeatureCollection of (Multi)Polygons with lon/lat coordinates is refused with its
    name and the feature at fault, never drawn half."""
    table = data.load("geo/layers")
    row = table[table["layer"] == name]
    if row.empty:
        raise KeyError(f"no map layer '{name}' in data/geo/layers.csv; known: {', '.join(table['layer'])}")
    row = row.iloc[0]
    path = paths.data_dir() / "geo" / row["file"]
    trace.note(path)
    rel = f"data/geo/{row['file']}"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise data.DataError(rel, f"cannot read the layer: {exc}", rule="geojson") from exc
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise data.DataError(rel, "not a GeoJSON FeatureCollection", rule="geojson")
    features = []
    for i, f in enumerate(doc["features"]):
        geom = (f or {}).get("geometry") or {}
        kind, coords = geom.get("type"), geom.get("coordinates")
        where = f"feature {i} ({(f.get('properties') or {}).get('name', 'unnamed')})"
        if kind not in ("Polygon", "MultiPolygon") or not coords:
            raise data.DataError(rel, f"{where}: geometry is {kind!r}, not a Polygon or MultiPolygon",
                                 rule="geojson")
        polys = [coords] if kind == "Polygon" else coords
        try:
            rings = [[np.asarray(r, dtype=float).reshape(-1, 2) for r in poly] for poly in polys]
        except (TypeError, ValueError) as exc:
            raise data.DataError(rel, f"{where}: coordinates are not lon/lat pairs ({exc})",
                                 rule="geojson") from exc
        for poly in rings:
            for r in poly:
                bad = ~np.isfinite(r).all(axis=1) | (np.abs(r[:, 0]) > 180) | (np.abs(r[:, 1]) > 90)
                if len(r) < 4 or bad.any():
                    raise data.DataError(rel, f"{where}: a ring has fewer than 4 points or a point off the "
                                         "globe", rule="geojson")
        features.append(Feature(f.get("properties") or {}, rings))
    return features, list(row["source_ids"])


def province_codes(names) -> dict[str, str]:
    """ISO 3166-2 code of each province named in English as ``data/edwc/sites.csv`` names them
    ("Inner Mongolia", "Beijing"); an unknown name is an error, not a silently unshaded province."""
    by_name = {f.properties["name_en"]: f.properties["iso_3166_2"] for f in layer("provinces")[0]}
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise KeyError(f"no province named {', '.join(unknown)} in data/geo/provinces.geojson")
    return {n: by_name[n] for n in names}


def _path(feature: Feature) -> Path:
    verts, codes = [], []
    for poly in feature.polygons:
        for ring in orient(poly):
            verts.append(ring)
            codes += [Path.MOVETO] + [Path.LINETO] * (len(ring) - 2) + [Path.CLOSEPOLY]
    return Path(np.concatenate(verts), codes)


def draw(ax, *, fill: dict[str, str] | None = None, labels: dict | None = None,
         frame: tuple[float, float, float, float] = FRAME) -> list[str]:
    """Draw other land, then China's provinces under whatever the axes show next: ``fill`` colours some by
    ISO 3166-2 code; ``labels`` maps codes to a (lon, lat) for their English and Chinese names, or to None for
    Natural Earth's label point (move a name off a marker). The axes get equal kilometres per degree at the
    frame's middle latitude. Returns the source ids of the layers drawn, for the figure's source line."""
    fill, labels = fill or {}, dict(labels or {})
    land, land_src = layer("land")
    provinces, prov_src = layer("provinces")
    codes = {f.properties["iso_3166_2"] for f in provinces}
    unknown = sorted((set(fill) | set(labels)) - codes)
    if unknown:
        raise KeyError(f"no province with code {', '.join(unknown)} in data/geo/provinces.geojson")
    drawn = paths.mode() != "verdicts"  # a robustness run is read for its verdicts: no outline is drawn
    for f in land if drawn else []:
        ax.add_patch(PathPatch(_path(f), facecolor=LAND_COLOUR, edgecolor="none", zorder=0.5))
    for f in provinces if drawn else []:
        code = f.properties["iso_3166_2"]
        ax.add_patch(PathPatch(_path(f), facecolor=fill.get(code, PROVINCE_COLOUR), edgecolor=EDGE_COLOUR,
                               linewidth=0.5, zorder=1))
        if code in labels:
            at = labels[code] or (f.properties["label_lon"], f.properties["label_lat"])
            name = f"{f.properties['name_en']}\n{f.properties['label_zh']}"
            ax.annotate(name, at, ha="center", va="center", fontsize=7, color="#666666", zorder=2)
    x0, x1, y0, y1 = frame
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    ax.set_facecolor("#ffffff")
    ax.grid(False)
    return list(dict.fromkeys(land_src + prov_src))
