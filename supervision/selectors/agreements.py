"""Reads of supervision relationships that other apps compose (for example the patient policy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from ..models import SupervisionAgreement

if TYPE_CHECKING:
    from carecore.accounts.models import User


def supervisee_ids_query(user: User) -> QuerySet[SupervisionAgreement, Any]:
    """Return a one-column queryset of the ids of `user`'s active supervisees, for subqueries."""
    return SupervisionAgreement.objects.filter(supervisor_id=user.pk, active=True).values(
        "supervisee_id"
    )


def supervisee_ids_for(user: User) -> set[int]:
    """Return the ids of the people `user` actively supervises."""
    return set(supervisee_ids_query(user).values_list("supervisee_id", flat=True))
