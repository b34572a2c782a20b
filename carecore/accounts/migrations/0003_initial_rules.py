"""Publish version 1 of the confidentiality rules, written for CareCore.

Every user is asked to acknowledge it before their first page. An organisation replaces it by
publishing a new version from the rules page; this text is never edited in place.
"""

from django.db import migrations

TITLE = "Confidentiality rules for everyone who works with CareCore"

BODY = """\
The people we care for have survived trafficking. Information about them can put them, their \
families and our colleagues in danger if it reaches the wrong person. These rules apply to \
everyone who uses CareCore, whatever their role, and to information in every form: on screen, \
on paper and spoken aloud.

1. Look only at what your work needs. Open a person's record only when you are on their care \
team, or your role needs it for the task in front of you. Curiosity is never a reason. Every \
record you open is logged.

2. Keep conversations about patients inside the care setting. Do not talk about cases in \
corridors or waiting rooms, on public transport, at home or online, even without names.

3. Never confirm that someone is a patient here. Whoever asks, in person, by phone or in \
writing, including people who say they are family, an employer, a lawyer or the police: \
neither confirm nor deny. Note who asked and pass the request to the privacy officer.

4. No copies outside the system. Do not photograph screens or papers. Do not keep records, \
notes or exports on a personal phone or computer, on a memory stick, in personal email or in a \
messaging app.

5. Lock the screen or sign out whenever you step away, even for a moment. Never share your \
password or your second factor, and never let anyone work under your account.

6. Share only through the system. Referrals, transfers of care and requests from a court or \
the police go through CareCore's recorded sharing, so that who received what, why and with \
whose approval is kept. Never pass information on informally.

7. Record only what the person has agreed to, and respect their choice to be known by an alias \
or a code instead of their name.

8. Take extra care with the most sensitive details: HIV status, sexual and reproductive \
health, mental health, what happened during the exploitation, and where the person is now.

9. Staff identities are sensitive too. Do not tell anyone outside the care team who works here \
or who cared for whom.

10. Report at once. If you think information has been seen by the wrong person, lost or shared \
by mistake, or someone is asking questions they should not, tell the privacy officer straight \
away. Early reports protect people, and nobody is blamed for reporting in good faith.

11. These rules do not end. They still apply after a person has left our care, and after you \
have left the organisation.

If anything here is unclear, ask the privacy officer before you handle records."""


def publish_first_version(apps, schema_editor):
    ConfidentialityRules = apps.get_model("accounts", "ConfidentialityRules")
    if not ConfidentialityRules.objects.exists():
        # No publisher: the system published it. Later versions name the person who did.
        ConfidentialityRules.objects.create(version=1, title=TITLE, body=BODY, published_by=None)


def withdraw_first_version(apps, schema_editor):
    ConfidentialityRules = apps.get_model("accounts", "ConfidentialityRules")
    # An acknowledged version is evidence of who agreed to what: leave it in place.
    ConfidentialityRules.objects.filter(
        version=1, published_by=None, acknowledgements__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_create_roles")]

    operations = [migrations.RunPython(publish_first_version, withdraw_first_version)]
