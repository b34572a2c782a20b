"""Who may review retention, propose and decide destruction, and read the destruction report.

Privacy officers only, and every page answers anyone else with the same 404 as a missing
record (audited), so the existence of a proposal or a candidate cannot be probed. Destruction
needs two privacy officers: the proposer never decides their own proposal (also a database
constraint on `DestructionRequest`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.audit.services import audit_access_denied
from carecore.refusals import Refusal

from .common import is_privacy_officer

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

# Same text for a missing and a forbidden record: nothing to learn by probing.
NOT_FOUND = _("Nothing matches this reference.")
NOT_A_PRIVACY_OFFICER = _("Only privacy officers can propose or decide the destruction of a case.")
PROPOSER_CANNOT_DECIDE = _(
    "You proposed this destruction: another privacy officer must approve or reject it."
)
ONLY_PROPOSER_CANCELS = _(
    "Only the privacy officer who proposed this destruction can cancel it. Reject it instead."
)

CANDIDATE_TARGET = "lifecycle.retentioncandidate"
REQUEST_TARGET = "lifecycle.destructionrequest"
TOMBSTONE_TARGET = "lifecycle.destructiontombstone"


class RetentionAction(models.TextChoices):
    """What a privacy officer does here; recorded in ACCESS_DENIED details."""

    VIEW = "retention.view", _("See the retention candidates")
    PROPOSE = "retention.propose", _("Propose destruction")
    VIEW_REQUEST = "retention.view_request", _("See a destruction proposal")
    DECIDE = "retention.decide", _("Approve or reject destruction")
    CANCEL = "retention.cancel", _("Cancel a destruction proposal")
    REPORT = "retention.report", _("See the destruction report")


class DenialReason(models.TextChoices):
    ROLE = "role"  # not an active privacy officer
    NOT_FOUND = "not_found"  # no such candidate or proposal
    SECOND_PERSON = "second_person"  # the proposer tried to decide
    NOT_PROPOSER = "not_proposer"  # someone else tried to cancel


class RetentionNotFound(Http404):
    """The record does not exist or the user may not see it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class RetentionRefused(Refusal):
    """A retention or destruction step was refused; nothing was changed.

    `str()` and `.message` give one of the module constants, safe to show.
    """


def can_manage_retention(user: AnyUser | None) -> bool:
    """Return whether `user` may see candidates, propose and decide destruction, and the report."""
    return is_privacy_officer(user)


def retention_denial_record(
    *,
    user: AnyUser | None,
    action: RetentionAction,
    reason: DenialReason,
    target_type: str = CANDIDATE_TARGET,
    target_id: str | int = "",
    case_code: str = "",
) -> None:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction."""
    audit_access_denied(
        actor=user,
        action=action,
        reason=reason,
        target_type=target_type,
        target_id=target_id,
        case_code=case_code,
    )


def retention_require(
    *, user: AnyUser | None, action: RetentionAction, target_type: str = CANDIDATE_TARGET
) -> None:
    """Raise RetentionNotFound (404), audited, unless `user` is an active privacy officer."""
    if not can_manage_retention(user):
        retention_denial_record(
            user=user, action=action, reason=DenialReason.ROLE, target_type=target_type
        )
        raise RetentionNotFound
