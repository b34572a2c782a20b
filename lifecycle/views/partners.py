"""The partner register: list (everyone), add, edit and deactivate (managers, privacy officers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from patients.exceptions import InvalidRequest

from ..forms_referrals import PartnerForm, add_service_error
from ..permissions.referrals import can_manage_partners
from ..selectors.partners import partner_get_for_keeper, partners_list
from ..services.partners import (
    partner_create,
    partner_deactivate,
    partner_update,
    partners_require_keeper,
)

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse, QueryDict

    from carecore.accounts.models import User

PAGE_SIZE = 25
PARTNER_ADDED = _("The partner organisation was added.")
PARTNER_SAVED = _("The partner organisation was saved.")
PARTNER_DEACTIVATED = _("The partner organisation is no longer offered for new referrals.")


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _posted(request: HttpRequest) -> QueryDict | None:
    # `request.POST or None` would leave an empty submission unbound, silently unvalidated.
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET"])
def partner_list(request: HttpRequest) -> HttpResponse:
    """List partner organisations: name, country and kind (never the contact route)."""
    user = _user(request)
    keeper = can_manage_partners(user)
    partners = partners_list(include_inactive=keeper)
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "lifecycle/partners/list.html",
        {"page_obj": page, "partners": page.object_list, "may_manage": keeper},
    )


@require_http_methods(["GET", "POST"])
def partner_new(request: HttpRequest) -> HttpResponse:
    """Add a partner organisation."""
    user = _user(request)
    partners_require_keeper(actor=user, action="partner_create")
    form = PartnerForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            partner_create(actor=user, details=form.details())
        except InvalidRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, PARTNER_ADDED)
            return redirect("lifecycle:partners")
    return render(request, "lifecycle/partners/form.html", {"form": form, "partner": None})


@never_cache
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a partner's details, its secure contact route or whether it is active."""
    user = _user(request)
    partner = partner_get_for_keeper(user=user, partner_id=pk)
    initial = {
        "name": partner.name,
        "country": partner.country,
        "kind": partner.kind,
        "secure_contact_route": partner.secure_contact_route,
        "active": partner.active,
    }
    form = PartnerForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            partner_update(actor=user, partner=partner, details=form.details())
        except InvalidRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, PARTNER_SAVED)
            return redirect("lifecycle:partners")
    return render(request, "lifecycle/partners/form.html", {"form": form, "partner": partner})


@require_http_methods(["GET", "POST"])
def partner_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then stop offering a partner for new referrals."""
    user = _user(request)
    partner = partner_get_for_keeper(user=user, partner_id=pk)
    if request.method == "POST":
        partner_deactivate(actor=user, partner=partner)
        messages.success(request, PARTNER_DEACTIVATED)
        return redirect("lifecycle:partners")
    return render(request, "lifecycle/partners/deactivate.html", {"partner": partner})
