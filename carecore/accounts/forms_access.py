"""Forms of the access-management and confidentiality-rules pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from .models import Team
from .permissions import USERNAME_TAKEN
from .roles import Role
from .selectors import username_taken

ROLES_HELP = _("A person may hold several roles. Each role opens only the pages that role needs.")
OWN_ROLES_HELP = _("This is your own account. You cannot change your own roles: ask another admin.")
CHOOSE_A_ROLE = _("Choose at least one role.")
CONFIRM_PUBLISH_REQUIRED = _("Confirm that everyone will be asked to acknowledge this version.")
CONFIRM_READ_REQUIRED = _("Tick the box to confirm that you have read the rules.")


class _RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Roles"))
        kwargs.setdefault("help_text", ROLES_HELP)
        super().__init__(choices=Role.choices, **kwargs)


class UserFilterForm(forms.Form):
    """Search and filters of the user list; every field is optional."""

    ACTIVE_CHOICES = [("", _("All")), ("yes", _("Active")), ("no", _("Deactivated"))]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Part of a username, first name or last name."),
    )
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices]
    )
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def filters(self) -> dict[str, Any]:
        """Return the keyword arguments for `users_list` (no filter when invalid)."""
        if not self.is_valid():
            return {}
        active = {"yes": True, "no": False}.get(self.cleaned_data["active"])
        return {
            "search": self.cleaned_data["q"],
            "role": self.cleaned_data["role"],
            "active": active,
        }


class UserCreateForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_(
            "Used to sign in. Letters, digits and @ . + - _ only. Avoid anything that "
            "reveals where the person works."
        ),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Work email address"),
        required=False,
        help_text=_("Optional. Not used to sign in."),
    )
    roles = _RolesField(error_messages={"required": CHOOSE_A_ROLE})

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if username_taken(username):
            raise forms.ValidationError(USERNAME_TAKEN, code="taken")
        return username


class UserRolesForm(forms.Form):
    roles = _RolesField(required=False)

    def __init__(self, *args: Any, editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editable:
            # Disabled fields ignore submitted data; the service refuses on its own as well.
            self.fields["roles"].disabled = True
            self.fields["roles"].help_text = OWN_ROLES_HELP


class PrivacyOfficerForm(forms.Form):
    is_privacy_officer = forms.BooleanField(
        label=_("Privacy officer"),
        required=False,
        help_text=_(
            "Receives break-glass alerts and reviews who opened which records. Give this to "
            "as few people as the organisation needs."
        ),
    )


class UserTeamForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("No team"),
        help_text=_(
            "Groups staff for oversight figures, such as wellbeing aggregates, which are only "
            "shown for teams large enough to keep individuals anonymous."
        ),
    )


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=120)


class LockoutClearForm(forms.Form):
    username = forms.CharField(max_length=255, widget=forms.HiddenInput)


class RulesPublishForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("For example: Confidentiality rules, revised after the annual review."),
    )
    body = forms.CharField(
        label=_("Text of the rules"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Plain text. Start each rule on its own line; a blank line starts a paragraph."
        ),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that everyone, me included, will have to read and acknowledge this "
            "version before they can continue working."
        ),
        error_messages={"required": CONFIRM_PUBLISH_REQUIRED},
    )


class RulesAcknowledgeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I have read these rules and I will follow them."),
        error_messages={"required": CONFIRM_READ_REQUIRED},
    )
