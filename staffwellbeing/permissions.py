"""Who may see and do what with wellbeing check-ins: the one policy for results.

Only the person sees their own results. A supervisor sees a result only while the person
shares it with them and only while an active supervision agreement makes them the person's
supervisor. Managers see aggregates only; admins see no individual result, ever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from carecore.accounts.roles import Role
from supervision.selectors import supervisee_ids_query

from .models import CheckIn, ResultShare

if TYPE_CHECKING:
    from carecore.accounts.models import User

# Roles that make someone a member of staff who may monitor their own wellbeing. An account
# that is only an admin is an operator of the system, not a person who takes the scale.
STAFF_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR, Role.MANAGER, Role.RECEPTION})


def _active(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_check_in(user: User | AnonymousUser | None) -> bool:
    """Return whether `user` may take the scale and keep their own results."""
    return _active(user) and bool(user.role_names & STAFF_ROLES)  # type: ignore[union-attr]


def can_view_aggregates(user: User | AnonymousUser | None) -> bool:
    """Return whether `user` may see the organisation's aggregate figures."""
    return _active(user) and user.has_role(Role.MANAGER)  # type: ignore[union-attr]


def can_load_instrument(user: User | AnonymousUser | None) -> bool:
    """Return whether `user` may load instrument wording as a new version."""
    return _active(user) and user.has_role(Role.ADMIN)  # type: ignore[union-attr]


def active_shares_to(user: User) -> QuerySet[ResultShare]:
    """Return the shares in force to `user` as the person's current supervisor."""
    return ResultShare.objects.filter(
        supervisor_id=user.pk,
        revoked_at__isnull=True,
        checkin__person_id__in=supervisee_ids_query(user),
    )


def checkins_readable_by(user: User | AnonymousUser | None) -> QuerySet[CheckIn]:
    """Return the check-ins whose result `user` may read."""
    if not _active(user):
        return CheckIn.objects.none()
    own = Q(person_id=user.pk) if can_check_in(user) else Q(pk__in=[])  # type: ignore[union-attr]
    shared = Exists(active_shares_to(user).filter(checkin_id=OuterRef("pk")))  # type: ignore[arg-type]
    return CheckIn.objects.filter(own | Q(shared))


def can_read_checkin(user: User | AnonymousUser | None, checkin: CheckIn) -> bool:
    """Return whether `user` may read the result of `checkin`."""
    return checkins_readable_by(user).filter(pk=checkin.pk).exists()


def can_share_checkin(user: User | AnonymousUser | None, checkin: CheckIn) -> bool:
    """Return whether `user` may share or unshare `checkin` (only the person it belongs to)."""
    return can_check_in(user) and checkin.person_id == user.pk  # type: ignore[union-attr]
