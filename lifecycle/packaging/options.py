"""What goes into a release package, and what comes out of building one."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import ReleasePackage


@dataclass(frozen=True)
class PackageOptions:
    """The chosen contents and redactions. Defaults are the safest choice.

    `sections` are `lifecycle.models.Section` values. Restricted notes and the current
    location go in only with `include_restricted`. Staff appear as role codes (for example
    "CLIN-1") unless `identify_staff`. `redact_third_parties` removes the emergency contact
    and other named people held in structured fields (the details of safety flags).
    The current location goes in only with `include_restricted` and not `redact_location`.
    `include_contact_details` adds the patient's phone, e-mail and postal address to the
    summary (a patient's own copy); the code word and identity document number never go.
    """

    sections: tuple[str, ...]
    note_ids: tuple[int, ...] = ()
    attachment_ids: tuple[int, ...] = ()
    include_restricted: bool = False
    identify_staff: bool = False
    redact_location: bool = True
    redact_third_parties: bool = False
    include_contact_details: bool = False
    recipient_label: str = ""
    purpose_label: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuiltPackage:
    """A stored package and its passphrase (the only copy)."""

    package: ReleasePackage
    # Never in a repr: tracebacks, error reports and logs print their locals.
    passphrase: str = field(repr=False)
