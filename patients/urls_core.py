"""Patient lists, registration, the front desk, the overview, edit and the care team."""

from __future__ import annotations

from django.urls import path

from .views import care_team, core, lists, registration

urlpatterns = [
    path("", lists.my_patients, name="list"),
    path("caseload/", lists.caseload, name="caseload"),
    path("autocomplete/", lists.autocomplete, name="autocomplete"),
    path("register/", registration.register, name="register"),
    path("registered/<uuid:patient_uuid>/", registration.registered, name="registered"),
    path("front-desk/", registration.front_desk, name="front_desk"),
    path("<uuid:patient_uuid>/", core.overview, name="overview"),
    path("<uuid:patient_uuid>/edit/", core.patient_edit, name="patient_edit"),
    path("<uuid:patient_uuid>/care-team/", care_team.care_team, name="care_team"),
    path(
        "<uuid:patient_uuid>/care-team/<int:clinician_id>/remove/",
        care_team.care_team_remove,
        name="care_team_remove",
    ),
]
