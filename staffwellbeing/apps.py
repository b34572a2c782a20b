from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffWellbeingConfig(AppConfig):
    name = "staffwellbeing"
    verbose_name = _("Staff wellbeing")
