"""Attachment pages over HTTP: upload, download with safe headers, size and type refusals."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import override_settings
from django.urls import reverse

from carecore.audit.events import EventType
from patients.exceptions import ATTACHMENT_TOO_LARGE, ATTACHMENT_TYPE_NOT_ALLOWED
from patients.file_checks import safe_filename
from patients.models import Attachment, AttachmentType
from tests.conftest import CANARY_MARKER, canary

from .conftest import last_event_id, only_event, snapshot

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Title (" + canary("pdf").encode() + b") >> endobj\n%%EOF\n"
FILENAME = "Dossier médical.pdf"


def url(name: str, patient, **kwargs) -> str:
    return reverse(f"patients:{name}", kwargs={"patient_uuid": patient.uuid, **kwargs})


def upload(client, patient, content: bytes, name: str = FILENAME):
    return client.post(
        url("attachments", patient),
        {"file": SimpleUploadedFile(name, content), "description": canary("description")},
    )


def test_upload_then_download_returns_the_same_bytes(world, sign_in, client):
    sign_in(world["member"])

    response = upload(client, world.patient, PDF)

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert CANARY_MARKER not in response["Location"]
    listing = client.get(url("attachments", world.patient)).content.decode()
    assert FILENAME in listing

    mark = last_event_id()
    download = client.get(url("attachment_download", world.patient, attachment_id=attachment.pk))

    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Type"] == AttachmentType.PDF
    expected = safe_filename(FILENAME, AttachmentType.PDF)
    assert download["Content-Disposition"] == (
        f"attachment; filename=\"{expected}\"; filename*=UTF-8''{quote(expected, safe='')}"
    )
    assert "no-store" in [part.strip() for part in download["Cache-Control"].split(",")]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert only_event(mark, EventType.ATTACHMENT_DOWNLOADED).target_id == str(attachment.pk)


def test_wrong_type_shows_the_constant_message_and_saves_nothing(world, sign_in, client):
    sign_in(world["member"])
    before = snapshot()

    response = upload(client, world.patient, b"MZ\x90\x00 not a document", name="tool.exe")

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": [str(ATTACHMENT_TYPE_NOT_ALLOWED)]}
    assert snapshot() == before


@override_settings(CARECORE_ATTACHMENT_MAX_BYTES=2000)
def test_oversize_refused_by_the_service(world, sign_in, client):
    sign_in(world["member"])
    before = snapshot()

    response = upload(client, world.patient, PDF + b"0" * 3000)

    assert response.status_code == 200
    message = str(ATTACHMENT_TOO_LARGE % {"limit": filesizeformat(2000)})
    assert response.context["form"].errors == {"file": [message]}
    assert snapshot() == before


@override_settings(CARECORE_ATTACHMENT_MAX_BYTES=2000, FILE_UPLOAD_MAX_MEMORY_SIZE=50_000)
def test_oversize_body_arrives_without_its_file_and_is_refused(world, sign_in, client):
    # Above FILE_UPLOAD_MAX_MEMORY_SIZE the in-memory handler drops the file: only the
    # declared length tells the view what happened.
    sign_in(world["member"])
    before = snapshot()

    response = upload(client, world.patient, PDF + b"0" * 120_000)

    assert response.status_code == 200
    message = str(ATTACHMENT_TOO_LARGE % {"limit": filesizeformat(2000)})
    assert response.context["form"].errors == {"file": [message]}
    assert message in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("relationship", ("not_on_team", "manager", "reception", "admin"))
def test_download_refused_is_404_and_audited(world, sign_in, client, relationship):
    sign_in(world["member"])
    upload(client, world.patient, PDF)
    attachment = Attachment.objects.get()
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(url("attachment_download", world.patient, attachment_id=attachment.pk))

    assert response.status_code == 404
    assert canary("pdf").encode() not in response.content
    event = only_event(mark, EventType.ACCESS_DENIED)
    assert event.details["action"] == "download"


def test_attachment_of_another_patient_is_404(world, sign_in, client):
    from .factories import PatientFactory

    sign_in(world["member"])
    upload(client, world.patient, PDF)
    attachment = Attachment.objects.get()
    other = PatientFactory()
    sign_in(world["lead"])

    response = client.get(url("attachment_download", other, attachment_id=attachment.pk))

    assert response.status_code == 404


def test_upload_form_states_the_limits(world, sign_in, client):
    sign_in(world["member"])

    page = client.get(url("attachments", world.patient)).content.decode()

    assert "PDF documents and JPEG or PNG images up to 10.0" in page
    assert 'enctype="multipart/form-data"' in page
