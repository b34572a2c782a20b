"""Personal calendar links: create, revoke, replace, and record fetches of the feed.

The token is shown once and never stored: only its SHA-256 hash is kept, so a copy of the
database does not open anyone's feed. The token never reaches a log or an audit row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit import context
from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_event_record

from ..models import CalendarFeed
from ..permissions.arrangements import (
    ArrangementInvalid,
    ArrangementNotFound,
    access_denied_record,
    can_use_calendar,
)
from ..selectors.calendar import token_hash

if TYPE_CHECKING:
    from carecore.accounts.models import User

TOKEN_BYTES = 32
# A calendar app polls every few minutes; one audit row per feed per hour is enough to
# show it is in use without flooding the trail.
FETCH_AUDIT_INTERVAL = dt.timedelta(hours=1)

FEED_EXISTS = _("You already have a calendar link. Replace it or revoke it first.")
FEED_NONE = _("You have no calendar link to revoke.")
_TARGET = "supervision.calendarfeed"
# Refused fetches are audited at most once per client address (or revoked link) and window,
# so that a flood of made-up links cannot fill the audit table; the first one still shows.
REFUSAL_AUDIT_WINDOW_SECONDS = 60


class RefusalReason:
    UNKNOWN = "unknown"
    REVOKED = "revoked"


def _require_calendar(actor: User, action: str) -> None:
    if not can_use_calendar(actor):
        access_denied_record(actor=actor, action=action, target_type=_TARGET)
        raise ArrangementNotFound


def _issue(actor: User) -> tuple[CalendarFeed, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed.objects.create(person=actor, token_hash=token_hash(token))
    audit_event_record(
        event_type=EventType.CALENDAR_FEED_CREATED,
        actor=actor,
        target=feed,
        details={"person": actor.pk},
    )
    return feed, token


def _revoke(actor: User, feed: CalendarFeed) -> CalendarFeed:
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at", "updated_at"])
    audit_event_record(
        event_type=EventType.CALENDAR_FEED_REVOKED,
        actor=actor,
        target=feed,
        details={"person": feed.person_id},
    )
    return feed


def _active_locked(actor: User) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.select_for_update()
        .filter(person_id=actor.pk, revoked_at__isnull=True)
        .first()
    )


def calendar_feed_create(*, actor: User) -> tuple[CalendarFeed, str]:
    """Create `actor`'s calendar link; return it with the token, which is never shown again."""
    _require_calendar(actor, "calendar_feed_create")
    try:
        with transaction.atomic():
            if _active_locked(actor) is not None:
                raise ArrangementInvalid(FEED_EXISTS)
            return _issue(actor)
    except IntegrityError as error:
        # A second tab created one at the same moment: one active link per person.
        raise ArrangementInvalid(FEED_EXISTS) from error


def calendar_feed_revoke(*, actor: User) -> CalendarFeed:
    """Revoke `actor`'s active calendar link; the feed answers 404 from now on."""
    _require_calendar(actor, "calendar_feed_revoke")
    with transaction.atomic():
        feed = _active_locked(actor)
        if feed is None:
            raise ArrangementInvalid(FEED_NONE)
        return _revoke(actor, feed)


def calendar_feed_replace(*, actor: User) -> tuple[CalendarFeed, str]:
    """Revoke `actor`'s active link (if any) and create a new one; return it with its token."""
    _require_calendar(actor, "calendar_feed_replace")
    with transaction.atomic():
        current = _active_locked(actor)
        if current is not None:
            _revoke(actor, current)
        return _issue(actor)


def calendar_feed_fetch_record(
    *, feed: CalendarFeed, now: dt.datetime | None = None, events: int = 0
) -> bool:
    """Note a fetch of `feed`; audit at most once per FETCH_AUDIT_INTERVAL. Return if audited."""
    now = now or timezone.now()
    with transaction.atomic():
        # Conditional update: concurrent polls cannot both pass the hourly check.
        stale = CalendarFeed.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - FETCH_AUDIT_INTERVAL),
            pk=feed.pk,
        )
        if not stale.update(last_used_at=now):
            return False
        feed.last_used_at = now
        audit_event_record(
            event_type=EventType.CALENDAR_FEED_FETCHED,
            target=feed,
            details={"person": feed.person_id, "events": events},
        )
    return True


def calendar_feed_refusal_record(*, feed: CalendarFeed | None) -> None:
    """Audit a refused fetch: a revoked link (with its id) or an unknown one (nothing else).

    At most one event per window for the same client address (unknown links) or the same
    revoked link: the attempt stays visible without letting anyone flood the audit table.
    """
    window = int(timezone.now().timestamp()) // REFUSAL_AUDIT_WINDOW_SECONDS
    subject = f"feed-{feed.pk}" if feed is not None else f"ip-{context.current().ip_address}"
    if not cache.add(
        f"calendar-refused:{subject}:{window}", 1, timeout=REFUSAL_AUDIT_WINDOW_SECONDS
    ):
        return
    if feed is None:
        audit_event_record(
            event_type=EventType.CALENDAR_FEED_REFUSED,
            outcome=Outcome.DENIED,
            target_type=_TARGET,
            details={"reason": RefusalReason.UNKNOWN},
        )
        return
    audit_event_record(
        event_type=EventType.CALENDAR_FEED_REFUSED,
        outcome=Outcome.DENIED,
        target=feed,
        details={"reason": RefusalReason.REVOKED, "person": feed.person_id},
    )
