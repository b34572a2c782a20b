"""Session policy: idle and absolute timeouts, tracking and ending a user's sessions.

A signed-in session carries two timestamps (Unix seconds): when the person signed in and when
they were last seen. Last activity is written at most once per
`CARECORE_SESSION_ACTIVITY_RESOLUTION`, so an ordinary page view does not save the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import UserSession

if TYPE_CHECKING:
    from ..models import User

SIGNED_IN_AT = "carecore_signed_in_at"
LAST_ACTIVITY = "carecore_last_activity"
# The session key the UserSession row was written for: when anything cycles the key, the
# policy middleware notices the mismatch and moves the row, so no session escapes tracking.
TRACKED_KEY = "carecore_tracked_key"
# Survives the flush at expiry (it is written into the fresh anonymous session) so the
# sign-in page can say why the person is there without trusting a query parameter.
SIGNED_OUT_REASON = "carecore_signed_out_reason"

SESSION_EXPIRED_MESSAGE = _(
    "Your session ended after a period of inactivity. Please sign in again."
)
SESSION_ABSOLUTE_EXPIRED_MESSAGE = _(
    "Your session reached its maximum length. Please sign in again."
)


class ExpiryReason(models.TextChoices):
    IDLE = "idle", _("Inactive for too long")
    ABSOLUTE = "absolute", _("Maximum session length reached")


def _now_seconds() -> int:
    return int(timezone.now().timestamp())


def session_stamps_start(*, session: SessionBase) -> None:
    """Mark `session` as signed in and active now."""
    now = _now_seconds()
    session[SIGNED_IN_AT] = now
    session[LAST_ACTIVITY] = now


def session_expiry_reason(*, session: SessionBase | Mapping[str, Any]) -> ExpiryReason | None:
    """Return why `session` has expired under the policy, or None while it is still valid."""
    now = _now_seconds()
    signed_in_at = session.get(SIGNED_IN_AT)
    last_activity = session.get(LAST_ACTIVITY)
    if signed_in_at is None or last_activity is None:
        return None
    if now - signed_in_at >= settings.CARECORE_SESSION_ABSOLUTE_TIMEOUT.total_seconds():
        return ExpiryReason.ABSOLUTE
    if now - last_activity >= settings.CARECORE_SESSION_IDLE_TIMEOUT.total_seconds():
        return ExpiryReason.IDLE
    return None


def session_seconds_remaining(*, session: SessionBase) -> int:
    """Return the seconds until `session` expires, whichever timeout comes first."""
    now = _now_seconds()
    signed_in_at = session.get(SIGNED_IN_AT, now)
    last_activity = session.get(LAST_ACTIVITY, now)
    idle_end = last_activity + settings.CARECORE_SESSION_IDLE_TIMEOUT.total_seconds()
    absolute_end = signed_in_at + settings.CARECORE_SESSION_ABSOLUTE_TIMEOUT.total_seconds()
    return max(0, int(min(idle_end, absolute_end) - now))


def session_activity_touch(*, session: SessionBase, force: bool = False) -> None:
    """Record activity now, unless it was recorded within the activity resolution."""
    now = _now_seconds()
    if SIGNED_IN_AT not in session:
        # A session signed in by another path (tests' force_login, a future SSO): start its
        # clock now rather than letting it live without one.
        session[SIGNED_IN_AT] = now
    last_activity = session.get(LAST_ACTIVITY)
    resolution = settings.CARECORE_SESSION_ACTIVITY_RESOLUTION.total_seconds()
    if force or last_activity is None or now - last_activity >= resolution:
        session[LAST_ACTIVITY] = now


def user_session_track(*, user: User, session: SessionBase) -> None:
    """Record that `session` belongs to `user`, replacing the row of its previous key."""
    session_key = session.session_key
    if session_key is None:
        session.save()
        session_key = session.session_key
    previous = session.get(TRACKED_KEY)
    if previous == session_key:
        return
    if previous:
        UserSession.objects.filter(session_key=previous).delete()
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})
    session[TRACKED_KEY] = session_key


def user_session_untrack(*, session: SessionBase) -> None:
    """Forget the tracking row of `session` (it is about to be flushed)."""
    keys = {session.get(TRACKED_KEY), session.session_key} - {None, ""}
    if keys:
        UserSession.objects.filter(session_key__in=keys).delete()


def session_key_rotate(*, request: HttpRequest) -> None:
    """Give the signed-in session a new key (after a privilege change) and keep it tracked."""
    request.session.cycle_key()
    user_session_track(user=request.user, session=request.session)  # type: ignore[arg-type]


@transaction.atomic
def session_expire(*, request: HttpRequest, reason: ExpiryReason) -> None:
    """End the request's session under the timeout policy and audit it."""
    user = request.user
    audit_event_record(
        event_type=EventType.SESSION_EXPIRED,
        actor=user,
        target=user,  # type: ignore[arg-type]
        details={"reason": reason.value},
    )
    user_session_untrack(session=request.session)
    logout(request)
    request.session[SIGNED_OUT_REASON] = reason.value


def _session_store_class() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


@transaction.atomic
def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """End every tracked session of `user` except `keep_session_key`; return how many ended.

    Callers audit the reason (deactivation, password change, second-factor reset).
    """
    rows = UserSession.objects.select_for_update().filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    store_class = _session_store_class()
    for key in keys:
        store_class(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_sessions_active_count(*, user: User) -> int:
    """Return how many of `user`'s tracked sessions are still valid under the policy."""
    store_class = _session_store_class()
    count = 0
    for key in UserSession.objects.filter(user=user).values_list("session_key", flat=True):
        # load() answers an empty dict for a missing or expired session.
        data = store_class(session_key=key).load()
        if data and session_expiry_reason(session=data) is None:
            count += 1
    return count
