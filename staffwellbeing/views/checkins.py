"""Pages of own check-ins, sharing, results shared with a supervisor, and loading wording."""

from __future__ import annotations

from csp.constants import NONE, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from carecore.audit.events import EventType

from ..charts import trend_chart_svg
from ..forms_checkins import CheckInForm, InstrumentLoadForm, ShareForm
from ..permissions import can_check_in, can_load_instrument
from ..scoring import InvalidAnswers
from ..selectors.checkins import (
    Purpose,
    checkin_comparison_for,
    checkin_get_for,
    checkin_get_own,
    checkin_history_for,
    checkin_item_answers,
    checkins_shared_with,
    instrument_current_version,
    subscale_labels,
    supervisors_of,
    version_display,
    version_with_structure,
    wellbeing_access_require,
)
from ..selectors.leave import days_since_last_leave
from ..services.checkins import checkin_record
from ..services.instruments import (
    InvalidInstrument,
    instrument_payload_parse,
    instrument_version_load,
)
from ..services.sharing import ShareRefused, result_share, result_unshare

SAVED = _("Your answers are saved. Only you can see this result unless you share it.")
SHARED = _("The result is shared with your supervisor. You can stop sharing it at any time.")
UNSHARED = _("The result is no longer shared with that supervisor.")
LOADED = _("The wording is loaded as version %(number)d.")


def _support_request_url() -> str:
    return reverse("wellbeing:support_request")


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    """Show the scale and record a complete, valid set of answers."""
    wellbeing_access_require(
        user=request.user, allowed=can_check_in(request.user), purpose=Purpose.CHECK_IN
    )
    display = version_display(instrument_current_version())
    form = CheckInForm(request.POST or None, display=display)
    if request.method == "POST" and form.is_valid():
        try:
            saved = checkin_record(
                actor=request.user, version=display.version, answers=form.answers()
            )
        except InvalidAnswers as error:
            for letter, message in error.errors.items():
                form.add_error(
                    f"item_{letter}" if f"item_{letter}" in form.fields else None, message
                )
        else:
            messages.success(request, SAVED)
            return redirect("wellbeing:result", checkin_id=saved.pk)
    return render(
        request, "staffwellbeing/checkins/checkin.html", {"form": form, "display": display}
    )


@require_GET
def result(request: HttpRequest, checkin_id: int) -> HttpResponse:
    """Show one result: its scores, and for its owner the comparisons, answers and sharing."""
    found = checkin_get_for(user=request.user, checkin_id=checkin_id)
    display = version_display(version_with_structure(found.version_id))
    is_owner = found.person_id == request.user.pk
    context = {
        "checkin": found,
        "display": display,
        "is_owner": is_owner,
        "labels": subscale_labels(),
        "scores": {code: found.scores.get(code) for code in subscale_labels()},
        "support_request_url": _support_request_url(),
    }
    if is_owner:
        supervisors = supervisors_of(request.user)
        shared_ids = set(
            found.shares.filter(revoked_at__isnull=True).values_list("supervisor_id", flat=True)
        )
        context.update(
            comparison=checkin_comparison_for(user=request.user, checkin=found),
            answers=checkin_item_answers(found, display),
            supervisors=[(person, person.pk in shared_ids) for person in supervisors],
        )
    return render(request, "staffwellbeing/checkins/result.html", context)


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Show the person's own history, trend chart and what to do next."""
    history = checkin_history_for(user=request.user)
    return render(
        request,
        "staffwellbeing/checkins/mine.html",
        {
            "history": history,
            "labels": subscale_labels(),
            "support_request_url": _support_request_url(),
            "days_since_leave": days_since_last_leave(request.user),
        },
    )


@require_GET
@csp_replace(
    {
        # An SVG image runs no script; pygal's styles are inline in the SVG itself.
        "default-src": [NONE],
        "style-src": [UNSAFE_INLINE],
        "script-src": [NONE],
        "img-src": [NONE],
        "font-src": [NONE],
        "connect-src": [NONE],
    }
)
def chart(request: HttpRequest) -> HttpResponse:
    """Return the person's trend chart as an SVG image."""
    history = checkin_history_for(user=request.user, event=EventType.CHECKIN_CHART_VIEWED)
    svg = trend_chart_svg(history.rows, subscale_labels())
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Disposition"] = 'inline; filename="wellbeing-trend.svg"'
    return response


@require_http_methods(["GET", "POST"])
def share(request: HttpRequest, checkin_id: int) -> HttpResponse:
    """Confirm, then share one result with a current supervisor."""
    found = checkin_get_own(user=request.user, checkin_id=checkin_id)
    supervisors = supervisors_of(request.user)
    form = ShareForm(request.POST or None, supervisors=supervisors)
    if request.method == "POST" and form.is_valid():
        chosen = next(p for p in supervisors if p.pk == form.cleaned_data["supervisor"])
        try:
            result_share(actor=request.user, checkin=found, supervisor=chosen)
        except ShareRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, SHARED)
            return redirect("wellbeing:result", checkin_id=found.pk)
    return render(
        request,
        "staffwellbeing/checkins/share_confirm.html",
        {"checkin": found, "form": form, "supervisors": supervisors},
    )


@require_http_methods(["GET", "POST"])
def unshare(request: HttpRequest, checkin_id: int, supervisor_id: int) -> HttpResponse:
    """Confirm, then stop sharing one result with one supervisor."""
    found = checkin_get_own(user=request.user, checkin_id=checkin_id)
    error = None
    if request.method == "POST":
        try:
            result_unshare(actor=request.user, checkin=found, supervisor_id=supervisor_id)
        except ShareRefused as refused:
            error = str(refused)
        else:
            messages.success(request, UNSHARED)
            return redirect("wellbeing:result", checkin_id=found.pk)
    return render(
        request,
        "staffwellbeing/checkins/unshare_confirm.html",
        {"checkin": found, "supervisor_id": supervisor_id, "error": error},
    )


@require_GET
def shared_with_me(request: HttpRequest) -> HttpResponse:
    """List the results that supervisees currently share with the user."""
    rows = checkins_shared_with(user=request.user)
    return render(
        request,
        "staffwellbeing/checkins/shared_with_me.html",
        {"rows": rows, "labels": subscale_labels()},
    )


@require_http_methods(["GET", "POST"])
def instrument_load(request: HttpRequest) -> HttpResponse:
    """Let an admin paste or upload instrument wording, preview it, then load it."""
    wellbeing_access_require(
        user=request.user,
        allowed=can_load_instrument(request.user),
        purpose=Purpose.LOAD_INSTRUMENT,
    )
    form = InstrumentLoadForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            preview = instrument_payload_parse(form.cleaned_data["text"])
            if request.POST.get("confirm") == "yes":
                version = instrument_version_load(actor=request.user, payload=preview)
                messages.success(request, LOADED % {"number": version.number})
                return redirect("wellbeing:instrument_load")
        except InvalidInstrument as error:
            form.add_error(None, str(error))
            preview = None
    return render(
        request,
        "staffwellbeing/checkins/instrument_load.html",
        {
            "form": form,
            "preview": preview,
            "preview_json": form.cleaned_data.get("text", "") if preview else "",
            "current": instrument_current_version(),
            "labels": subscale_labels(),
        },
    )
