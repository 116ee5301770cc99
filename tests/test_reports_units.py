"""Reports: the statistics, the disclosure rules, flags and k-anonymity, without an app."""

from __future__ import annotations

import pytest

from chatsurvey.reports import flags
from chatsurvey.reports.disclosure import (
    DisclosureError,
    grid_layout,
    protect,
    publish_count,
    publish_layout,
    publish_percent,
    recoverable,
)
from chatsurvey.reports.exports import k_anonymise
from chatsurvey.reports.rules import Rules
from chatsurvey.reports.stats import two_proportion_z, wilson
from chatsurvey.reports.tally import Counts

RULES = Rules()


@pytest.mark.parametrize(("positive", "n", "low", "high"), [
    (5, 10, 0.2366, 0.7634),  # symmetric
    (0, 10, 0.0, 0.2775),     # Wilson never leaves 0-100% and is not zero-width at the ends
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
])
def test_wilson_interval_matches_published_values(positive, n, low, high):
    got = wilson(positive, n)
    assert got == pytest.approx((low, high), abs=5e-4)


def test_wilson_refuses_impossible_input():
    with pytest.raises(ValueError):
        wilson(3, 0)
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_two_proportion_z_direction_and_no_variation():
    z, p = two_proportion_z(90, 100, 70, 100)
    assert z > 0 and p < 0.001
    assert two_proportion_z(10, 10, 20, 20) == (0.0, 1.0)


def test_counts_1_to_9_hidden_others_rounded_to_5():
    assert [publish_count(v, RULES) for v in (0, 1, 9, 10, 12, 13, 248)] == \
        [0, None, None, 10, 10, 15, 250]
    assert publish_count(248, RULES, exact=True) == 248


def test_percent_needs_10_answers_and_extremes_need_20():
    assert publish_percent(5, 9, RULES).reason == "few"
    shown = publish_percent(5, 10, RULES)
    assert (shown.value, shown.low, shown.high) == (50, 24, 76)
    assert publish_percent(15, 15, RULES).reason == "hidden"   # 100% of a small group
    assert publish_percent(0, 19, RULES).reason == "hidden"
    assert publish_percent(20, 20, RULES).value == 100


def test_secondary_suppression_protects_a_lone_small_cell():
    layout = grid_layout([[30, 4], [40, 50]])
    hidden = protect(layout, RULES)
    assert ("c", 0, 1) in hidden
    assert len(hidden) >= 4          # a lone hidden cell in a row would be recoverable
    assert not recoverable(layout, hidden)


def test_secondary_suppression_sees_through_chains():
    # Two small cells in different rows and columns: "two hidden per row and column" is
    # not enough when the hidden cells' sums still pin each one down.
    layout = grid_layout([[3, 20, 30], [25, 5, 40], [33, 44, 55]])
    hidden = protect(layout, RULES)
    assert {("c", 0, 0), ("c", 1, 1)} <= hidden
    assert not recoverable(layout, hidden)


def test_recoverable_finds_a_cell_a_total_gives_away():
    layout = grid_layout([[30, 4], [40, 50]])
    assert recoverable(layout, {("c", 0, 1)}) == {("c", 0, 1)}


def test_one_small_cell_under_a_fixed_total_cannot_be_protected():
    layout = grid_layout([[4]], row_totals=False, col_totals=False)
    with pytest.raises(DisclosureError):
        protect(layout, RULES)


def test_published_layout_rounds_all_but_the_fixed_total():
    shown = publish_layout(grid_layout([[31, 42], [43, 54]]), RULES)
    assert shown[("t",)] == 170
    assert shown[("c", 0, 0)] == 30 and shown[("r", 0)] == 75


def test_flags_need_20_answers_on_both_sides():
    assert flags.against_others(Counts(19, 19, 0), Counts(1000, 500, 0), RULES) == \
        flags.NOT_COMPARED
    assert flags.against_others(Counts(100, 90, 0), Counts(1000, 600, 0), RULES) == flags.BRIGHT
    assert flags.against_others(Counts(100, 40, 0), Counts(1000, 600, 0), RULES) == flags.IMPROVE
    assert flags.against_others(Counts(100, 62, 0), Counts(1000, 600, 0), RULES) == flags.SIMILAR


def test_general_population_flag_uses_the_whole_interval():
    assert flags.against_general(Counts(100, 50, 0), 0.9, RULES) == flags.IMPROVE
    assert flags.against_general(Counts(100, 88, 0), 0.9, RULES) == flags.SIMILAR
    assert flags.against_general(Counts(100, 99, 0), 0.8, RULES) == flags.BRIGHT


def test_method_paragraph_states_thresholds_and_chance():
    text = flags.method_text(RULES)
    assert "20 young people" in text and "1 in 20" in text


def _classes(rows, columns):
    from collections import Counter
    return Counter(tuple(r.get(c, "") for c in ("age_band", *columns)) for r in rows)


def test_k_anonymity_blanks_rare_answers_and_keeps_common_ones():
    rows = ([{"age_band": "11-18", "gender": "female", "placement_type": "foster_care"}] * 30 +
            [{"age_band": "11-18", "gender": "male", "placement_type": "foster_care"}] * 30 +
            [{"age_band": "11-18", "gender": "another_way", "placement_type": "residential"}] * 2)
    rows = [dict(r) for r in rows]
    kept, notes = k_anonymise(rows, ["gender", "placement_type"], 10, {})
    assert kept == ["gender", "placement_type"]
    assert all(n >= 10 for n in _classes(rows, kept).values())
    assert not any(r["gender"] == "another_way" for r in rows)
    assert notes


def test_k_anonymity_releases_nothing_below_k_rows():
    rows = [{"age_band": "4-7", "gender": "female"} for _ in range(9)]
    k_anonymise(rows, ["gender"], 10, {})
    assert rows == []
