"""Forms for check-ins, sharing, the aggregate period filter and loading instrument wording."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .scoring import ANSWER_MISSING, ANSWER_OUT_OF_RANGE
from .selectors.aggregates import DEFAULT_PERIOD_DAYS, PERIOD_CHOICES
from .selectors.checkins import VersionDisplay

MAX_UPLOAD_BYTES = 256 * 1024
UPLOAD_TOO_LARGE = _("The file is too large for an instrument definition.")
GIVE_ONE_SOURCE = _("Paste the JSON or choose a file, not both and not neither.")


class CheckInForm(forms.Form):
    """One required radio group per item, named `item_<letter>`."""

    def __init__(self, *args, display: VersionDisplay, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.display = display
        version = display.version
        choices = [(n, str(n)) for n in range(version.min_rating, version.max_rating + 1)]
        for item in display.items:
            self.fields[f"item_{item.letter}"] = forms.TypedChoiceField(
                label=_("Item %(letter)s") % {"letter": item.letter},
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": ANSWER_MISSING, "invalid_choice": ANSWER_OUT_OF_RANGE},
            )

    def items_with_fields(self):
        """Yield (item display, bound field) pairs in item order for the template."""
        for item in self.display.items:
            yield item, self[f"item_{item.letter}"]

    def answers(self) -> dict[str, int]:
        """Return {letter: rating} from the cleaned data."""
        return {
            item.letter: self.cleaned_data[f"item_{item.letter}"] for item in self.display.items
        }


class ShareForm(forms.Form):
    supervisor = forms.TypedChoiceField(label=_("Share with"), coerce=int, choices=())

    def __init__(self, *args, supervisors, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].choices = [
            (person.pk, person.get_full_name() or person.username) for person in supervisors
        ]


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        choices=[(days, _("Last %(days)d days") % {"days": days}) for days in PERIOD_CHOICES],
    )

    def period_days(self) -> int:
        if self.is_valid() and self.cleaned_data.get("days"):
            return int(self.cleaned_data["days"])
        return DEFAULT_PERIOD_DAYS


class InstrumentLoadForm(forms.Form):
    payload = forms.CharField(
        label=_("Instrument JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_(
            'An object with "instrument", "instructions", "citation" and "items" '
            "(each letter with its wording from your organisation's copy of the guide)."
        ),
    )
    upload = forms.FileField(label=_("Or choose a JSON file"), required=False)

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("payload") or "").strip()
        upload = cleaned.get("upload")
        if bool(text) == bool(upload):
            raise forms.ValidationError(GIVE_ONE_SOURCE)
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(UPLOAD_TOO_LARGE)
            text = upload.read().decode("utf-8", errors="replace")
        cleaned["text"] = text
        return cleaned
