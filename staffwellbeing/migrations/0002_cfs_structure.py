"""Create the compassion fatigue scale, version 1, with its structure and no item wording.

The published item wording is never part of the repository: the organisation loads it from
its copy of the guide as a new version (`manage.py load_instrument`). The constants are
repeated here rather than imported so that this migration keeps meaning what it meant.
"""

from django.db import migrations

CODE = "compassion_fatigue"
LETTERS = "abcdefghijklm"
SUBSCALES = (
    ("secondary_trauma", "Secondary trauma", "cehjl"),
    ("job_burnout", "Job burnout", "abdfgikm"),
    ("chronic_fatigue", "Chronic fatigue", LETTERS),
)
CITATION = (
    "Adams, R. E., Boscarino, J. A. & Figley, C. R. (2006). Compassion fatigue and psychological "
    "distress among social workers: a validation study. American Journal of Orthopsychiatry, "
    "76(1), 103-108. As given in: IOM / London School of Hygiene & Tropical Medicine (2009), "
    "Caring for trafficked persons: guidance for health providers."
)
INSTRUCTIONS = (
    "Think about your current work and life situation. For each item, choose one whole number "
    "from 1 to 10."
)


def create_structure(apps, schema_editor):
    Instrument = apps.get_model("staffwellbeing", "Instrument")
    InstrumentVersion = apps.get_model("staffwellbeing", "InstrumentVersion")
    InstrumentItem = apps.get_model("staffwellbeing", "InstrumentItem")
    Subscale = apps.get_model("staffwellbeing", "Subscale")

    instrument, _ = Instrument.objects.get_or_create(
        code=CODE, defaults={"name": "Compassion fatigue scale", "citation": CITATION}
    )
    if InstrumentVersion.objects.filter(instrument=instrument, number=1).exists():
        return
    version = InstrumentVersion.objects.create(
        instrument=instrument,
        number=1,
        instructions=INSTRUCTIONS,
        min_rating=1,
        max_rating=10,
        wording_source="structure_only",
    )
    items = {
        letter: InstrumentItem.objects.create(
            version=version, letter=letter, wording="", position=index
        )
        for index, letter in enumerate(LETTERS, start=1)
    }
    for position, (code, name, letters) in enumerate(SUBSCALES, start=1):
        subscale = Subscale.objects.create(version=version, code=code, name=name, position=position)
        subscale.items.set([items[letter] for letter in letters])


def remove_structure(apps, schema_editor):
    InstrumentVersion = apps.get_model("staffwellbeing", "InstrumentVersion")
    InstrumentVersion.objects.filter(instrument__code=CODE, number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("staffwellbeing", "0001_initial")]

    operations = [migrations.RunPython(create_structure, remove_structure)]
