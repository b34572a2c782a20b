from django.urls import include, path

urlpatterns = [
    path("", include("carecore.home.urls")),
    path("accounts/", include("carecore.accounts.urls")),
    path("audit/", include("carecore.audit.urls")),
    path("patients/", include("patients.urls")),
    path("wellbeing/", include("staffwellbeing.urls")),
    path("supervision/", include("supervision.urls")),
    path("lifecycle/", include("lifecycle.urls")),
]

# Generic error pages that echo nothing from the request (see carecore/home/views.py).
handler400 = "carecore.home.views.bad_request"
handler403 = "carecore.home.views.permission_denied"
handler404 = "carecore.home.views.page_not_found"
handler500 = "carecore.home.views.server_error"
