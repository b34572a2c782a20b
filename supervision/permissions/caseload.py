"""Who may read and change caseload guidelines, see a clinician's figures, and hold reviews.

- Guidelines: every clinician, supervisor and manager reads them; only managers change them.
- A clinician's figures and review history: the clinician, their active supervisor (an active
  `SupervisionAgreement`) and managers. Admins and reception staff: never.
- Recording a review: only the clinician's active supervisor.
- A review's agreed actions (free text): only the clinician, the reviewer who wrote them and
  the clinician's current supervisor. Managers see the date, outcome and figures only.

Refusals answer 404 (same for missing and forbidden: no probing for people or reviews) and
write an ACCESS_DENIED event outside any transaction that is rolled back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.accounts.permissions import is_active_user
from carecore.accounts.roles import Role
from carecore.audit.services import audit_access_denied
from carecore.refusals import Refusal

from ..models import CaseloadReview, SupervisionAgreement
from ..selectors.agreements import supervisee_ids_query

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db import models

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

# Same text for a missing and a forbidden page: nothing to learn by probing.
NOT_FOUND = _("Nothing matches this reference.")
NOT_A_MANAGER = _("Only managers can change the caseload guidelines.")
NOT_THE_SUPERVISOR = _("Only the clinician's current supervisor can record a caseload review.")

GUIDELINE_READER_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR, Role.MANAGER})


class CaseloadAction:
    """The action named in ACCESS_DENIED events (an enum value, never free text)."""

    READ_GUIDELINES = "read_caseload_guidelines"
    CHANGE_GUIDELINES = "change_caseload_guidelines"
    VIEW_FIGURES = "view_caseload_figures"
    VIEW_REVIEWS = "view_caseload_reviews"
    VIEW_REVIEW = "view_caseload_review"
    RECORD_REVIEW = "record_caseload_review"


class DenialReason:
    NOT_FOUND = "not_found"  # no such clinician or review
    ROLE = "role"  # the page needs a role the user lacks
    RELATIONSHIP = "relationship"  # the user is not the clinician, their supervisor or a manager


class CaseloadNotFound(Http404):
    """The page or record does not exist or the user may not see it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class CaseloadInvalid(Refusal):
    """The request breaks a rule (a form error); nothing was saved. `str()` is a constant."""


class CaseloadActionRefused(Refusal, PermissionDenied):
    """A service was called by someone without the role or relationship (a 403)."""


def _has(user: AnyUser | None, role: Role) -> bool:
    return is_active_user(user) and user.has_role(role)  # type: ignore[union-attr]


def access_denied_record(
    *,
    actor: AnyUser | None,
    action: str,
    reason: str,
    target: type[models.Model],
    target_id: str | int = "",
) -> None:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction."""
    audit_access_denied(
        actor=actor if is_active_user(actor) else None,
        action=action,
        reason=reason,
        target_type=target._meta.label_lower,
        target_id=target_id,
    )


def can_read_guidelines(user: AnyUser | None) -> bool:
    """Return whether `user` may read the caseload guidelines and their history."""
    return is_active_user(user) and bool(user.role_names & GUIDELINE_READER_ROLES)  # type: ignore[union-attr]


def can_change_guidelines(user: AnyUser | None) -> bool:
    """Return whether `user` may save a new version of the caseload guidelines."""
    return _has(user, Role.MANAGER)


def has_own_caseload(user: AnyUser | None) -> bool:
    """Return whether `user` is a clinician, so has a caseload of their own."""
    return _has(user, Role.CLINICIAN)


def is_active_supervisor_of(user: AnyUser | None, clinician_id: int) -> bool:
    """Return whether `user` is `clinician_id`'s clinical supervisor under an active agreement."""
    if not is_active_user(user):
        return False
    return SupervisionAgreement.objects.filter(
        supervisor_id=user.pk,  # type: ignore[union-attr]
        supervisee_id=clinician_id,
        active=True,
    ).exists()


def can_view_caseload_of(user: AnyUser | None, clinician: User) -> bool:
    """Return whether `user` may see `clinician`'s caseload figures and review history."""
    if not is_active_user(user):
        return False
    if user.pk == clinician.pk:  # type: ignore[union-attr]
        return has_own_caseload(user)
    return _has(user, Role.MANAGER) or is_active_supervisor_of(user, clinician.pk)


def can_record_review_for(user: AnyUser | None, clinician: User) -> bool:
    """Return whether `user` may record a caseload review with `clinician`."""
    return is_active_supervisor_of(user, clinician.pk)


def reviews_visible_to(user: AnyUser | None) -> QuerySet[CaseloadReview, CaseloadReview]:
    """Return the reviews whose date, outcome and figures `user` may see."""
    if not is_active_user(user):
        return CaseloadReview.objects.none()
    if _has(user, Role.MANAGER):
        return CaseloadReview.objects.all()
    own = Q(clinician_id=user.pk) if has_own_caseload(user) else Q(pk__in=[])  # type: ignore[union-attr]
    supervised = Q(clinician_id__in=supervisee_ids_query(user))  # type: ignore[arg-type]
    return CaseloadReview.objects.filter(own | supervised)


def can_read_review_actions(user: AnyUser | None, review: CaseloadReview) -> bool:
    """Return whether `user` may read the agreed actions of `review` (never by role alone)."""
    if not is_active_user(user):
        return False
    user_id = user.pk  # type: ignore[union-attr]
    if user_id == review.clinician_id or user_id == review.reviewer_id:
        return True
    return is_active_supervisor_of(user, review.clinician_id)
