"""Change since the council's previous round of the same survey."""

from __future__ import annotations

from chatsurvey.reports.disclosure import publish_percent
from chatsurvey.reports.flags import NOT_COMPARED, change
from chatsurvey.reports.model import IndicatorResult, PChange
from chatsurvey.reports.rules import Rules


def publish_change(result: IndicatorResult, previous_round: str | None,
                   rules: Rules) -> PChange | None:
    """The previous round's share and whether the change holds (None: no previous round)."""
    if result.previous is None or previous_round is None:
        return None
    before = publish_percent(result.previous.positive, result.previous.answered, rules)
    now = publish_percent(result.council.positive, result.council.answered, rules)
    verdict = change(result.council, result.previous, rules) if before.shown and now.shown \
        else NOT_COMPARED
    return PChange(previous_round, before, verdict)
