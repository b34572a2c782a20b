"""Demo and scale data for patients: a small realistic caseload, and a bulk load for benchmarks.

`seed_demo_patients` is a seed step (`carecore.home.seeding.SEED_STEPS`): about a dozen
patients written through the services, as the demo clinicians and the manager, so that every
role's home and the audit trail look as they would in use. `patients_bulk_seed` writes
thousands of rows with `bulk_create` for `manage.py seed_scale`, with one summary audit event.
"""

from .demo import demo_patients_present, demo_patients_seed, demo_scan_png, seed_demo_patients
from .demo_caseload import DEMO_PATIENTS
from .scale import (
    LARGE_VOLUME,
    SCALE_NOTE_BODIES,
    Volume,
    patients_bulk_seed,
    scale_data_present,
)

__all__ = [
    "DEMO_PATIENTS",
    "LARGE_VOLUME",
    "SCALE_NOTE_BODIES",
    "Volume",
    "demo_patients_present",
    "demo_patients_seed",
    "demo_scan_png",
    "patients_bulk_seed",
    "scale_data_present",
    "seed_demo_patients",
]
