"""Live response rates for a round: numbers, a server-drawn SVG chart, and the same as a table.

Responses are counted from the response store (answers arrive there when a
conversation finishes, or is abandoned after consent), against the eligible
population the council gave per age band.

Disclosure rule: until a round is sealed (open, then the grace period for late
finishers) only totals are shown (all responses, and the running total week by
week); the split by age band and by channel, and how many finished, appear once
it is sealed, because a small group's count, watched day by day,
can point at the young person who just answered. Even then the split follows the
reports' rules (chatsurvey/reports/disclosure.py): counts of 1-9 are hidden, with
a partner so the total cannot give them away, and the rest rounded to 5.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import func, select

from chatsurvey.admin.blueprint import bp
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.columns import utcnow
from chatsurvey.extensions import db
from chatsurvey.reports.disclosure import (
    DisclosureError,
    grid_layout,
    publish_count,
    publish_layout,
    share_of,
)
from chatsurvey.reports.rules import from_config
from chatsurvey.responses.models import Response
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.rounds.sealing import is_sealed


def _weeks(survey_round: SurveyRound) -> list[str]:
    """ISO weeks from the round's opening to now (or its closing)."""
    end = min(utcnow(), survey_round.closes_at).date()
    day: date = survey_round.opens_at.date()
    weeks: list[str] = []
    while day <= end and len(weeks) < 60:
        year, week, _ = day.isocalendar()
        label = f"{year}-W{week:02d}"
        if label not in weeks:
            weeks.append(label)
        day += timedelta(days=1)
    return weeks


def _protected(counts: dict[str, int]) -> dict[str, int | None]:
    """Counts as a report publishes them (None: hidden)."""
    names = sorted(counts)
    if not names:
        return {}
    layout = grid_layout([[counts[n]] for n in names], row_totals=False, col_totals=False)
    try:
        shown = publish_layout(layout, from_config(current_app.config))
    except DisclosureError:
        return dict.fromkeys(names)
    return {n: shown[("c", i, 0)] for i, n in enumerate(names)}


def _rate(count: int, eligible: int) -> float | None:
    return round(100 * count / eligible, 1) if eligible else None


def response_rates(survey_round: SurveyRound) -> dict:
    """Totals (always) and breakdowns (once closed), ready for the page."""
    scope = Response.round_id == survey_round.id
    rows = db.session.execute(
        select(Response.week, Response.age_band, Response.channel, Response.status,
               func.count()).where(scope)
        .group_by(Response.week, Response.age_band, Response.channel, Response.status)).all()
    eligible = {b: int(n) for b, n in (survey_round.eligible or {}).items()}
    eligible_total = sum(eligible.values())
    total = sum(r[4] for r in rows)
    complete = sum(r[4] for r in rows if r[3] == "complete")
    per_week: dict[str, int] = {}
    for week, _band, _channel, _status, count in rows:
        per_week[week] = per_week.get(week, 0) + count
    weeks = _weeks(survey_round)
    for week in sorted(per_week):
        if week not in weeks:
            weeks.append(week)
    weeks.sort()
    running = 0
    weekly = []
    for week in weeks:
        running += per_week.get(week, 0)
        weekly.append({"week": week, "count": per_week.get(week, 0), "cumulative": running,
                       "rate": _rate(running, eligible_total)})
    is_open = survey_round.is_open()
    final = is_sealed(survey_round)
    # How many finished, beside the total, is the number who stopped part-way: published only
    # once the round is sealed, and then protected like any count below the total.
    result = {"open": is_open, "total": total,
              "complete": publish_count(complete, from_config(current_app.config))
              if final else None,
              "eligible": eligible_total, "rate": _rate(total, eligible_total),
              "weekly": weekly, "by_band": None, "by_channel": None}
    if final:
        bands: dict[str, int] = {}
        channels: dict[str, int] = {}
        for _week, band, channel, _status, count in rows:
            bands[band or "not known"] = bands.get(band or "not known", 0) + count
            channels[channel] = channels.get(channel, 0) + count
        shown = _protected({b: bands.get(b, 0) for b in set(bands) | set(eligible)})
        result["by_band"] = [{"band": b, "count": shown[b], "eligible": eligible.get(b),
                              "rate": share_of(shown[b] or 0, eligible.get(b), shown[b])}
                             for b in sorted(shown)]
        shown = _protected(channels)
        result["by_channel"] = [{"channel": c, "count": shown[c]} for c in sorted(shown)]
    result["chart"] = chart(weekly, eligible_total)
    return result


def chart(weekly: list[dict], eligible: int, width: int = 640, height: int = 260) -> Markup:
    """Cumulative response rate by week as bars (a line at the typical third), as SVG."""
    left, right, top, bottom = 48, 12, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [(w["rate"] if eligible else w["cumulative"]) or 0 for w in weekly]
    ceiling = 100.0 if eligible else max([1, *values])
    unit = "%" if eligible else ""
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
             '<title id="chart-title">Response rate so far, week by week</title>',
             '<desc id="chart-desc">The same figures are in the table below the chart.</desc>']
    for tick in range(0, 5):
        value = ceiling * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" '
                     f'y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{value:.0f}{unit}</text>')
    if eligible:
        y = top + plot_h - plot_h * 34 / 100
        parts.append(f'<line class="typical" x1="{left}" x2="{width - right}" y1="{y:.1f}" '
                     f'y2="{y:.1f}"/>')
        parts.append(f'<text class="axis typical-label" x="{width - right}" y="{y - 4:.1f}" '
                     'text-anchor="end">typical: 34%</text>')
    count = max(1, len(values))
    slot = plot_w / count
    bar = max(2.0, min(40.0, slot * 0.6))
    for i, (week, value) in enumerate(zip(weekly, values, strict=True)):
        h = plot_h * min(value, ceiling) / ceiling if ceiling else 0
        x = left + slot * i + (slot - bar) / 2
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{bar:.1f}" height="{h:.1f}"/>')
        if count <= 12 or i % max(1, count // 8) == 0:
            parts.append(f'<text class="axis" x="{x + bar / 2:.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle">{escape(week["week"][5:])}</text>')
    parts.append(f'<line class="baseline" x1="{left}" x2="{width - right}" '
                 f'y1="{top + plot_h}" y2="{top + plot_h}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (numbers and escaped week labels only)


@bp.get("/rounds/<int:round_id>/rates")
def round_rates(round_id: int):
    survey_round = for_tenant(SurveyRound, round_id)
    return render_template("admin/rates.html", survey_round=survey_round,
                           rates=response_rates(survey_round))
