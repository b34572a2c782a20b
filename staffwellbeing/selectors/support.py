"""Reading support plans: the fetch-and-check selector and the list, both audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import PatientWork, SupportPlan, SupportPlanMember
from ..permissions_support import (
    WellbeingNotFound,
    access_denied_record,
    support_plans_changeable_by,
    support_plans_for,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User

TARGET = "staffwellbeing.supportplan"
COVER_NEEDED = frozenset({PatientWork.REDUCE, PatientWork.PAUSE})


def _with_people(queryset):  # type: ignore[no-untyped-def]
    members = SupportPlanMember.objects.select_related("user").order_by("user__username")
    return queryset.select_related("person", "opened_by").prefetch_related(
        Prefetch("members", queryset=members)
    )


def support_plan_get_for(
    *, user: User, plan_id: int, change: bool = False, record_view: bool = True
) -> SupportPlan:
    """Return plan `plan_id` if `user` may read it (or change it, with `change`); else 404.

    Missing and forbidden plans get the same 404 and an ACCESS_DENIED event, with the plan's
    id only when it exists. Unless `record_view` is False (a write follows, with its own
    event), SUPPORT_PLAN_VIEWED is written before the plan is returned.
    """
    allowed = support_plans_changeable_by(user) if change else support_plans_for(user)
    plan = _with_people(allowed.filter(pk=plan_id)).first()
    if plan is None:
        exists = SupportPlan.objects.filter(pk=plan_id).exists()
        access_denied_record(
            actor=user,
            action="support_plan_change" if change else "support_plan_view",
            target_type=TARGET,
            target_id=plan_id if exists else "",
        )
        raise WellbeingNotFound
    if record_view:
        audit_event_record(
            event_type=EventType.SUPPORT_PLAN_VIEWED,
            actor=user,
            target=plan,
            details={"person": plan.person_id, "purpose": "change" if change else "read"},
        )
    return plan


def support_plans_list_for(*, user: User) -> list[SupportPlan]:
    """Return the plans `user` may read, newest first, with their people; audited."""
    plans = list(_with_people(support_plans_for(user)).order_by("-created_at", "-pk"))
    audit_event_record(
        event_type=EventType.SUPPORT_PLAN_LIST_VIEWED,
        actor=user,
        target_type=TARGET,
        details={"plans": [plan.pk for plan in plans]},
    )
    return plans


def support_plan_needs_cover(plan: SupportPlan) -> bool:
    """Return True when the plan reduces or pauses patient work, so the caseload needs cover."""
    return plan.patient_work in COVER_NEEDED
