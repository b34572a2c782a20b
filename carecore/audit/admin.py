"""A read-only admin for the audit trail: no one adds, changes or deletes events there."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .events import EventType
from .models import AuditEvent
from .permissions import audit_log_may_view
from .services import audit_event_record

# The changelist's own query parameters. Only these names are recorded: a crafted parameter
# name is free text.
_ADMIN_FILTER_KEYS = frozenset(
    {
        "q",
        "o",
        "p",
        "event_type",
        "outcome__exact",
        "occurred_at__year",
        "occurred_at__month",
        "occurred_at__day",
    }
)


class EventTypeFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "event_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        return [(value, str(label)) for value, label in EventType.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet:
        value = self.value()
        return queryset.filter(event_type=int(value)) if value and value.isdigit() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "occurred_at",
        "action",
        "outcome",
        "actor",
        "target_type",
        "target_id",
        "case_code",
        "ip_address",
    ]
    list_filter = [EventTypeFilter, "outcome"]
    list_select_related = ["actor"]
    search_fields = ["=actor__username", "=target_id", "=case_code"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    actions = None

    @admin.display(description=_("action"), ordering="event_type")
    def action(self, obj: AuditEvent) -> str:
        return obj.get_event_type_display()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return audit_log_may_view(user=request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return audit_log_may_view(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if audit_log_may_view(user=request.user):
            # Reading the log through the admin is audited like the project's own viewer;
            # only the names of the filters are kept, never the search text.
            audit_event_record(
                event_type=EventType.AUDIT_LOG_VIEWED,
                actor=request.user,
                target_type="audit.auditevent",
                details={
                    "via": "admin",
                    "filters": sorted(key for key in request.GET if key in _ADMIN_FILTER_KEYS),
                },
            )
        return super().changelist_view(request, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if audit_log_may_view(user=request.user):
            audit_event_record(
                event_type=EventType.AUDIT_LOG_VIEWED,
                actor=request.user,
                target_type="audit.auditevent",
                target_id=object_id if object_id.isdigit() else "",
                details={"via": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)
