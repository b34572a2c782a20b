from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """Expose the demo flag and session timeouts to every template."""
    return {
        "carecore_demo": settings.CARECORE_DEMO,
        "session_idle_seconds": int(settings.CARECORE_SESSION_IDLE_TIMEOUT.total_seconds()),
    }
