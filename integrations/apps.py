from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from . import start_panels

        # The data stewards' start page (casework does not import integrations: each app registers its panels).
        start_panels.register()
