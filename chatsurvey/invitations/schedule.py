"""When chatsurvey may text young people about a round, and what the texts say.

Quiet hours (QUIET_HOURS in TIMEZONE) keep texts out of the night; invitations
go out from the council's first number, so replies come back to it; a round
takes invitations only when it runs by SMS, is not closed, and its council has
a number and Twilio credentials.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from chatsurvey.columns import utcnow
from chatsurvey.councils.models import SmsNumber, Tenant
from chatsurvey.invitations import whatsapp
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.texts import Text, sms_text


class InvitationError(ValueError):
    """The round cannot take invitations; the message says what to fix."""


def wording(tenant: Tenant, message: Text) -> str:
    """An invitation or reminder (`texts.INVITE`, `texts.REMINDER`) in the council's first
    language chatsurvey has words in."""
    return sms_text(tenant, message)


def quiet(moment: datetime) -> bool:
    """Is it night where the young people are (QUIET_HOURS in TIMEZONE)?"""
    start, end = current_app.config["QUIET_HOURS"]
    hour = moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).hour
    return (hour >= start or hour < end) if start > end else start <= hour < end


def quiet_ends(moment: datetime) -> datetime:
    """``moment`` if texting is allowed then, else when the quiet hours end (in UTC)."""
    if not quiet(moment):
        return moment
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = moment.astimezone(zone)
    end = current_app.config["QUIET_HOURS"][1]
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=zone).astimezone(UTC)


def sending_number(tenant: Tenant) -> SmsNumber | None:
    """Invitations go out from the council's first number (replies come back to it)."""
    return tenant.numbers[0] if tenant.numbers else None


def check_round(survey_round: SurveyRound, channel: str = "sms") -> None:
    """Raise InvitationError unless invitations to this round could be sent on ``channel``."""
    tenant = survey_round.tenant
    if channel not in (survey_round.channels or ()):
        raise InvitationError(f"round {survey_round.id} does not run by "
                              f"{'WhatsApp' if channel == 'whatsapp' else 'SMS'}")
    if channel == "whatsapp" and whatsapp.not_ready(tenant):
        raise InvitationError(str(whatsapp.not_ready(tenant)))
    if survey_round.closes_at <= utcnow():
        raise InvitationError(f"round {survey_round.id} has closed")
    if sending_number(tenant) is None:
        raise InvitationError(f"{tenant.slug} has no SMS number to send from")
    if not (tenant.twilio_account_sid and tenant.twilio_auth_token):
        raise InvitationError(f"{tenant.slug} has no Twilio account SID and auth token")
