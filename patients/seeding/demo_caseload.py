"""The demo caseload as data: a dozen invented patients, their teams, notes, consents and flags.

Every name, place, number and story here is invented for this project.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..models import (
    ConsentPurpose,
    ConsentStatus,
    GoalStatus,
    NoteType,
    RiskLevel,
    SafetyFlagKind,
    Sensitivity,
    Sex,
    Stage,
)
from ..services import ConsentDetails, PatientDetails

STANDARD_EXPLANATION = (
    "Explained in a private room, with an interpreter where needed: what the service offers "
    "and does not, who reads the record, and that the patient may change their mind."
)


@dataclass(frozen=True)
class DemoNote:
    author: str
    days_ago: int
    note_type: str
    body: str
    sensitivity: str = Sensitivity.STANDARD
    # Amend the note at this index in the patient's list (written by the same author).
    amends: int | None = None


@dataclass(frozen=True)
class DemoGoal:
    goal: str
    agreed_days_ago: int
    review_in_days: int
    status: str = GoalStatus.ACTIVE


@dataclass(frozen=True)
class DemoPatient:
    details: PatientDetails
    lead: str
    registered_days_ago: int
    members: tuple[tuple[str, bool], ...] = ()  # (username, restricted access)
    # Registered at the front desk and allocated by the manager, rather than by the lead.
    registered_by: str | None = None
    consents: tuple[ConsentDetails, ...] = ()
    later_consents: tuple[ConsentDetails, ...] = ()
    flags: tuple[tuple[str, str], ...] = ()  # (kind, details)
    goals: tuple[DemoGoal, ...] = ()
    notes: tuple[DemoNote, ...] = ()
    attachment: bool = False
    close: bool = False


def _given(purpose: str, explanation: str = STANDARD_EXPLANATION, **extra: Any) -> ConsentDetails:
    return ConsentDetails(
        purpose=purpose, status=ConsentStatus.GIVEN, explanation=explanation, **extra
    )


CARE = _given(ConsentPurpose.CARE_AND_DATA)
RESEARCH = _given(
    ConsentPurpose.RESEARCH,
    "Explained separately from care: anonymised figures for the demo research project only; "
    "saying no changes nothing about care.",
    scope="Anonymised service figures; no quotations.",
)


def _born(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


# Names, places and numbers are invented; phone numbers are in a range reserved for fiction
# and addresses use example.org, so nothing here can reach a real person.
DEMO_PATIENTS: tuple[DemoPatient, ...] = (
    DemoPatient(
        details=PatientDetails(
            preferred_name="Mira Orvanne",
            legal_name="Mira Orvanne",
            date_of_birth=_born(1996, 3, 14),
            sex=Sex.FEMALE,
            gender="Woman",
            nationality="Demo nationality A",
            languages=("Demo language One", "English (some)"),
            interpreter_needed=True,
            phone="07700 900101",
            safe_contact_channel="support_worker",
            safe_contact_times="Weekdays 10:00-12:00, through her support worker",
            code_word="lantern",
            emergency_contact_name="Support worker at Demo Shelter North",
            emergency_contact_relationship="Support worker",
            emergency_contact_phone="07700 900199",
            current_location="Demo Shelter North (address held by the lead clinician)",
            stage=Stage.STABILISATION,
            complexity=4,
            risk_level=RiskLevel.HIGH,
        ),
        lead="clinician",
        registered_days_ago=120,
        members=(("clinician2", True),),
        consents=(CARE, RESEARCH),
        later_consents=(
            _given(
                ConsentPurpose.LEGAL_PROCEEDINGS,
                "Explained that her solicitor may ask for a report for court, what it would "
                "contain, and that she can say no or change her mind before it is sent.",
            ),
        ),
        flags=(
            (
                SafetyFlagKind.TRAFFICKER_MAY_CONTACT,
                "Someone claiming to be a cousin has phoned twice asking for her (demo).",
            ),
        ),
        goals=(
            DemoGoal("Sleep through most nights within two months.", 110, 20),
            DemoGoal("Register with a local GP near the shelter.", 110, 10, GoalStatus.ACHIEVED),
        ),
        notes=(
            DemoNote(
                "clinician",
                118,
                NoteType.ASSESSMENT,
                "Initial assessment with interpreter. Reports poor sleep and headaches. "
                "Agreed to weekly appointments.",
            ),
            DemoNote(
                "clinician",
                90,
                NoteType.CONSULTATION,
                "Disclosed details of the exploitation and its effect on her mood. "
                "Screening suggests moderate depression; discussed options.",
                Sensitivity.RESTRICTED,
            ),
            DemoNote(
                "clinician2",
                60,
                NoteType.PHONE_CALL,
                "Phoned the shelter to rearrange Thursday's appointment (demo).",
            ),
            DemoNote(
                "clinician",
                117,
                NoteType.ASSESSMENT,
                "Correction to the initial assessment: the headaches started before arrival, "
                "not after.",
                amends=0,
            ),
        ),
        attachment=True,
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Sunflower",
            legal_name_withheld=True,
            legal_name_withheld_reason="Afraid of being traced by the people who held her.",
            approximate_age=24,
            sex=Sex.FEMALE,
            languages=("Demo language Two",),
            interpreter_needed=True,
            safe_contact_channel="in_person",
            stage=Stage.INTAKE,
            complexity=3,
            risk_level=RiskLevel.HIGH,
        ),
        lead="clinician",
        registered_days_ago=9,
        consents=(
            CARE,
            ConsentDetails(
                purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
                status=ConsentStatus.REFUSED,
                organisation="Northbridge Housing Trust (demo)",
            ),
        ),
        flags=(
            (
                SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE,
                "Never confirm she attends here, to anyone who asks (demo).",
            ),
        ),
        goals=(DemoGoal("Agree a safe way to stay in contact between visits.", 9, 14),),
        notes=(
            DemoNote(
                "clinician",
                9,
                NoteType.CONSULTATION,
                "First consultation. Chose to be called Sunflower; does not want to give "
                "her legal name for now.",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Jonas Kestrelby",
            legal_name="Jonas Kestrelby",
            date_of_birth=_born(1988, 11, 2),
            sex=Sex.MALE,
            languages=("Demo language Three",),
            phone="07700 900102",
            voicemail_safe=True,
            stage=Stage.RECOVERY,
            complexity=2,
            risk_level=RiskLevel.MEDIUM,
        ),
        lead="clinician",
        registered_days_ago=200,
        members=(("supervisor", False),),
        consents=(CARE, RESEARCH),
        goals=(DemoGoal("Return to paid work part time.", 150, 30),),
        notes=(
            DemoNote(
                "clinician",
                190,
                NoteType.ASSESSMENT,
                "Back pain from years of heavy lifting. Referred for physiotherapy.",
            ),
            DemoNote(
                "supervisor",
                40,
                NoteType.GROUP_SESSION,
                "Attended the men's peer group; spoke for the first time.",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Amal Tamsworth",
            legal_name="Amal Tamsworth",
            date_of_birth=_born(1979, 6, 21),
            sex=Sex.FEMALE,
            languages=("English",),
            stage=Stage.REINTEGRATION,
            complexity=1,
            risk_level=RiskLevel.LOW,
        ),
        lead="clinician",
        registered_days_ago=400,
        consents=(CARE,),
        goals=(DemoGoal("Move into her own flat.", 300, 30, GoalStatus.ACHIEVED),),
        notes=(
            DemoNote(
                "clinician",
                30,
                NoteType.REFERRAL,
                "Referred to the demo community college for an English course.",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Teodor Brisk",
            legal_name="Teodor Brisk",
            date_of_birth=_born(1991, 1, 30),
            sex=Sex.MALE,
            languages=("Demo language Four",),
            interpreter_needed=True,
            stage=Stage.STABILISATION,
            complexity=5,
            risk_level=RiskLevel.HIGH,
        ),
        lead="clinician2",
        registered_days_ago=45,
        members=(("clinician", False),),
        consents=(
            CARE,
            ConsentDetails(
                purpose=ConsentPurpose.RESEARCH,
                status=ConsentStatus.NOT_OBTAINED,
                not_obtained_reason=(
                    "No interpreter for his language was available at the session; "
                    "to ask again at the next visit."
                ),
            ),
        ),
        notes=(
            DemoNote(
                "clinician2",
                44,
                NoteType.ASSESSMENT,
                "Untreated injury to the left hand; arranged an X-ray.",
            ),
            DemoNote(
                "clinician",
                20,
                NoteType.OTHER,
                "Wrote a letter confirming attendance for his solicitor (demo).",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Noor Almsbury",
            legal_name="Noor Almsbury",
            date_of_birth=_born(2001, 9, 5),
            sex=Sex.FEMALE,
            languages=("Demo language One",),
            stage=Stage.INTAKE,
        ),
        # Registered at the front desk; the manager then allocates a lead.
        lead="clinician2",
        registered_by="reception",
        registered_days_ago=2,
        consents=(CARE,),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Ravi Denholm",
            legal_name="Ravi Denholm",
            date_of_birth=_born(1985, 4, 17),
            sex=Sex.MALE,
            stage=Stage.RECOVERY,
            complexity=3,
            risk_level=RiskLevel.MEDIUM,
        ),
        lead="clinician2",
        registered_days_ago=160,
        consents=(CARE,),
        goals=(DemoGoal("Reduce nightmares to fewer than two a week.", 140, 25),),
        notes=(
            DemoNote(
                "clinician2",
                100,
                NoteType.CONSULTATION,
                "Sleep improving with the routine agreed last month.",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Elif Carrowmore",
            legal_name="Elif Carrowmore",
            date_of_birth=_born(1993, 12, 12),
            sex=Sex.FEMALE,
            stage=Stage.STABILISATION,
            complexity=4,
            risk_level=RiskLevel.HIGH,
        ),
        lead="supervisor",
        registered_days_ago=70,
        members=(("clinician2", False),),
        consents=(CARE,),
        flags=(
            (
                SafetyFlagKind.VIOLENCE_RISK,
                "A former partner was involved in her recruitment (demo).",
            ),
        ),
        notes=(
            DemoNote(
                "supervisor",
                65,
                NoteType.CONSULTATION,
                "Reviewed the safety plan with her; she keeps a copy at the shelter.",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Samir Oakhurst",
            legal_name="Samir Oakhurst",
            date_of_birth=_born(1975, 8, 8),
            sex=Sex.MALE,
            stage=Stage.REINTEGRATION,
            complexity=2,
            risk_level=RiskLevel.LOW,
        ),
        lead="supervisor",
        registered_days_ago=300,
        consents=(CARE,),
        notes=(
            DemoNote(
                "supervisor",
                15,
                NoteType.PHONE_CALL,
                "Called to say he has started work at the demo bakery.",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Lina Feverstone",
            legal_name="Lina Feverstone",
            date_of_birth=_born(1999, 2, 27),
            sex=Sex.FEMALE,
            stage=Stage.RECOVERY,
            complexity=2,
            risk_level=RiskLevel.LOW,
        ),
        lead="clinician",
        registered_days_ago=500,
        consents=(CARE,),
        notes=(
            DemoNote(
                "clinician",
                35,
                NoteType.CONSULTATION,
                "Final review. Moving to another city with her sister; care closed by agreement.",
            ),
        ),
        close=True,
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Kwame Hollins",
            legal_name="Kwame Hollins",
            date_of_birth=_born(1990, 10, 19),
            sex=Sex.MALE,
            stage=Stage.RECOVERY,
            complexity=3,
            risk_level=RiskLevel.MEDIUM,
        ),
        lead="clinician2",
        registered_days_ago=220,
        members=(("supervisor", False),),
        consents=(CARE, RESEARCH),
        notes=(
            DemoNote(
                "clinician2",
                25,
                NoteType.GROUP_SESSION,
                "Joined the cooking group; talked about food from home.",
            ),
        ),
    ),
    DemoPatient(
        details=PatientDetails(
            preferred_name="Ana Pelliston",
            legal_name="Ana Pelliston",
            date_of_birth=_born(1983, 5, 3),
            sex=Sex.FEMALE,
            stage=Stage.RECOVERY,
            complexity=3,
            risk_level=RiskLevel.MEDIUM,
        ),
        lead="clinician",
        registered_days_ago=80,
        members=(("clinician2", False),),
        consents=(CARE,),
        goals=(DemoGoal("Attend the dental appointment she has been putting off.", 60, 15),),
        notes=(
            DemoNote(
                "clinician2",
                50,
                NoteType.REFERRAL,
                "Referred to the demo dental clinic; she asked for a female dentist.",
            ),
        ),
    ),
)

DEMO_BREAK_GLASS_REASON = (
    "Arrived at the evening clinic in distress while the lead clinician was off duty (demo)."
)
# (clinician, index of the patient in DEMO_PATIENTS): a grant that waits for review.
DEMO_BREAK_GLASS = ("supervisor", 3)
