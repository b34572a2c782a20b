"""The machine-readable part of a package: a FHIR R4 (4.0.1) `collection` Bundle.

The patient is pseudonymous (identifier: the case code; a name only with the summary), staff
are `Practitioner/role-...` references unless staff are named, and the whole bundle is
validated with fhirclient before anything is stored.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _
from fhirclient.models.bundle import Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError

from .content import PackageContent, StaffRef

CASE_CODE_SYSTEM = "urn:carecore:case-code"
CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

PACKAGE_BUNDLE_INVALID = _(
    "The package could not be built: its FHIR bundle did not validate. Nothing was stored."
)

GENDERS = {"female": "female", "male": "male", "intersex": "other", "not_stated": "unknown"}
GOAL_STATUSES = {"active": "active", "achieved": "completed", "discontinued": "cancelled"}
CONSENT_STATUSES = {
    "given": "active",
    "withdrawn": "inactive",
    "refused": "rejected",
    "not_obtained": "inactive",
}


class BundleInvalid(Exception):
    """The bundle failed validation; the message is a constant (never the library's text)."""

    def __init__(self) -> None:
        super().__init__(str(PACKAGE_BUNDLE_INVALID))


def _instant(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _practitioner(ref: StaffRef | None) -> dict[str, str] | None:
    if ref is None:
        return None
    return {"reference": f"Practitioner/{ref.code}", "display": ref.display}


def _text(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _drop_empty(resource: dict[str, Any]) -> dict[str, Any]:
    # FHIR forbids empty values and nulls; leave a key out rather than send it empty.
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


def _patient(content: PackageContent, patient_urn: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": CASE_CODE_SYSTEM, "value": content.case_code}],
    }
    summary = content.summary
    if summary is not None:
        names = [{"use": "usual", "text": summary.preferred_name}]
        if summary.legal_name:
            names.append({"use": "official", "text": summary.legal_name})
        resource["name"] = names
        resource["gender"] = GENDERS.get(summary.sex or "")
        if summary.date_of_birth is not None:
            resource["birthDate"] = summary.date_of_birth.isoformat()
        resource["communication"] = [
            {"language": {"text": language}} for language in summary.languages
        ]
        telecom = []
        if summary.phone:
            telecom.append({"system": "phone", "value": summary.phone})
        if summary.email:
            telecom.append({"system": "email", "value": summary.email})
        resource["telecom"] = telecom
        addresses = []
        if summary.postal_address:
            addresses.append({"use": "home", "type": "postal", "text": summary.postal_address})
        if content.current_location:
            addresses.append({"use": "temp", "text": content.current_location})
        resource["address"] = addresses
        if summary.emergency_contact_name or summary.emergency_contact_phone:
            contact: dict[str, Any] = {}
            if summary.emergency_contact_name:
                contact["name"] = {"text": summary.emergency_contact_name}
            if summary.emergency_contact_relationship:
                contact["relationship"] = [{"text": summary.emergency_contact_relationship}]
            if summary.emergency_contact_phone:
                contact["telecom"] = [{"system": "phone", "value": summary.emergency_contact_phone}]
            resource["contact"] = [contact]
    elif content.current_location:
        resource["address"] = [{"use": "temp", "text": content.current_location}]
    return _drop_empty(resource)


def _observation(subject: dict[str, str], label: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": label},
        "subject": subject,
        **value,
    }


def _summary_resources(content: PackageContent, subject: dict[str, str]) -> list[dict[str, Any]]:
    summary = content.summary
    if summary is None:
        return []
    resources = [
        _observation(subject, str(_("Stage of care")), valueString=summary.stage_label),
        _observation(
            subject, str(_("Interpreter needed")), valueBoolean=summary.interpreter_needed
        ),
    ]
    if summary.risk_label:
        resources.append(
            _observation(subject, str(_("Risk level")), valueString=summary.risk_label)
        )
    if summary.approximate_age is not None:
        resources.append(
            _observation(
                subject,
                str(_("Approximate age")),
                valueQuantity={
                    "value": summary.approximate_age,
                    "unit": "a",
                    "system": UCUM,
                    "code": "a",
                },
            )
        )
    if summary.safe_contact_label:
        resources.append(
            _observation(
                subject, str(_("Safe way to make contact")), valueString=summary.safe_contact_label
            )
        )
    for flag in content.flags:
        text = f"{flag.kind_label}: {flag.details}" if flag.details else flag.kind_label
        resources.append(
            _drop_empty(
                {
                    "resourceType": "Flag",
                    "status": "active",
                    "category": [{"text": str(_("Safety"))}],
                    "code": {"text": text},
                    "subject": subject,
                    "period": {"start": _instant(flag.raised_at)},
                    "author": _practitioner(flag.raised_by),
                }
            )
        )
    return resources


def _plan_resources(
    content: PackageContent, subject: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    entries: list[tuple[str, dict[str, Any]]] = []
    goal_refs = []
    for goal in content.goals:
        urn = _urn()
        goal_refs.append({"reference": urn})
        resource: dict[str, Any] = {
            "resourceType": "Goal",
            "lifecycleStatus": GOAL_STATUSES.get(goal.status, "active"),
            "description": {"text": goal.goal},
            "subject": subject,
            "startDate": goal.agreed_on.isoformat(),
            "expressedBy": _practitioner(goal.created_by),
        }
        if goal.review_on is not None:
            resource["target"] = [{"dueDate": goal.review_on.isoformat()}]
        entries.append((urn, _drop_empty(resource)))
    care_plan = {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "title": str(_("Treatment plan")),
        "subject": subject,
        "goal": goal_refs,
    }
    entries.insert(0, (_urn(), _drop_empty(care_plan)))
    return entries


def _note_resources(
    content: PackageContent, subject: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    urns = {note.id: _urn() for note in content.notes}
    entries = []
    for note in content.notes:
        resource: dict[str, Any] = {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": {"text": note.note_type_label},
            "category": [{"text": str(_("Clinical note"))}],
            "subject": subject,
            "date": _instant(note.recorded_at),
            "author": [_practitioner(note.author)] if note.author else None,
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": _text(note.body),
                        "creation": note.encounter_date.isoformat(),
                    }
                }
            ],
            "context": {"period": {"start": note.encounter_date.isoformat()}},
        }
        if note.restricted:
            resource["securityLabel"] = [
                {
                    "coding": [
                        {"system": CONFIDENTIALITY_SYSTEM, "code": "R", "display": "restricted"}
                    ]
                }
            ]
        if note.amends_id in urns:
            resource["relatesTo"] = [
                {"code": "replaces", "target": {"reference": urns[note.amends_id]}}
            ]
        entries.append((urns[note.id], _drop_empty(resource)))
    return entries


def _consent_resources(content: PackageContent, subject: dict[str, str]) -> list[dict[str, Any]]:
    resources = []
    for consent in content.consents:
        provision: dict[str, Any] = {}
        if consent.expires_on is not None:
            provision["period"] = {"end": consent.expires_on.isoformat()}
        if consent.organisation:
            provision["actor"] = [
                {
                    "role": {"text": str(_("Recipient"))},
                    "reference": {"display": consent.organisation},
                }
            ]
        resources.append(
            _drop_empty(
                {
                    "resourceType": "Consent",
                    "status": CONSENT_STATUSES.get(consent.status, "inactive"),
                    "scope": {
                        "coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "patient-privacy"}]
                    },
                    "category": [
                        {
                            "coding": [
                                {"system": LOINC, "code": "59284-0", "display": "Patient Consent"}
                            ],
                            "text": consent.purpose_label,
                        }
                    ],
                    "patient": subject,
                    "dateTime": _instant(consent.recorded_at),
                    "performer": [subject],
                    "policyRule": {"text": f"{consent.purpose_label} ({consent.status_label})"},
                    "provision": provision,
                }
            )
        )
    return resources


def _attachment_resources(content: PackageContent, subject: dict[str, str]) -> list[dict[str, Any]]:
    return [
        _drop_empty(
            {
                "resourceType": "DocumentReference",
                "status": "current",
                "type": {"text": attachment.type_label},
                "category": [{"text": str(_("Attachment"))}],
                "subject": subject,
                "date": _instant(attachment.uploaded_at),
                "author": [_practitioner(attachment.uploaded_by)]
                if attachment.uploaded_by
                else None,
                "description": attachment.description,
                "content": [
                    {
                        "attachment": {
                            "contentType": attachment.content_type,
                            "data": base64.b64encode(attachment.data).decode("ascii"),
                            "title": attachment.filename,
                            "size": len(attachment.data),
                        }
                    }
                ],
            }
        )
        for attachment in content.attachments
    ]


def package_bundle_build(
    *, content: PackageContent, package_uuid: uuid.UUID, created_at: dt.datetime
) -> dict[str, Any]:
    """Return the FHIR Bundle (as JSON) for `content`, validated; raise BundleInvalid if not."""
    patient_urn = _urn()
    subject = {"reference": patient_urn}
    entries: list[tuple[str, dict[str, Any]]] = [(patient_urn, _patient(content, patient_urn))]
    entries += [(_urn(), resource) for resource in _summary_resources(content, subject)]
    if content.goals or "treatment_plan" in content.sections:
        entries += _plan_resources(content, subject)
    entries += _note_resources(content, subject)
    entries += [(_urn(), resource) for resource in _consent_resources(content, subject)]
    entries += [(_urn(), resource) for resource in _attachment_resources(content, subject)]
    bundle = {
        "resourceType": "Bundle",
        "id": str(package_uuid),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{package_uuid}"},
        "type": "collection",
        "timestamp": _instant(created_at),
        "entry": [{"fullUrl": urn, "resource": resource} for urn, resource in entries],
    }
    return bundle_validate(bundle)


def bundle_validate(bundle: dict[str, Any]) -> dict[str, Any]:
    """Return `bundle` as fhirclient serialises it (strict), or raise BundleInvalid."""
    try:
        validated: dict[str, Any] = Bundle(bundle, strict=True).as_json()
    except (FHIRValidationError, TypeError, ValueError, KeyError):
        # The library's message can quote values from the record: never pass it on.
        raise BundleInvalid from None
    return validated
