"""Referrals out: lists, preparing, approving (passphrase shown once), tracking, download."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from carecore.downloads import download_response
from patients.exceptions import InvalidRequest

from ..forms_referrals import ReferralForm, RejectForm, StatusForm, add_service_error
from ..models import ReferralStatus
from ..packaging import BundleInvalid
from ..permissions.referrals import ReferralAction, can_see_contact_route
from ..selectors.partners import partner_contact_route, partners_active
from ..selectors.referrals import (
    LIST_ALL,
    LIST_AWAITING,
    LIST_MINE,
    referral_actions_of,
    referral_chosen_attachment_count,
    referral_chosen_notes,
    referral_get_for,
    referral_list_choices,
    referral_patient_get,
    referral_prepare_context,
    referral_trail,
    referrals_list,
)
from ..services.referrals import (
    REFERRAL_BLOCKED_MESSAGE,
    STATUS_STEPS,
    WITHDRAWABLE,
    referral_approve,
    referral_package_download,
    referral_prepare,
    referral_reject,
    referral_status_set,
    referral_withdraw,
)

if TYPE_CHECKING:
    from django.http import HttpRequest, QueryDict

    from carecore.accounts.models import User
    from lifecycle.models import Referral

PAGE_SIZE = 25
PREPARED = _(
    "The referral was prepared. A second person (the care team lead or a privacy officer) "
    "must approve it before anything is sent."
)
REJECTED = _("The referral was not approved. The preparer can see your note.")
STATUS_SAVED = _("The referral's status was updated.")
WITHDRAWN = _("The referral was withdrawn. Its package can no longer be downloaded.")


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _posted(request: HttpRequest) -> QueryDict | None:
    # `request.POST or None` would leave an empty submission unbound, silently unvalidated.
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET"])
def referral_list(request: HttpRequest) -> HttpResponse:
    """List referrals: mine, awaiting my approval, all (privacy officers), or one patient's."""
    user = _user(request)
    patient = None
    if request.GET.get("patient"):
        patient = referral_patient_get(user=user, patient_uuid=request.GET["patient"])
    choices = referral_list_choices(user)
    default = LIST_ALL if any(key == LIST_ALL for key, _label in choices) else LIST_MINE
    show = request.GET.get("show") or default
    if show not in {key for key, _label in choices}:
        show = LIST_MINE
    referrals = referrals_list(user=user, show=show, patient=patient)
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "lifecycle/referrals/list.html",
        {
            "page_obj": page,
            "referrals": page.object_list,
            "patient": patient,
            "show": show,
            "choices": choices,
            "awaiting": LIST_AWAITING,
        },
    )


@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest) -> HttpResponse:
    """Prepare a referral or transfer of care for one patient (`?patient=<uuid>`)."""
    user = _user(request)
    context = referral_prepare_context(user=user, patient_uuid=request.GET.get("patient", ""))
    form = ReferralForm(_posted(request), context=context, partners=partners_active())
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_prepare(actor=user, patient=context.patient, choice=form.choice())
        except InvalidRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, PREPARED)
            return redirect("lifecycle:referral_detail", uuid=referral.uuid)
    return render(
        request,
        "lifecycle/referrals/new.html",
        {"form": form, "patient": context.patient, "context": context},
    )


def _detail_context(user: User, referral: Referral) -> dict[str, object]:
    actions = referral_actions_of(referral)
    return {
        "referral": referral,
        "notes": referral_chosen_notes(referral=referral),
        "attachment_count": referral_chosen_attachment_count(referral=referral),
        "trail": referral_trail(referral=referral),
        "may": {action.name.lower(): action in actions for action in ReferralAction},
        "awaiting": referral.status == ReferralStatus.AWAITING_APPROVAL,
        "status_steps": bool(STATUS_STEPS.get(referral.status)),
        "withdrawable": referral.status in WITHDRAWABLE,
        "contact_route": (
            partner_contact_route(user=user, partner_id=referral.partner_id)
            if can_see_contact_route(user, referral, actions)
            else None
        ),
    }


@never_cache
@require_http_methods(["GET"])
def referral_detail(request: HttpRequest, uuid: str) -> HttpResponse:
    """Show a referral: what was chosen, consent relied on, and the trail of each step."""
    user = _user(request)
    referral = referral_get_for(user=user, uuid=uuid)
    return render(request, "lifecycle/referrals/detail.html", _detail_context(user, referral))


@never_cache
@require_http_methods(["GET", "POST"])
def referral_approve_view(request: HttpRequest, uuid: str) -> HttpResponse:
    """Review and approve; the response to the approval shows the passphrase, once."""
    user = _user(request)
    referral = referral_get_for(user=user, uuid=uuid, action=ReferralAction.APPROVE)
    context = _detail_context(user, referral)
    if request.method == "POST":
        try:
            approval = referral_approve(actor=user, referral=referral)
        except (InvalidRequest, BundleInvalid) as error:
            context["error"] = str(error)
        else:
            if approval.blocked:
                context.update(
                    referral=approval.referral,
                    error=REFERRAL_BLOCKED_MESSAGE % {"partner": referral.partner.name},
                    awaiting=False,
                )
                return render(request, "lifecycle/referrals/approve.html", context, status=409)
            # Rendered straight into this response, never stored, redirected or messaged.
            context.update(referral=approval.referral, passphrase=approval.passphrase)
            return render(request, "lifecycle/referrals/approved.html", context)
    return render(request, "lifecycle/referrals/approve.html", context, status=200)


@require_http_methods(["GET", "POST"])
def referral_reject_view(request: HttpRequest, uuid: str) -> HttpResponse:
    """Decline to approve, with a note for the preparer (a confirmation step)."""
    user = _user(request)
    referral = referral_get_for(user=user, uuid=uuid, action=ReferralAction.APPROVE)
    form = RejectForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            referral_reject(actor=user, referral=referral, note=form.cleaned_data["note"])
        except InvalidRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, REJECTED)
            return redirect("lifecycle:referral_detail", uuid=referral.uuid)
    return render(request, "lifecycle/referrals/reject.html", {"form": form, "referral": referral})


@require_http_methods(["GET", "POST"])
def referral_status_view(request: HttpRequest, uuid: str) -> HttpResponse:
    """Record that the package was sent, or that the partner acknowledged or declined it."""
    user = _user(request)
    referral = referral_get_for(user=user, uuid=uuid, action=ReferralAction.CHANGE_STATUS)
    allowed = STATUS_STEPS.get(referral.status, frozenset())
    form = StatusForm(_posted(request), allowed=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            referral_status_set(actor=user, referral=referral, status=form.cleaned_data["status"])
        except InvalidRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, STATUS_SAVED)
            return redirect("lifecycle:referral_detail", uuid=referral.uuid)
    return render(
        request,
        "lifecycle/referrals/status.html",
        {"form": form, "referral": referral, "allowed": allowed},
    )


@require_http_methods(["GET", "POST"])
def referral_withdraw_view(request: HttpRequest, uuid: str) -> HttpResponse:
    """Confirm, then withdraw a referral that has not been sent."""
    user = _user(request)
    referral = referral_get_for(user=user, uuid=uuid, action=ReferralAction.WITHDRAW)
    error = None
    if request.method == "POST":
        try:
            referral_withdraw(actor=user, referral=referral)
        except InvalidRequest as refusal:
            error = str(refusal)
        else:
            messages.success(request, WITHDRAWN)
            return redirect("lifecycle:referral_detail", uuid=referral.uuid)
    return render(
        request,
        "lifecycle/referrals/withdraw.html",
        {"referral": referral, "withdrawable": referral.status in WITHDRAWABLE, "error": error},
    )


@never_cache
@require_http_methods(["GET"])
def referral_package(request: HttpRequest, uuid: str) -> HttpResponse:
    """Download the sealed archive (it opens only with the passphrase)."""
    user = _user(request)
    referral = referral_get_for(user=user, uuid=uuid, action=ReferralAction.DOWNLOAD)
    download = referral_package_download(actor=user, referral=referral)
    return download_response(
        download.content, content_type="application/zip", filename=download.filename
    )
