"""Release packages: contents, redaction, FHIR validity, manifest, encryption, no leaks."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile

import pytest
from fhirclient.models.bundle import Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from lifecycle.models import PackageKind, ReleasePackage, Section
from lifecycle.packaging import BundleInvalid, PackageOptions, package_build
from lifecycle.packaging.archive import PASSPHRASE_ALPHABET, passphrase_generate
from lifecycle.packaging.build import BUNDLE_NAME, HTML_NAME
from lifecycle.packaging.content import (
    PACKAGE_NOTE_UNAVAILABLE,
    PACKAGE_SECTIONS_REQUIRED,
)
from lifecycle.packaging.fhir import bundle_validate
from patients.exceptions import InvalidRequest
from patients.models import ConsentPurpose, Sensitivity
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import (
    ConsentFactory,
    FlagFactory,
    GoalFactory,
    NoteFactory,
    PatientFactory,
    clinician,
)

from .factories_referrals import PNG_BYTES, attachment_add, open_archive

pytestmark = pytest.mark.django_db

ALL_SECTIONS = tuple(Section.values)


@pytest.fixture
def record():
    """A patient full of canaries: names, location, contacts, notes, plan, consent, file."""
    author = UserFactory(
        username="author_sentinel_7",
        first_name=canary("author-first"),
        last_name="Surname",
        roles=["clinician"],
    )
    patient = PatientFactory(
        preferred_name=canary("preferred"),
        legal_name=canary("legal"),
        current_location=canary("location"),
        phone=canary("phone"),
        email="person@example.org",
        postal_address=canary("postal"),
        code_word=canary("codeword"),
        document_number=canary("document"),
        emergency_contact_name=canary("emergency"),
        sex="female",
        languages=["Romanian"],
    )
    standard = NoteFactory(patient=patient, author=author, body=canary("standard-note"))
    other = NoteFactory(patient=patient, author=author, body=canary("other-note"))
    restricted = NoteFactory(
        patient=patient,
        author=author,
        body=canary("restricted-note"),
        sensitivity=Sensitivity.RESTRICTED,
    )
    GoalFactory(patient=patient, goal=canary("goal"), created_by=author)
    ConsentFactory(
        patient=patient,
        purpose=ConsentPurpose.EXTERNAL_SHARING,
        explained_by=author,
        scope=canary("consent-scope"),
    )
    FlagFactory(patient=patient, details=canary("flag-details"), raised_by=author)
    chosen_file = attachment_add(patient, by=author, name="chosen.png")
    other_file = attachment_add(patient, by=author, data=PNG_BYTES + b"\x00", name="other.png")
    return {
        "patient": patient,
        "author": author,
        "standard": standard,
        "other": other,
        "restricted": restricted,
        "file": chosen_file,
        "other_file": other_file,
    }


def _build(record, **options):
    options.setdefault("sections", ALL_SECTIONS)
    options.setdefault("note_ids", (record["standard"].pk,))
    options.setdefault("attachment_ids", (record["file"].pk,))
    actor = clinician()
    built = package_build(
        actor=actor,
        patient=record["patient"],
        kind=options.pop("kind", PackageKind.REFERRAL),
        options=PackageOptions(**options),
    )
    package = ReleasePackage.objects.get(pk=built.package.pk)
    files = open_archive(bytes(package.archive), built.passphrase)
    return built, package, files


def _text(files) -> str:
    html = files[HTML_NAME].decode()
    bundle = files[BUNDLE_NAME].decode()
    # Note bodies and attachments travel base64-encoded in the bundle: decode them too.
    decoded = []
    for entry in json.loads(bundle)["entry"]:
        for part in entry["resource"].get("content", []):
            data = part["attachment"].get("data")
            if data and part["attachment"]["contentType"].startswith("text/"):
                decoded.append(base64.b64decode(data).decode())
    return "\n".join([html, bundle, *decoded])


def test_the_archive_holds_a_document_a_bundle_and_a_manifest(record):
    built, package, files = _build(record)

    assert set(files) == {HTML_NAME, BUNDLE_NAME, "manifest.json"}
    assert package.kind == PackageKind.REFERRAL
    assert built.package.created_by_id is not None


def test_only_the_chosen_sections_notes_and_attachments_go_in(record):
    _built, _package, files = _build(
        record, sections=(Section.NOTES, Section.ATTACHMENTS), note_ids=(record["standard"].pk,)
    )
    text = _text(files)

    assert canary("standard-note") in text
    assert canary("other-note") not in text
    assert canary("goal") not in text
    assert canary("consent-scope") not in text
    assert canary("preferred") not in text
    assert canary("flag-details") not in text
    bundle = json.loads(files[BUNDLE_NAME])
    types = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert types.count("DocumentReference") == 2  # one note, one attachment
    assert "Goal" not in types and "Consent" not in types and "CarePlan" not in types
    datas = [
        base64.b64decode(part["attachment"]["data"])
        for entry in bundle["entry"]
        for part in entry["resource"].get("content", [])
    ]
    assert PNG_BYTES in datas
    assert PNG_BYTES + b"\x00" not in datas
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    # Pseudonymous without the summary: the case code and nothing else.
    assert patient["identifier"][0]["value"] == record["patient"].case_code
    assert "name" not in patient


def test_the_summary_names_the_patient_but_never_the_code_word_or_document(record):
    _built, _package, files = _build(record, sections=(Section.SUMMARY,))
    text = _text(files)

    assert canary("preferred") in text
    assert canary("legal") in text
    assert canary("codeword") not in text
    assert canary("document") not in text
    assert canary("phone") not in text  # contact details only when asked
    assert canary("postal") not in text


def test_no_restricted_tier_unless_it_is_added(record):
    notes = (record["standard"].pk, record["restricted"].pk)
    _built, _package, files = _build(record, note_ids=notes)
    text = _text(files)

    assert canary("restricted-note") not in text
    assert canary("location") not in text

    _built, _package, files = _build(
        record, note_ids=notes, include_restricted=True, redact_location=False
    )
    text = _text(files)
    assert canary("restricted-note") in text
    assert canary("location") in text


def test_redact_location_keeps_the_location_out_even_with_the_restricted_tier(record):
    notes = (record["restricted"].pk,)
    _built, _package, files = _build(
        record, note_ids=notes, include_restricted=True, redact_location=True
    )
    text = _text(files)

    assert canary("restricted-note") in text
    assert canary("location") not in text


def test_redact_third_parties_removes_the_emergency_contact_and_flag_details(record):
    _built, _package, files = _build(record)
    assert canary("emergency") in _text(files)
    assert canary("flag-details") in _text(files)

    _built, _package, files = _build(record, redact_third_parties=True)
    text = _text(files)
    assert canary("emergency") not in text
    assert canary("flag-details") not in text


def test_contact_details_only_when_asked(record):
    _built, _package, files = _build(
        record, sections=(Section.SUMMARY,), include_contact_details=True
    )
    text = _text(files)

    assert canary("phone") in text
    assert canary("postal") in text


def test_staff_appear_as_role_codes_unless_identified(record):
    _built, _package, files = _build(record)
    text = _text(files)

    assert "author_sentinel_7" not in text
    assert canary("author-first") not in text
    assert "Surname" not in text
    assert "Practitioner/role-CLIN-1" in text
    assert "Clinician 1" in text

    _built, _package, files = _build(record, identify_staff=True)
    text = _text(files)
    assert canary("author-first") in text
    assert "Practitioner/role-CLIN-1" not in text


def test_the_fhir_bundle_validates_with_fhirclient(record):
    _built, _package, files = _build(
        record,
        note_ids=(record["standard"].pk, record["restricted"].pk),
        include_restricted=True,
        redact_location=False,
        include_contact_details=True,
    )
    bundle = json.loads(files[BUNDLE_NAME])

    parsed = Bundle(bundle, strict=True)
    assert parsed.as_json()["type"] == "collection"
    types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert types >= {"Patient", "CarePlan", "Goal", "DocumentReference", "Consent", "Flag"}


def test_an_invalid_bundle_is_refused_with_a_constant_message():
    with pytest.raises(BundleInvalid):
        bundle_validate({"resourceType": "Bundle", "type": "not-a-type", "entry": "x"})
    with pytest.raises(FHIRValidationError):
        Bundle({"resourceType": "Bundle"}, strict=True)  # `type` is required


def test_a_build_that_fails_validation_stores_nothing(record, monkeypatch):
    from lifecycle.packaging import build as build_module

    def broken(**kwargs):
        raise BundleInvalid

    monkeypatch.setattr(build_module, "package_bundle_build", broken)
    with pytest.raises(BundleInvalid):
        _build(record)

    assert not ReleasePackage.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.PACKAGE_BUILT).exists()


def test_the_manifest_hashes_match_the_files(record):
    _built, package, files = _build(record)
    manifest = json.loads(files["manifest.json"])

    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == {HTML_NAME, BUNDLE_NAME}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert entry["size"] == len(files[name])
    assert package.manifest == manifest["files"]
    assert package.archive_sha256 == hashlib.sha256(bytes(package.archive)).hexdigest()


def test_the_archive_opens_only_with_the_passphrase(record):
    built, package, _files = _build(record)
    archive = bytes(package.archive)

    with pytest.raises(RuntimeError):
        open_archive(archive, None)
    with pytest.raises(RuntimeError):
        open_archive(archive, passphrase_generate())
    # Every entry is AES-encrypted (method 99, WinZip AE-2 with a 256-bit key).
    with zipfile.ZipFile(io.BytesIO(archive)) as plain:
        infos = plain.infolist()
        assert {info.compress_type for info in infos} == {99}
        assert all(info.flag_bits & 0x1 for info in infos)
        # The AES extra field (0x9901): vendor "AE", strength 3 means a 256-bit key.
        for info in infos:
            at = info.extra.index(b"\x01\x99")
            assert info.extra[at + 6 : at + 8] == b"AE"
            assert info.extra[at + 8] == 3
        with pytest.raises(RuntimeError):
            plain.read(HTML_NAME)
    assert open_archive(archive, built.passphrase)[HTML_NAME]


def test_the_passphrase_is_long_random_and_unambiguous():
    first, second = passphrase_generate(), passphrase_generate()

    assert first != second
    groups = first.split("-")
    assert len(groups) == 6 and all(len(group) == 5 for group in groups)
    assert set("".join(groups)) <= set(PASSPHRASE_ALPHABET)
    assert not set("01ILO") & set(PASSPHRASE_ALPHABET)


def test_the_passphrase_and_canaries_stay_out_of_the_database_and_audit(record):
    built, package, _files = _build(record)

    row = ReleasePackage.objects.filter(pk=package.pk).values().get()
    stored = json.dumps({k: v for k, v in row.items() if k != "archive"}, default=str)
    assert built.passphrase not in stored
    assert built.passphrase.encode() not in bytes(package.archive)
    events = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert built.passphrase not in events
    assert CANARY_MARKER not in events
    assert CANARY_MARKER not in json.dumps(package.manifest)


def test_the_passphrase_is_not_in_the_built_package_repr(record):
    built, _package, _files = _build(record)

    # Error pages, error trackers and logs print locals with repr().
    assert built.passphrase not in repr(built)


def test_building_writes_the_package_built_event_with_ids_only(record):
    _built, package, _files = _build(record, note_ids=(record["standard"].pk,))

    event = AuditEvent.objects.get(event_type=EventType.PACKAGE_BUILT)
    assert event.target_id == str(package.pk)
    assert event.case_code == record["patient"].case_code
    assert event.details["notes"] == [record["standard"].pk]
    assert event.details["attachments"] == [record["file"].pk]
    assert event.details["location_included"] is False


def test_a_note_of_another_patient_is_refused_and_nothing_is_stored(record):
    stranger = NoteFactory(patient=PatientFactory())

    with pytest.raises(InvalidRequest) as error:
        _build(record, note_ids=(stranger.pk,))

    assert str(error.value) == str(PACKAGE_NOTE_UNAVAILABLE)
    assert not ReleasePackage.objects.exists()


def test_no_section_is_refused(record):
    with pytest.raises(InvalidRequest) as error:
        _build(record, sections=())

    assert str(error.value) == str(PACKAGE_SECTIONS_REQUIRED)


@pytest.mark.parametrize("kind", [PackageKind.LEGAL_RELEASE, PackageKind.PATIENT_ACCESS])
def test_other_kinds_build_too(record, kind):
    _built, package, files = _build(record, kind=kind, redact_third_parties=True)

    assert package.kind == kind
    assert canary("emergency") not in _text(files)


def test_the_readable_document_is_self_contained(record):
    _built, _package, files = _build(record)
    html = files[HTML_NAME].decode()

    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html
    assert 'src="data:image/png;base64,' in html


def test_consents_to_share_with_other_organisations_stay_out_when_third_parties_are_redacted(
    record,
):
    patient, author = record["patient"], record["author"]
    for organisation in ("Harbour Clinic", canary("other-shelter")):
        ConsentFactory(
            patient=patient,
            purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
            organisation=organisation,
            explained_by=author,
        )

    _built, _package, redacted = _build(
        record, redact_third_parties=True, recipient_label="Harbour Clinic"
    )
    _built, _package, full = _build(
        record, redact_third_parties=False, recipient_label="Harbour Clinic"
    )

    # The recipient sees the consent that names it, never where else the patient may go.
    assert "Harbour Clinic" in _text(redacted)
    assert canary("other-shelter") not in _text(redacted)
    assert canary("other-shelter") in _text(full)
