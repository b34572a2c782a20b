"""The personal calendar: the person's link, their upcoming sessions and the iCalendar document.

The document carries times, the kind of meeting and its place only: no names, no case
codes, no topics, notes, summaries or reasons, so a calendar app or a synced phone learns
nothing about patients or what was discussed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

import icalendar
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from .. import conf
from ..models import (
    CalendarFeed,
    SessionKind,
    SessionPurpose,
    SessionStatus,
    SupervisionGroupMember,
    SupervisionSession,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User

PRODID = "-//CareCore//Supervision calendar//EN"
UID_DOMAIN = "carecore"


def token_hash(token: str) -> str:
    """Return the hex SHA-256 of `token`, as stored in CalendarFeed.token_hash."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def calendar_feed_active_for(*, user: User) -> CalendarFeed | None:
    """Return `user`'s active calendar link, or None."""
    return CalendarFeed.objects.filter(person_id=user.pk, revoked_at__isnull=True).first()


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """Return the feed whose token is `token` (active or revoked), or None."""
    return (
        CalendarFeed.objects.select_related("person").filter(token_hash=token_hash(token)).first()
    )


def calendar_sessions_for(
    *, person: User, now: dt.datetime | None = None, days: int | None = None
) -> QuerySet[SupervisionSession, SupervisionSession]:
    """Return `person`'s upcoming sessions (host, supervisee or current group member)."""
    now = now or timezone.now()
    days = conf.calendar_feed_days() if days is None else days
    member = SupervisionGroupMember.objects.filter(
        group_id=OuterRef("group_id"), member_id=person.pk, left_on__isnull=True
    )
    return (
        SupervisionSession.objects.filter(
            Q(host_id=person.pk) | Q(supervisee_id=person.pk) | Q(Exists(member)),
            starts_at__gte=now,
            starts_at__lt=now + dt.timedelta(days=days),
        )
        .exclude(status=SessionStatus.CANCELLED)
        .only("uuid", "kind", "purpose", "starts_at", "duration_minutes", "location", "status")
        .order_by("starts_at", "pk")
    )


def session_summary(session: SupervisionSession) -> str:
    """Return the neutral title of `session` in a calendar: purpose and kind only."""
    purpose = (
        gettext("Clinical supervision")
        if session.purpose == SessionPurpose.CLINICAL
        else gettext("Management meeting")
    )
    kind = gettext("individual") if session.kind == SessionKind.INDIVIDUAL else gettext("group")
    return f"{purpose} ({kind})"


def calendar_document(*, person: User, now: dt.datetime | None = None) -> tuple[bytes, int]:
    """Return `person`'s iCalendar document and how many events it holds."""
    now = now or timezone.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", gettext("CareCore supervision"))
    count = 0
    for session in calendar_sessions_for(person=person, now=now):
        event = icalendar.Event()
        event.add("uid", f"{session.uuid}@{UID_DOMAIN}")
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        event.add("summary", session_summary(session))
        if session.location:
            event.add("location", session.location)
        calendar.add_component(event)
        count += 1
    return calendar.to_ical(), count
