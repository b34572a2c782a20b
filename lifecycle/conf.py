"""Retention tunables, each with a `CARECORE_` setting and a default, read at call time.

The defaults are placeholders chosen to keep records for longer rather than shorter. Retention
periods are a legal matter that differs by country and by kind of service: the organisation
must set every value below from its own legal advice before relying on the retention review
(see docs/retention.md).

`CARECORE_RETENTION_YEARS` maps each kind of record to whole years. A setting may name only
the kinds it changes; the others keep their defaults:

- `patient_record`: the record of a person who was an adult when the case closed, kept this
  many years after the closing date.
- `patient_record_minor`: the record of a person who was a minor when the case closed, kept
  this many years after the closing date or until the person reaches
  `CARECORE_RETENTION_MINOR_UNTIL_AGE`, whichever is later.
- `disclosure_register`: the case's entries in the disclosure register, kept this many years
  after the latest disclosure (a patient may ask who received their information).

A case is due for review when every kind present for it has passed its period.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PATIENT_RECORD = "patient_record"
PATIENT_RECORD_MINOR = "patient_record_minor"
DISCLOSURE_REGISTER = "disclosure_register"

# Years. Ten years after closure is a common floor for adult health records; many
# jurisdictions keep children's records until the person is 25 (or 26) or longer; the register
# is kept as long as the record itself so that a late request can still be answered.
DEFAULT_RETENTION_YEARS: dict[str, int] = {
    PATIENT_RECORD: 10,
    PATIENT_RECORD_MINOR: 10,
    DISCLOSURE_REGISTER: 10,
}
# A minor's record is kept at least until this birthday.
# The research export: rows whose age band, sex and period of registration are shared by fewer
# people than this are coarsened, then blanked (never below 5, like the wellbeing aggregates).
DEFAULT_RESEARCH_MIN_CELL = 5
RESEARCH_MIN_CELL_FLOOR = 5
DEFAULT_MINOR_UNTIL_AGE = 25
# Under this age at the closing date, the person was a minor.
DEFAULT_AGE_OF_MAJORITY = 18
# Many trafficked people do not know or do not give their date of birth: with no birth date and
# no approximate age, apply the (longer or equal) minor period rather than guess "adult".
DEFAULT_UNKNOWN_AGE_AS_MINOR = True

UNKNOWN_KIND = "CARECORE_RETENTION_YEARS names an unknown kind of record: {kind!r}."
NOT_WHOLE_YEARS = "CARECORE_RETENTION_YEARS[{kind!r}] must be a whole number of years, 1 or more."


def _positive_int(value: object, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ImproperlyConfigured(message)
    return value


def retention_years() -> dict[str, int]:
    """Return the retention period in years of every kind of record, defaults filled in."""
    configured = getattr(settings, "CARECORE_RETENTION_YEARS", None) or {}
    years = dict(DEFAULT_RETENTION_YEARS)
    for kind, value in configured.items():
        if kind not in DEFAULT_RETENTION_YEARS:
            raise ImproperlyConfigured(UNKNOWN_KIND.format(kind=kind))
        years[kind] = _positive_int(value, NOT_WHOLE_YEARS.format(kind=kind))
    return years


def minor_until_age() -> int:
    """Return the age until which a minor's record is kept at least."""
    return _positive_int(
        getattr(settings, "CARECORE_RETENTION_MINOR_UNTIL_AGE", DEFAULT_MINOR_UNTIL_AGE),
        "CARECORE_RETENTION_MINOR_UNTIL_AGE must be a whole number, 1 or more.",
    )


def age_of_majority() -> int:
    """Return the age from which a person counts as an adult at the closing date."""
    return _positive_int(
        getattr(settings, "CARECORE_RETENTION_AGE_OF_MAJORITY", DEFAULT_AGE_OF_MAJORITY),
        "CARECORE_RETENTION_AGE_OF_MAJORITY must be a whole number, 1 or more.",
    )


def unknown_age_as_minor() -> bool:
    """Return whether a person of unknown age is treated as a minor at the closing date."""
    return bool(
        getattr(settings, "CARECORE_RETENTION_UNKNOWN_AGE_AS_MINOR", DEFAULT_UNKNOWN_AGE_AS_MINOR)
    )


def research_min_cell() -> int:
    """Return how many people must share a row's age band, sex and period (at least 5)."""
    value = getattr(settings, "CARECORE_RESEARCH_MIN_CELL", DEFAULT_RESEARCH_MIN_CELL)
    try:
        return max(RESEARCH_MIN_CELL_FLOOR, int(value))
    except (TypeError, ValueError):
        return DEFAULT_RESEARCH_MIN_CELL
