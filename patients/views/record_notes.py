"""The notes timeline, adding a note, and amending one (a new linked entry; both stay)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_record import NoteAmendForm, NoteForm
from ..models import NoteType
from ..permissions import Action
from ..selectors import NoteEntry, Section, note_get_for, notes_timeline
from ..services import note_add, note_amend
from .layout import record_context
from .record_access import (
    PAGE_SIZE,
    acting_user,
    clinical_patient_get,
    form_submit,
    page_of,
    patient_for_action,
)

if TYPE_CHECKING:
    import datetime as dt
    import uuid

    from django.http import HttpRequest, HttpResponse

NOTE_ADDED = _("The note was added to the record.")
NOTE_AMENDED = _("The amendment was added. The original entry stays in the record.")


@dataclass(frozen=True)
class NoteLink:
    """Another entry of the timeline, and where to find it."""

    id: int
    encounter_date: dt.date
    author_username: str
    href: str


@dataclass(frozen=True)
class NoteRow:
    """One timeline entry with its amendment links resolved, as the page shows it."""

    entry: NoteEntry
    type_label: str
    amends: NoteLink | None
    amended_by: tuple[NoteLink, ...]
    may_amend: bool


def note_rows(
    entries: list[NoteEntry],
    shown: list[NoteEntry],
    *,
    user_id: int,
    may_add: bool,
    is_lead: bool,
) -> list[NoteRow]:
    """Return the rows of `shown` (one page of `entries`), linking amendments both ways."""
    positions = {entry.id: index for index, entry in enumerate(entries)}

    def link(note_id: int) -> NoteLink | None:
        index = positions.get(note_id)
        if index is None:
            return None
        target = entries[index]
        href = f"?page={index // PAGE_SIZE + 1}#note-{note_id}"
        return NoteLink(note_id, target.encounter_date, target.author_username, href)

    return [
        NoteRow(
            entry=entry,
            type_label=str(NoteType(entry.note_type).label),
            amends=link(entry.amends_id) if entry.amends_id else None,
            amended_by=tuple(filter(None, (link(note_id) for note_id in entry.amended_by))),
            may_amend=may_add and not entry.hidden and (entry.author_id == user_id or is_lead),
        )
        for entry in shown
    ]


def _amends_any(actions: frozenset[Action]) -> bool:
    # The lead may amend any entry; a privacy officer who merely sees the log may not. The
    # service decides in the end: this only hides a button that would be refused.
    return {Action.ADD_NOTE, Action.READ_RESTRICTED, Action.VIEW_ACCESS_LOG} <= actions


@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Show the notes timeline, newest first, and add a note."""
    user = acting_user(request)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        target = patient_for_action(request, patient_uuid, Action.ADD_NOTE)
        if form_submit(form, lambda data: note_add(actor=user, patient=target, **data)):
            messages.success(request, NOTE_ADDED)
            return redirect("patients:notes", patient_uuid=patient_uuid)
    patient = clinical_patient_get(request, patient_uuid, Section.NOTES)
    context = record_context(request=request, patient=patient, current="notes")
    # The whole timeline is read (two queries whatever its length) so that amendment links
    # can point to entries on other pages.
    entries = notes_timeline(user=user, patient=patient)
    page = page_of(request, entries)
    context["rows"] = note_rows(
        entries,
        list(page.object_list),
        user_id=user.pk,
        may_add=Action.ADD_NOTE in context["actions"],
        is_lead=_amends_any(context["actions"]),
    )
    context.update(form=form, page_obj=page)
    return render(request, "patients/record/notes.html", context)


@require_http_methods(["GET", "POST"])
def note_amend_view(request: HttpRequest, patient_uuid: uuid.UUID, note_id: int) -> HttpResponse:
    """Show one entry and add an amendment to it."""
    user = acting_user(request)
    patient = clinical_patient_get(request, patient_uuid, Section.NOTES)
    original = note_get_for(user=user, patient=patient, note_id=note_id)
    form = NoteAmendForm(
        request.POST or None,
        original_restricted=original.is_restricted,
        initial={
            "encounter_date": original.encounter_date,
            "note_type": original.note_type,
            "sensitivity": original.sensitivity,
        },
    )
    if request.method == "POST" and form_submit(
        form,
        lambda data: note_amend(actor=user, patient=patient, note_id=original.id, **data),
    ):
        messages.success(request, NOTE_AMENDED)
        return redirect("patients:notes", patient_uuid=patient_uuid)
    context = record_context(request=request, patient=patient, current="notes")
    context.update(form=form, original=original)
    return render(request, "patients/record/note_amend.html", context)
