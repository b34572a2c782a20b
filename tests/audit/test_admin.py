"""The audit admin is read-only and its readers are audited."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import RequestFactory

from carecore.audit.admin import AuditEventAdmin, EventTypeFilter
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.audit.services import audit_event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def model_admin() -> AuditEventAdmin:
    return AuditEventAdmin(AuditEvent, AdminSite())


def _request(user):
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = user
    return request


def test_nobody_may_add_change_or_delete(model_admin, admin_user):
    event = audit_event_record(event_type=EventType.LOGIN)
    request = _request(admin_user)
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.get_actions(request) == {}


def test_only_audit_readers_see_the_module(model_admin, admin_user, privacy_officer, clinician):
    assert model_admin.has_module_permission(_request(admin_user))
    assert model_admin.has_module_permission(_request(privacy_officer))
    assert not model_admin.has_module_permission(_request(clinician))
    assert not model_admin.has_view_permission(_request(clinician))


def test_action_filter_and_label(model_admin, admin_user):
    login = audit_event_record(event_type=EventType.LOGIN)
    audit_event_record(event_type=EventType.LOGOUT)
    request = RequestFactory().get("/", {"event_type": str(EventType.LOGIN.value)})
    request.user = admin_user
    list_filter = EventTypeFilter(request, dict(request.GET.lists()), AuditEvent, model_admin)
    assert list(list_filter.queryset(request, AuditEvent.objects.all())) == [login]
    assert model_admin.action(login) == str(EventType.LOGIN.label)


def test_unknown_event_type_displays_its_number():
    assert AuditEvent(event_type=9999).get_event_type_display() == "9999"
