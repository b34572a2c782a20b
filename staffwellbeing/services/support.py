"""Support plans: asking for a support meeting, opening, updating and closing a plan.

A plan follows the guide's meeting when compassion fatigue is suspected. Its text fields are
encrypted; audit events carry ids and enum values only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import PatientWork, SupportPlan, SupportPlanMember, SupportPlanStatus
from ..permissions_support import (
    NOT_YOUR_SUPERVISEE,
    PLAN_CLOSED,
    WellbeingActionRefused,
    WellbeingInvalid,
    access_denied_record,
    can_change_support_plan,
    can_open_support_plan_for,
)

TARGET = "staffwellbeing.supportplan"
REFERRAL_DETAILS_REQUIRED = _("Say who the person is referred to, or untick the referral.")
PATIENT_WORK_DETAILS_REQUIRED = _(
    "Describe how patient work is reduced or paused and how the caseload will be covered."
)
REVIEW_BEFORE_MEETING = _("The review meeting cannot be before the support meeting.")
MEMBER_IS_PERSON = _("The person the plan is about sees it already; do not name them.")
MEMBER_INACTIVE = _("Only active staff can be named on a plan.")
INVALID_PATIENT_WORK = _("Choose continue, reduce or pause.")


@dataclass(frozen=True)
class SupportPlanContent:
    """What the meeting agreed: every editable part of a plan."""

    meeting_date: dt.date | None = None
    occupational_referral: bool = False
    referral_details: str = ""
    responsibilities_review: str = ""
    patient_work: str = PatientWork.CONTINUE
    patient_work_details: str = ""
    support_provider: str = ""
    review_meeting_date: dt.date | None = None


def _validate(content: SupportPlanContent, person: User, members: Iterable[User]) -> list[User]:
    if content.patient_work not in PatientWork.values:
        raise WellbeingInvalid(INVALID_PATIENT_WORK, field="patient_work")
    if content.occupational_referral and not content.referral_details.strip():
        raise WellbeingInvalid(REFERRAL_DETAILS_REQUIRED, field="referral_details")
    if content.patient_work != PatientWork.CONTINUE and not content.patient_work_details.strip():
        raise WellbeingInvalid(PATIENT_WORK_DETAILS_REQUIRED, field="patient_work_details")
    if (
        content.meeting_date is not None
        and content.review_meeting_date is not None
        and content.review_meeting_date < content.meeting_date
    ):
        raise WellbeingInvalid(REVIEW_BEFORE_MEETING, field="review_meeting_date")
    chosen = list({member.pk: member for member in members}.values())
    for member in chosen:
        if member.pk == person.pk:
            raise WellbeingInvalid(MEMBER_IS_PERSON, field="members")
        if not member.is_active:
            raise WellbeingInvalid(MEMBER_INACTIVE, field="members")
    return chosen


def _apply(plan: SupportPlan, content: SupportPlanContent) -> None:
    plan.meeting_date = content.meeting_date
    plan.occupational_referral = content.occupational_referral
    plan.referral_details = content.referral_details.strip()
    plan.responsibilities_review = content.responsibilities_review.strip()
    plan.patient_work = content.patient_work
    plan.patient_work_details = content.patient_work_details.strip()
    plan.support_provider = content.support_provider.strip()
    plan.review_meeting_date = content.review_meeting_date


def _require_opener(actor: User, person: User, action: str) -> None:
    if not can_open_support_plan_for(actor, person):
        access_denied_record(actor=actor, action=action, target_type=TARGET)
        raise WellbeingActionRefused(NOT_YOUR_SUPERVISEE)


def _require_changer(actor: User, plan: SupportPlan, action: str) -> None:
    if not can_change_support_plan(actor, plan):
        access_denied_record(actor=actor, action=action, target_type=TARGET, target_id=plan.pk)
        raise WellbeingActionRefused(NOT_YOUR_SUPERVISEE)
    if plan.status != SupportPlanStatus.OPEN:
        raise WellbeingInvalid(PLAN_CLOSED)


def support_meeting_request(*, actor: User, preferred_date: dt.date | None = None) -> SupportPlan:
    """Open a plan for `actor` themself, asking their supervisor for a meeting."""
    with transaction.atomic():
        plan = SupportPlan.objects.create(
            person=actor, opened_by=actor, meeting_date=preferred_date
        )
        audit_event_record(event_type=EventType.SUPPORT_MEETING_REQUESTED, actor=actor, target=plan)
    return plan


def support_plan_open(
    *,
    actor: User,
    person: User,
    content: SupportPlanContent,
    members: Iterable[User] = (),
) -> SupportPlan:
    """Open a support plan about `person` (the person themself or their supervisor)."""
    _require_opener(actor, person, "support_plan_open")
    chosen = _validate(content, person, members)
    with transaction.atomic():
        plan = SupportPlan(person=person, opened_by=actor)
        _apply(plan, content)
        plan.save()
        SupportPlanMember.objects.bulk_create(
            SupportPlanMember(plan=plan, user=member) for member in chosen
        )
        audit_event_record(
            event_type=EventType.SUPPORT_PLAN_OPENED,
            actor=actor,
            target=plan,
            details={
                "person": person.pk,
                "patient_work": plan.patient_work,
                "members": sorted(member.pk for member in chosen),
            },
        )
    return plan


def support_plan_update(
    *,
    actor: User,
    plan: SupportPlan,
    content: SupportPlanContent,
    members: Iterable[User] = (),
) -> SupportPlan:
    """Record what the meeting agreed; the named list becomes exactly `members`."""
    _require_changer(actor, plan, "support_plan_update")
    chosen = _validate(content, plan.person, members)
    with transaction.atomic():
        locked = SupportPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != SupportPlanStatus.OPEN:
            raise WellbeingInvalid(PLAN_CLOSED)
        _apply(locked, content)
        locked.save()
        wanted = {member.pk for member in chosen}
        current = set(locked.members.values_list("user_id", flat=True))
        locked.members.exclude(user_id__in=wanted).delete()
        SupportPlanMember.objects.bulk_create(
            SupportPlanMember(plan=locked, user_id=user_id) for user_id in wanted - current
        )
        audit_event_record(
            event_type=EventType.SUPPORT_PLAN_UPDATED,
            actor=actor,
            target=locked,
            details={
                "person": locked.person_id,
                "patient_work": locked.patient_work,
                "members_added": sorted(wanted - current),
                "members_removed": sorted(current - wanted),
            },
        )
    return locked


def support_plan_close(*, actor: User, plan: SupportPlan) -> SupportPlan:
    """Close `plan`: it stays readable to the same people and can no longer change."""
    _require_changer(actor, plan, "support_plan_close")
    with transaction.atomic():
        locked = SupportPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != SupportPlanStatus.OPEN:
            raise WellbeingInvalid(PLAN_CLOSED)
        locked.status = SupportPlanStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        audit_event_record(
            event_type=EventType.SUPPORT_PLAN_CLOSED,
            actor=actor,
            target=locked,
            details={"person": locked.person_id},
        )
    return locked
