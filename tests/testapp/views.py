"""A view reading an encrypted record, as a selector-backed page would."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from .models import Secret


def secret_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Read inside a transaction like the patient selectors, so the error unwinds one.
    with transaction.atomic():
        secret = Secret.objects.get(pk=pk)
        return HttpResponse(secret.body, content_type="text/plain")
