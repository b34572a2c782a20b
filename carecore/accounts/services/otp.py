"""The second factor: TOTP enrolment and verification, recovery codes, resets.

django-otp holds the devices: one TOTPDevice (the authenticator app) and one StaticDevice whose
tokens are the single-use recovery codes. Its throttling (exponential back-off per device) is
left on; every rejected code is audited.
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import segno
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_event_record

from ..roles import Role
from .sessions import session_key_rotate, user_sessions_end

if TYPE_CHECKING:
    from ..models import User

# Set at sign-in when the person already has a second factor: from then on this session must
# pass it, whatever CARECORE_REQUIRE_2FA says.
SESSION_OTP_REQUIRED = "carecore_otp_required"
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"
TOTP_DIGITS = 6


class OtpOutcome(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    INVALID = "invalid", _("Code not accepted")
    THROTTLED = "throttled", _("Too many attempts")


@dataclass(frozen=True)
class OtpResult:
    outcome: OtpOutcome
    recovery_codes: list[str] = field(default_factory=list)
    recovery_codes_left: int | None = None


@dataclass(frozen=True)
class TotpProvisioning:
    qr_data_uri: str
    secret: str


@dataclass(frozen=True)
class OtpStatus:
    enrolled: bool
    recovery_codes_left: int


def otp_enrolled(*, user: User) -> bool:
    """Return whether `user` has a confirmed second-factor device."""
    return user_has_device(user, confirmed=True)


def otp_required(*, user: User, session: SessionBase) -> bool:
    """Return whether this signed-in session must pass the second factor."""
    if session.get(SESSION_OTP_REQUIRED) or settings.CARECORE_REQUIRE_2FA:
        return True
    return bool(settings.CARECORE_REQUIRE_2FA_FOR_ADMINS) and user.has_role(Role.ADMIN)


def otp_status(*, user: User) -> OtpStatus:
    """Return whether `user` has an authenticator app and how many recovery codes are left."""
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return OtpStatus(enrolled=enrolled, recovery_codes_left=left)


@transaction.atomic
def totp_device_pending(*, user: User) -> TOTPDevice:
    """Return the unconfirmed authenticator device of `user`, creating it on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, confirmed=False, digits=TOTP_DIGITS
        )
    return device


def totp_provisioning(*, device: TOTPDevice) -> TotpProvisioning:
    """Return the QR code (an SVG data URI) and the grouped secret for `device`."""
    qr = segno.make(device.config_url, error="m")
    # An explicit light colour: a transparent QR code is unreadable on a dark page.
    uri = qr.svg_data_uri(scale=5, border=4, dark="#000000", light="#ffffff")
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return TotpProvisioning(
        qr_data_uri=uri, secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    )


def _otp_failed(*, user: User, step: str, outcome: OtpOutcome) -> None:
    audit_event_record(
        event_type=EventType.OTP_FAILED,
        actor=user,
        outcome=Outcome.FAILURE,
        target=user,
        details={"step": step, "reason": outcome.value},
    )


def _recovery_codes_replace(*, user: User) -> list[str]:
    # Keep one device and replace its tokens: a session verified with a recovery code stays
    # verified, because its device id still exists.
    device = StaticDevice.objects.select_for_update().filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.confirmed = True
    device.throttle_reset(commit=False)
    device.save()
    return sorted(codes)


@transaction.atomic
def otp_enrolment_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> OtpResult:
    """Confirm `device` with a current `code`, issue recovery codes and verify this session."""
    user: Any = request.user
    locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False)
    device = locked.first()  # type: ignore[assignment]
    if device is None:
        _otp_failed(user=user, step="enrolment", outcome=OtpOutcome.INVALID)
        return OtpResult(OtpOutcome.INVALID)
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        _otp_failed(user=user, step="enrolment", outcome=OtpOutcome.THROTTLED)
        return OtpResult(OtpOutcome.THROTTLED)
    if not device.verify_token(code):
        _otp_failed(user=user, step="enrolment", outcome=OtpOutcome.INVALID)
        return OtpResult(OtpOutcome.INVALID)

    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _recovery_codes_replace(user=user)
    otp_login(request, device)
    request.session[SESSION_OTP_REQUIRED] = True
    session_key_rotate(request=request)
    # Sessions opened with the password alone predate the second factor: end them.
    ended = user_sessions_end(user=user, keep_session_key=request.session.session_key)
    audit_event_record(
        event_type=EventType.OTP_ENROLLED,
        actor=user,
        target=user,
        details={"device": "totp", "sessions_ended": ended},
    )
    audit_event_record(
        event_type=EventType.RECOVERY_CODES_ISSUED,
        actor=user,
        target=user,
        details={"count": len(codes)},
    )
    return OtpResult(OtpOutcome.VERIFIED, recovery_codes=codes)


@transaction.atomic
def otp_verify(*, request: HttpRequest, code: str) -> OtpResult:
    """Verify this session with an authenticator `code` or a recovery code."""
    user: Any = request.user
    # Route by shape, so a TOTP code never burns a recovery-code attempt and vice versa:
    # each failure costs throttling delay on the device it was checked against.
    is_totp = code.isdigit() and len(code) == TOTP_DIGITS
    model: type[Device] = TOTPDevice if is_totp else StaticDevice
    # Row locks: two requests racing with one recovery code must not both succeed.
    devices = list(
        model.objects.filter(user=user, confirmed=True).select_for_update().order_by("pk")
    )
    throttled = False
    for device in devices:
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code):
            break
    else:
        outcome = OtpOutcome.THROTTLED if throttled else OtpOutcome.INVALID
        _otp_failed(user=user, step="sign_in", outcome=outcome)
        return OtpResult(outcome)

    otp_login(request, device)
    request.session[SESSION_OTP_REQUIRED] = True
    session_key_rotate(request=request)
    left = None
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
    audit_event_record(
        event_type=EventType.OTP_VERIFIED,
        actor=user,
        target=user,
        details={"method": "totp" if is_totp else "recovery_code"},
    )
    return OtpResult(OtpOutcome.VERIFIED, recovery_codes_left=left)


@transaction.atomic
def recovery_codes_issue(*, request: HttpRequest) -> list[str]:
    """Replace the recovery codes of the signed-in, verified user and return the new ones."""
    user: Any = request.user
    if not (user.is_authenticated and user.is_verified()):
        raise PermissionDenied
    codes = _recovery_codes_replace(user=user)
    audit_event_record(
        event_type=EventType.RECOVERY_CODES_ISSUED,
        actor=user,
        target=user,
        details={"count": len(codes)},
    )
    return codes


@transaction.atomic
def otp_devices_reset(*, actor: User, user: User) -> None:
    """Remove every second-factor device of `user` and end their sessions."""
    totp_removed, _per_model = TOTPDevice.objects.filter(user=user).delete()
    static_removed = StaticDevice.objects.filter(user=user).count()
    StaticDevice.objects.filter(user=user).delete()
    ended = user_sessions_end(user=user)
    audit_event_record(
        event_type=EventType.OTP_RESET,
        actor=actor,
        target=user,
        details={"devices_removed": totp_removed + static_removed, "sessions_ended": ended},
    )
