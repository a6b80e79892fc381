"""techduel.maps: the stored Natural Earth layers, the geometry that cut them, and the drawing."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from techduel import data, maps, plotting

# corners and collinear midpoints
SQUARE = [(0, 0), (1, 0), (2, 0), (2, 1), (2, 2), (1, 2), (0, 2), (0, 1), (0, 0)]


def test_simplify_drops_only_vertices_within_the_tolerance():
    out = maps.simplify(SQUARE, 0.01)
    assert [tuple(p) for p in out] == [(0, 0), (2, 0), (2, 2), (0, 2), (0, 0)]
    bump = [(0, 0), (1, 0.3), (2, 0), (2, 2), (0, 2), (0, 0)]
    assert (1, 0.3) in [tuple(p) for p in maps.simplify(bump, 0.2)]  # 0.3 off the line: kept
    assert (1, 0.3) not in [tuple(p) for p in maps.simplify(bump, 0.5)]
    with pytest.raises(ValueError, match="tolerance"):
        maps.simplify(SQUARE, -1)


def test_clip_keeps_the_part_inside_the_box():
    part = maps.clip(SQUARE, (1, 5, -1, 5))  # the right half survives
    assert maps.signed_area(part) == pytest.approx(2.0)
    assert part[:, 0].min() == 1
    assert maps.clip(SQUARE, (10, 11, 10, 11)).size == 0


def test_orient_keeps_a_hole_empty_when_filled():
    outer = [(0, 0), (0, 4), (4, 4), (4, 0), (0, 0)]  # clockwise, as a file may store it
    hole = [(1, 1), (3, 1), (3, 3), (1, 3), (1, 1)]  # counter-clockwise
    ext, inner = maps.orient([outer, hole])
    assert maps.signed_area(ext) > 0 > maps.signed_area(inner)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    fig = Figure(figsize=(1, 1), dpi=40)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1), xlim=(0, 4), ylim=(0, 4))
    ax.axis("off")
    same_way = hole[::-1]  # wound like the exterior: filled by the non-zero rule unless reoriented
    ax.add_patch(PathPatch(maps._path(maps.Feature({}, [[outer, same_way]])), facecolor="k"))
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    assert pixels[20, 20, 0] == 255 and pixels[35, 5, 0] == 0  # the hole stays white, the ring is black


def test_the_province_layer_is_china_31_divisions_with_names():
    features, src = maps.layer("provinces")
    codes = [f.properties["iso_3166_2"] for f in features]
    assert len(codes) == len(set(codes)) == 31 and all(c.startswith("CN-") for c in codes)
    assert all(f.properties["name_zh"] and f.properties["label_zh"] for f in features)
    registry = set(data.load("sources")["source_id"])
    assert set(src) <= registry and set(maps.layer("land")[1]) <= registry


def test_every_province_named_in_the_site_table_is_on_the_map():
    sites = data.load("edwc/sites")
    names = sorted({p for cell in sites["province"].dropna() for p in cell.split("; ")})
    assert len(maps.province_codes(names)) == len(names)
    with pytest.raises(KeyError, match="Atlantis"):
        maps.province_codes(["Atlantis"])


def test_the_layers_stay_small():
    for row in data.load("geo/layers").itertuples():
        size = (data.resource("geo/layers").package_dir / row.file).stat().st_size
        assert size < 300_000, f"{row.file} is {size} bytes; simplify it more (data/geo/build.py)"
        assert len(maps.layer(row.layer)[0]) == row.features


def test_a_broken_layer_is_refused_with_its_file(scratch):
    path = scratch / "data" / "geo" / "provinces.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][3]["geometry"] = {"type": "Point", "coordinates": [100, 30]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(data.DataError, match=r"data/geo/provinces.geojson: feature 3 .*not a Polygon"):
        maps.layer("provinces")
    with pytest.raises(KeyError, match="no map layer 'rivers'"):
        maps.layer("rivers")


def test_draw_shades_provinces_labels_in_chinese_and_is_byte_stable():
    def render():
        fig, ax = plotting.figure("Map", "longitude", "latitude")
        src = maps.draw(ax, fill={"CN-NX": "#ff0000"}, labels={"CN-NX": None, "CN-GZ": (106.0, 26.0)},
                        frame=(95, 128, 18, 46))
        return fig, ax, src

    fig, ax, src = render()
    assert src == ["ne-50m-land", "ne-50m-admin1"]
    zhongwei = (105.19, 37.51)  # a point in Ningxia, from data/edwc/sites.csv
    red = [p for p in ax.patches if p.get_path().contains_point(zhongwei) and p.get_zorder() == 1]
    assert len(red) == 1 and red[0].get_facecolor()[:3] == (1.0, 0.0, 0.0)
    beijing = (116.41, 39.90)  # Hebei wraps around Beijing: only Beijing's own patch holds the point
    assert len([p for p in ax.patches if p.get_zorder() == 1 and p.get_path().contains_point(beijing)]) == 1
    assert {t.get_text() for t in ax.texts} == {"Ningxia\n宁夏", "Guizhou\n贵州"}
    assert ax.get_xlim() == (95, 128)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = plotting.render_png(fig)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert plotting.render_png(render()[0]) == png
    with pytest.raises(KeyError, match="CN-XX"):
        maps.draw(ax, fill={"CN-XX": "#000000"})


def test_the_stored_layers_are_what_build_makes(tmp_path):
    """Each ring is closed, oriented and rounded as data/geo/build.py writes it."""
    for name in ("provinces", "land"):
        for f in maps.layer(name)[0]:
            for poly in f.polygons:
                for k, ring in enumerate(poly):
                    assert np.array_equal(ring[0], ring[-1])
                    assert (maps.signed_area(ring) > 0) == (k == 0)
                    assert np.array_equal(ring, np.round(ring, 3))


def test_notebook_04_draws_its_map_on_the_provinces_and_cites_them(scratch):
    """The map cell of 04 runs offline, writes nothing to stderr (no glyph or font warnings), and the
    notebook's sources table lists the boundary data. Runs 04 only: it runs on its own (see CODE-HELPERS)."""
    import nbformat

    from conftest import run_notebook
    from techduel import outputs

    run_notebook(scratch, "04_east_data_west_computing")
    nb = nbformat.read(scratch / "build" / "notebooks" / "04_east_data_west_computing.ipynb", as_version=4)
    (i, fig), = [(i, o) for i, o in outputs.figures(nb) if o["metadata"][outputs.FIGURE_KEY]["name"] == "map"]
    cell = nb.cells[i]
    assert "maps.draw" in cell.source and "Natural Earth" in fig["metadata"][outputs.FIGURE_KEY]["source"]
    assert not [o for o in cell.outputs if o.get("name") == "stderr"]
    last = "".join(str(o.get("data", {}).get("text/html", "")) for o in nb.cells[-1].outputs)
    assert "ne-50m-admin1" in last and "ne-50m-land" in last
