from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .exceptions import IntegrityError

logger = logging.getLogger(__name__)


class IntegrityErrorMiddleware:
    """Answer a value that failed its integrity check with a generic page, never the value.

    The page says the record could not be verified and names no field or value. The security
    event is guaranteed here: if the read happened inside a transaction that the error rolled
    back, the event written by the field layer went with it, so it is written again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, IntegrityError):
            return None
        if not exception.audit_committed:
            self._record(request, exception)
        html = render_to_string("crypto/integrity_error.html", request=request)
        return HttpResponse(html, status=500)

    @staticmethod
    def _record(request: HttpRequest, exception: IntegrityError) -> None:
        from carecore.audit.events import EventType, Outcome
        from carecore.audit.services import audit_event_record

        details = dict(exception.audit_details or {"reason": exception.reason})
        try:
            with transaction.atomic():
                audit_event_record(
                    event_type=EventType.INTEGRITY_ERROR,
                    outcome=Outcome.FAILURE,
                    actor=getattr(request, "user", None),
                    target_type=details.get("model", "").lower(),
                    details=details,
                )
        except DatabaseError:
            logger.exception("Could not audit an integrity failure (reason %s)", exception.reason)
