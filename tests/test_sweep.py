"""Sweeps: every combination gets its own stable file, however long its values; duplicates are refused."""

from __future__ import annotations

import csv

import pytest

from conftest import REPO, cli, tiny
from techduel.build import params, sweep




def test_slug_is_distinct_stable_and_readable():
    long_a, long_b = {"s": "x" * 200 + "a"}, {"s": "x" * 200 + "b"}
    assert params.slug(long_a) != params.slug(long_b)  # cut to 150 characters, these used to be one name
    assert params.slug({"s": "a b"}) != params.slug({"s": "a_b"})  # and so did values that differ in a symbol
    assert params.slug(long_a) == params.slug(dict(long_a))  # the same combination, the same name, every run
    assert params.slug({"x": 3, "k": ["a", "b"]}).startswith("x=3__k=a+b-")
    assert max(len(params.slug(c)) for c in (long_a, long_b)) <= 120


def test_duplicate_values_are_refused():
    (x,) = params.parse("x: float = 1.0  # a number\n")
    with pytest.raises(params.ParameterError, match="sweep of 'x' names 1.0 twice"):
        sweep.parse_axes(["x=1,2,1.0"], [x], "nb")


def test_a_sweep_of_long_values_keeps_one_row_and_one_file_per_value(scratch):
    tiny(scratch / "notebooks" / "15_long.ipynb", "from techduel import results\nresults.record('last', s[-1])",
         param='s: str = "a"  # a text')
    values = ["x" * 200 + end for end in "ab"]
    done = cli("sweep", "15_long", "s=" + ",".join(values), "--jobs", "1", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    base = scratch / "build" / "sweeps" / "15_long"
    rows = list(csv.DictReader(open(base / "s.csv", encoding="utf-8")))
    assert [(r["s"], r["status"], r["last"]) for r in rows] == [(values[0], "ok", "a"), (values[1], "ok", "b")]
    assert len(list((base / "runs").glob("*.ipynb"))) == 2


def test_a_sweep_with_a_duplicate_value_exits_2_before_any_kernel(scratch):
    done = cli("sweep", "06_sanctions_timeline", "start=2016-01-01,2020-01-01,2016-01-01", env_root=scratch)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "sweep of 'start' names 2016-01-01 twice" in done.stderr
    assert not (scratch / "build").exists()


def test_a_sweep_table_shows_each_label_units_and_rounded_values_and_skips_flat_figures(scratch):
    body = ("from techduel import outputs, results\n"
            "results.record('length', x * 1234.5678, 'm')\n"
            "results.record('fixed', 7, 't')\n"
            "label = 'accurate' if x < 2 else 'false'\n"
            "payload = {'claim_id': 'C999', 'verdict': label, 'strength': 'confirmed'}\n"
            "outputs.emit(outputs.VERDICT, payload, label)")
    tiny(scratch / "notebooks" / "15_units.ipynb", body,
         param="x: float = 1.0  # a distance in km (range: 0..10)")
    done = cli("sweep", "15_units", "x=1,3", "--jobs", "1", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    base = scratch / "build" / "sweeps" / "15_units"
    rows = list(csv.DictReader(open(base / "x.csv", encoding="utf-8")))
    assert [r["C999_label"] for r in rows] == ["accurate", "false"]  # a verdict that moves is seen moving
    assert float(rows[0]["length"]) == pytest.approx(1234.5678)  # the CSV keeps exact values
    shown = (base / "x.md").read_text(encoding="utf-8")
    assert shown.splitlines()[0] == "| x (km) | status | C999 label | length (m) |"
    assert "| 1 | ok | accurate | 1,235 |" in shown and "| 3 | ok | false | 3,704 |" in shown
    assert "The same in every run: fixed = 7 t." in shown
    assert shown.strip() in done.stdout  # the command prints the table it wrote
    assert sorted(p.name for p in base.glob("*.png")) == ["x__length.png"]  # no flat line for 'fixed'


def test_a_sweep_of_a_thread_notebook_tabulates_its_verdicts(scratch):
    # a committed summary that would call C045 robust: a sweep's runs are not the canonical inputs
    (scratch / "notebooks" / "robustness.csv").write_text(
        "notebook,claim,status,assumption,value,threshold,threshold_low,threshold_high,from_label,to_label,sentence\n"
        "06_sanctions_timeline,C045,robust,,,,,,false,,holds across all assumptions\n", encoding="utf-8")
    done = cli("sweep", "06_sanctions_timeline", "start=2016-01-01,2024-01-01", "--jobs", "1",
               env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    base = scratch / "build" / "sweeps" / "06_sanctions_timeline"
    rows = list(csv.DictReader(open(base / "start.csv", encoding="utf-8")))
    labels = [c for c in rows[0] if c.endswith("_label")]
    assert labels == [f"C0{n}_label" for n in range(44, 50)]
    from techduel import claims

    for row, run in zip(rows, sorted((base / "runs").glob("*.ipynb"))):
        recorded = claims.read_verdicts([run]).set_index("claim_id")["verdict"]
        assert {c: row[f"{c}_label"] for c in recorded.index} == recorded.to_dict()
        notes = set(claims.read_verdicts([run])["robustness_note"])
        assert notes == {"not assessed for these parameters"}
    # the window changes what is shown, not the record the verdicts rest on: only that figure is drawn
    assert [p.name for p in base.glob("*.png")] == ["start__measures_shown.png"]
    assert "measures_shown (measures)" in (base / "start.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("value, shown", [(5576000.0, "5,576,000"), (0.173121, "0.1731"), (25.0, "25"),
                                          (3.14159, "3.142"), (12, "12"), (1234567, "1,234,567"), (None, "–"),
                                          (True, "yes"), (0.0, "0"), (-0.5, "-0.5")])
def test_numbers_read_like_numbers(value, shown):
    from techduel.build import report

    assert report.number(value) == shown


def test_parameter_units_come_from_the_help():
    from techduel.build import report

    declared = {p.name: p for nb in ("01_deepseek_training_cost", "02_deepseek_on_small_hardware",
                                     "04_east_data_west_computing", "06_sanctions_timeline")
                for p in params.read(REPO / "notebooks" / f"{nb}.ipynb")}
    # an explicit (unit: ...) wins over a unit word read from the help text
    expected = {"rental_price": "USD per GPU-hour", "electricity_usd_kwh": "USD per kWh", "fibre_km_per_ms": "km per ms",
                "price_west_cny_kwh": "yuan per kWh", "bits_per_weight": "bits", "it_load_mw": "MW",
                "start": None, "pue": None}
    assert {n: report.parameter_unit(declared[n]) for n in expected} == expected
    (p,) = params.parse("r: float = 1.0  # a rate (unit: USD per GPU-hour)\n")
    assert report.parameter_unit(p) == "USD per GPU-hour"
