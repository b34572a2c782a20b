"""Attachments: the list, uploading a file, and downloading one (audited, never cached)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from carecore.downloads import download_response

from .. import conf
from ..exceptions import ATTACHMENT_TOO_LARGE
from ..forms_record import AttachmentForm
from ..permissions import Action
from ..selectors import Section, attachments_for
from ..services import attachment_download, attachment_upload
from .record_access import (
    acting_user,
    clinical_patient_get,
    form_submit,
    page_of,
    patient_for_action,
    render_record,
)

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest

ATTACHMENT_UPLOADED = _("The file was uploaded to the record.")
# Room for the multipart framing, the CSRF token and the description around the file.
UPLOAD_FORM_OVERHEAD = 64 * 1024


def too_large_message() -> str:
    """Return the constant "too large" message with the configured limit."""
    return str(ATTACHMENT_TOO_LARGE % {"limit": filesizeformat(conf.attachment_max_bytes())})


def _body_too_large(request: HttpRequest) -> bool:
    # Bodies above FILE_UPLOAD_MAX_MEMORY_SIZE reach the view without their file (uploads are
    # held in memory only), so the declared length is the only sign that a file was too large.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > conf.attachment_max_bytes() + UPLOAD_FORM_OVERHEAD


@require_http_methods(["GET", "POST"])
def attachments(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """List the attachments and upload a file."""
    user = acting_user(request)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        target = patient_for_action(request, patient_uuid, Action.UPLOAD)
        if _body_too_large(request):
            form.refuse_file(too_large_message())
        elif form_submit(
            form,
            lambda data: attachment_upload(
                actor=user,
                patient=target,
                filename=data["file"].name,
                content=data["file"],
                description=data["description"],
            ),
        ):
            messages.success(request, ATTACHMENT_UPLOADED)
            return redirect("patients:attachments", patient_uuid=patient_uuid)
    patient = clinical_patient_get(request, patient_uuid, Section.ATTACHMENTS)
    page = page_of(request, attachments_for(user=user, patient=patient))
    return render_record(
        request,
        "patients/record/attachments.html",
        patient=patient,
        current="attachments",
        context={"form": form, "page_obj": page},
    )


@require_GET
def attachment_download_view(
    request: HttpRequest, patient_uuid: uuid.UUID, attachment_id: int
) -> HttpResponse:
    """Return one attachment's file as a download (audited by the service)."""
    user = acting_user(request)
    patient = patient_for_action(request, patient_uuid, Action.DOWNLOAD)
    download = attachment_download(actor=user, patient=patient, attachment_id=attachment_id)
    return download_response(
        download.content, content_type=download.content_type, filename=download.filename
    )
