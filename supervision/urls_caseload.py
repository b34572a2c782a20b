"""URLs for caseload guidelines, figures and reviews; included by supervision/urls.py."""

from __future__ import annotations

from django.urls import path

from .views import caseload

urlpatterns = [
    path("caseload/guidelines/", caseload.guidelines, name="guidelines"),
    path("caseload/mine/", caseload.my_caseload, name="my_caseload"),
    path("caseload/mine/reviews/", caseload.my_reviews, name="my_reviews"),
    path("caseload/<int:user_id>/", caseload.clinician_caseload, name="clinician_caseload"),
    path("caseload/<int:user_id>/reviews/", caseload.reviews, name="reviews"),
    path("caseload/<int:user_id>/reviews/new/", caseload.review_new, name="review_new"),
    path("caseload/reviews/<uuid:uuid>/", caseload.review_detail, name="review_detail"),
]
