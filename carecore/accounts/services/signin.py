"""Signing in and out, password changes, failed sign-ins, and axes lockouts.

The typed username and password are never written to an audit row or a log line: a failed
sign-in names the account only through the actor id, when the account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model, login, logout, update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_event_record

from .otp import SESSION_OTP_REQUIRED, otp_enrolled
from .sessions import (
    SIGNED_OUT_REASON,
    session_stamps_start,
    user_session_track,
    user_session_untrack,
    user_sessions_end,
)

if TYPE_CHECKING:
    from ..models import User


@dataclass(frozen=True)
class ActiveLockout:
    user: Any
    username: str
    ip_address: str | None
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None


def _user_by_username(username: str | None) -> User | None:
    if not username:
        return None
    user_model = get_user_model()
    try:
        return user_model._default_manager.get_by_natural_key(username)
    except user_model.DoesNotExist:
        return None


@transaction.atomic
def signin_complete(*, request: HttpRequest, user: User) -> None:
    """Sign `user` in on a new session key, start its clocks, track it and audit it."""
    previous_key = request.session.session_key
    if request.user.is_authenticated:
        # A new sign-in starts from nothing: no verified second factor or clocks carry over.
        user_session_untrack(session=request.session)
        request.session.flush()
    login(request, user)
    if request.session.session_key == previous_key:
        # Never reached through login()'s own rules; kept so that a change there cannot
        # silently bring back session fixation.
        request.session.cycle_key()
    request.session.pop(SIGNED_OUT_REASON, None)
    session_stamps_start(session=request.session)
    user_session_track(user=user, session=request.session)
    if otp_enrolled(user=user):
        request.session[SESSION_OTP_REQUIRED] = True
    audit_event_record(event_type=EventType.LOGIN, actor=user, target=user)


@transaction.atomic
def signin_failure_record(*, username: str, locked_out: bool) -> None:
    """Audit a failed sign-in for the typed `username` without storing what was typed."""
    user = _user_by_username(username)
    audit_event_record(
        event_type=EventType.LOGIN_FAILED,
        actor=user,
        outcome=Outcome.FAILURE,
        target=user,
        details={"locked_out": locked_out},
    )


@transaction.atomic
def signout_complete(*, request: HttpRequest) -> None:
    """Sign the current user out, forget their session and audit it."""
    user = request.user
    if user.is_authenticated:
        audit_event_record(event_type=EventType.LOGOUT, actor=user, target=user)  # type: ignore[arg-type]
        user_session_untrack(session=request.session)
    logout(request)


@transaction.atomic
def password_change(*, request: HttpRequest, new_password: str) -> int:
    """Set the signed-in user's password, end their other sessions; return how many ended."""
    user: Any = request.user
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # Cycles the key and stores the new password hash, so this session stays signed in
    # while every other one fails Django's session hash check (and is deleted below).
    update_session_auth_hash(request, user)
    user_session_track(user=user, session=request.session)
    ended = user_sessions_end(user=user, keep_session_key=request.session.session_key)
    audit_event_record(
        event_type=EventType.PASSWORD_CHANGED,
        actor=user,
        target=user,
        details={"sessions_ended": ended},
    )
    return ended


@transaction.atomic
def lockout_record(*, username: str | None) -> None:
    """Audit that the typed `username` has just been locked out from this address."""
    user = _user_by_username(username)
    cool_off = get_cool_off()
    audit_event_record(
        event_type=EventType.LOCKOUT,
        actor=user,
        outcome=Outcome.DENIED,
        target=user,
        details={
            "failure_limit": get_failure_limit(None, None),
            "cool_off_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        },
    )


def lockout_username_key(
    request: HttpRequest | None, credentials: dict[str, Any] | None
) -> str | None:
    """Return the key axes stores for a typed username: a keyed hash, never the text.

    For `AXES_USERNAME_CALLABLE`. People type passwords into the username field; with this,
    the lockout table holds an HMAC of what was typed instead of the text itself.
    """
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    elif request is not None:
        username = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = None
    if not username:
        return None
    return salted_hmac("carecore.accounts.lockout", username, algorithm="sha256").hexdigest()


def _attempt_username(username: str) -> str | None:
    # The same transformation axes applies (plain text, or the hash above when configured).
    return get_client_username(None, {settings.AXES_USERNAME_FORM_FIELD: username})  # type: ignore[arg-type]


@transaction.atomic
def lockout_clear(*, actor: User, username: str) -> int:
    """Clear every lockout and failure count of `username`; return how many records went."""
    key = _attempt_username(username)
    cleared = axes_reset(username=key) if key else 0
    user = _user_by_username(username)
    audit_event_record(
        event_type=EventType.LOCKOUT_CLEARED,
        actor=actor,
        target=user,
        details={"attempts_cleared": cleared, "account_exists": user is not None},
    )
    return cleared


def lockouts_active() -> list[ActiveLockout]:
    """Return the lockouts in force for existing accounts, newest first.

    Lockouts of usernames with no account are left out: they block no one, and what was typed
    (often a password in the wrong field) is not shown to anyone.
    """
    limit = get_failure_limit(None, None)
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=limit)
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    attempts_list = list(attempts.order_by("-attempt_time"))
    if not attempts_list:
        return []
    user_model = get_user_model()
    keys = {a.username for a in attempts_list}
    if getattr(settings, "AXES_USERNAME_CALLABLE", None):
        users = {_attempt_username(u.get_username()): u for u in user_model._default_manager.all()}
    else:
        users = {
            u.get_username(): u
            for u in user_model._default_manager.filter(
                **{f"{user_model.USERNAME_FIELD}__in": keys}
            )
        }
    lockouts = []
    for attempt in attempts_list:
        user = users.get(attempt.username)
        if user is None:
            continue
        lockouts.append(
            ActiveLockout(
                user=user,
                username=user.get_username(),
                ip_address=attempt.ip_address,
                failures=attempt.failures_since_start,
                last_failure_at=attempt.attempt_time,
                locked_until=attempt.attempt_time + cool_off if cool_off else None,
            )
        )
    return lockouts
