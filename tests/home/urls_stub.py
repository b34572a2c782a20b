"""A URL configuration where every page the navigation links to exists (as a stub).

The real pages are built in parallel; the navigation must be testable without them.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _stub(request: HttpRequest) -> HttpResponse:
    return HttpResponse("stub")


accounts_patterns = (
    [
        path("login/", login_not_required(_stub), name="login"),
        path("logout/", _stub, name="logout"),
        path("security/", _stub, name="security"),
        path("session/keepalive/", _stub, name="session_keepalive"),
        path("users/", _stub, name="user_list"),
        path("lockouts/", _stub, name="lockout_list"),
        path("rules/", _stub, name="rules"),
        path("rules/publish/", _stub, name="rules_publish"),
    ],
    "accounts",
)
audit_patterns = ([path("events/", _stub, name="event_list")], "audit")

urlpatterns = [
    path("", include("carecore.home.urls")),
    path("accounts/", include(accounts_patterns)),
    path("audit/", include(audit_patterns)),
]

handler400 = "carecore.home.views.bad_request"
handler403 = "carecore.home.views.permission_denied"
handler404 = "carecore.home.views.page_not_found"
handler500 = "carecore.home.views.server_error"
