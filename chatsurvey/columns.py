"""Column types every domain's tables share: encrypted text, UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Text,
    TypeDecorator,
)

from chatsurvey.crypto import crypto


def utcnow() -> datetime:
    return datetime.now(UTC)


def day_of(moment: datetime) -> datetime:
    """Midnight (UTC) of the day ``moment`` falls on: a time kept no finer than the day."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def utcday() -> datetime:
    """Today, as midnight UTC (a column default for times kept no finer than the day)."""
    return day_of(utcnow())


class EncryptedText(TypeDecorator):
    """Text stored encrypted with the app's keys (see chatsurvey/crypto.py)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto().decrypt(value)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
