"""The project's URLs plus one test page that reads an encrypted value."""

from django.urls import path

from carecore.urls import handler400, handler403, handler404, handler500  # noqa: F401
from carecore.urls import urlpatterns as project_urlpatterns

from .views import secret_detail

urlpatterns = [
    *project_urlpatterns,
    path("test-only/secret/<int:pk>/", secret_detail, name="test_secret_detail"),
]
