"""Who may see and change support plans, job descriptions, guidelines, early signs and leave.

A support plan is visible to exactly three kinds of people: the person it is about, their
active supervisor (a `SupervisionAgreement`) and the people named on it. Managers and admins
are not among them by role: a plan is confidential, and the guide's meeting is between the
person and their supervisor. The queryset below is the only definition; a check is that
queryset filtered to one row, so the list can never show a plan the detail page would refuse.

Leave records, kept early-sign checks and notifications belong to their person alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.services import audit_access_denied
from supervision.selectors import supervisee_ids_query

from .models import SupportPlan, SupportPlanMember, SupportPlanStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db import models

    AnyUser = User | AnonymousUser

# Same text for a missing and a forbidden record: nothing to learn by probing.
NOT_FOUND = _("Nothing matches this reference.")
NOT_ALLOWED = _("Your role does not allow this.")
NOT_YOUR_SUPERVISEE = _("You can open a support plan only for yourself or someone you supervise.")
PLAN_CLOSED = _("This support plan is closed and can no longer be changed.")


class WellbeingNotFound(Http404):
    """The record does not exist or the user may not see it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class WellbeingServiceError(Exception):
    """Base of the refusals below; `str()` gives the constant message."""

    def __init__(self, message: object) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message)


class WellbeingActionRefused(WellbeingServiceError, PermissionDenied):
    """The user lacks the role or relationship for an action (a 403 page)."""


class WellbeingInvalid(WellbeingServiceError):
    """The request breaks a rule (a form error); nothing was saved."""

    def __init__(self, message: object, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


def is_active_user(user: AnyUser | None) -> bool:
    """Return True for a signed-in, active user."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def _has(user: AnyUser, role: Role) -> bool:
    return is_active_user(user) and user.has_role(role)  # type: ignore[union-attr]


def access_denied_record(
    *, actor: AnyUser, action: str, target_type: str, target_id: str | int = ""
) -> None:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction."""
    audit_access_denied(actor=actor, action=action, target_type=target_type, target_id=target_id)


# --- support plans --------------------------------------------------------------------------


def support_plans_for(user: AnyUser) -> QuerySet[SupportPlan, SupportPlan]:
    """Return the support plans `user` may read: own, supervisees', and those naming them."""
    if not is_active_user(user):
        return SupportPlan.objects.none()
    named = SupportPlanMember.objects.filter(plan=OuterRef("pk"), user=user)  # type: ignore[misc]
    return SupportPlan.objects.filter(
        Q(person_id=user.pk)
        | Q(person_id__in=supervisee_ids_query(user))  # type: ignore[arg-type]
        | Q(Exists(named))
    )


def support_plans_changeable_by(user: AnyUser) -> QuerySet[SupportPlan, SupportPlan]:
    """Return the plans `user` may change: the person's own and their supervisees'."""
    if not is_active_user(user):
        return SupportPlan.objects.none()
    return SupportPlan.objects.filter(
        Q(person_id=user.pk) | Q(person_id__in=supervisee_ids_query(user))  # type: ignore[arg-type]
    )


def can_change_support_plan(user: AnyUser, plan: SupportPlan) -> bool:
    """Return True if `user` may edit or close `plan` (named people only read it)."""
    return support_plans_changeable_by(user).filter(pk=plan.pk).exists()


def support_plan_is_open(plan: SupportPlan) -> bool:
    """Return True while `plan` may still change."""
    return plan.status == SupportPlanStatus.OPEN


def support_people_for(user: AnyUser) -> QuerySet[User, User]:
    """Return the people `user` may open a support plan for: themself and their supervisees."""
    if not is_active_user(user):
        return User.objects.none()
    return User.objects.filter(
        Q(pk=user.pk) | Q(pk__in=supervisee_ids_query(user)),  # type: ignore[arg-type]
        is_active=True,
    ).order_by("username")


def can_open_support_plan_for(user: AnyUser, person: User) -> bool:
    """Return True if `user` may open a support plan about `person`."""
    return support_people_for(user).filter(pk=person.pk).exists()


# --- roles for the organisation-wide pages --------------------------------------------------


def can_manage_early_signs(user: AnyUser) -> bool:
    """Return True if `user` may change the organisation's list of early signs."""
    return _has(user, Role.ADMIN) or _has(user, Role.MANAGER)


def can_edit_job_descriptions(user: AnyUser) -> bool:
    """Return True if `user` may edit other people's job descriptions and see overdue reviews."""
    return _has(user, Role.MANAGER)


def can_publish_guidelines(user: AnyUser) -> bool:
    """Return True if `user` may publish a new version of the self-care guidelines."""
    return _has(user, Role.ADMIN)


def can_view_guidelines_status(user: AnyUser) -> bool:
    """Return True if `user` may see who has not yet acknowledged the guidelines."""
    return _has(user, Role.MANAGER)


def require(allowed: bool, *, actor: AnyUser, action: str, target: type[models.Model]) -> None:
    """Audit and raise WellbeingActionRefused unless `allowed`."""
    if not allowed:
        access_denied_record(actor=actor, action=action, target_type=target._meta.label_lower)
        raise WellbeingActionRefused(NOT_ALLOWED)


def owned_or_404(queryset: QuerySet[Any, Any], *, actor: AnyUser, pk: int, action: str) -> Any:
    """Return the row `pk` of `actor`'s own `queryset`, or audit the refusal and raise 404."""
    row = queryset.filter(person_id=actor.pk, pk=pk).first() if is_active_user(actor) else None
    if row is None:
        exists = queryset.filter(pk=pk).exists()
        access_denied_record(
            actor=actor,
            action=action,
            target_type=queryset.model._meta.label_lower,
            target_id=pk if exists else "",
        )
        raise WellbeingNotFound
    return row
