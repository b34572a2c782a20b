"""Who may keep the partner register, and who may prepare, see, approve and release referrals.

Like the patient policy, every per-referral rule is a condition over `Referral`, so a list
cannot hold a referral that its detail page would refuse:
- preparing: a clinician on the patient's active care team (break-glass is not enough: a
  referral is a deliberate act of the team, not an emergency read);
- seeing: the preparer, the approver, clinicians on the active care team, privacy officers;
- approving or rejecting: a second person, never the preparer (the database refuses it
  too): the care team lead or a privacy officer;
- status changes and withdrawal: the preparer, the care team lead, privacy officers;
- downloading the package: the preparer, the approver, privacy officers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from carecore.accounts.roles import Role
from patients.models import CareTeamMembership, CareTeamRole, Patient

from ..models import Referral, ReferralStatus
from .common import is_active_user, is_privacy_officer, roles_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

NOTHING = Q(pk__in=[])
EVERYTHING = Q(pk__isnull=False)
# A package can be fetched while it is (or was) on its way; not after withdrawal.
RELEASED_STATUSES = frozenset(
    {
        ReferralStatus.APPROVED,
        ReferralStatus.SENT,
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.DECLINED,
    }
)


class ReferralAction(models.TextChoices):
    VIEW = "referral_view", _("See the referral")
    APPROVE = "referral_approve", _("Approve or reject the referral")
    CHANGE_STATUS = "referral_status", _("Record that it was sent, acknowledged or declined")
    WITHDRAW = "referral_withdraw", _("Withdraw the referral")
    DOWNLOAD = "referral_download", _("Download the package")


def can_manage_partners(user: AnyUser) -> bool:
    """Return whether `user` may add, change and deactivate partner organisations."""
    return Role.MANAGER in roles_of(user) or is_privacy_officer(user)


def can_prepare_referral(user: AnyUser, patient: Patient) -> bool:
    """Return whether `user` is a clinician on `patient`'s active care team."""
    if Role.CLINICIAN not in roles_of(user):
        return False
    return (
        CareTeamMembership.objects.active()
        .filter(patient_id=patient.pk, clinician_id=user.pk)
        .exists()
    )


def _team(user: AnyUser, *, lead: bool = False) -> Q:
    if Role.CLINICIAN not in roles_of(user):
        return NOTHING
    memberships = CareTeamMembership.objects.filter(
        patient=OuterRef("patient"), clinician_id=user.pk, end_date__isnull=True
    )
    if lead:
        memberships = memberships.filter(role=CareTeamRole.LEAD)
    return Q(Exists(memberships))


def _any_of(*conditions: Q) -> Q:
    useful = [condition for condition in conditions if condition is not NOTHING]
    if not useful:
        return NOTHING
    if any(condition is EVERYTHING for condition in useful):
        return EVERYTHING
    combined = useful[0]
    for condition in useful[1:]:
        combined |= condition
    return combined


def _condition(user: AnyUser, action: ReferralAction) -> Q:
    """Return the condition on `Referral` under which `user` may do `action`."""
    if not is_active_user(user):
        return NOTHING
    officer = EVERYTHING if is_privacy_officer(user) else NOTHING
    preparer = Q(prepared_by_id=user.pk)
    if action == ReferralAction.VIEW:
        return _any_of(officer, preparer, Q(decided_by_id=user.pk), _team(user))
    if action == ReferralAction.APPROVE:
        # Second person: whoever approves, it is never the preparer.
        deciders = _any_of(officer, _team(user, lead=True))
        return NOTHING if deciders is NOTHING else deciders & ~preparer
    if action in (ReferralAction.CHANGE_STATUS, ReferralAction.WITHDRAW):
        return _any_of(officer, preparer, _team(user, lead=True))
    if action == ReferralAction.DOWNLOAD:
        holders = _any_of(officer, preparer, Q(decided_by_id=user.pk))
        return holders & Q(package__isnull=False, status__in=RELEASED_STATUSES)
    raise ValueError(f"unknown action: {action!r}")


def referrals_for(
    user: AnyUser, action: ReferralAction = ReferralAction.VIEW
) -> QuerySet[Referral]:
    """Return the referrals `user` may do `action` to."""
    condition = _condition(user, action)
    if condition is NOTHING:
        return Referral.objects.none()
    return Referral.objects.filter(condition)


def referral_annotations(user: AnyUser) -> dict[str, Case | Value]:
    """Return `Referral` annotations `may_<action>` for every action, for one-query checks."""
    annotations: dict[str, Case | Value] = {}
    for action in ReferralAction:
        condition = _condition(user, action)
        if condition is NOTHING:
            annotations[f"may_{action}"] = Value(False)
        elif condition is EVERYTHING:
            annotations[f"may_{action}"] = Value(True)
        else:
            annotations[f"may_{action}"] = Case(
                When(condition, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
    return annotations


def referral_actions(user: AnyUser, referral: Referral) -> frozenset[ReferralAction]:
    """Return every action `user` may do to `referral`, in one query."""
    row = (
        Referral.objects.filter(pk=referral.pk)
        .annotate(**referral_annotations(user))
        .values(*(f"may_{action}" for action in ReferralAction))
        .first()
    )
    if row is None:
        return frozenset()
    return frozenset(action for action in ReferralAction if row[f"may_{action}"])


def can_referral(user: AnyUser, action: ReferralAction, referral: Referral) -> bool:
    """Return whether `user` may do `action` to `referral`."""
    return action in referral_actions(user, referral)


def can_see_contact_route(
    user: AnyUser, referral: Referral, actions: frozenset[ReferralAction]
) -> bool:
    """Return whether the partner's secure contact route may be shown with this referral.

    Managers and privacy officers keep the register; otherwise only the person deciding
    (or who decided) the release, who sends the package and its passphrase.
    """
    if can_manage_partners(user):
        return True
    if referral.decided_by_id is not None:
        return bool(referral.decided_by_id == user.pk)
    return ReferralAction.APPROVE in actions and referral.status == ReferralStatus.AWAITING_APPROVAL
