"""Accounts in the Django admin: read-only, for admins.

Every change goes through the access-management pages, which call the services and write the
audit trail; an admin form that saved models directly would bypass both. The admin site is
not mounted in `carecore/urls.py`; this keeps it safe if it ever is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from .models import ConfidentialityRules, User
from .permissions import can_manage_access


class ReadOnlyForAccessManagersAdmin(admin.ModelAdmin):
    """Let access managers look; let nobody add, change or delete."""

    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_access(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_access(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyForAccessManagersAdmin):
    # Account fields only: the user model holds no clinical or wellbeing data, and none may
    # be added to these lists.
    list_display = ("username", "first_name", "last_name", "is_active", "is_privacy_officer")
    list_filter = ("is_active", "is_privacy_officer", "groups")
    search_fields = ("username", "first_name", "last_name")
    ordering = ("username",)
    fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_privacy_officer",
        "groups",
        "last_login",
        "date_joined",
    )
    readonly_fields = fields


@admin.register(ConfidentialityRules)
class ConfidentialityRulesAdmin(ReadOnlyForAccessManagersAdmin):
    list_display = ("version", "title", "published_at", "published_by")
    ordering = ("-version",)
    fields = ("version", "title", "body", "published_at", "published_by")
    readonly_fields = fields


# Role groups and their permissions come from a data migration; editing them in the admin
# would change what every holder of a role may do, with no audit event.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
