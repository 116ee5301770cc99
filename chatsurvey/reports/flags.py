"""Bright Spots and areas for improvement: when a difference is big enough to call.

Against other councils (both sides are samples) the pooled two-proportion
z-test decides; against a general-population figure (a fixed number) the
council's Wilson interval must lie wholly on one side of it. Either way a
result is only compared when at least ``min_flag`` young people answered.
"""

from __future__ import annotations

from chatsurvey.reports.rules import Rules
from chatsurvey.reports.stats import normal_two_sided_p, two_proportion_z, wilson
from chatsurvey.reports.tally import Counts

BRIGHT = "bright spot"
IMPROVE = "improve"
SIMILAR = "similar"
NOT_COMPARED = "not compared"
BETTER, WORSE = "better", "worse"

METHOD = (
    "For each question we show the share of your young people who gave"
    " a positive answer, with a range (a 95% confidence interval): the true figure probably lies"
    " in that range, and the fewer young people answered, the wider it is. We compare your"
    " council with young people in other councils taking part (each council's most recent"
    " survey, yours left out) and, where a published figure exists, with young people in"
    " general. A Bright Spot means your young people did better and the gap is too big to be"
    " put down to chance (a standard statistical test at the 95% level); an area for"
    " improvement means they did worse by the same test; \"similar\" means there is no clear"
    " difference. We only compare a result when at least {min_flag} young people answered it,"
    " and show no percentage at all for fewer than {min_cell}. Because dozens of questions are"
    " tested, about 1 in 20 flags could appear by chance alone: read them alongside what you"
    " know, and look for patterns rather than single results. Figures for young people in"
    " general come from other surveys, asked in different words and years, so treat those"
    " comparisons as a guide only. Each one is used only for the ages it is about, and the list"
    " of sources says where it comes from and when its data were collected. Some earlier"
    " Bright Spots reports counted any result the same as or higher than young people in"
    " general as a Bright Spot; this report calls a Bright"
    " Spot only what the test supports, and shows that simpler reading beside it (\"at or"
    " above the general figure\")."
)

RULES = (
    "Keeping young people anonymous: no percentage is shown for fewer than {min_cell} answers;"
    " counts from 1 to {small} are shown as \"c\", and other cells are hidden too where a total"
    " could give them away; counts are rounded to the nearest {round_to} (except the total"
    " number of responses); 0% and 100% are not shown for fewer than {extreme} answers; quotes"
    " are used only after a person has checked them, only from questions at least {min_cell}"
    " young people answered, and never linked to anything but an age band."
)


def method_text(rules: Rules) -> str:
    return METHOD.format(min_flag=rules.min_flag, min_cell=rules.min_cell)


def rules_text(rules: Rules) -> str:
    return RULES.format(min_cell=rules.min_cell, small=rules.small_count,
                        round_to=rules.round_to, extreme=rules.extreme_min)


def _alpha(rules: Rules) -> float:
    return normal_two_sided_p(rules.z)


def against_others(council: Counts, others: Counts, rules: Rules) -> str:
    """Bright spot / improve / similar / not compared, against other councils pooled."""
    if council.answered < rules.min_flag or others.answered < rules.min_flag:
        return NOT_COMPARED
    z, p = two_proportion_z(council.positive, council.answered, others.positive,
                            others.answered)
    if p < _alpha(rules):
        return BRIGHT if z > 0 else IMPROVE
    return SIMILAR


def against_general(council: Counts, value: float, rules: Rules) -> str:
    """Bright spot / improve / similar / not compared, against a general-population share."""
    if council.answered < rules.min_flag:
        return NOT_COMPARED
    low, high = wilson(council.positive, council.answered, rules.z)
    if low > value:
        return BRIGHT
    if high < value:
        return IMPROVE
    return SIMILAR


AT_OR_ABOVE, BELOW = "at or above", "below"


def at_or_above(council: Counts, value: float, rules: Rules) -> str:
    """The pilot pack's reading of a general-population comparison: "at or above" wherever
    the council's share is the same as or higher than the general figure, with no test of
    chance. Shown beside the tested flag; Bright Spots in this report use the test."""
    if council.answered < rules.min_cell:
        return NOT_COMPARED
    return AT_OR_ABOVE if council.positive >= value * council.answered else BELOW


def change(current: Counts, previous: Counts, rules: Rules) -> str:
    """better / worse / similar / not compared, since the council's previous round."""
    verdict = against_others(current, previous, rules)
    return {BRIGHT: BETTER, IMPROVE: WORSE}.get(verdict, verdict)
