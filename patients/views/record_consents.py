"""Consents per purpose, whether each permits use now, recording and withdrawing consent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..exceptions import PatientNotFound, PatientServiceError
from ..forms_record import ConsentForm
from ..models import Consent, ConsentPurpose, ConsentStatus
from ..permissions import Action
from ..selectors import Section, consents_for
from ..services import ConsentDetails, consent_permits, consent_record, consent_withdraw
from .record_access import (
    acting_user,
    clinical_patient_get,
    form_submit,
    patient_for_action,
    render_record,
)

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest, HttpResponse
    from django.utils.functional import Promise

    from ..models import Patient

CONSENT_RECORDED = _("The consent decision was recorded.")
CONSENT_WITHDRAWN = _("The consent was withdrawn. It no longer permits any use, from now on.")


@dataclass(frozen=True)
class Permission:
    """Whether the patient's data may be used for a purpose now (per organisation for sharing)."""

    organisation: str | None
    permitted: bool


@dataclass(frozen=True)
class PurposeSection:
    """One purpose: its records, newest first, and what they permit now."""

    purpose: str
    label: Promise
    records: tuple[Consent, ...]
    permissions: tuple[Permission, ...]


def purpose_sections(patient: Patient, consents: list[Consent]) -> list[PurposeSection]:
    """Return every purpose with its records and the answer of `consent_permits` for it now."""
    sections = []
    for purpose in ConsentPurpose:
        records = tuple(consent for consent in consents if consent.purpose == purpose)
        if purpose == ConsentPurpose.SHARING_WITH_ORGANISATION:
            # Sharing is decided per organisation: one answer for each one named.
            organisations = list(dict.fromkeys(record.organisation for record in records))
            permissions = tuple(
                Permission(
                    name, consent_permits(patient=patient, purpose=purpose, organisation=name)
                )
                for name in organisations
            )
        else:
            permissions = (Permission(None, consent_permits(patient=patient, purpose=purpose)),)
        sections.append(PurposeSection(purpose.value, purpose.label, records, permissions))
    return sections


@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Show consent records per purpose with what each permits now, and record a decision."""
    user = acting_user(request)
    form = ConsentForm(request.POST or None)
    if request.method == "POST":
        target = patient_for_action(request, patient_uuid, Action.EDIT_CLINICAL)
        if form_submit(
            form,
            lambda data: consent_record(actor=user, patient=target, details=ConsentDetails(**data)),
        ):
            messages.success(request, CONSENT_RECORDED)
            return redirect("patients:consents", patient_uuid=patient_uuid)
    patient = clinical_patient_get(request, patient_uuid, Section.CONSENTS)
    records = list(consents_for(user=user, patient=patient))
    return render_record(
        request,
        "patients/record/consents.html",
        patient=patient,
        current="consents",
        context={"form": form, "sections": purpose_sections(patient, records)},
    )


@require_http_methods(["GET", "POST"])
def consent_withdraw_view(
    request: HttpRequest, patient_uuid: uuid.UUID, consent_id: int
) -> HttpResponse:
    """Ask for confirmation, then withdraw a given consent (effective at once)."""
    user = acting_user(request)
    patient = clinical_patient_get(request, patient_uuid, Section.CONSENTS)
    consent = consents_for(user=user, patient=patient).filter(pk=consent_id).first()
    if consent is None:
        raise PatientNotFound
    if request.method == "POST":
        try:
            consent_withdraw(actor=user, consent=consent)
        except PatientServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, CONSENT_WITHDRAWN)
        return redirect("patients:consents", patient_uuid=patient_uuid)
    return render_record(
        request,
        "patients/record/consent_withdraw.html",
        patient=patient,
        current="consents",
        context={"consent": consent, "withdrawable": consent.status == ConsentStatus.GIVEN},
    )
