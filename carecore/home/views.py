"""The home page, the health check and the generic error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from .sections import home_page_for


def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user the home sections of every role they hold."""
    return render(request, "home/home.html", {"page": home_page_for(request.user)})


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    """Answer "ok" to the load balancer without touching the database or the session."""
    return HttpResponse("ok", content_type="text/plain")


# The error handlers replace Django's defaults on purpose: those pass the requested path and the
# exception message to the template. These pages name nothing from the request, so a URL holding
# a name or a document number is never echoed back, and no detail of the failure is disclosed.


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Render the generic 400 page without the request's context."""
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Render the generic 403 page inside the site layout."""
    return HttpResponseForbidden(loader.render_to_string("403.html", request=request))


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Render the generic 404 page inside the site layout."""
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request: HttpRequest) -> HttpResponse:
    """Render the static 500 page: no context processors, no database, no request data."""
    return HttpResponseServerError(loader.render_to_string("500.html"))
