"""The project's URLs plus one that fails, to see the 500 page a person would get."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from carecore.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@login_not_required
def _fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("detail-that-must-stay-private")


urlpatterns = [*urlpatterns, path("fail/", _fail)]
