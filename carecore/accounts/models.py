from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role


class TimeStampedModel(models.Model):
    """Abstract base adding creation and modification times."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Team(models.Model):
    """An organisational team (a unit of the service), used to group staff for oversight."""

    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Roles are groups; see `carecore.accounts.roles.Role`."""

    is_privacy_officer = models.BooleanField(
        _("privacy officer"),
        default=False,
        help_text=_("Receives break-glass alerts and reviews access to records."),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("team"),
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("manage_access", _("Can manage accounts, roles and lockouts")),
            ("view_audit_log", _("Can view the audit log")),
            ("publish_rules", _("Can publish confidentiality rules")),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def role_names(self) -> frozenset[str]:
        """Return the names of the roles this user holds (cached on the instance)."""
        cached: frozenset[str] | None = getattr(self, "_role_names", None)
        if cached is None:
            valid = set(Role.values)
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("groups")
            names = (
                [g.name for g in prefetched]
                if prefetched is not None
                else self.groups.values_list("name", flat=True)
            )
            cached = frozenset(n for n in names if n in valid)
            self._role_names = cached
        return cached

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names


class UserSession(models.Model):
    """Links a session to its user, so all of a user's sessions can be ended at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self) -> str:
        return f"session of user #{self.user_id}"


class ConfidentialityRules(models.Model):
    """One published version of the confidentiality rules every user must acknowledge."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("confidentiality rules version")
        verbose_name_plural = _("confidentiality rules versions")

    def __str__(self) -> str:
        return f"v{self.version}: {self.title}"


class RulesAcknowledgement(models.Model):
    """A user's acknowledgement of one version of the confidentiality rules."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rules_acknowledgements"
    )
    rules = models.ForeignKey(
        ConfidentialityRules, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "rules"], name="one_ack_per_user_and_version")
        ]
        verbose_name = _("rules acknowledgement")
        verbose_name_plural = _("rules acknowledgements")

    def __str__(self) -> str:
        return f"user #{self.user_id} acknowledged v{self.rules.version}"
