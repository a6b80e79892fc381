"""Cut the map layers in this folder from Natural Earth's 1:50m GeoJSON (public domain); run once, offline.

    python data/geo/build.py ne_50m_admin_1_states_provinces.geojson ne_50m_land.json

provinces.geojson: the 31 provincial-level divisions of China in the admin-1 layer (adm0_a3 CHN), with
their ISO 3166-2 code, English and Chinese names and Natural Earth's label point. land.geojson: the land
layer clipped to the map frame, drawn grey under them. Both are simplified (Douglas-Peucker) and rounded,
which moves no line by more than about 1 km at 1:50m, far below a pixel of the map.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from techduel import maps

HERE = Path(__file__).resolve().parent
TOLERANCE = {"provinces": 0.01, "land": 0.02}  # degrees
DECIMALS = 3
BOX = (60.0, 150.0, 5.0, 60.0)  # land kept: wider than the drawn frame, so edges never show
SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def polygons(geom):
    return [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]


def shrink(polys, tolerance, box=None):
    out = []
    for poly in polys:
        rings = []
        for k, ring in enumerate(poly):
            r = maps.clip(ring, box) if box else np.asarray(ring, float)
            r = np.round(maps.simplify(r, tolerance), DECIMALS) if len(r) else r
            if len(r) >= 4 and abs(maps.signed_area(r)) > tolerance ** 2:
                rings.append(r)
            elif k == 0:
                break  # an exterior too small to draw takes its holes with it
        if rings:
            out.append([r.tolist() for r in maps.orient(rings)])
    return out


def short_zh(name: str) -> str:
    """Map label: 宁夏回族自治区 -> 宁夏, 四川省 -> 四川 (the administrative suffix dropped)."""
    return next((name[: -len(s)] for s in SUFFIXES if name.endswith(s) and len(name) > len(s) + 1), name)


def write(name, features):
    doc = {"type": "FeatureCollection", "name": name, "features": features}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace('{"geometry"', '\n{"geometry"') + "\n"  # one feature a line, for readable diffs
    (HERE / f"{name}.geojson").write_text(text, encoding="utf-8")


def main(admin1: str, land: str) -> None:
    provinces = []
    for f in json.loads(Path(admin1).read_text(encoding="utf-8"))["features"]:
        p = f["properties"]
        if p["adm0_a3"] != "CHN":
            continue
        props = {"iso_3166_2": p["iso_3166_2"], "name": p["name"], "name_en": p["name_en"],
                 "name_zh": p["name_zh"], "label_zh": short_zh(p["name_zh"]), "adm1_code": p["adm1_code"],
                 "ne_id": p["ne_id"], "label_lon": round(p["longitude"], 2),
                 "label_lat": round(p["latitude"], 2)}
        rings = shrink(polygons(f["geometry"]), TOLERANCE["provinces"])
        provinces.append({"type": "Feature", "properties": props,
                          "geometry": {"type": "MultiPolygon", "coordinates": rings}})
    provinces.sort(key=lambda f: f["properties"]["iso_3166_2"])
    write("provinces", provinces)
    pieces = []
    for f in json.loads(Path(land).read_text(encoding="utf-8"))["features"]:
        pieces += shrink(polygons(f["geometry"]), TOLERANCE["land"], BOX)
    write("land", [{"type": "Feature", "properties": {"name": "land"},
                    "geometry": {"type": "MultiPolygon", "coordinates": pieces}}])


if __name__ == "__main__":
    main(*sys.argv[1:3])
