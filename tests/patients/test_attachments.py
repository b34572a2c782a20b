"""Attachments: encrypted at rest, metadata stripped, type and size checked, downloads audited."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test import override_settings
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from carecore.audit.events import EventType
from carecore.crypto.exceptions import IntegrityError
from patients import services
from patients.exceptions import (
    ATTACHMENT_EMPTY,
    ATTACHMENT_IMAGE_TOO_LARGE,
    ATTACHMENT_TOO_LARGE,
    ATTACHMENT_TYPE_NOT_ALLOWED,
    ATTACHMENT_UNREADABLE,
    InvalidRequest,
)
from patients.file_checks import safe_filename
from patients.models import Attachment, AttachmentType
from tests.conftest import CANARY_MARKER, canary

from .conftest import events_after, last_event_id, only_event, snapshot

pytestmark = pytest.mark.django_db


def jpeg_with_gps(size=(40, 20), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = canary("camera-make")
    exif[ExifTags.Base.Model] = "Phone 12"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), comment=canary("comment").encode())
    return buffer.getvalue()


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Description", canary("png-text"))
    buffer = io.BytesIO()
    Image.new("P", (8, 8), 3).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Title (" + canary("pdf").encode() + b") >> endobj\n%%EOF\n"


def raw_row(pk: int) -> tuple[bytes, bytes]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT content, original_filename FROM patients_attachment WHERE id = %s", [pk]
        )
        content, filename = cursor.fetchone()
    return bytes(content), bytes(filename)


def upload(world, content: bytes, filename: str = "scan.pdf"):
    return services.attachment_upload(
        actor=world["lead"], patient=world.patient, filename=filename, content=content
    )


def download(world, attachment, user="lead"):
    return services.attachment_download(
        actor=world[user], patient=world.patient, attachment_id=attachment.pk
    )


def test_a_pdf_is_stored_encrypted_and_comes_back_unchanged(world):
    mark = last_event_id()

    attachment = upload(world, PDF, filename=canary("passport") + ".pdf")

    content, filename = raw_row(attachment.pk)
    assert CANARY_MARKER.encode() not in content
    assert CANARY_MARKER.encode() not in filename
    assert only_event(mark, EventType.ATTACHMENT_UPLOADED).details == {
        "content_type": "application/pdf"
    }
    stored = Attachment.objects.get(pk=attachment.pk)
    assert (stored.content_type, stored.size) == (AttachmentType.PDF, len(PDF))

    mark = last_event_id()
    result = download(world, attachment, user="member")

    assert (result.content, result.content_type) == (PDF, "application/pdf")
    assert result.filename == safe_filename(canary("passport"), AttachmentType.PDF)
    event = only_event(mark, EventType.ATTACHMENT_DOWNLOADED)
    assert (event.actor_id, event.target_id) == (world["member"].pk, str(attachment.pk))


def test_gps_and_camera_metadata_are_gone_after_upload(world):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    attachment = upload(world, original, filename="photo.jpg")
    result = download(world, attachment)

    cleaned = Image.open(io.BytesIO(result.content))
    assert cleaned.format == "JPEG"
    assert dict(cleaned.getexif()) == {}
    assert cleaned.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "exif" not in cleaned.info and "comment" not in cleaned.info
    assert CANARY_MARKER.encode() not in result.content
    assert b"Phone 12" not in result.content
    assert CANARY_MARKER.encode() not in raw_row(attachment.pk)[0]


def test_the_orientation_is_applied_before_the_tag_is_dropped(world):
    # Orientation 6: the camera held sideways; viewers rotate the 40x20 pixels to 20x40.
    attachment = upload(world, jpeg_with_gps(size=(40, 20), orientation=6), filename="p.jpg")

    assert Image.open(io.BytesIO(download(world, attachment).content)).size == (20, 40)


def test_png_text_chunks_are_gone_after_upload(world):
    attachment = upload(world, png_with_text(), filename="diagram.png")
    result = download(world, attachment)

    cleaned = Image.open(io.BytesIO(result.content))
    assert (cleaned.format, result.content_type, result.filename) == (
        "PNG",
        "image/png",
        "diagram.png",
    )
    assert CANARY_MARKER.encode() not in result.content
    assert not getattr(cleaned, "text", {})


@override_settings(CARECORE_ATTACHMENT_MAX_BYTES=len(PDF))
def test_the_size_limit_is_inclusive_and_refusal_saves_nothing(world):
    upload(world, PDF)
    mark, before = last_event_id(), snapshot()

    with pytest.raises(InvalidRequest) as caught:
        upload(world, PDF + b"x")

    assert str(caught.value) == ATTACHMENT_TOO_LARGE % {"limit": filesizeformat(len(PDF))}
    assert (events_after(mark), snapshot()) == ([], before)


@override_settings(CARECORE_ATTACHMENT_MAX_BYTES=100)
def test_an_oversized_stream_is_not_read_to_the_end(world):
    stream = io.BytesIO(PDF * 1000)

    with pytest.raises(InvalidRequest):
        upload(world, stream)

    assert stream.tell() == 101


def test_the_default_limit_is_ten_megabytes(world):
    with pytest.raises(InvalidRequest) as caught:
        upload(world, b"%PDF-" + b"0" * (10 * 1024 * 1024))

    assert str(caught.value) == ATTACHMENT_TOO_LARGE % {"limit": filesizeformat(10 * 1024 * 1024)}


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"GIF89a" + b"\x00" * 20, "picture.gif", ATTACHMENT_TYPE_NOT_ALLOWED),
        (b"<html><script>alert(1)</script>", "report.pdf", ATTACHMENT_TYPE_NOT_ALLOWED),
        (b"PK\x03\x04 a zip renamed", "scan.jpg", ATTACHMENT_TYPE_NOT_ALLOWED),
        (b"", "empty.pdf", ATTACHMENT_EMPTY),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "photo.jpg", ATTACHMENT_UNREADABLE),
        (b"\x89PNG\r\n\x1a\n broken", "image.png", ATTACHMENT_UNREADABLE),
    ],
)
def test_wrong_types_are_refused_by_their_bytes(world, content, filename, message):
    mark, before = last_event_id(), snapshot()

    with pytest.raises(InvalidRequest) as caught:
        upload(world, content, filename=filename)

    assert str(caught.value) == message
    assert (events_after(mark), snapshot()) == ([], before)


@override_settings(CARECORE_ATTACHMENT_MAX_PIXELS=100)
def test_images_with_too_many_pixels_are_refused(world):
    with pytest.raises(InvalidRequest) as caught:
        upload(world, jpeg_with_gps(size=(20, 20)), filename="big.jpg")

    assert str(caught.value) == ATTACHMENT_IMAGE_TOO_LARGE


def test_a_tampered_file_is_never_served(world):
    attachment = upload(world, PDF)
    content, _ = raw_row(attachment.pk)
    tampered = content[:-1] + bytes([content[-1] ^ 0x01])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_attachment SET content = %s WHERE id = %s", [tampered, attachment.pk]
        )
    mark = last_event_id()

    with pytest.raises(IntegrityError):
        download(world, attachment)

    [event] = events_after(mark)
    assert event.event_type == EventType.INTEGRITY_ERROR
    assert event.details == {
        "model": "patients.Attachment",
        "field": "content",
        "reason": "bad_mac",
    }


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("../../etc/passwd", AttachmentType.PDF, "passwd.pdf"),
        ("C:\\Users\\me\\scan (1).JPG", AttachmentType.JPEG, "scan _1.jpg"),
        ('a"b\r\nc.png', AttachmentType.PNG, "a_b_c.png"),
        ("Zoë's passport.pdf", AttachmentType.PDF, "Zoe_s passport.pdf"),
        ("...", AttachmentType.PNG, "attachment.png"),
        ("photo.exe", AttachmentType.JPEG, "photo.jpg"),
    ],
)
def test_download_file_names_are_safe(name, kind, expected):
    assert safe_filename(name, kind) == expected


def test_attachment_lists_never_load_the_content(world):
    from patients import selectors
    from patients.permissions import Action

    upload(world, PDF)
    patient = selectors.patient_get_for(
        user=world["lead"], action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )

    [row] = selectors.attachments_for(user=world["lead"], patient=patient)

    assert "content" in row.get_deferred_fields()
