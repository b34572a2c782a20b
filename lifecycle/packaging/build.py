"""Building one release package: collect, render, validate, seal, store, audit."""

from __future__ import annotations

import base64
import json
import uuid
from typing import TYPE_CHECKING

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from carecore.audit.events import EventType
from patients.auditing import patient_event_record

from ..models import PackageKind, ReleasePackage
from .archive import archive_seal, passphrase_generate
from .content import PackageContent, package_content_collect
from .fhir import package_bundle_build
from .options import BuiltPackage, PackageOptions

if TYPE_CHECKING:
    import datetime as dt

    from carecore.accounts.models import User
    from patients.models import Patient

HTML_NAME = "record.html"
BUNDLE_NAME = "record.fhir.json"
HTML_TEMPLATE = "lifecycle/packages/record.html"


def _html(
    *,
    content: PackageContent,
    kind: PackageKind,
    options: PackageOptions,
    package_uuid: uuid.UUID,
    created_at: dt.datetime,
) -> bytes:
    attachments = [
        {
            "part": attachment,
            "data_uri": (
                f"data:{attachment.content_type};base64,"
                f"{base64.b64encode(attachment.data).decode('ascii')}"
            ),
        }
        for attachment in content.attachments
    ]
    html = render_to_string(
        HTML_TEMPLATE,
        {
            "content": content,
            "attachments": attachments,
            "kind_label": PackageKind(kind).label,
            "options": options,
            "package_uuid": package_uuid,
            "created_at": created_at,
            "bundle_name": BUNDLE_NAME,
        },
    )
    return html.encode("utf-8")


@transaction.atomic
def package_build(
    *, actor: User, patient: Patient, kind: PackageKind | str, options: PackageOptions
) -> BuiltPackage:
    """Build, store and audit (PACKAGE_BUILT) an encrypted package of `patient`'s record.

    The caller has checked consent or the legal basis and the second approval. Raises
    InvalidRequest for a bad choice (unknown section, a note or attachment of someone else)
    and BundleInvalid if the FHIR bundle does not validate; either way nothing is stored.
    The returned passphrase is the only copy: it is neither stored nor logged.
    """
    kind = PackageKind(kind)
    package_uuid = uuid.uuid4()
    created_at = timezone.now()
    content = package_content_collect(patient=patient, options=options)
    bundle = package_bundle_build(content=content, package_uuid=package_uuid, created_at=created_at)
    files = {
        HTML_NAME: _html(
            content=content,
            kind=kind,
            options=options,
            package_uuid=package_uuid,
            created_at=created_at,
        ),
        BUNDLE_NAME: json.dumps(bundle, indent=2, ensure_ascii=False).encode("utf-8"),
    }
    passphrase = passphrase_generate()
    sealed = archive_seal(
        files=files,
        passphrase=passphrase,
        header={
            "package": str(package_uuid),
            "kind": kind.value,
            "created_at": created_at.isoformat(),
        },
    )
    package = ReleasePackage.objects.create(
        uuid=package_uuid,
        patient_id=patient.pk,
        kind=kind.value,
        archive=sealed.archive,
        archive_sha256=sealed.sha256,
        manifest=sealed.manifest,
        created_by=actor,
        created_at=created_at,
    )
    patient_event_record(
        event_type=EventType.PACKAGE_BUILT,
        actor=actor,
        patient=patient,
        target=package,
        details={
            "kind": kind.value,
            "sections": list(content.sections),
            "notes": [note.id for note in content.notes],
            "attachments": [attachment.id for attachment in content.attachments],
            "include_restricted": options.include_restricted,
            "location_included": content.location_included,
            "identify_staff": options.identify_staff,
            "redact_third_parties": options.redact_third_parties,
            "include_contact_details": options.include_contact_details,
        },
        grant_id=None,
    )
    # The archive may be large; the caller needs the row, not its bytes, from here on.
    package.__dict__.pop("archive", None)
    return BuiltPackage(package=package, passphrase=passphrase)
