from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .navigation import nav_items_for, url_for


def site(request: HttpRequest) -> dict[str, Any]:
    """Expose the demo flag, session timeouts, navigation and account URLs to every template."""
    user = getattr(request, "user", None)
    # Lazy: pages that never show the navigation (sign-in, plain error pages) pay nothing.
    return {
        "carecore_demo": settings.CARECORE_DEMO,
        "session_idle_seconds": int(settings.CARECORE_SESSION_IDLE_TIMEOUT.total_seconds()),
        "nav_items": SimpleLazyObject(lambda: nav_items_for(user, request.path)),
        "site_urls": SimpleLazyObject(
            lambda: {
                "home": url_for("home:home"),
                "login": url_for("accounts:login"),
                "logout": url_for("accounts:logout"),
                "keepalive": url_for("accounts:session_keepalive"),
            }
        ),
    }
