"""The research export: an explanation page, and the de-identified CSV on request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from carecore.downloads import download_response

from ..selectors.research import RESEARCH_COLUMNS
from ..services.research import research_export_produce, research_export_require
from .legal import acting_user

if TYPE_CHECKING:
    from django.http import HttpRequest


@never_cache
@require_http_methods(["GET", "POST"])
def research_export(request: HttpRequest) -> HttpResponse:
    """Explain the export (GET); download the CSV (POST, so no link prefetch triggers it)."""
    user = acting_user(request)
    if request.method == "GET":
        research_export_require(user=user)
        return render(request, "lifecycle/research/export.html", {"columns": RESEARCH_COLUMNS})
    export = research_export_produce(actor=user)
    return download_response(
        export.content,
        content_type="text/csv; charset=utf-8",
        filename=f"research-export-{timezone.localdate().isoformat()}.csv",
    )
