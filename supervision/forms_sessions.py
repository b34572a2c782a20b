"""Forms for scheduling, rescheduling, cancelling and logging sessions.

Forms parse and label; the rules live in the services (`supervision.services.sessions` and
`.logs`), whose refusals carry the field they concern and are attached by `add_service_error`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User

from . import conf
from .models import SessionKind, SessionPurpose, SessionStatus, SupervisionGroup
from .models.sessions import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES
from .services.logs import ActionInput, LogInput
from .services.sessions import LOCATION_MAX_LENGTH, local_datetime

TEXT_MAX_LENGTH = 8000
ACTION_ROWS = 4
CHOOSE_WHO = _("Choose who the session is with.")
OCCURRENCES_REQUIRED = _("Say how many sessions the series has.")


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Attach a service refusal's message to the field it concerns, or to the whole form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


def person_name(user: User) -> str:
    return user.get_full_name() or user.username


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def _text(label: Any, help_text: Any = "", *, required: bool = False, rows: int = 4) -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class _WhenMixin(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(
        label=_("Start time"), help_text=_("Local time (%(zone)s)."), widget=TimeInput()
    )
    schedule_anyway = forms.BooleanField(
        label=_("Schedule anyway, despite the clash"),
        required=False,
    )
    # The proposal the clash warning was shown for: ticking "schedule anyway" confirms that
    # proposal only, so a changed time or person is checked for clashes again.
    clash_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def starts_at(self) -> dt.datetime:
        """Return the chosen date and time as an aware datetime in the local zone."""
        return local_datetime(self.cleaned_data["date"], self.cleaned_data["time"])

    def proposal_key(self) -> str:
        """Return a digest of the fields that decide which times are proposed, and with whom."""
        names = ("who", "date", "time", "duration_minutes", "repeat", "occurrences")
        values = "|".join(f"{name}={self.cleaned_data.get(name)!s}" for name in names)
        return hashlib.sha256(values.encode()).hexdigest()[:32]

    def confirmed(self) -> bool:
        """Return whether the clash warning for exactly this proposal was confirmed."""
        return bool(self.cleaned_data.get("schedule_anyway")) and (
            self.cleaned_data.get("clash_key") == self.proposal_key()
        )

    def warned(self) -> None:
        """Remember that the clash warning was shown for the current proposal."""
        data = self.data.copy()
        data["clash_key"] = self.proposal_key()
        self.data = data


class ScheduleForm(_WhenMixin):
    who = forms.ChoiceField(label=_("With"), choices=())
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        initial=60,
    )
    location = forms.CharField(
        label=_("Place or video link"),
        help_text=_("Stored encrypted; shown only to the people invited."),
        max_length=LOCATION_MAX_LENGTH,
        required=False,
    )
    repeat = forms.BooleanField(
        label=_("Repeat at the agreed cadence"),
        help_text=_(
            "Creates a series: one session every N weeks, where N is the agreement's (or "
            "group's) cadence."
        ),
        required=False,
    )
    occurrences = forms.IntegerField(
        label=_("Number of sessions in the series"),
        min_value=2,
        required=False,
    )
    field_order = [
        "who",
        "date",
        "time",
        "duration_minutes",
        "location",
        "repeat",
        "occurrences",
        "schedule_anyway",
    ]

    def __init__(
        self,
        *args: Any,
        people: list[User],
        groups: list[SupervisionGroup],
        zone: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices: list[Any] = []
        if people:
            choices.append((_("One to one"), [(f"person-{p.pk}", person_name(p)) for p in people]))
        if groups:
            choices.append((_("Groups"), [(f"group-{g.pk}", g.name) for g in groups]))
        self.fields["who"].choices = choices  # type: ignore[attr-defined]
        self._people = {p.pk: p for p in people}
        self._groups = {g.pk: g for g in groups}
        maximum = conf.series_max_occurrences()
        occurrences = self.fields["occurrences"]
        occurrences.max_value = maximum  # type: ignore[attr-defined]
        occurrences.widget.attrs["max"] = maximum
        occurrences.help_text = _("Between 2 and %(max)s.") % {"max": maximum}
        self.fields["time"].help_text = _("Local time (%(zone)s).") % {"zone": zone}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("repeat") and not data.get("occurrences"):
            self.add_error("occurrences", OCCURRENCES_REQUIRED)
        return data

    def party(self) -> tuple[User | None, SupervisionGroup | None]:
        """Return the chosen (supervisee, group), one of them None."""
        kind, _sep, pk = self.cleaned_data["who"].partition("-")
        if kind == "person":
            return self._people[int(pk)], None
        if kind == "group":
            return None, self._groups[int(pk)]
        raise ValidationError(CHOOSE_WHO)

    def occurrence_count(self) -> int:
        return int(self.cleaned_data["occurrences"]) if self.cleaned_data.get("repeat") else 1


class RescheduleForm(_WhenMixin):
    reason = _text(
        _("Reason for moving the session"),
        _("Required. Stored encrypted; visible to the host and the supervisee."),
        required=True,
        rows=3,
    )
    field_order = ["date", "time", "reason", "schedule_anyway"]

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = _("Local time (%(zone)s).") % {"zone": zone}


class CancelForm(forms.Form):
    reason = _text(
        _("Reason for cancelling"),
        _("Required. Stored encrypted; visible to the host and the supervisee."),
        required=True,
        rows=3,
    )


class LogForm(forms.Form):
    status = forms.ChoiceField(
        label=_("The session was"),
        choices=[(SessionStatus.HELD, _("Held")), (SessionStatus.MISSED, _("Missed"))],
        widget=forms.RadioSelect,
        initial=SessionStatus.HELD,
    )
    attended = forms.MultipleChoiceField(
        label=_("Attended"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    topics = _text(_("Topics"), _("Stored encrypted."), rows=3)
    notes = _text(
        _("Notes"),
        _("Private: readable by you and, for a one-to-one session, the supervisee."),
        rows=6,
    )
    summary = _text(
        _("Summary for attendees"),
        _("Readable by the members who attended. Keep it free of case details."),
        rows=4,
    )
    cases = _text(
        _("Cases discussed (case codes)"),
        _(
            "One case code a line, or separated by commas. Only patients on the current care "
            "team of the supervisee (in a group: of a member who attended)."
        ),
        rows=3,
    )

    def __init__(self, *args: Any, session: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), person_name(p)) for p in people
        ]
        if not self.is_bound:
            self.initial.setdefault("attended", [str(p.pk) for p in people])
        if session.kind != SessionKind.GROUP:
            del self.fields["summary"]
        if session.purpose != SessionPurpose.CLINICAL:
            # Management meetings never record cases: the field does not exist there.
            del self.fields["cases"]


class ActionForm(forms.Form):
    description = forms.CharField(
        label=_("Action"), max_length=2000, required=False, widget=forms.TextInput()
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, choices=(), required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, owners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]  # type: ignore[attr-defined]

    def is_empty(self) -> bool:
        data = self.cleaned_data
        return not (data.get("description") or "").strip() and not data.get("due_on")


ActionFormSet = forms.formset_factory(
    ActionForm, extra=ACTION_ROWS, max_num=ACTION_ROWS, validate_max=True, absolute_max=ACTION_ROWS
)


def log_input(form: LogForm, actions: Any) -> LogInput:
    """Return the cleaned log form and action rows as the service's input."""
    data = form.cleaned_data
    rows = []
    for action_form in actions:
        if action_form.is_empty():
            continue
        row = action_form.cleaned_data
        rows.append(
            ActionInput(
                description=row.get("description") or "",
                owner_id=row.get("owner") or 0,
                due_on=row.get("due_on"),
            )
        )
    return LogInput(
        status=data["status"],
        attended_ids=frozenset(int(pk) for pk in data.get("attended", [])),
        topics=data.get("topics", ""),
        notes=data.get("notes", ""),
        summary=data.get("summary", ""),
        case_codes_text=data.get("cases", ""),
        actions=tuple(rows),
    )
