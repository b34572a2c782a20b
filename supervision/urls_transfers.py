"""URLs for case transfer requests; included by supervision/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import transfers

urlpatterns: list[URLPattern] = [
    path("transfers/", transfers.transfer_list, name="transfers"),
    path("transfers/new/", transfers.transfer_new, name="transfer_new"),
    path("transfers/<uuid:transfer_uuid>/", transfers.transfer_detail, name="transfer_detail"),
    path(
        "transfers/<uuid:transfer_uuid>/assign/",
        transfers.transfer_assign_view,
        name="transfer_assign",
    ),
    path(
        "transfers/<uuid:transfer_uuid>/accept/",
        transfers.transfer_accept_view,
        name="transfer_accept",
    ),
    path(
        "transfers/<uuid:transfer_uuid>/decline/",
        transfers.transfer_decline_view,
        name="transfer_decline",
    ),
    path(
        "transfers/<uuid:transfer_uuid>/withdraw/",
        transfers.transfer_withdraw_view,
        name="transfer_withdraw",
    ),
]
