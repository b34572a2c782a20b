"""Reads of accounts, roles and the confidentiality rules that views and middleware need."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django_otp import user_has_device

from .models import ConfidentialityRules, RulesAcknowledgement, Team, User
from .roles import Role

# Where the per-request answer of `user_has_acknowledged_current` is kept on the user object.
ACKNOWLEDGED_CACHE_ATTR = "_carecore_rules_acknowledged"


def _role_groups() -> Prefetch:
    # Only role groups, in a stable order, as `role_groups`: a list page reads roles from
    # here instead of one query per row.
    return Prefetch(
        "groups",
        queryset=Group.objects.filter(name__in=Role.values).order_by("name"),
        to_attr="role_groups",
    )


def users_list(*, search: str = "", role: str = "", active: bool | None = None) -> QuerySet[User]:
    """Return the accounts matching `search` (username or name), `role` and `active`."""
    users = User.objects.prefetch_related(_role_groups()).order_by("username", "pk")
    for term in search.split():
        users = users.filter(
            Q(username__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
        )
    if role:
        users = users.filter(groups__name=role)
    if active is not None:
        users = users.filter(is_active=active)
    return users


def user_get(*, pk: int) -> User:
    """Return the account `pk` with its role groups, or raise Http404."""
    return get_object_or_404(User.objects.prefetch_related(_role_groups()), pk=pk)


def user_has_second_factor(user: User) -> bool:
    """Return whether `user` has a confirmed second-factor device."""
    return user_has_device(user, confirmed=True)


def rules_current() -> ConfidentialityRules | None:
    """Return the newest published version of the confidentiality rules, if any."""
    return ConfidentialityRules.objects.order_by("-version").first()


def rules_versions() -> QuerySet[ConfidentialityRules]:
    """Return every published version, newest first, with how many people acknowledged it."""
    return (
        ConfidentialityRules.objects.select_related("published_by")
        .annotate(acknowledged_count=Count("acknowledgements"))
        .order_by("-version")
    )


def user_has_acknowledged_current(user: User | AnonymousUser) -> bool:
    """Return whether `user` has acknowledged the current rules (true when none exist).

    One query the first time per user object, none after: the middleware asks on every
    request, and request.user lives exactly one request.
    """
    cached: bool | None = getattr(user, ACKNOWLEDGED_CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.pk is None:
        return False
    acknowledged = (
        ConfidentialityRules.objects.order_by("-version")
        .annotate(
            acknowledged=Exists(
                RulesAcknowledgement.objects.filter(rules=OuterRef("pk"), user_id=user.pk)
            )
        )
        .values_list("acknowledged", flat=True)
        .first()
    )
    answer = True if acknowledged is None else bool(acknowledged)
    setattr(user, ACKNOWLEDGED_CACHE_ATTR, answer)
    return answer


def username_taken(username: str) -> bool:
    """Return whether an account already uses `username`, ignoring case."""
    return User.objects.filter(username__iexact=username).exists()


def teams_with_sizes() -> QuerySet[Team]:
    """Return every team with `active_members`, its number of active accounts."""
    return Team.objects.annotate(
        active_members=Count("members", filter=Q(members__is_active=True))
    ).order_by("name")
