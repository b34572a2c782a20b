"""Leave a person records privately: the list, adding leave and deleting a record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_support import LeaveForm
from ..models import LeaveRecord
from ..permissions_support import owned_or_404
from ..selectors.leave import days_since_last_leave, leave_own
from ..services.leave import leave_delete, leave_record
from .support import acting_user, form_submit

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

RECORDED = _("Your leave was recorded. Only you can see it.")
DELETED = _("The leave record was deleted.")


@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest) -> HttpResponse:
    """List the user's own leave and record more."""
    user = acting_user(request)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form_submit(
        form, lambda: leave_record(actor=user, **form.cleaned_data)
    ):
        messages.success(request, RECORDED)
        return redirect("wellbeing:leave")
    return render(
        request,
        "staffwellbeing/leave/list.html",
        {"form": form, "records": leave_own(user=user), "days_since": days_since_last_leave(user)},
    )


@require_http_methods(["GET", "POST"])
def leave_delete_view(request: HttpRequest, leave_id: int) -> HttpResponse:
    """Ask for confirmation, then delete one of the user's leave records."""
    user = acting_user(request)
    if request.method == "POST":
        leave_delete(actor=user, leave_id=leave_id)
        messages.success(request, DELETED)
        return redirect("wellbeing:leave")
    record = owned_or_404(LeaveRecord.objects.all(), actor=user, pk=leave_id, action="leave_delete")
    return render(request, "staffwellbeing/leave/delete.html", {"record": record})
