"""Supervision sessions: scheduled, rescheduled, cancelled, then logged by their host.

Clinical supervision and management meetings share these tables but never a view: every
selector takes the purpose, and a session of the other purpose is answered as missing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.fields import EncryptedCharField, EncryptedTextField

from .agreements import SupervisionGroup

MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 480


class SessionKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    GROUP = "group", _("Group")


class SessionPurpose(models.TextChoices):
    CLINICAL = "clinical", _("Clinical supervision")
    MANAGEMENT = "management", _("Management meeting")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


def _session_shape() -> Q:
    """An individual session has a supervisee and no group; a group session the reverse."""
    return Q(kind=SessionKind.INDIVIDUAL, supervisee__isnull=False, group__isnull=True) | Q(
        kind=SessionKind.GROUP, supervisee__isnull=True, group__isnull=False
    )


class SessionSeries(TimeStampedModel):
    """A recurring series, generated from an RFC 5545 rule (dateutil), usually the cadence."""

    kind = models.CharField(_("kind"), max_length=12, choices=SessionKind.choices)
    purpose = models.CharField(_("purpose"), max_length=12, choices=SessionPurpose.choices)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    group = models.ForeignKey(
        SupervisionGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The RRULE line (for example "FREQ=WEEKLY;INTERVAL=4;COUNT=6"); DTSTART is `first_start`.
    rule = models.CharField(_("recurrence rule"), max_length=200)
    first_start = models.DateTimeField(_("first session starts"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_session_shape(), name="session_series_shape"),
        ]
        verbose_name = _("session series")
        verbose_name_plural = _("session series")

    def __str__(self) -> str:
        return f"session series #{self.pk}"


class SupervisionSession(TimeStampedModel):
    """One session. `host` is the supervisor, the group's facilitator or the line manager."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=SessionKind.choices)
    purpose = models.CharField(_("purpose"), max_length=12, choices=SessionPurpose.choices)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_sessions_hosted",
        verbose_name=_("host"),
    )
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervision_sessions_attended",
        verbose_name=_("supervisee"),
    )
    group = models.ForeignKey(
        SupervisionGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("group"),
    )
    series = models.ForeignKey(
        SessionSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    # A room or a video link; a link can carry a meeting secret, so it is encrypted.
    location = EncryptedCharField(_("place or video link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SessionStatus.choices,
        default=SessionStatus.SCHEDULED,
    )
    cancel_reason = EncryptedTextField(_("reason for cancelling"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_session_shape(), name="session_shape"),
            models.CheckConstraint(
                condition=Q(supervisee__isnull=True) | ~Q(supervisee=F("host")),
                name="session_host_not_supervisee",
            ),
            models.CheckConstraint(
                condition=Q(
                    duration_minutes__gte=MIN_DURATION_MINUTES,
                    duration_minutes__lte=MAX_DURATION_MINUTES,
                ),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=SessionPurpose.values), name="session_purpose_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionStatus.CANCELLED)
                | Q(cancelled_at__isnull=False, cancel_reason__isnull=False),
                name="session_cancel_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["host", "starts_at"], name="session_host_start"),
            models.Index(
                fields=["supervisee", "purpose", "kind", "status", "starts_at"],
                name="session_supervisee_status",
            ),
        ]
        verbose_name = _("supervision session")
        verbose_name_plural = _("supervision sessions")

    def __str__(self) -> str:
        return f"supervision session #{self.pk}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class SessionReschedule(models.Model):
    """One move of a session to a new time, with the reason (encrypted)."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="reschedules"
    )
    previous_starts_at = models.DateTimeField()
    new_starts_at = models.DateTimeField()
    reason = EncryptedTextField(_("reason"))
    rescheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rescheduled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rescheduled_at", "id"]
        verbose_name = _("session reschedule")
        verbose_name_plural = _("session reschedules")

    def __str__(self) -> str:
        return f"reschedule #{self.pk} of session #{self.session_id}"


class SessionAttendance(models.Model):
    """Whether one invited person attended a held session (recorded with the log)."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="attendance"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attended = models.BooleanField(_("attended"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="attendance_once"),
        ]
        verbose_name = _("session attendance")
        verbose_name_plural = _("session attendance")

    def __str__(self) -> str:
        return f"attendance #{self.pk}"


class SessionLog(TimeStampedModel):
    """What the host recorded after the session: topics, notes and (for a group) a summary.

    `notes` are read by the host and, for an individual session, the supervisee; a group's
    attendees read only `summary`. Every read is audited.
    """

    session = models.OneToOneField(SupervisionSession, on_delete=models.CASCADE, related_name="log")
    topics = EncryptedTextField(_("topics"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    summary = EncryptedTextField(_("summary for attendees"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("session log")
        verbose_name_plural = _("session logs")

    def __str__(self) -> str:
        return f"log of session #{self.session_id}"


class CaseDiscussed(models.Model):
    """A case discussed in a clinical session, by case code only.

    `presented_by` is the supervisee (or, in a group, an attendee) on whose active care team
    the patient was when the log was written; the service refuses any other case code.
    """

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="cases_discussed"
    )
    # Deleted with the patient: destruction leaves no trace of the case outside its tombstone.
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    presented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "patient"], name="case_discussed_once"),
        ]
        verbose_name = _("case discussed")
        verbose_name_plural = _("cases discussed")

    def __str__(self) -> str:
        return f"case discussed #{self.pk}"


class SupervisionAction(TimeStampedModel):
    """An action agreed in a session, with its owner and due date."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="actions"
    )
    description = EncryptedTextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("supervision action")
        verbose_name_plural = _("supervision actions")

    def __str__(self) -> str:
        return f"supervision action #{self.pk}"


class CalendarFeed(TimeStampedModel):
    """A person's secret calendar link. Only a SHA-256 hash of the token is stored."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            ),
        ]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed #{self.pk}"
