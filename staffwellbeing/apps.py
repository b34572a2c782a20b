from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffWellbeingConfig(AppConfig):
    name = "staffwellbeing"
    verbose_name = _("Staff wellbeing")

    def ready(self) -> None:
        from . import checks  # noqa: F401  # registers the system checks
