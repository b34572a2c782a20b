"""Personal pages: the calendar link (create, revoke, replace), the feed itself, reminders.

The feed is public (calendar apps cannot sign in): the secret token in its URL is the only
credential. Its responses are built here so that neither Django's request logger nor the
method check ever writes the path, which holds the token, to a log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..permissions.arrangements import ArrangementInvalid
from ..selectors.calendar import calendar_document, calendar_feed_active_for, calendar_feed_by_token
from ..selectors.reminders import supervision_notifications_for
from ..services.calendar import (
    calendar_feed_create,
    calendar_feed_fetch_record,
    calendar_feed_refusal_record,
    calendar_feed_replace,
    calendar_feed_revoke,
)
from ..services.reminders import supervision_notification_read
from .people import acting_user, page_of

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import CalendarFeed

FEED_REVOKED = _("Your calendar link was revoked. Calendars using it stop updating.")
REMINDER_READ = _("The reminder was marked as read.")
FEED_NOT_FOUND_BODY = "Not found\n"
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _unlogged(response: HttpResponse) -> HttpResponse:
    # Django logs every 4xx with the request path; for the feed the path is the secret.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _created(request: HttpRequest, feed: CalendarFeed, token: str) -> HttpResponse:
    # Rendered straight from the POST, never redirected: the token must not sit in a URL,
    # the session or a message store, and the page is not cached (no-store everywhere).
    url = request.build_absolute_uri(reverse("supervision:calendar_feed", args=[token]))
    return render(request, "supervision/calendar/created.html", {"feed": feed, "feed_url": url})


@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    """Show the user's calendar link status; a POST creates a link and shows it once."""
    user = acting_user(request)
    error = None
    if request.method == "POST":
        try:
            feed, token = calendar_feed_create(actor=user)
        except ArrangementInvalid as refusal:
            error = str(refusal)
        else:
            return _created(request, feed, token)
    return render(
        request,
        "supervision/calendar/calendar.html",
        {"feed": calendar_feed_active_for(user=user), "error": error},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    """Ask to confirm, then revoke the user's calendar link."""
    user = acting_user(request)
    feed = calendar_feed_active_for(user=user)
    if feed is None:
        return redirect("supervision:calendar")
    if request.method == "POST":
        calendar_feed_revoke(actor=user)
        messages.success(request, FEED_REVOKED)
        return redirect("supervision:calendar")
    return render(request, "supervision/calendar/revoke.html", {"feed": feed})


@require_http_methods(["GET", "POST"])
def calendar_replace(request: HttpRequest) -> HttpResponse:
    """Ask to confirm, then revoke the user's link and show a new one once."""
    user = acting_user(request)
    if request.method == "POST":
        new_feed, token = calendar_feed_replace(actor=user)
        return _created(request, new_feed, token)
    current = calendar_feed_active_for(user=user)
    return render(request, "supervision/calendar/replace.html", {"feed": current})


@login_not_required
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Serve the iCalendar feed of the link's owner; an unknown or revoked link is a 404."""
    if request.method != "GET":
        return _unlogged(HttpResponseNotAllowed(["GET"]))
    feed = calendar_feed_by_token(token)
    if feed is None or feed.revoked_at is not None or not feed.person.is_active:
        calendar_feed_refusal_record(feed=feed)
        # One body for unknown and revoked links: nothing to learn by probing.
        return _unlogged(HttpResponseNotFound(FEED_NOT_FOUND_BODY, content_type="text/plain"))
    document, count = calendar_document(person=feed.person)
    calendar_feed_fetch_record(feed=feed, events=count)
    response = HttpResponse(document, content_type=ICS_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = 'inline; filename="supervision.ics"'
    return response


@require_http_methods(["GET"])
def reminders(request: HttpRequest) -> HttpResponse:
    """List the user's supervision reminders, newest first."""
    rows = supervision_notifications_for(user=acting_user(request))
    return render(
        request, "supervision/calendar/reminders.html", {"page_obj": page_of(request, rows)}
    )


@require_http_methods(["POST"])
def reminder_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's reminders as read."""
    supervision_notification_read(actor=acting_user(request), notification_id=pk)
    messages.success(request, REMINDER_READ)
    return redirect("supervision:reminders")
