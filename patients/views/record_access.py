"""What every record page shares: the acting user, the clinical fetch, paging, form handling."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.paginator import Page, Paginator
from django.shortcuts import render

from ..exceptions import PatientServiceError
from ..forms_record import add_service_error
from ..permissions import Action
from ..selectors import Section, patient_get_for
from .layout import record_context

if TYPE_CHECKING:
    import uuid

    from django import forms
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse

    from carecore.accounts.models import User

    from ..models import Patient

PAGE_SIZE = 25
T = TypeVar("T")


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user making `request`."""
    # LoginRequiredMiddleware has already turned every anonymous request away.
    return cast("User", request.user)


def clinical_patient_get(
    request: HttpRequest, patient_uuid: uuid.UUID, section: Section
) -> Patient:
    """Return the patient for a clinical page of `section`, audited; or raise the 404."""
    return patient_get_for(
        user=request.user, action=Action.VIEW_CLINICAL, uuid=patient_uuid, section=section
    )


def patient_for_action(request: HttpRequest, patient_uuid: uuid.UUID, action: Action) -> Patient:
    """Return the patient (identity only) if the user may do `action` to it; or raise the 404."""
    return patient_get_for(user=request.user, action=action, uuid=patient_uuid)


def page_of(request: HttpRequest, items: QuerySet[Any] | Sequence[T]) -> Page:
    """Return the requested page of `items`, PAGE_SIZE to a page (the last one if out of range)."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def form_submit(form: forms.Form, call: Callable[[dict[str, Any]], object]) -> bool:
    """Call the service with the form's data if it is valid; show a refusal on the form.

    Return True when the service accepted the data. A refusal saves nothing: the services
    validate before they write.
    """
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except PatientServiceError as error:
        add_service_error(form, error)
        return False
    return True


def render_record(
    request: HttpRequest,
    template: str,
    *,
    patient: Patient,
    current: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Render a record page with the shared layout's context."""
    full = record_context(request=request, patient=patient, current=current)
    full.update(context)
    return render(request, template, full)
