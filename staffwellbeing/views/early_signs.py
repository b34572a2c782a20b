"""Early signs: the self-check (stored only when kept), kept checks, and managing the list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_support import EarlySignAddForm, EarlySignCheckForm
from ..models import EarlySign, EarlySignCheck
from ..permissions_support import (
    WellbeingNotFound,
    can_manage_early_signs,
    owned_or_404,
    require,
)
from ..selectors.early_signs import early_sign_checks_own, early_signs_active, early_signs_all
from ..services.early_signs import (
    early_sign_active_set,
    early_sign_add,
    early_sign_check_delete,
    early_sign_check_keep,
    early_signs_suggest_scale,
)
from .support import acting_user, form_submit, optional_url

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

KEPT = _("Your check was kept. Only you can see it.")
DELETED = _("The check was deleted.")
SIGN_ADDED = _("The sign was added to the list.")
SIGN_CHANGED = _("The list was updated.")


@require_http_methods(["GET", "POST"])
def early_signs(request: HttpRequest) -> HttpResponse:
    """Show the self-check; "check" answers without saving, "keep" saves the ticked signs."""
    user = acting_user(request)
    form = EarlySignCheckForm(request.POST or None, signs=early_signs_active())
    ticked = None
    if request.method == "POST" and form.is_valid():
        ticked = list(form.cleaned_data["signs"])
        if request.POST.get("action") == "keep":
            kept = form_submit(
                form, lambda: early_sign_check_keep(actor=user, sign_ids=[s.pk for s in ticked])
            )
            if kept is not None:
                messages.success(request, KEPT)
                return redirect("wellbeing:early_sign_checks")
    return render(
        request,
        "staffwellbeing/early_signs/check.html",
        {
            "form": form,
            "ticked": ticked,
            "suggest_scale": ticked is not None and early_signs_suggest_scale(ticked),
            "checkin_url": optional_url("wellbeing:checkin"),
            "support_request_url": optional_url("wellbeing:support_request"),
        },
    )


@require_http_methods(["GET"])
def early_sign_checks(request: HttpRequest) -> HttpResponse:
    """List the checks the user chose to keep."""
    checks = early_sign_checks_own(user=acting_user(request))
    return render(request, "staffwellbeing/early_signs/kept.html", {"checks": checks})


@require_http_methods(["GET", "POST"])
def early_sign_check_delete_view(request: HttpRequest, check_id: int) -> HttpResponse:
    """Ask for confirmation, then delete one of the user's kept checks."""
    user = acting_user(request)
    if request.method == "POST":
        early_sign_check_delete(actor=user, check_id=check_id)
        messages.success(request, DELETED)
        return redirect("wellbeing:early_sign_checks")
    check = owned_or_404(
        EarlySignCheck.objects.all(), actor=user, pk=check_id, action="early_sign_check_delete"
    )
    return render(request, "staffwellbeing/early_signs/delete.html", {"check": check})


@require_http_methods(["GET", "POST"])
def early_signs_manage(request: HttpRequest) -> HttpResponse:
    """Let admins and managers add signs to the list, retire them and restore them."""
    user = acting_user(request)
    require(can_manage_early_signs(user), actor=user, action="early_signs", target=EarlySign)
    form = EarlySignAddForm(request.POST if "text" in request.POST else None)
    if request.method == "POST":
        if "sign_id" in request.POST:
            sign_id = request.POST["sign_id"]
            if not sign_id.isdigit():
                raise WellbeingNotFound
            early_sign_active_set(
                actor=user, sign_id=int(sign_id), active=request.POST.get("active") == "1"
            )
            messages.success(request, SIGN_CHANGED)
            return redirect("wellbeing:early_signs_manage")
        if form_submit(form, lambda: early_sign_add(actor=user, **form.cleaned_data)):
            messages.success(request, SIGN_ADDED)
            return redirect("wellbeing:early_signs_manage")
    return render(
        request,
        "staffwellbeing/early_signs/manage.html",
        {"form": form, "signs": early_signs_all()},
    )
