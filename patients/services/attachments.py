"""Uploading and downloading attachments: checked, cleaned, encrypted, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.template.defaultfilters import filesizeformat

from carecore.audit.events import EventType
from carecore.crypto.cipher import decrypt_bytes, encrypt_bytes

from .. import conf
from ..auditing import DenialReason, access_denied_record, patient_event_record
from ..exceptions import (
    ATTACHMENT_EMPTY,
    ATTACHMENT_IMAGE_TOO_LARGE,
    ATTACHMENT_TOO_LARGE,
    ATTACHMENT_TYPE_NOT_ALLOWED,
    ATTACHMENT_UNREADABLE,
    InvalidRequest,
    PatientNotFound,
)
from ..file_checks import (
    PILLOW_FORMATS,
    ImageTooLargeError,
    UnreadableImageError,
    detected_type,
    image_without_metadata,
    safe_filename,
)
from ..models import Attachment, AttachmentType, Patient
from ..permissions import Action
from .access import access_require, clean_text

if TYPE_CHECKING:
    from carecore.accounts.models import User

ATTACHMENT_MODEL_LABEL = "patients.Attachment"


def _read_limited(content: bytes | IO[bytes], limit: int) -> bytes:
    # Read one byte past the limit, never the whole of an oversized upload.
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content)
    return content.read(limit + 1)


def attachment_upload(
    *,
    actor: User,
    patient: Patient,
    filename: str,
    content: bytes | IO[bytes],
    description: str | None = None,
) -> Attachment:
    """Store a PDF, JPEG or PNG on the patient's record, encrypted.

    The type comes from the file's magic bytes; images are re-encoded without metadata
    (location, camera, time). Refusals (too large, empty, wrong type, unreadable image)
    raise InvalidRequest with a constant message and save nothing.
    """
    grant_id = access_require(actor=actor, action=Action.UPLOAD, patient=patient)
    limit = conf.attachment_max_bytes()
    data = _read_limited(content, limit)
    if len(data) > limit:
        raise InvalidRequest(ATTACHMENT_TOO_LARGE % {"limit": filesizeformat(limit)})
    if not data:
        raise InvalidRequest(ATTACHMENT_EMPTY)
    kind = detected_type(data)
    if kind is None:
        raise InvalidRequest(ATTACHMENT_TYPE_NOT_ALLOWED)
    if kind in PILLOW_FORMATS:
        try:
            data = image_without_metadata(data, kind, max_pixels=conf.attachment_max_pixels())
        except ImageTooLargeError:
            raise InvalidRequest(ATTACHMENT_IMAGE_TOO_LARGE) from None
        except UnreadableImageError:
            raise InvalidRequest(ATTACHMENT_UNREADABLE) from None
    with transaction.atomic():
        attachment = Attachment(
            patient_id=patient.pk,
            uploaded_by=actor,
            original_filename=(filename or "").strip()[:255] or "attachment",
            description=clean_text(description),
            content_type=kind.value,
            size=len(data),
            content=encrypt_bytes(data),
        )
        attachment.save()
        patient_event_record(
            event_type=EventType.ATTACHMENT_UPLOADED,
            actor=actor,
            patient=patient,
            target=attachment,
            details={"content_type": kind.value},
            grant_id=grant_id,
        )
    # The ciphertext is no use to the caller and may be large: drop it from the instance.
    attachment.__dict__.pop("content", None)
    return attachment


@dataclass(frozen=True)
class AttachmentDownload:
    """What a download response needs. Serve it with `Content-Disposition: attachment`
    (using `filename`) and `Cache-Control: no-store`."""

    content: bytes
    filename: str
    content_type: str


def attachment_download(*, actor: User, patient: Patient, attachment_id: int) -> AttachmentDownload:
    """Return the decrypted file of one of the patient's attachments, audited first."""
    grant_id = access_require(actor=actor, action=Action.DOWNLOAD, patient=patient)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, patient_id=patient.pk)
        .only("id", "patient_id", "original_filename", "content_type", "content")
        .first()
    )
    if attachment is None:
        access_denied_record(
            actor=actor,
            action=Action.DOWNLOAD,
            reason=DenialReason.NOT_FOUND,
            patient=patient,
            grant_id=grant_id,
        )
        raise PatientNotFound
    # A tampered file raises carecore.crypto.exceptions.IntegrityError here (and is audited
    # by the crypto layer): it is never served as garbage.
    plaintext = decrypt_bytes(
        attachment.content, model_label=ATTACHMENT_MODEL_LABEL, field_name="content"
    )
    kind = AttachmentType(attachment.content_type)
    with transaction.atomic():
        patient_event_record(
            event_type=EventType.ATTACHMENT_DOWNLOADED,
            actor=actor,
            patient=patient,
            target=attachment,
            details={"content_type": kind.value},
            grant_id=grant_id,
        )
    return AttachmentDownload(
        content=plaintext,
        filename=safe_filename(attachment.original_filename, kind),
        content_type=kind.value,
    )
