"""Instruments as data: an instrument, its versions, items and subscales."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel

CFS_CODE = "compassion_fatigue"


class WordingSource(models.TextChoices):
    STRUCTURE_ONLY = "structure_only", _("Structure only (no item wording)")
    DEMONSTRATION = "demonstration", _("Demonstration wording")
    PUBLISHED = "published", _("Published wording loaded by the organisation")


class SubscaleCode(models.TextChoices):
    SECONDARY_TRAUMA = "secondary_trauma", _("Secondary trauma")
    JOB_BURNOUT = "job_burnout", _("Job burnout")
    CHRONIC_FATIGUE = "chronic_fatigue", _("Chronic fatigue")


class Instrument(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    citation = models.TextField(_("citation"), blank=True)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self) -> str:
        return self.name


class InstrumentVersion(models.Model):
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="versions", verbose_name=_("instrument")
    )
    number = models.PositiveIntegerField(_("version number"))
    instructions = models.TextField(_("instructions"))
    min_rating = models.PositiveSmallIntegerField(_("lowest rating"), default=1)
    max_rating = models.PositiveSmallIntegerField(_("highest rating"), default=10)
    wording_source = models.CharField(
        _("wording source"),
        max_length=20,
        choices=WordingSource.choices,
        default=WordingSource.STRUCTURE_ONLY,
    )
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("loaded by"),
    )
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ("instrument", "number")
        constraints = [
            models.UniqueConstraint(
                fields=("instrument", "number"), name="wellbeing_version_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(min_rating__lt=models.F("max_rating")),
                name="wellbeing_version_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.number}"

    @property
    def is_demonstration(self) -> bool:
        return self.wording_source == WordingSource.DEMONSTRATION

    @property
    def is_structure_only(self) -> bool:
        return self.wording_source == WordingSource.STRUCTURE_ONLY


class InstrumentItem(models.Model):
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.CASCADE, related_name="items", verbose_name=_("version")
    )
    letter = models.CharField(_("letter"), max_length=1)
    # Blank until the organisation loads its copy of the published wording.
    wording = models.TextField(_("wording"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("instrument item")
        verbose_name_plural = _("instrument items")
        ordering = ("version", "position")
        constraints = [
            models.UniqueConstraint(
                fields=("version", "letter"), name="wellbeing_item_unique_letter"
            ),
            models.UniqueConstraint(
                fields=("version", "position"), name="wellbeing_item_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} item {self.letter}"


class Subscale(models.Model):
    version = models.ForeignKey(
        InstrumentVersion,
        on_delete=models.CASCADE,
        related_name="subscales",
        verbose_name=_("version"),
    )
    code = models.CharField(_("code"), max_length=32, choices=SubscaleCode.choices)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    items = models.ManyToManyField(
        InstrumentItem, related_name="subscales", verbose_name=_("items")
    )

    class Meta:
        verbose_name = _("subscale")
        verbose_name_plural = _("subscales")
        ordering = ("version", "position")
        constraints = [
            models.UniqueConstraint(
                fields=("version", "code"), name="wellbeing_subscale_unique_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The built-in structure of the compassion fatigue scale (DOMAIN.md): wording is data, the
# structure is not, so a loaded version can never change what a subscale sums.
CFS_LETTERS: tuple[str, ...] = tuple("abcdefghijklm")
CFS_SUBSCALES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (SubscaleCode.SECONDARY_TRAUMA, tuple("cehjl")),
    (SubscaleCode.JOB_BURNOUT, tuple("abdfgikm")),
    (SubscaleCode.CHRONIC_FATIGUE, CFS_LETTERS),
)
CFS_MIN_RATING = 1
CFS_MAX_RATING = 10
