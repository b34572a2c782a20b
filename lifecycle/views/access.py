"""Patient access requests: record, safety review, release by a second person (passphrase
shown once), refusal, and the download of the patient's copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ..forms_legal import AccessRequestForm, RefuseForm, ReleaseForm, SafetyReviewForm
from ..models import AccessRequestStatus
from ..permissions.legal import (
    ACCESS_REQUEST_TARGET,
    DenialReason,
    LegalAction,
    LifecycleNotFound,
    can_open_access_requests,
    can_record_access_request,
    can_review_access_request,
    lifecycle_denial_record,
    patient_lookup_action,
)
from ..selectors.legal import (
    access_request_get_for,
    access_request_package_get,
    access_requests_list,
)
from ..services.access import (
    access_copy_release,
    access_request_record,
    access_request_refuse,
    access_safety_review,
)
from .legal import acting_user, package_response, page_of, patient_by_case_code, render_page, submit

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from ..models import PatientAccessRequest

RECORDED = _("The request was recorded. A safety review comes next.")
REVIEWED = _("The safety review was recorded.")
REFUSED = _("The request was refused. No copy was produced.")


def _for_step(
    request: HttpRequest, request_uuid: object, action: LegalAction
) -> PatientAccessRequest:
    # Showing a step page reads the request (audited as a view); posting it is the step.
    step = action if request.method == "POST" else LegalAction.ACCESS_VIEW
    return access_request_get_for(user=acting_user(request), request_uuid=request_uuid, action=step)


@require_GET
def access_requests(request: HttpRequest) -> HttpResponse:
    """List the access requests the user may see, newest first."""
    status = request.GET.get("status") or None
    if status not in (None, *AccessRequestStatus.values):
        status = None
    rows = access_requests_list(user=acting_user(request), status=status)
    return render_page(
        request,
        "lifecycle/access/list.html",
        {
            "page_obj": page_of(request, rows),
            "statuses": AccessRequestStatus.choices,
            "status": status or "",
        },
    )


@require_http_methods(["GET", "POST"])
def access_request_new(request: HttpRequest) -> HttpResponse:
    """Record a patient's request for a copy of their own record."""
    user = acting_user(request)
    if not can_open_access_requests(user):
        lifecycle_denial_record(
            user=user,
            action=LegalAction.ACCESS_RECORD,
            reason=DenialReason.ROLE,
            target_type=ACCESS_REQUEST_TARGET,
        )
        raise LifecycleNotFound
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Identity only; the service checks the care team (break-glass does not count).
        patient = patient_by_case_code(form, user, patient_lookup_action(user))
        created: Any = patient and submit(
            form,
            lambda data: access_request_record(
                actor=user,
                patient=patient,
                received_on=data["received_on"],
                sections=data["sections"],
            ),
        )
        if created:
            messages.success(request, RECORDED)
            return redirect("lifecycle:access_request_detail", request_uuid=created.uuid)
    return render_page(request, "lifecycle/access/new.html", {"form": form})


@require_GET
def access_request_detail(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Show one request and its steps, dated and attributed."""
    user = acting_user(request)
    access_request = access_request_get_for(user=user, request_uuid=request_uuid)
    return render_page(
        request,
        "lifecycle/access/detail.html",
        {
            "access_request": access_request,
            "may_review": can_review_access_request(user, access_request.patient_id),
            "may_release": can_record_access_request(user, access_request.patient_id)
            and access_request.reviewed_by_id != user.pk,
        },
    )


@require_http_methods(["GET", "POST"])
def access_request_review(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Record the safety review (a privacy officer or the care team lead)."""
    access_request = _for_step(request, request_uuid, LegalAction.ACCESS_REVIEW)
    form = SafetyReviewForm(request.POST or None, initial={"sections": access_request.sections})
    if request.method == "POST" and submit(
        form,
        lambda data: access_safety_review(
            actor=acting_user(request),
            access_request=access_request,
            review=data["review"],
            safe_to_release=form.safe(),  # type: ignore[attr-defined]
            sections=data["sections"],
            redact_staff=not data["name_staff"],
            staff_reason=data["staff_reason"],
        ),
    ):
        messages.success(request, REVIEWED)
        return redirect("lifecycle:access_request_detail", request_uuid=access_request.uuid)
    return render_page(
        request,
        "lifecycle/access/step.html",
        {"access_request": access_request, "form": form, "title": _("Safety review")},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def access_request_release(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Release the copy as the second person; the passphrase is shown once."""
    user = acting_user(request)
    access_request = _for_step(request, request_uuid, LegalAction.ACCESS_RELEASE)
    seen = access_request.reviewed_at.isoformat() if access_request.reviewed_at else ""
    form = ReleaseForm(request.POST or None, initial={"review_seen": seen})
    if request.method == "POST":
        built = submit(
            form,
            lambda data: access_copy_release(
                actor=user, access_request=access_request, review_seen=data["review_seen"] or None
            ),
        )
        if built is None and form.is_bound:
            # Show the review as it is now, and release on that if the releaser still agrees.
            form.data = form.data.copy()
            form.data["review_seen"] = seen
        if built is not None:
            # Rendered straight into this response: never stored, redirected or messaged.
            return render_page(
                request,
                "lifecycle/access/released.html",
                {"passphrase": built.passphrase, "access_request": access_request},  # type: ignore[attr-defined]
            )
    return render_page(
        request,
        "lifecycle/access/step.html",
        {"access_request": access_request, "form": form, "title": _("Release the copy")},
    )


@require_http_methods(["GET", "POST"])
def access_request_refuse_view(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Refuse the request with reasons, after a confirmation."""
    access_request = _for_step(request, request_uuid, LegalAction.ACCESS_REFUSE)
    form = RefuseForm(request.POST or None)
    if request.method == "POST" and submit(
        form,
        lambda data: access_request_refuse(
            actor=acting_user(request), access_request=access_request, reason=data["reason"]
        ),
    ):
        messages.success(request, REFUSED)
        return redirect("lifecycle:access_request_detail", request_uuid=access_request.uuid)
    return render_page(
        request,
        "lifecycle/access/step.html",
        {"access_request": access_request, "form": form, "title": _("Refuse the request")},
    )


@never_cache
@require_GET
def access_request_package(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Download the patient's copy (404 before the release)."""
    package = access_request_package_get(user=acting_user(request), request_uuid=request_uuid)
    return package_response(package)
