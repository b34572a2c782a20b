from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class User(AbstractUser):
    """A member of staff. Roles are groups; see `carecore.accounts.roles.Role`."""

    is_privacy_officer = models.BooleanField(
        _("privacy officer"),
        default=False,
        help_text=_("Receives break-glass alerts and reviews access to records."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.username

    @property
    def role_names(self) -> frozenset[str]:
        """Return the names of the roles this user holds (cached on the instance)."""
        cached = getattr(self, "_role_names", None)
        if cached is None:
            valid = set(Role.values)
            cached = frozenset(n for n in self.groups.values_list("name", flat=True) if n in valid)
            self._role_names = cached
        return cached

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names
