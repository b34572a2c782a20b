from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CryptoConfig(AppConfig):
    name = "carecore.crypto"
    label = "crypto"
    verbose_name = _("Field encryption")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the security system checks)
