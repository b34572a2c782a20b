"""The register of organisations that patient data may be sent to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.fields import EncryptedTextField


class PartnerKind(models.TextChoices):
    HEALTH_PROVIDER = "health_provider", _("Health care provider")
    SHELTER = "shelter", _("Shelter or support organisation")
    LEGAL_AID = "legal_aid", _("Legal aid")
    GOVERNMENT = "government", _("Government agency")
    INTERNATIONAL = "international", _("International organisation")
    OTHER = "other", _("Other")


class PartnerOrganisation(TimeStampedModel):
    """An organisation data may go to, with the secure route to reach it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = models.CharField(_("country"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    # How to reach them safely (secure e-mail, portal, named contact): not public knowledge.
    secure_contact_route = EncryptedTextField(_("secure contact route"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PartnerKind.values), name="partner_kind_valid"
            ),
        ]
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")

    def __str__(self) -> str:
        return self.name
