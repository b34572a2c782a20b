"""Case transfer requests: the list, asking, reading, choosing the receiver, accepting or
declining, withdrawing. Also holds the small helpers these views share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_transfers import (
    TransferAcceptForm,
    TransferAssignForm,
    TransferRequestForm,
    add_service_error,
)
from ..permissions.transfers import (
    TransferInvalid,
    TransferNotFound,
    can_request_transfer,
    can_respond,
    is_open,
    receiver_candidates_for,
    supervisor_choices_for,
    transfer_list_sections,
)
from ..selectors.transfers import (
    TransferPurpose,
    default_supervisor_id,
    receiver_candidates,
    transfer_denied_record,
    transfer_detail_for,
    transfer_get_for,
    transfer_patient_for,
    transfer_patients_for,
    transfer_summaries,
    transfer_summary_of,
    transfers_all_open_rows,
    transfers_mine_rows,
    transfers_offered_rows,
    transfers_supervising_rows,
)
from ..services.transfers import (
    transfer_accept,
    transfer_assign,
    transfer_decline,
    transfer_request,
    transfer_withdraw,
)

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from carecore.accounts.models import User

PAGE_SIZE = 25
CANDIDATES_PAGE_SIZE = 50
REQUESTED = _("Your request was sent. Only the supervisor you chose can read your reason.")
ASSIGNED = _("The case was offered to the receiving clinician.")
ACCEPTED = _("You accepted the case and are now on its care team.")
DECLINED = _("You declined the case. The supervisor will choose someone else.")
WITHDRAWN = _("Your request was withdrawn.")
SECTION_TITLES = {
    "mine": _("My requests"),
    "supervising": _("Addressed to me (as supervisor)"),
    "offered": _("Offered to me (to accept)"),
    "open": _("All open requests"),
}


@dataclass(frozen=True)
class ListSection:
    key: str
    title: str
    page: Page
    rows: list[Any]
    previous_query: str | None
    next_query: str | None


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user making `request`."""
    # LoginRequiredMiddleware has already turned every anonymous request away.
    return cast("User", request.user)


def _query_for(request: HttpRequest, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()


def list_section(request: HttpRequest, key: str, rows: Any) -> ListSection:
    """Return one section of the list page, paged by its own `<key>_page` parameter."""
    param = f"{key}_page"
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get(param))
    return ListSection(
        key=key,
        title=str(SECTION_TITLES[key]),
        page=page,
        rows=transfer_summaries(page.object_list),
        previous_query=(
            _query_for(request, param, page.previous_page_number()) if page.has_previous() else None
        ),
        next_query=(
            _query_for(request, param, page.next_page_number()) if page.has_next() else None
        ),
    )


def form_submit(form: Any, call: Callable[[], object]) -> object | None:
    """Call the service if `form` is valid; show a refusal on the form. Return its result."""
    if not form.is_valid():
        return None
    try:
        return call()
    except TransferInvalid as error:
        add_service_error(form, error)
        return None


@require_http_methods(["GET"])
def transfer_list(request: HttpRequest) -> HttpResponse:
    """List the requests the user made, decides, is offered, or (managers) oversees."""
    user = acting_user(request)
    rows_of = {
        "mine": transfers_mine_rows,
        "supervising": transfers_supervising_rows,
        "offered": transfers_offered_rows,
        "open": transfers_all_open_rows,
    }
    sections = [
        list_section(request, key, rows_of[key](user=user)) for key in transfer_list_sections(user)
    ]
    if not sections:
        transfer_denied_record(user=user, purpose="transfer_list", transfer_id=None)
        raise TransferNotFound
    return render(
        request,
        "supervision/transfers/list.html",
        {"sections": sections, "may_request": can_request_transfer(user)},
    )


@require_http_methods(["GET", "POST"])
def transfer_new(request: HttpRequest) -> HttpResponse:
    """Ask to hand over one of one's own cases, with a reason for the chosen supervisor."""
    user = acting_user(request)
    if not can_request_transfer(user):
        transfer_denied_record(user=user, purpose="transfer_request", transfer_id=None)
        raise TransferNotFound
    initial: dict[str, Any] = {"supervisor": default_supervisor_id(user)}
    if request.GET.get("patient"):
        initial["patient"] = transfer_patient_for(user=user, patient_uuid=request.GET["patient"])
    patients = transfer_patients_for(user)
    form = TransferRequestForm(
        request.POST or None,
        patients=patients,
        supervisors=supervisor_choices_for(user),
        initial=initial,
    )
    if request.method == "POST":
        transfer = form_submit(
            form,
            lambda: transfer_request(
                actor=user,
                patient=form.cleaned_data["patient"],
                supervisor=form.cleaned_data["supervisor"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if transfer is not None:
            messages.success(request, REQUESTED)
            return redirect("supervision:transfer_detail", transfer_uuid=transfer.uuid)  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/transfers/new.html",
        {"form": form, "has_patients": patients.exists()},
    )


@require_http_methods(["GET"])
def transfer_detail(request: HttpRequest, transfer_uuid: UUID) -> HttpResponse:
    """Show one request; the reason only to the chosen supervisor (audited)."""
    detail = transfer_detail_for(user=acting_user(request), transfer_uuid=transfer_uuid)
    return render(request, "supervision/transfers/detail.html", {"detail": detail})


@require_http_methods(["GET", "POST"])
def transfer_assign_view(request: HttpRequest, transfer_uuid: UUID) -> HttpResponse:
    """Let the chosen supervisor or a manager offer the case to a clinician, caseloads shown."""
    user = acting_user(request)
    transfer = transfer_get_for(
        user=user, transfer_uuid=transfer_uuid, purpose=TransferPurpose.ASSIGN
    )
    form = TransferAssignForm(request.POST or None, candidates=receiver_candidates_for(transfer))
    if request.method == "POST":
        result = form_submit(
            form,
            lambda: transfer_assign(
                actor=user, transfer=transfer, receiver=form.cleaned_data["receiver"]
            ),
        )
        if result is not None:
            messages.success(request, ASSIGNED)
            return redirect("supervision:transfer_detail", transfer_uuid=transfer.uuid)
    candidates = receiver_candidates(transfer=transfer) if is_open(transfer) else []
    return render(
        request,
        "supervision/transfers/assign.html",
        {
            "transfer": transfer_summary_of(transfer),
            "form": form,
            "candidates": Paginator(candidates, CANDIDATES_PAGE_SIZE).get_page(
                request.GET.get("page")
            ),
            "selected": str(form["receiver"].value() or transfer.receiver_id or ""),
        },
    )


@require_http_methods(["GET", "POST"])
def transfer_accept_view(request: HttpRequest, transfer_uuid: UUID) -> HttpResponse:
    """Let the receiving clinician accept the case with a handover note."""
    user = acting_user(request)
    transfer = transfer_get_for(
        user=user, transfer_uuid=transfer_uuid, purpose=TransferPurpose.RESPOND
    )
    form = TransferAcceptForm(request.POST or None)
    if request.method == "POST":
        result = form_submit(
            form,
            lambda: transfer_accept(
                actor=user, transfer=transfer, handover_note=form.cleaned_data["handover_note"]
            ),
        )
        if result is not None:
            messages.success(request, ACCEPTED)
            return redirect("supervision:transfer_detail", transfer_uuid=transfer.uuid)
    return render(
        request,
        "supervision/transfers/accept.html",
        {
            "transfer": transfer_summary_of(transfer),
            "form": form,
            "may_respond": can_respond(user, transfer),
        },
    )


def _confirmed_action(
    request: HttpRequest,
    *,
    purpose: TransferPurpose,
    transfer_uuid: UUID,
    service: Callable[..., object],
    done: Any,
    template: str,
    then: str = "supervision:transfer_detail",
) -> HttpResponse:
    user = acting_user(request)
    transfer = transfer_get_for(user=user, transfer_uuid=transfer_uuid, purpose=purpose)
    if request.method == "POST":
        try:
            service(actor=user, transfer=transfer)
        except TransferInvalid as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
            if then == "supervision:transfers":
                # The clinician who declined no longer sees the request.
                return redirect(then)
        return redirect("supervision:transfer_detail", transfer_uuid=transfer.uuid)
    return render(request, template, {"transfer": transfer_summary_of(transfer)})


@require_http_methods(["GET", "POST"])
def transfer_decline_view(request: HttpRequest, transfer_uuid: UUID) -> HttpResponse:
    """Confirm, then decline the offered case (it goes back to the supervisor)."""
    return _confirmed_action(
        request,
        purpose=TransferPurpose.RESPOND,
        transfer_uuid=transfer_uuid,
        service=transfer_decline,
        done=DECLINED,
        template="supervision/transfers/decline.html",
        then="supervision:transfers",
    )


@require_http_methods(["GET", "POST"])
def transfer_withdraw_view(request: HttpRequest, transfer_uuid: UUID) -> HttpResponse:
    """Confirm, then withdraw one's own request before it is accepted."""
    return _confirmed_action(
        request,
        purpose=TransferPurpose.WITHDRAW,
        transfer_uuid=transfer_uuid,
        service=transfer_withdraw,
        done=WITHDRAWN,
        template="supervision/transfers/withdraw.html",
    )
