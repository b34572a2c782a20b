"""Reads behind the caseload pages: whose figures a user may open, reviews, guideline history.

Fetch-and-check selectors answer 404 for a missing and a forbidden clinician or review alike,
and audit the refusal. Lists start from the policy (`permissions.caseload`), never load the
encrypted actions, and issue a fixed number of queries whatever their length.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Lag

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import CaseloadGuideline, CaseloadReview
from ..permissions.caseload import (
    CaseloadAction,
    CaseloadNotFound,
    DenialReason,
    access_denied_record,
    can_change_guidelines,
    can_read_guidelines,
    can_read_review_actions,
    can_record_review_for,
    can_view_caseload_of,
    has_own_caseload,
    reviews_visible_to,
)
from .caseload import CaseloadAssessment, caseload_assessment_of
from .reviews_due import ReviewStatus, review_statuses

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

GUIDELINE_FIELDS: tuple[str, ...] = (
    "max_active_patients",
    "max_complexity_points",
    "min_stages",
    "review_cadence_weeks",
)


def guidelines_require(*, user: AnyUser, change: bool = False) -> None:
    """Raise CaseloadNotFound (404), audited, unless `user` may read (or `change`) them."""
    allowed = can_change_guidelines(user) if change else can_read_guidelines(user)
    if not allowed:
        access_denied_record(
            actor=user,
            action=CaseloadAction.CHANGE_GUIDELINES if change else CaseloadAction.READ_GUIDELINES,
            reason=DenialReason.ROLE,
            target=CaseloadGuideline,
        )
        raise CaseloadNotFound


def guideline_history() -> QuerySet[CaseloadGuideline, CaseloadGuideline]:
    """Return every guideline version, newest first, each with its predecessor's values.

    Rows carry `previous_<field>` (None for the first version) and `changed_by`, so a page of
    history is one query however long it is.
    """
    order = [F("changed_at").asc(), F("id").asc()]
    previous = {f"previous_{name}": Window(Lag(name), order_by=order) for name in GUIDELINE_FIELDS}
    return (
        CaseloadGuideline.objects.select_related("changed_by")
        .annotate(**previous)
        .order_by("-changed_at", "-id")
    )


def _clinician(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, groups__name=Role.CLINICIAN).first()


def caseload_clinician_get_for(*, user: AnyUser, user_id: int, action: str) -> User:
    """Return clinician `user_id` if `user` may do `action` about their caseload, else 404.

    `action` is one of CaseloadAction.VIEW_FIGURES, VIEW_REVIEWS, RECORD_REVIEW. Missing,
    not a clinician and forbidden all answer the same 404 with an ACCESS_DENIED event.
    """
    clinician = _clinician(user_id)
    if clinician is None:
        access_denied_record(actor=user, action=action, reason=DenialReason.NOT_FOUND, target=User)
        raise CaseloadNotFound
    if action == CaseloadAction.RECORD_REVIEW:
        allowed = can_record_review_for(user, clinician)
    else:
        allowed = can_view_caseload_of(user, clinician)
    if not allowed:
        reason = DenialReason.ROLE if user.pk == clinician.pk else DenialReason.RELATIONSHIP
        access_denied_record(
            actor=user, action=action, reason=reason, target=User, target_id=clinician.pk
        )
        raise CaseloadNotFound
    return clinician


def caseload_own_require(*, user: AnyUser, action: str) -> User:
    """Return `user` if they have a caseload of their own (a clinician), else 404, audited."""
    if not has_own_caseload(user):
        access_denied_record(actor=user, action=action, reason=DenialReason.ROLE, target=User)
        raise CaseloadNotFound
    return user  # type: ignore[return-value]


def caseload_figures_for(
    *, user: AnyUser, clinician: User, today: dt.date | None = None
) -> CaseloadAssessment:
    """Return `clinician`'s assessed figures for `user`, who was checked by the selector above.

    Looking at someone else's figures is recorded (CASELOAD_FIGURES_VIEWED); one's own is not.
    """
    assessment = caseload_assessment_of(clinician.pk, today=today)
    if user.pk != clinician.pk:
        audit_event_record(
            event_type=EventType.CASELOAD_FIGURES_VIEWED,
            actor=user,
            target=clinician,
            details={"clinician": clinician.pk},
        )
    return assessment


def reviews_for_clinician(
    *, user: AnyUser, clinician: User
) -> QuerySet[CaseloadReview, CaseloadReview]:
    """Return `clinician`'s reviews that `user` may see, newest first, without the actions.

    Empty when `user` may not see them. The encrypted actions are never loaded here: read
    them through `review_detail_for`, which checks and audits.
    """
    return (
        reviews_visible_to(user)
        .filter(clinician_id=clinician.pk)
        .select_related("reviewer")
        .defer("actions")
        .order_by("-held_on", "-id")
    )


@dataclass(frozen=True)
class ReviewDetail:
    """A review as one user may see it: `actions` is None when they may not read it."""

    review: CaseloadReview
    actions: str | None

    @property
    def actions_shown(self) -> bool:
        return self.actions is not None


def review_detail_for(*, user: AnyUser, uuid: uuid_module.UUID | str) -> ReviewDetail:
    """Return review `uuid` if `user` may see it, or raise CaseloadNotFound (404), audited.

    The agreed actions are included only for the clinician, the reviewer and the clinician's
    current supervisor. Every opening is recorded as CASELOAD_REVIEW_VIEWED, saying whether
    the actions were shown.
    """
    try:
        key = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError:
        key = None
    review: CaseloadReview | None = None
    if key is not None:
        found = CaseloadReview.objects.select_related("clinician", "reviewer").filter(uuid=key)
        review = found.first()
    if review is None or not reviews_visible_to(user).filter(pk=review.pk).exists():
        access_denied_record(
            actor=user,
            action=CaseloadAction.VIEW_REVIEW,
            reason=DenialReason.NOT_FOUND if review is None else DenialReason.RELATIONSHIP,
            target=CaseloadReview,
            target_id=review.pk if review is not None else "",
        )
        raise CaseloadNotFound
    shown = can_read_review_actions(user, review)
    audit_event_record(
        event_type=EventType.CASELOAD_REVIEW_VIEWED,
        actor=user,
        target=review,
        details={"clinician": review.clinician_id, "actions_shown": shown},
    )
    return ReviewDetail(review=review, actions=review.actions if shown else None)


def review_status_of(clinician_id: int, *, today: dt.date | None = None) -> ReviewStatus | None:
    """Return when `clinician_id`'s next review is due, or None without an active supervisor."""
    statuses = review_statuses(clinician_ids=[clinician_id], today=today)
    return statuses[0] if statuses else None


@dataclass(frozen=True)
class LatestReview:
    """The most recent review of one clinician: date, outcome and its reference."""

    clinician_id: int
    uuid: uuid_module.UUID
    held_on: dt.date
    outcome: str


def latest_reviews(*, clinician_ids: Iterable[int]) -> dict[int, LatestReview]:
    """Return each clinician's latest review (absent when none), in one query.

    No access check: dashboards call it for clinicians whose caseload they already show.
    """
    ids = sorted(set(clinician_ids))
    if not ids:
        return {}
    newest = (
        CaseloadReview.objects.filter(clinician_id=OuterRef("clinician_id"))
        .order_by("-held_on", "-id")
        .values("pk")[:1]
    )
    rows: Any = CaseloadReview.objects.filter(
        clinician_id__in=ids, pk=Subquery(newest)
    ).values_list("clinician_id", "uuid", "held_on", "outcome")
    return {
        clinician_id: LatestReview(
            clinician_id=clinician_id, uuid=uuid, held_on=held_on, outcome=outcome
        )
        for clinician_id, uuid, held_on, outcome in rows
    }
