"""App-level tunables, each with a `CARECORE_` setting and a default, read at call time."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

DEFAULT_FULL_TIME_HOURS = Decimal("37.5")
DEFAULT_SERIES_MAX_OCCURRENCES = 26
DEFAULT_NEW_CASE_DAYS = 30
DEFAULT_CALENDAR_FEED_DAYS = 365


def full_time_hours() -> Decimal:
    """Return the organisation's full-time weekly hours (converts hours to FTE)."""
    return Decimal(str(getattr(settings, "CARECORE_FULL_TIME_HOURS", DEFAULT_FULL_TIME_HOURS)))


def series_max_occurrences() -> int:
    """Return the most sessions one recurring series may create."""
    return int(getattr(settings, "CARECORE_SERIES_MAX_OCCURRENCES", DEFAULT_SERIES_MAX_OCCURRENCES))


def new_case_days() -> int:
    """Return how many days a case counts as new on a clinician's caseload."""
    return int(getattr(settings, "CARECORE_NEW_CASE_DAYS", DEFAULT_NEW_CASE_DAYS))


def calendar_feed_days() -> int:
    """Return how far ahead the calendar feed lists sessions, in days."""
    return int(getattr(settings, "CARECORE_CALENDAR_FEED_DAYS", DEFAULT_CALENDAR_FEED_DAYS))
