"""Forms for early signs, reminders, support plans, job descriptions, guidelines and leave.

Forms parse and label; the rules live in the services, whose refusals carry the field they
concern (`WellbeingInvalid.field`) and are attached to it by `add_service_error`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User

from .models import PatientWork
from .services.reminders import DEFAULT_INTERVAL_DAYS, MAX_INTERVAL_DAYS
from .services.support import SupportPlanContent

TEXT_MAX_LENGTH = 4000


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Attach a service refusal's message to the field it concerns, or to the whole form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _text(
    label: Any, help_text: Any = "", *, required: bool = False, rows: int = 3
) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# --- early signs ----------------------------------------------------------------------------


class EarlySignCheckForm(forms.Form):
    signs = forms.ModelMultipleChoiceField(
        label=_("Which of these have you noticed in the last few weeks?"),
        help_text=_("Tick any that apply. Nothing is saved unless you choose to keep this check."),
        queryset=None,  # set in __init__: the organisation's active list
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, signs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signs"].queryset = signs  # type: ignore[attr-defined]


class EarlySignAddForm(forms.Form):
    text = forms.CharField(
        label=_("Early sign"),
        help_text=_("One short sentence in the first person, for example “I sleep badly”."),
        max_length=300,
    )


# --- reminders ------------------------------------------------------------------------------


class ReminderPreferenceForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Remind me to check in"),
        help_text=_("A notice appears in CareCore, and an e-mail if e-mail is set up."),
        required=False,
    )
    interval_days = forms.IntegerField(
        label=_("Every how many days"),
        help_text=_("30 is about once a month."),
        min_value=1,
        max_value=MAX_INTERVAL_DAYS,
        initial=DEFAULT_INTERVAL_DAYS,
    )


# --- support plans --------------------------------------------------------------------------


class SupportRequestForm(forms.Form):
    preferred_date = forms.DateField(
        label=_("Preferred date for the meeting (optional)"),
        help_text=_("Your supervisor arranges the meeting as soon as possible."),
        required=False,
        widget=DateInput(),
    )


class SupportPlanForm(forms.Form):
    meeting_date = forms.DateField(
        label=_("Date of the support meeting"), required=False, widget=DateInput()
    )
    occupational_referral = forms.BooleanField(
        label=_("Referred to an occupational nurse or doctor"),
        help_text=_("Tick only if the organisation has one and a referral was agreed."),
        required=False,
    )
    referral_details = _text(_("Referral details"), _("Who the person is referred to, and when."))
    responsibilities_review = _text(
        _("Review of current responsibilities"),
        _("If there is no referral: what was reviewed and agreed about current duties."),
    )
    patient_work = forms.ChoiceField(
        label=_("Patient work"),
        help_text=_("Whether, and how far, the person continues patient work."),
        choices=PatientWork.choices,
        initial=PatientWork.CONTINUE,
        widget=forms.RadioSelect,
    )
    patient_work_details = _text(
        _("Details of the agreement on patient work"),
        _("Required when patient work is reduced or paused: how far, and who covers."),
    )
    support_provider = _text(
        _("Who provides support and counselling"), _("Names or services, as agreed."), rows=2
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Who is to be told"),
        help_text=_(
            "The people named here can read this plan. The person and their supervisor always can."
        ),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    review_meeting_date = forms.DateField(
        label=_("Review meeting on progress, the care plan and the job description"),
        help_text=_("A reminder appears on this date for the person and their supervisor."),
        required=False,
        widget=DateInput(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")

    def content(self) -> SupportPlanContent:
        """Return the cleaned data as the service's content object."""
        data = self.cleaned_data
        return SupportPlanContent(
            meeting_date=data["meeting_date"],
            occupational_referral=data["occupational_referral"],
            referral_details=data["referral_details"],
            responsibilities_review=data["responsibilities_review"],
            patient_work=data["patient_work"],
            patient_work_details=data["patient_work_details"],
            support_provider=data["support_provider"],
            review_meeting_date=data["review_meeting_date"],
        )


class SupportPlanCreateForm(SupportPlanForm):
    person = forms.ModelChoiceField(
        label=_("Who the plan is about"),
        help_text=_("Yourself, or someone you supervise."),
        queryset=User.objects.none(),
        empty_label=None,
    )
    field_order = ["person"]

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]


# --- job descriptions -----------------------------------------------------------------------


class JobDescriptionForm(forms.Form):
    goals = _text(_("Goals of the role"), required=True, rows=5)
    limits = _text(
        _("Limits of the role"),
        _("What is outside this role, and when to hand over."),
        required=True,
    )
    support_options = _text(
        _("Options for professional support and stress management"),
        _("Supervision, counselling, peer support, occupational health, and how to reach them."),
        required=True,
    )
    last_reviewed_on = forms.DateField(
        label=_("Last reviewed on"), required=False, widget=DateInput()
    )
    review_due_on = forms.DateField(
        label=_("Next review or appraisal"),
        help_text=_("The person gets a reminder on this date; it shows as overdue after it."),
        required=False,
        widget=DateInput(),
    )


# --- guidelines -----------------------------------------------------------------------------


class GuidelinesPublishForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text of the guidelines"),
        help_text=_(
            "Publishing creates a new version. Every member of staff is asked to acknowledge it."
        ),
        widget=forms.Textarea(attrs={"rows": 16}),
    )


# --- leave ----------------------------------------------------------------------------------


class LeaveForm(forms.Form):
    starts_on = forms.DateField(label=_("First day of leave"), widget=DateInput())
    ends_on = forms.DateField(label=_("Last day of leave"), widget=DateInput())
    note = forms.CharField(
        label=_("Note (optional)"),
        help_text=_("Only you can read it."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
