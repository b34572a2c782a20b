"""Factories for wellbeing check-ins and instrument versions."""

from __future__ import annotations

import importlib
from datetime import datetime

from django.apps import apps
from django.utils import timezone

from staffwellbeing.models import CFS_CODE, CheckIn, InstrumentVersion, ResultShare
from staffwellbeing.scoring import CFS_STRUCTURE, subscale_scores
from supervision.models import SupervisionAgreement

_STRUCTURE_MIGRATION = "staffwellbeing.migrations.0002_cfs_structure"


def cfs_v1() -> InstrumentVersion:
    """Return the built-in structure-only version 1, recreating it if a flush removed it."""
    version = InstrumentVersion.objects.filter(instrument__code=CFS_CODE, number=1).first()
    if version is None:
        importlib.import_module(_STRUCTURE_MIGRATION).create_structure(apps, None)
        version = InstrumentVersion.objects.get(instrument__code=CFS_CODE, number=1)
    return version


def answers(value: int = 5, **overrides: int) -> dict[str, int]:
    """Return a complete answer set, every item `value` except the letters overridden."""
    result = {letter: value for letter in CFS_STRUCTURE.letters}
    result.update(overrides)
    return result


def make_checkin(
    person,
    *,
    value: int = 5,
    given: dict[str, int] | None = None,
    answered_at: datetime | None = None,
    version: InstrumentVersion | None = None,
) -> CheckIn:
    """Create a scored check-in directly (no audit: fixtures only)."""
    chosen = given or answers(value)
    return CheckIn.objects.create(
        person=person,
        version=version or cfs_v1(),
        answered_at=answered_at or timezone.now(),
        answers=chosen,
        scores=subscale_scores(CFS_STRUCTURE, chosen),
    )


def supervise(supervisor, supervisee) -> SupervisionAgreement:
    """Create an active supervision agreement."""
    return SupervisionAgreement.objects.create(supervisor=supervisor, supervisee=supervisee)


def share(checkin: CheckIn, supervisor) -> ResultShare:
    """Create an active share directly (no audit: fixtures only)."""
    return ResultShare.objects.create(checkin=checkin, supervisor=supervisor)
