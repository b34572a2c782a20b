"""Forms for the managers' arrangement pages and the personal calendar link.

Forms parse and label; the rules live in the services, whose refusals carry the field they
concern (`ArrangementInvalid.field`) and are attached to it by `add_service_error`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carecore.accounts.roles import Role

from . import conf
from .models.agreements import DEFAULT_CADENCE_WEEKS, MAX_CADENCE_WEEKS
from .selectors.arrangements import AgreementFilter, staff_members, users_with_role


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Attach a service refusal's message to the field it concerns, or to the whole form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of person shown by username (names stay off the page's option values)."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_username()


def _cadence(label: Any) -> forms.IntegerField:
    # The range is the service's rule (one message); the attributes only let the browser help.
    return forms.IntegerField(
        label=label,
        initial=DEFAULT_CADENCE_WEEKS,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_CADENCE_WEEKS}),
        help_text=_("A whole number of weeks from 1 to 26."),
    )


class AgreementFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (AgreementFilter.ACTIVE, _("Active agreements")),
            (AgreementFilter.ENDED, _("Ended agreements")),
            (AgreementFilter.ALL, _("All agreements")),
        ],
    )

    def status_value(self) -> str:
        if self.is_valid() and self.cleaned_data["status"]:
            return str(self.cleaned_data["status"])
        return AgreementFilter.ACTIVE


class AgreementCreateForm(forms.Form):
    supervisor = PersonChoiceField(
        label=_("Supervisor"),
        queryset=users_with_role(Role.SUPERVISOR),
        help_text=_("Only people with the supervisor role are offered."),
    )
    supervisee = PersonChoiceField(
        label=_("Supervisee"),
        queryset=staff_members(),
        help_text=_("A person can have one clinical supervisor at a time."),
    )
    cadence_weeks = _cadence(_("Individual supervision every (weeks)"))
    started_on = forms.DateField(
        label=_("Started on"),
        required=False,
        help_text=_("Leave empty for today. The overdue clock starts here."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class AgreementCadenceForm(forms.Form):
    cadence_weeks = _cadence(_("Individual supervision every (weeks)"))


class GroupCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Group name"),
        max_length=120,
        help_text=_("A neutral name, for example “Reflective practice group 2”."),
    )
    facilitator = PersonChoiceField(
        label=_("Facilitator"),
        queryset=users_with_role(Role.SUPERVISOR),
        help_text=_("Only people with the supervisor role are offered."),
    )
    cadence_weeks = _cadence(_("Meets every (weeks)"))


class GroupEditForm(forms.Form):
    facilitator = PersonChoiceField(
        label=_("Facilitator"),
        queryset=users_with_role(Role.SUPERVISOR),
        help_text=_(
            "Only people with the supervisor role are offered. The group's sessions still to "
            "come move to the new facilitator; past sessions keep their host."
        ),
    )
    cadence_weeks = _cadence(_("Meets every (weeks)"))


class GroupMemberAddForm(forms.Form):
    member = PersonChoiceField(label=_("Add a member"), queryset=staff_members())


class WorkProfileForm(forms.Form):
    fte = forms.DecimalField(
        label=_("Full-time equivalent"),
        required=False,
        max_digits=3,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": "0.05", "max": "1.00", "step": "0.01"}),
        help_text=_("From 0.05 to 1.00. Leave empty if you enter weekly hours instead."),
    )
    weekly_hours = forms.DecimalField(
        label=_("Contracted hours per week"),
        required=False,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"min": "0.1", "step": "0.1"}),
    )
    non_patient_percent = forms.IntegerField(
        label=_("Time without patient contact (%)"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
        help_text=_("Planned share of working time for supervision, training, admin and rest."),
    )
    line_manager = PersonChoiceField(
        label=_("Line manager"),
        queryset=users_with_role(Role.MANAGER),
        required=False,
        help_text=_("A person with the manager role, not the person themself."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["weekly_hours"].help_text = _(
            "Converted to FTE with a full-time week of %(hours)s hours. Leave empty if you "
            "enter the FTE instead."
        ) % {"hours": conf.full_time_hours()}
