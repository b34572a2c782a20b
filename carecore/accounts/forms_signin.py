"""Forms for signing in, the second factor and changing one's password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

# One message for a wrong password, an unknown username and an inactive account: the page
# must not tell an attacker which usernames exist.
INVALID_LOGIN_MESSAGE = _("The username or password is not correct. Both are case-sensitive.")
INVALID_CODE_MESSAGE = _("That code was not accepted. Check it and try again.")
THROTTLED_CODE_MESSAGE = _("Too many wrong codes in a row. Wait a minute, then try again.")
SETUP_CODE_FORMAT_MESSAGE = _("Enter the 6-digit code your authenticator app shows.")


class SignInForm(AuthenticationForm):
    """Username and password, checked by the authentication backends (axes first)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN_MESSAGE,
        "inactive": INVALID_LOGIN_MESSAGE,
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.authentication_attempted = False
        self.fields["username"].label = _("Username")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].label = _("Password")
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        # The required username field drops an empty or blank value before this point, so
        # authenticate() is never called without one: axes would otherwise count a failure
        # for ("", this IP) and could end up locking a whole shared address.
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        self.authentication_attempted = bool(username) and bool(password)
        if not self.authentication_attempted:
            return self.cleaned_data
        return super().clean()


def _code_widget(*, numeric: bool) -> forms.TextInput:
    attrs = {
        "autocomplete": "one-time-code",
        "autocapitalize": "none",
        "spellcheck": "false",
        "autofocus": True,
    }
    if numeric:
        attrs.update({"inputmode": "numeric", "pattern": "[0-9 ]*"})
    return forms.TextInput(attrs=attrs)


class OtpVerifyForm(forms.Form):
    """A code from the authenticator app or one recovery code."""

    code = forms.CharField(
        label=_("Authentication code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=_code_widget(numeric=False),
    )

    def clean_code(self) -> str:
        return normalise_code(self.cleaned_data["code"])


class OtpSetupForm(forms.Form):
    """The current code from a newly added authenticator app."""

    code = forms.CharField(
        label=_("Code from your app"),
        max_length=16,
        help_text=_("Enter the 6-digit code your app shows now."),
        widget=_code_widget(numeric=True),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(SETUP_CODE_FORMAT_MESSAGE, code="format")
        return code


class PasswordChangeSecureForm(PasswordChangeForm):
    """Django's password change form with this project's labels; saving is the service's job."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("New password again")
        self.fields["old_password"].widget.attrs.update({"autocomplete": "current-password"})
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs.update({"autocomplete": "new-password"})


def normalise_code(value: str) -> str:
    """Return `value` without spaces or hyphens, in lower case, as codes are compared."""
    return "".join(ch for ch in value if ch not in " -\t").lower()
