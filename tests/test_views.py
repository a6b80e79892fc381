"""A view (what is shown: dates, kinds, display options) never moves a verdict: every notebook run with all its
view parameters changed to other allowed values gives every claim the label it has at the defaults."""

from __future__ import annotations

import pytest

from techduel.build import params, robustness, runner

CELL = ('start: int = 2015  # first year shown (range: 2010..2025) (role: view)\n'
        'basis: str = "a"  # which basis (choices: a, b) (role: assumption)\n')


def test_the_check_finds_a_view_that_moves_a_verdict():
    declared = params.parse(CELL)
    run = lambda os_: [{"C1": "mixed" if o.get("start", 2015) > 2016 else "accurate", "C2": "accurate"} for o in os_]
    changed, diff = robustness.view_changes(declared, run)
    assert set(changed) == {"start"} and changed["start"] != 2015
    assert diff == {"C1": ("accurate", "mixed")}


def test_the_check_passes_when_only_assumptions_move_verdicts():
    declared = params.parse(CELL)
    run = lambda os_: [{"C1": "false" if o.get("basis") == "b" else "accurate"} for o in os_]
    assert robustness.view_changes(declared, run)[1] == {}


WITH_VIEWS = [nb.stem for nb in runner.discover() if not nb.is_overview
              and any(p.role == "view" for p in nb.parameters())]


@pytest.mark.parametrize("stem", WITH_VIEWS)
def test_changing_every_view_changes_no_verdict(scratch, stem):
    (nb,) = runner.select([stem])
    outcomes, done = [], []
    run = robustness.notebook_runner(nb, scratch / "build" / "views" / stem, 1, False, lambda *_: None,
                                     outcomes, done)
    try:
        changed, diff = robustness.view_changes(nb.parameters(), run)
    except RuntimeError as exc:
        pytest.fail(f"{stem}: {exc}: " + "; ".join(o.error for o in outcomes if o.status == "failed"))
    assert changed, f"{stem} declares views but none could be changed"
    assert not diff, f"{stem}: changing the views {changed} moved verdicts (claim: default -> changed): {diff}"
