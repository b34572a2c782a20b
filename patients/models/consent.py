"""Consent records, one per purpose and decision; the latest per purpose is the one in force."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.blind_index import blind_index
from carecore.crypto.fields import EncryptedCharField, EncryptedTextField

from .patient import Patient

ORGANISATION_INDEX_PURPOSE = "patients.consent_organisation"


class ConsentPurpose(models.TextChoices):
    CARE_AND_DATA = "care_and_data", _("Care and data collection")
    SHARING_WITH_ORGANISATION = "sharing_with_organisation", _("Sharing with a named organisation")
    # Sharing outside the organisation in general, when the patient did not name a recipient.
    EXTERNAL_SHARING = "external_sharing", _("Sharing outside the organisation (any recipient)")
    # Always its own record: consent to care never implies consent to research.
    RESEARCH = "research", _("Research use")
    LEGAL_PROCEEDINGS = "legal_proceedings", _("Use in legal proceedings")
    CONTACT_METHODS = "contact_methods", _("Contact methods")


class ConsentStatus(models.TextChoices):
    GIVEN = "given", _("Given")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NOT_OBTAINED = "not_obtained", _("Could not be obtained")


class Consent(models.Model):
    """A patient's decision on one purpose, as explained to them and recorded by staff.

    Never edited, except that a given consent becomes withdrawn (status, time and who), so the
    record keeps both facts. A new decision on the same purpose is a new record.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    # Only for sharing: who the data may go to, and its blind index for exact matching.
    organisation = EncryptedCharField(_("organisation"), max_length=200, null=True, blank=True)
    organisation_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    status = models.CharField(_("status"), max_length=16, choices=ConsentStatus.choices)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("explained by"),
    )
    explanation = EncryptedTextField(_("what was explained"), null=True, blank=True)
    scope = EncryptedTextField(_("scope"), null=True, blank=True)
    not_obtained_reason = EncryptedTextField(
        _("why consent could not be obtained"), null=True, blank=True
    )
    expires_on = models.DateField(
        _("expires on"),
        null=True,
        blank=True,
        help_text=_("The last day on which the consent holds."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["purpose", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=ConsentPurpose.values), name="consent_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConsentStatus.values), name="consent_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ConsentStatus.NOT_OBTAINED)
                | Q(not_obtained_reason__isnull=False),
                name="consent_not_obtained_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[ConsentStatus.REFUSED, ConsentStatus.NOT_OBTAINED])
                | Q(explanation__isnull=False),
                name="consent_given_was_explained",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=ConsentStatus.WITHDRAWN,
                    withdrawn_at__isnull=False,
                    withdrawn_by__isnull=False,
                )
                | Q(
                    ~Q(status=ConsentStatus.WITHDRAWN),
                    withdrawn_at__isnull=True,
                    withdrawn_by__isnull=True,
                ),
                name="consent_withdrawal_consistent",
            ),
            models.CheckConstraint(
                condition=Q(
                    purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
                    organisation__isnull=False,
                )
                & ~Q(organisation_index="")
                | Q(
                    ~Q(purpose=ConsentPurpose.SHARING_WITH_ORGANISATION),
                    organisation__isnull=True,
                    organisation_index="",
                ),
                name="consent_organisation_only_for_sharing",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "purpose", "-recorded_at"], name="consent_latest"),
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"consent #{self.pk} ({self.purpose}, {self.status}) of patient #{self.patient_id}"


def organisation_index(name: str | None) -> str:
    """Return the blind index of an organisation name, or "" if there is none."""
    if not name:
        return ""
    try:
        return blind_index(name, purpose=ORGANISATION_INDEX_PURPOSE)
    except ValueError:
        return ""
